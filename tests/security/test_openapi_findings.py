"""The 5xx the OpenAPI fuzz (test_openapi_fuzz.py) found, each reproduced as a plain unit test."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from llmrelay.proxy.decode import BodyDecoder
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.errors import BadRequestError
from llmrelay.types.image import ImageGenerationRequest
from llmrelay.types.moderation import ModerationRequest
from llmrelay.types.rerank import RerankRequest

VALID: list[tuple[type[Any], dict[str, Any]]] = [
    (ChatRequest, {"model": "m", "messages": [{"role": "user", "content": "hi"}]}),
    (TextCompletionRequest, {"model": "m", "prompt": "hi"}),
    (EmbeddingRequest, {"model": "m", "input": ["hi"]}),
    (RerankRequest, {"model": "m", "query": "q", "documents": ["d"]}),
    (ModerationRequest, {"input": "hi"}),
    (ImageGenerationRequest, {"model": "m", "prompt": "a kite"}),
]


@pytest.mark.parametrize(("kind", "body"), VALID, ids=[kind.__name__ for kind, _ in VALID])
@pytest.mark.parametrize("extra_body", [59, "text", [1], True])
def test_an_extra_body_that_is_not_an_object_beside_unknown_fields_is_a_400(
    kind: type[Any], body: dict[str, Any], extra_body: object
) -> None:
    # unknown fields are merged into extra_body: a non-object one raised TypeError (a 500)
    raw = msgspec.json.encode({**body, "not_a_field": 1, "extra_body": extra_body})
    with pytest.raises(BadRequestError) as caught:
        BodyDecoder(kind).decode(raw)
    assert caught.value.param == "extra_body"


@pytest.mark.parametrize(("kind", "body"), VALID, ids=[kind.__name__ for kind, _ in VALID])
def test_unknown_fields_still_join_an_extra_body_object(kind: type[Any], body: dict[str, Any]) -> None:
    raw = msgspec.json.encode({**body, "not_a_field": 1, "extra_body": {"given": 2}})
    assert BodyDecoder(kind).decode(raw).extra_body == {"given": 2, "not_a_field": 1}
