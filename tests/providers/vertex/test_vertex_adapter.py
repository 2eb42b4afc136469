"""The Vertex AI adapter's request mapping: which publisher serves a model, URLs for each location and
api_base, settings from litellm_params or the environment, the Gemini and Claude bodies, :predict
embeddings, error envelopes and the catalog names a deployment is priced by."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from llmrelay.cost.catalog import Catalog
from llmrelay.engine import Engine
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.providers.vertex import VertexAI
from llmrelay.providers.vertex.adapter import VertexAnthropic, VertexGemini, anthropic_model_id
from llmrelay.testing.aws_identity import fetch_credential
from llmrelay.transport.http import HttpTransport
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.http import HttpResponse
from llmrelay.types.response import Usage

ENV = ("VERTEXAI_PROJECT", "VERTEX_PROJECT", "VERTEXAI_LOCATION", "VERTEX_LOCATION",
       "GOOGLE_APPLICATION_CREDENTIALS")  # fmt: skip


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, no_google_credentials: Path) -> Iterator[None]:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    yield


def chat(**fields: Any) -> ChatRequest:
    fields.setdefault("model", "vertex_ai/gemini-2.0-flash")
    fields.setdefault("messages", [{"role": "user", "content": "hi"}])
    return msgspec.convert(fields, ChatRequest)


def dep(model: str = "gemini-2.0-flash", **fields: Any) -> Deployment:
    options = {"vertex_project": "proj-1", "vertex_location": "us-central1", **fields.pop("options", {})}
    fields.setdefault("api_key", "ya29.ready-token")
    return Deployment(provider="vertex_ai", model=model, options=options, **fields)


def prepared(request: ChatRequest, deployment: Deployment) -> tuple[str, dict[str, str], dict[str, Any]]:
    adapter = VertexAI().for_deployment(deployment)
    http = adapter.prepare_chat(request, deployment)
    return http.url, http.headers, json.loads(http.body or b"")


# ---- publisher and URLs


def test_registry_serves_vertex_ai_and_picks_the_publisher_adapter() -> None:
    vertex = ProviderRegistry().get("vertex_ai")
    assert isinstance(vertex, VertexAI)
    assert isinstance(vertex.for_deployment(dep("gemini-2.5-pro")), VertexGemini)
    assert isinstance(vertex.for_deployment(dep("claude-3-5-sonnet-v2@20241022")), VertexAnthropic)
    assert isinstance(vertex.for_deployment(dep("text-embedding-004")), VertexGemini)


@pytest.mark.parametrize(
    ("location", "host"),
    [
        ("us-central1", "https://us-central1-aiplatform.googleapis.com"),
        ("europe-west4", "https://europe-west4-aiplatform.googleapis.com"),
        ("global", "https://aiplatform.googleapis.com"),
    ],
)
def test_gemini_urls_per_location(location: str, host: str) -> None:
    deployment = dep("gemini-2.5-pro", options={"vertex_location": location})
    url, _, _ = prepared(chat(), deployment)
    assert url == (
        f"{host}/v1/projects/proj-1/locations/{location}/publishers/google/models/gemini-2.5-pro:generateContent"
    )
    url, _, _ = prepared(chat(stream=True), deployment)
    assert url.endswith("/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse")


def test_api_base_replaces_the_host_and_a_trailing_v1_is_accepted() -> None:
    for base in ("http://proxy.local:8080", "http://proxy.local:8080/", "http://proxy.local:8080/v1"):
        url, _, _ = prepared(chat(), dep(api_base=base))
        assert url == (
            "http://proxy.local:8080/v1/projects/proj-1/locations/us-central1/publishers/google/models/"
            "gemini-2.0-flash:generateContent"
        )


def test_claude_url_body_and_version() -> None:
    deployment = dep("claude-3-5-sonnet-v2@20241022", options={"vertex_location": "us-east5"})
    request = chat(
        model="vertex_ai/claude-3-5-sonnet-v2@20241022",
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
        max_tokens=100, temperature=0.2, stop=["END"],
    )  # fmt: skip
    url, headers, body = prepared(request, deployment)
    assert url == (
        "https://us-east5-aiplatform.googleapis.com/v1/projects/proj-1/locations/us-east5/publishers/"
        "anthropic/models/claude-3-5-sonnet-v2@20241022:rawPredict"
    )
    assert body == {
        "anthropic_version": "vertex-2023-10-16",
        "messages": [{"role": "user", "content": "hi"}],
        "system": "Be brief.",
        "max_tokens": 100,
        "temperature": 0.2,
        "stop_sequences": ["END"],
    }
    assert "anthropic-version" not in headers and "x-api-key" not in headers
    url, _, body = prepared(msgspec.structs.replace(request, stream=True), deployment)
    assert url.endswith(":streamRawPredict") and body["stream"] is True and "model" not in body


def test_gemini_body_is_the_gemini_adapters() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object",
              "properties": {"x": {"type": "integer"}}}}}]  # fmt: skip
    _, headers, body = prepared(chat(temperature=0.5, max_tokens=64, tools=tools, tool_choice="required"),
                                dep())  # fmt: skip
    assert body["contents"] == [{"role": "user", "parts": [{"text": "hi"}]}]
    assert body["generationConfig"] == {"temperature": 0.5, "maxOutputTokens": 64}
    assert body["tools"][0]["functionDeclarations"][0]["name"] == "f"
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    assert headers == {"content-type": "application/json", "authorization": "Bearer ya29.ready-token"}
    assert "x-goog-api-key" not in headers


def test_model_id_is_escaped_so_it_cannot_add_path_parts() -> None:
    url, _, _ = prepared(chat(), dep("gemini-2.0-flash/../../x?y"))
    assert "/../" not in url and "?y" not in url


def test_parameters_are_checked_by_the_publisher() -> None:
    claude = dep("claude-sonnet-4@20250514")
    adapter = VertexAI().for_deployment(claude)
    with pytest.raises(errors.UnsupportedParamsError, match="seed"):
        adapter.check_params(chat(model="vertex_ai/claude-sonnet-4@20250514", seed=1), drop=False)
    # Gemini takes a seed
    VertexAI().for_deployment(dep()).check_params(chat(seed=1), drop=False)


# ---- settings


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEXAI_PROJECT", "env-proj")
    monkeypatch.setenv("VERTEXAI_LOCATION", "asia-northeast1")
    deployment = Deployment(provider="vertex_ai", model="gemini-2.0-flash", api_key="t")
    url, _, _ = prepared(chat(), deployment)
    assert url.startswith(
        "https://asia-northeast1-aiplatform.googleapis.com/v1/projects/env-proj/locations/asia-northeast1/"
    )


def test_default_location_is_us_central1() -> None:
    deployment = Deployment(provider="vertex_ai", model="gemini-2.0-flash", api_key="t",
                            options={"vertex_project": "p"})  # fmt: skip
    url, _, _ = prepared(chat(), deployment)
    assert "/locations/us-central1/" in url


def test_project_comes_from_the_key_file_when_not_set(tmp_path: Path) -> None:
    key = tmp_path / "sa.json"
    key.write_text(json.dumps({"type": "service_account", "project_id": "from-key", "client_email": "a@b",
                               "private_key": "x"}))  # fmt: skip
    deployment = Deployment(provider="vertex_ai", model="gemini-2.0-flash",
                            options={"vertex_credentials": str(key)})  # fmt: skip
    url, headers, _ = prepared(chat(), deployment)
    assert "/projects/from-key/" in url
    # no ready token: the engine authorizes with a minted one
    assert "authorization" not in headers
    assert VertexAI().for_deployment(deployment).token_grant(deployment) is not None


def test_missing_project_is_a_clear_error() -> None:
    deployment = Deployment(provider="vertex_ai", model="gemini-2.0-flash", api_key="t")
    with pytest.raises(errors.BadRequestError, match="vertex_project") as info:
        prepared(chat(), deployment)
    assert info.value.param == "vertex_project"


async def test_missing_credentials_is_an_authentication_error() -> None:
    deployment = dep(api_key=None)
    grant = VertexAI().for_deployment(deployment).token_grant(deployment)
    assert grant is not None
    # no file anywhere, and nothing answers at the metadata server's address
    with pytest.raises(errors.AuthenticationError, match=r"GOOGLE_APPLICATION_CREDENTIALS.*metadata server"):
        await fetch_credential(grant)


def test_a_ready_token_needs_no_grant_and_credentials_env_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    assert VertexAI().for_deployment(dep()).token_grant(dep()) is None
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/keys/sa.json")
    grant = VertexAI().for_deployment(dep(api_key=None)).token_grant(dep(api_key=None))
    assert grant is not None and "/keys/sa.json" not in grant.cache_key


def test_credentials_as_a_mapping_from_yaml_are_accepted() -> None:
    info = {"type": "service_account", "project_id": "yaml-proj", "client_email": "a@b", "private_key": "x"}
    deployment = Deployment(provider="vertex_ai", model="gemini-2.0-flash",
                            options={"vertex_credentials": info})  # fmt: skip
    url, _, _ = prepared(chat(), deployment)
    assert "/projects/yaml-proj/" in url


# ---- embeddings


def test_embeddings_use_predict_with_instances_and_parameters() -> None:
    deployment = dep("text-embedding-005")
    request = msgspec.convert(
        {"model": "vertex_ai/text-embedding-005", "input": ["one", "two"], "dimensions": 256,
         "task_type": "retrieval_query", "extra_body": {"autoTruncate": False}},
        EmbeddingRequest,
    )  # fmt: skip
    adapter = VertexAI().for_deployment(deployment)
    http = adapter.prepare_embedding(request, deployment)
    assert http.url.endswith("/publishers/google/models/text-embedding-005:predict")
    assert json.loads(http.body or b"") == {
        "instances": [
            {"content": "one", "task_type": "RETRIEVAL_QUERY"},
            {"content": "two", "task_type": "RETRIEVAL_QUERY"},
        ],
        "parameters": {"outputDimensionality": 256, "autoTruncate": False},
    }
    answer = {"predictions": [
        {"embeddings": {"values": [0.5, -0.25], "statistics": {"token_count": 3, "truncated": False}}},
        {"embeddings": {"values": [1.0, 0.0], "statistics": {"token_count": 4.0, "truncated": False}}},
    ]}  # fmt: skip
    result = adapter.parse_embedding(HttpResponse(status=200, body=json.dumps(answer).encode()), request)
    assert [d.embedding for d in result.data] == [[0.5, -0.25], [1.0, 0.0]]
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (7, 7)


def test_embedding_count_mismatch_and_token_inputs_are_errors() -> None:
    deployment = dep("text-embedding-004")
    adapter = VertexAI().for_deployment(deployment)
    request = msgspec.convert({"model": "m", "input": ["a", "b"]}, EmbeddingRequest)
    one = {"predictions": [{"embeddings": {"values": [1.0]}}]}
    with pytest.raises(errors.InternalServerError, match="1 embeddings for 2 inputs"):
        adapter.parse_embedding(HttpResponse(status=200, body=json.dumps(one).encode()), request)
    with pytest.raises(errors.BadRequestError, match="input"):
        adapter.prepare_embedding(msgspec.convert({"model": "m", "input": [[1, 2]]}, EmbeddingRequest),
                                  deployment)  # fmt: skip


def test_gemini_embedding_001_takes_one_input_per_request() -> None:
    deployment = dep("gemini-embedding-001")
    adapter = VertexAI().for_deployment(deployment)
    one = msgspec.convert({"model": "m", "input": "only"}, EmbeddingRequest)
    assert json.loads(adapter.prepare_embedding(one, deployment).body or b"")["instances"] == [
        {"content": "only"}
    ]
    many = msgspec.convert({"model": "m", "input": ["a", "b"]}, EmbeddingRequest)
    with pytest.raises(errors.BadRequestError, match="one input per request") as info:
        adapter.prepare_embedding(many, deployment)
    assert info.value.param == "input"


# ---- errors


def test_claude_errors_in_either_envelope() -> None:
    adapter = VertexAI().for_deployment(dep("claude-3-5-haiku@20241022"))
    google = json.dumps({"error": {"code": 429, "message": "Quota exceeded for aiplatform.googleapis.com",
                                   "status": "RESOURCE_EXHAUSTED"}}).encode()  # fmt: skip
    error = adapter.classify_error(429, {}, google)
    assert isinstance(error, errors.RateLimitError) and error.provider == "vertex_ai"
    too_long = {"type": "invalid_request_error", "message": "prompt is too long: 9 > 8"}
    anthropic = json.dumps({"type": "error", "error": too_long}).encode()
    error = adapter.classify_error(400, {}, anthropic)
    assert isinstance(error, errors.ContextWindowExceededError) and error.provider == "vertex_ai"
    unauth = json.dumps({"error": {"code": 401, "message": "Request had invalid authentication credentials.",
                                   "status": "UNAUTHENTICATED"}}).encode()  # fmt: skip
    assert isinstance(adapter.classify_error(401, {}, unauth), errors.AuthenticationError)


@pytest.mark.parametrize(
    ("status", "error_type", "message", "cls"),
    [
        (529, "overloaded_error", "Overloaded", errors.ServiceUnavailableError),
        (400, "invalid_request_error", "Output blocked by content filtering policy",
         errors.ContentPolicyViolationError),
        (401, "authentication_error", "invalid x-api-key", errors.AuthenticationError),
    ],
)  # fmt: skip
def test_claude_errors_are_read_as_anthropic_errors(
    status: int, error_type: str, message: str, cls: type[errors.LLMError]
) -> None:
    """Anthropic's envelope also decodes as a google.rpc.Status ({"error": {...}}): its error type
    must still decide (529 overloaded is a 503-class error, output blocking a content refusal)."""
    adapter = VertexAI().for_deployment(dep("claude-3-5-haiku@20241022"))
    body = json.dumps({"type": "error", "error": {"type": error_type, "message": message}}).encode()
    error = adapter.classify_error(status, {}, body)
    assert type(error) is cls
    assert (error.code, error.message, error.provider) == (error_type, message, "vertex_ai")


QUOTA = {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}}


def test_gemini_errors_name_vertex_ai_not_gemini() -> None:
    """Vertex's Gemini speaks Gemini's error envelope, but its errors are Vertex AI's: in an error
    answer, in a 200 answer carrying an error, and in a stream's error event."""
    adapter = VertexAI().for_deployment(dep())
    answer = json.dumps(QUOTA).encode()
    assert adapter.classify_error(429, {}, answer).provider == "vertex_ai"
    with pytest.raises(errors.RateLimitError) as info:
        adapter.parse_chat(HttpResponse(status=200, body=answer), chat())
    assert info.value.provider == "vertex_ai"
    decoder = adapter.chat_stream_decoder(chat(stream=True))
    with pytest.raises(errors.RateLimitError) as info:
        decoder.feed(b"data: " + answer + b"\n\n")
    assert info.value.provider == "vertex_ai"


