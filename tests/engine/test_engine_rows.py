"""The engine's half of the operation table (engine/codecs.py) and its one path: every operation of
calls.operation has an engine row, an operation without one is a clear error, and every answer and
stream the engine returns carries the `Served` record of the deployment that served it — and no
LiteLLM `_hidden_params` view of it, which only the SDK edge builds. A canned transport stands in
for the network."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from llmrelay.calls.operation import CHAT, EMBEDDING, OPERATIONS, TEXT_COMPLETION, Operation
from llmrelay.calls.served import Served, served_of
from llmrelay.cost.catalog import Catalog
from llmrelay.engine import Engine
from llmrelay.engine.codecs import ENGINE_ROWS, engine_row, missing_rows
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.errors import BadRequestError, InternalServerError
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.response import ChatResponse, Usage

DEPLOYMENT = Deployment(
    provider="openai", model="gpt-4o-mini", api_key="sk-test-key", api_base="http://upstream.test/v1",
    id="dep-1", model_name="group-a",
)  # fmt: skip
CHAT_ANSWER = {
    "id": "c1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}],
    "usage": {"prompt_tokens": 8, "completion_tokens": 4, "total_tokens": 12},
}  # fmt: skip
EMBEDDING_ANSWER = {
    "object": "list", "model": "text-embedding-3-small",
    "data": [{"object": "embedding", "index": 0, "embedding": [0.5, 0.25]}],
    "usage": {"prompt_tokens": 3, "total_tokens": 3},
}  # fmt: skip
STREAM = b"".join(
    b"data: " + msgspec.json.encode(event) + b"\n\n"
    for event in (
        {"id": "s", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
         "choices": [{"index": 0, "delta": {"role": "assistant", "content": "hel"}, "finish_reason": None}]},
        {"id": "s", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
         "choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": "stop"}]},
    )
) + b"data: [DONE]\n\n"  # fmt: skip


class _Upstream:
    def __init__(self, body: bytes) -> None:
        self.status = 200
        self.headers = {"content-type": "text/event-stream"}
        self._body = body

    async def iter_bytes(self) -> Any:
        yield self._body

    async def read(self) -> bytes:
        return self._body

    async def aclose(self) -> None:
        return None


class CannedTransport:
    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        self.sent: list[HttpRequest] = []

    async def send(self, request: HttpRequest, timeout: float | None = None) -> HttpResponse:
        self.sent.append(request)
        return HttpResponse(status=200, body=msgspec.json.encode(self.answer), headers={})

    async def open_stream(self, request: HttpRequest, **_: Any) -> _Upstream:
        self.sent.append(request)
        return _Upstream(STREAM)


def engine(answer: dict[str, Any] = CHAT_ANSWER) -> tuple[Engine, CannedTransport]:
    transport = CannedTransport(answer)
    return Engine(transport, ProviderRegistry(), Catalog()), transport  # type: ignore[arg-type]


def chat_request(**fields: Any) -> ChatRequest:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], **fields}
    return msgspec.convert(body, ChatRequest)


# ---- the table
def test_every_operation_has_an_engine_row() -> None:
    assert missing_rows() == []
    for operation in OPERATIONS:
        row = engine_row(operation)
        assert row.name == operation.name
        # a row opens a stream exactly when its operation streams
        assert (row.opens_stream is not None) == operation.streams, operation.name
    assert set(ENGINE_ROWS) == {op.name for op in OPERATIONS}


UNKNOWN: Operation[Any, Any] = Operation(
    "audio_speech", "audio_speech", dict, dict, usage=lambda _: None, estimate_tokens=lambda _: 0
)


async def test_an_operation_without_an_engine_row_is_a_clear_error() -> None:
    with pytest.raises(InternalServerError, match="no path for operation 'audio_speech'"):
        engine_row(UNKNOWN)
    eng, transport = engine()
    with pytest.raises(InternalServerError, match="no path for operation 'audio_speech'"):
        await eng.answer(UNKNOWN, {}, DEPLOYMENT, timeout=1)
    with pytest.raises(InternalServerError, match="no path for operation 'audio_speech'"):
        await eng.open_stream(UNKNOWN, {}, DEPLOYMENT, timeout=1)
    assert transport.sent == []


async def test_an_operation_that_does_not_stream_is_refused_a_stream() -> None:
    eng, transport = engine()
    request = EmbeddingRequest(model="text-embedding-3-small", input="hi")
    with pytest.raises(InternalServerError, match="'embedding' does not stream"):
        await eng.open_stream(EMBEDDING, request, DEPLOYMENT, timeout=1)
    assert transport.sent == []


# ---- Served out
def _served_by_deployment(cost_micros: int, *, mock: bool = False) -> Served:
    return Served(
        provider="openai", model="openai/gpt-4o-mini", deployment_id="dep-1", model_group="group-a",
        api_base="http://upstream.test/v1", cost_micros=cost_micros, mock=mock,
    )  # fmt: skip


async def test_an_answer_carries_what_served_it_and_its_price() -> None:
    eng, _ = engine()
    result = await eng.answer(CHAT, chat_request(), DEPLOYMENT, timeout=1)
    price = eng.price(Usage(prompt_tokens=8, completion_tokens=4, total_tokens=12), DEPLOYMENT)
    assert price > 0
    assert served_of(result) == _served_by_deployment(price)
    # the LiteLLM view is the SDK edge's to build: the gateway's path never pays for it
    assert getattr(result, "_hidden_params", None) is None


async def test_every_one_piece_operation_runs_the_one_path() -> None:
    eng, transport = engine(EMBEDDING_ANSWER)
    request = EmbeddingRequest(model="text-embedding-3-small", input="hi")
    result = await eng.answer(EMBEDDING, request, DEPLOYMENT, timeout=1)
    assert transport.sent[0].url == "http://upstream.test/v1/embeddings"
    assert served_of(result).deployment_id == "dep-1"
    assert served_of(result).cost_micros == eng.price(result.usage.as_usage(), DEPLOYMENT)


async def test_a_mock_deployment_answers_chat_and_refuses_the_others_by_their_label() -> None:
    eng, transport = engine()
    mocked = msgspec.structs.replace(DEPLOYMENT, mock_response="canned")
    result = await eng.answer(CHAT, chat_request(), mocked, timeout=1)
    assert isinstance(result, ChatResponse) and result.choices[0].message.content == "canned"
    assert served_of(result).mock
    with pytest.raises(BadRequestError, match="not embeddings"):
        await eng.answer(EMBEDDING, EmbeddingRequest(model="m", input="hi"), mocked, timeout=1)
    assert transport.sent == []


async def test_a_text_completion_through_chat_is_served_as_its_chat_answer() -> None:
    eng, _ = engine()
    mocked = msgspec.structs.replace(DEPLOYMENT, mock_response="canned")
    request = TextCompletionRequest(model="gpt-4o-mini", prompt="say")
    result = await eng.answer(TEXT_COMPLETION, request, mocked, timeout=1)
    assert result.choices[0].text == "canned"
    assert served_of(result).mock and served_of(result).deployment_id == "dep-1"


async def test_a_stream_carries_what_serves_it() -> None:
    eng, _ = engine()
    stream = await eng.open_stream(CHAT, chat_request(stream=True), DEPLOYMENT, timeout=1)
    assert served_of(stream) == stream.served == _served_by_deployment(0)
    assert stream.hidden_params == {}  # the SDK edge's view (core/litellm_view.py), not the engine's
    text = [c.choices[0].delta.content or "" async for c in stream if c.choices]
    assert "".join(text) == "hello"


async def test_a_text_stream_carries_what_serves_its_chat_stream() -> None:
    eng, _ = engine()
    mocked = msgspec.structs.replace(DEPLOYMENT, mock_response="canned")
    request = TextCompletionRequest(model="gpt-4o-mini", prompt="say", stream=True)
    stream = await eng.open_stream(TEXT_COMPLETION, request, mocked, timeout=1)
    assert served_of(stream) == stream.served == _served_by_deployment(0, mock=True)


# ---- the engine's parts
async def test_a_transport_swapped_on_the_engine_is_the_one_its_exchanges_use() -> None:
    """The in-process bench gives a built gateway's engine a canned upstream this way."""
    eng, first = engine()
    second = CannedTransport(CHAT_ANSWER)
    eng.transport = second  # type: ignore[assignment]
    await eng.answer(CHAT, chat_request(), DEPLOYMENT, timeout=1)
    assert first.sent == [] and len(second.sent) == 1
