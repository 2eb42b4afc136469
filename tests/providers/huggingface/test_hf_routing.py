"""Hugging Face model strings and URLs: LiteLLM's `huggingface/<provider>/<org>/<model>` becomes the
router's `<org>/<model>:<provider>`; dedicated endpoints get /v1 for chat; embeddings go to the
hf-inference provider's feature extraction. Pure functions and prepared requests, no network."""

from __future__ import annotations

import msgspec
import pytest

from llmrelay.providers.huggingface import HuggingFaceProvider
from llmrelay.providers.huggingface.routing import chat_base, embedding_url, router_model
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.errors import AuthenticationError, BadRequestError, UnsupportedParamsError

ROUTER = "https://router.huggingface.co/v1"
MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture(autouse=True)
def _no_hf_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HF_TOKEN", "HUGGINGFACE_API_KEY", "HF_API_BASE", "HUGGINGFACE_API_BASE"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("model", "routed"),
    [
        ("together/deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-R1:together"),
        ("fireworks-ai/meta-llama/Llama-3.3-70B-Instruct", "meta-llama/Llama-3.3-70B-Instruct:fireworks-ai"),
        ("deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-R1"),
        ("deepseek-ai/DeepSeek-R1:novita", "deepseek-ai/DeepSeek-R1:novita"),
        ("Qwen/Qwen3-32B:fastest", "Qwen/Qwen3-32B:fastest"),
        ("tgi", "tgi"),
    ],
)
def test_router_model(model: str, routed: str) -> None:
    assert router_model(model) == routed


@pytest.mark.parametrize(
    "model", ["a/b/c/d", "together/deepseek-ai/DeepSeek-R1:novita", "/deepseek-ai/x", "org//x", ""]
)
def test_bad_model_strings_are_bad_requests(model: str) -> None:
    with pytest.raises(BadRequestError) as info:
        router_model(model)
    assert info.value.param == "model" and "huggingface/<org>/<model>" in str(info.value)


def test_endpoint_url_as_model_points_to_api_base() -> None:
    with pytest.raises(BadRequestError, match="give it as api_base"):
        router_model("https://xyz.endpoints.huggingface.cloud")


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        (ROUTER, ROUTER),
        ("https://xyz.us-east-1.aws.endpoints.huggingface.cloud", "https://xyz.us-east-1.aws.endpoints.huggingface.cloud/v1"),
        ("http://localhost:8080/v1", "http://localhost:8080/v1"),
    ],
)  # fmt: skip
def test_chat_base(base: str, expected: str) -> None:
    assert chat_base(base) == expected


def test_embedding_urls() -> None:
    fe = "/pipeline/feature-extraction"
    assert embedding_url(ROUTER, "BAAI/bge-small-en-v1.5") == (
        "https://router.huggingface.co/hf-inference/models/BAAI/bge-small-en-v1.5" + fe
    )
    assert embedding_url(ROUTER, "hf-inference/intfloat/e5-base-v2") == (
        "https://router.huggingface.co/hf-inference/models/intfloat/e5-base-v2" + fe
    )
    # a dedicated endpoint takes the request at its own URL
    endpoint = "https://abc.endpoints.huggingface.cloud"
    assert embedding_url(endpoint, "anything") == endpoint
    with pytest.raises(BadRequestError, match="hf-inference"):
        embedding_url(ROUTER, "together/BAAI/bge-small-en-v1.5")
    # an id with characters a path cannot take is escaped, not interpreted
    assert embedding_url(ROUTER, "org/m?x=1").endswith("/models/org/m%3Fx%3D1" + fe)


def adapter() -> HuggingFaceProvider:
    provider = ProviderRegistry().get("huggingface")
    assert isinstance(provider, HuggingFaceProvider)
    return provider


def test_prepared_chat_request() -> None:
    request = ChatRequest(model="huggingface/together/deepseek-ai/DeepSeek-R1", messages=MESSAGES,
                          max_completion_tokens=50, temperature=0.2, stream=True)  # type: ignore[arg-type]  # fmt: skip
    deployment = Deployment(
        provider="huggingface", model="together/deepseek-ai/DeepSeek-R1", api_key="hf_secret"
    )
    http = adapter().prepare_chat(request, deployment)
    assert http.url == ROUTER + "/chat/completions"
    assert http.headers["authorization"] == "Bearer hf_secret"
    body = msgspec.json.decode(http.body or b"")
    assert body["model"] == "deepseek-ai/DeepSeek-R1:together"
    # TGI's schema reads max_tokens only
    assert body["max_tokens"] == 50 and "max_completion_tokens" not in body
    assert body["stream_options"] == {"include_usage": True}
    assert "hf_secret" not in repr(http) and "hf_secret" not in repr(deployment)


def test_key_from_environment_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    request = ChatRequest(model="m", messages=MESSAGES)  # type: ignore[arg-type]
    deployment = Deployment(provider="huggingface", model="org/m")
    with pytest.raises(AuthenticationError, match="HF_TOKEN or HUGGINGFACE_API_KEY"):
        adapter().prepare_chat(request, deployment)
    monkeypatch.setenv("HUGGINGFACE_API_KEY", "hf_second")
    assert adapter().prepare_chat(request, deployment).headers["authorization"] == "Bearer hf_second"
    monkeypatch.setenv("HF_TOKEN", "hf_first")
    assert adapter().prepare_chat(request, deployment).headers["authorization"] == "Bearer hf_first"


def test_api_base_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_API_BASE", "https://my-endpoint.example")
    request = ChatRequest(model="m", messages=MESSAGES)  # type: ignore[arg-type]
    http = adapter().prepare_chat(request, Deployment(provider="huggingface", model="tgi", api_key="k"))
    assert http.url == "https://my-endpoint.example/v1/chat/completions"


def test_unsupported_params_raise_or_drop() -> None:
    request = ChatRequest(model="m", messages=MESSAGES, logit_bias={"1": 2}, store=True)  # type: ignore[arg-type]
    # store is a serving hint (it cannot change the answer): removed, never refused
    with pytest.raises(UnsupportedParamsError, match=r"parameter\(s\) logit_bias;"):
        adapter().check_params(request, drop=False)
    dropped = adapter().check_params(request, drop=True)
    assert dropped.logit_bias is None and dropped.store is None


def test_prepared_embedding_request() -> None:
    request = EmbeddingRequest(model="huggingface/BAAI/bge-small-en-v1.5", input=["a", "b"],
                               extra_body={"normalize": False})  # fmt: skip
    deployment = Deployment(provider="huggingface", model="BAAI/bge-small-en-v1.5", api_key="k")
    http = adapter().prepare_embedding(request, deployment)
    assert http.url.endswith("/hf-inference/models/BAAI/bge-small-en-v1.5/pipeline/feature-extraction")
    assert msgspec.json.decode(http.body or b"") == {"inputs": ["a", "b"], "normalize": False}


@pytest.mark.parametrize(
    ("changes", "param"), [({"dimensions": 64}, "dimensions"), ({"input": [[1, 2, 3]]}, "input")]
)
def test_embedding_inputs_it_cannot_take(changes: dict[str, object], param: str) -> None:
    request = msgspec.structs.replace(EmbeddingRequest(model="m", input="a"), **changes)
    deployment = Deployment(provider="huggingface", model="BAAI/bge-small-en-v1.5", api_key="k")
    with pytest.raises(BadRequestError) as info:
        adapter().prepare_embedding(request, deployment)
    assert info.value.param == param
