"""A model id never adds path segments or a query to the upstream's URL: `gemini/tunedModels/../../
../../evil?x=` once left Gemini's /v1beta/ path on the upstream host, with the key attached. Every
adapter that puts a model id (or a name from an answer) into a URL refuses dot segments with a 400
naming the field, and percent-encodes the rest."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from yarl import URL

from llmrelay.providers.registry import ProviderRegistry
from llmrelay.router import Router
from llmrelay.testing import RunningSimulator
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.errors import BadRequestError
from llmrelay.types.http import HttpRequest, HttpResponse

REGISTRY = ProviderRegistry()
CHAT = msgspec.convert({"model": "m", "messages": [{"role": "user", "content": "hi"}]}, ChatRequest)
AWS = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "secret", "aws_region_name": "us-east-1"}
VERTEX = {"vertex_project": "proj-1", "vertex_location": "us-central1"}


def _deployment(provider: str, model: str) -> Deployment:
    options: dict[str, Any] | None = {"bedrock": AWS, "vertex_ai": VERTEX}.get(provider)
    extra: dict[str, Any] = {"api_version": "2024-10-21", "api_base": "https://res.openai.azure.com"}
    return Deployment(
        provider=provider, model=model, api_key="k-123456", options=options,
        **(extra if provider == "azure" else {}),
    )  # fmt: skip


def _prepare(provider: str, model: str) -> HttpRequest:
    deployment = _deployment(provider, model)
    adapter = REGISTRY.get(provider).for_deployment(deployment)
    if provider == "huggingface":
        return adapter.prepare_embedding(EmbeddingRequest(model=model, input="hi"), deployment)
    return adapter.prepare_chat(CHAT, deployment)


ESCAPES = [
    ("gemini", "tunedModels/../../../../evil?x="),
    ("gemini", "models/.."),
    ("vertex_ai", ".."),
    ("bedrock", ".."),
    ("azure", ".."),
    ("huggingface", "org/../../../evil"),
    ("huggingface", "hf-inference/org/.."),
]


@pytest.mark.parametrize(("provider", "model"), ESCAPES)
def test_a_model_id_with_dot_segments_is_refused(provider: str, model: str) -> None:
    with pytest.raises(BadRequestError) as refused:
        _prepare(provider, model)
    assert (refused.value.status_code, refused.value.param) == (400, "model")


@pytest.mark.parametrize(
    ("provider", "model", "path_start", "path_holds"),
    [
        ("gemini", "gemini-2.5-flash?alt=x#y", "/v1beta/models/", "gemini-2.5-flash%3Falt=x%23y"),
        ("gemini", "tunedModels/my-model-1", "/v1beta/tunedModels/", "my-model-1"),
        ("vertex_ai", "gemini-2.0-flash/../x?y", "/v1/projects/proj-1/", None),
        ("bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0", "/model/", "anthropic.claude"),
        # a '/' that is not kept is encoded: %2F does not split the path, so '..' is no segment
        ("bedrock", "evil/../x?y", "/model/evil%2F..%2Fx%3Fy/", None),
        ("gemini", "../../evil", "/v1beta/models/..%2F..%2Fevil:", None),
        ("azure", "../evil", "/openai/deployments/..%2Fevil/", None),
        ("vertex_ai", "../../../evil", "/v1/projects/proj-1/", "models/..%2F..%2F..%2Fevil:"),
        ("azure", "my deployment?x=1", "/openai/deployments/", "my%20deployment%3Fx=1"),
        ("huggingface", "BAAI/bge-small-en-v1.5", "/hf-inference/models/BAAI/", "bge-small-en-v1.5"),
    ],
)
def test_other_ids_stay_inside_the_path(
    provider: str, model: str, path_start: str, path_holds: str | None
) -> None:
    try:
        request = _prepare(provider, model)
    except BadRequestError as refused:
        assert refused.param == "model"  # refusing is fine too; escaping is not
        return
    # the URL as the HTTP client sends it (yarl resolves dot segments)
    url = URL(request.url)
    assert url.raw_path.startswith(path_start)
    assert not url.raw_query_string or "x=" not in url.raw_query_string
    if path_holds is not None:
        assert path_holds in url.raw_path


def test_a_replicate_prediction_id_cannot_escape_either() -> None:
    deployment = Deployment(provider="replicate", model="meta/llama", api_key="r8_secret")
    adapter = REGISTRY.get("replicate")
    url = "https://api.replicate.com/v1/models/meta/llama/predictions"
    sent = HttpRequest(url=url, headers={"prefer": "wait"})
    answer = HttpResponse(status=201, body=b'{"id": "..", "status": "processing", "input": {}}')
    with pytest.raises(BadRequestError, match="prediction id"):
        adapter.follow_up(answer, sent, deployment)


async def test_the_gemini_attack_never_reaches_the_upstream(gemini_sim: RunningSimulator) -> None:
    params = {"model": "gemini/*", **gemini_sim.sdk_kwargs()}
    router = Router([{"model_name": "gemini/*", "litellm_params": params}])
    try:
        with pytest.raises(BadRequestError) as refused:
            messages = [{"role": "user", "content": "hi"}]
            await router.acompletion("gemini/tunedModels/../../../../evil?x=", messages)
    finally:
        await router.aclose()
    assert refused.value.param == "model"
    assert len(gemini_sim.requests) == 0