# ---- pricing


@pytest.mark.parametrize(
    ("model", "input_usd", "output_usd"),
    [
        ("gemini-2.0-flash", 0.15, 0.60),  # Vertex's own price (the Gemini API's is $0.10 / $0.40)
        ("gemini-2.5-pro", 1.25, 10.0),
        ("claude-3-5-sonnet-v2@20241022", 3.0, 15.0),
        ("claude-opus-4-1@20250805", 15.0, 75.0),
        ("claude-sonnet-4-5@20250929", 3.0, 15.0),
    ],
)
def test_deployments_are_priced_by_vertex_list_prices(
    model: str, input_usd: float, output_usd: float
) -> None:
    engine = Engine(HttpTransport(), ProviderRegistry(), Catalog())
    # 100k tokens each way: below Gemini 2.5 Pro's 200k-token price tier
    micros = engine.price(Usage(prompt_tokens=100_000, completion_tokens=100_000), dep(model))
    assert micros == round((input_usd + output_usd) * 100_000)


def test_models_without_a_vertex_entry_fall_back_to_their_makers_price() -> None:
    engine = Engine(HttpTransport(), ProviderRegistry(), Catalog())
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=0)
    gemini = engine.catalog.get("gemini-2.5-flash-lite", "gemini")
    assert gemini is not None and gemini.input
    # "gemini-2.5-flash-lite-x" is unknown under vertex_ai: no price, rather than a wrong one
    assert engine.price(usage, dep("gemini-2.5-flash-lite-x")) == 0
    adapter = VertexAI().for_deployment(dep("gemini-9-pro"))
    assert adapter.catalog_fallback(dep("gemini-9-pro")) == "gemini/gemini-9-pro"
    claude = VertexAI().for_deployment(dep("claude-haiku-4-5@20251001"))
    assert claude.catalog_fallback(dep("claude-haiku-4-5@20251001")) == "anthropic/claude-haiku-4-5-20251001"


@pytest.mark.parametrize(
    ("vertex", "anthropic"),
    [
        ("claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet-20241022"),
        ("claude-sonnet-4@20250514", "claude-sonnet-4-20250514"),
        ("claude-opus-4-1@20250805", "claude-opus-4-1-20250805"),
        ("claude-sonnet-4-6@default", "claude-sonnet-4-6"),
        ("claude-haiku-4-5", "claude-haiku-4-5"),
    ],
)
def test_anthropic_model_ids(vertex: str, anthropic: str) -> None:
    assert anthropic_model_id(vertex) == anthropic
