"""Golden wire fixtures for the Azure OpenAI adapter: canonical requests → exact URLs, headers and
bodies; recorded Azure responses (with their content-filter annotations) and error bodies →
canonical objects and error classes; where credentials, endpoint and api-version come from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from llmrelay.core.requests import build_request
from llmrelay.providers.azure import AzureOpenAI
from llmrelay.providers.azure.adapter import DEFAULT_API_VERSION
from llmrelay.providers.openai import OpenAICompatible
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.http import HttpResponse
from llmrelay.types.response import ChatResponse

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REQUEST_CASES = json.loads((FIXTURES / "requests.json").read_text())
# each plain status's class, message and code is checked for every adapter in tests/conformance; these
# cases are the provider's own (message markers, retry hints, odd statuses, non-JSON bodies)
ERROR_CASES = json.loads((FIXTURES / "errors.json").read_text())
AZURE_ENV = (
    "AZURE_API_KEY",
    "AZURE_OPENAI_API_KEY",
    "AZURE_API_BASE",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_API_VERSION",
    "AZURE_AD_TOKEN",
)
BASE = "https://r.openai.azure.com"
HI = ChatRequest(model="azure/chat", messages=[{"role": "user", "content": "hi"}])  # type: ignore[list-item]


@pytest.fixture(autouse=True)
def _no_azure_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The adapter reads these variables; a developer's own must not change what the tests see."""
    for name in AZURE_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def azure() -> AzureOpenAI:
    adapter = ProviderRegistry().get("azure")
    assert isinstance(adapter, AzureOpenAI)
    return adapter


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def deployment(**fields: Any) -> Deployment:
    return Deployment(provider="azure", model=fields.pop("model", "chat"), **fields)


# ---- requests
@pytest.mark.parametrize("case", REQUEST_CASES, ids=[c["name"] for c in REQUEST_CASES])
def test_request_wire_format(case: dict[str, Any], azure: AzureOpenAI) -> None:
    target = msgspec.convert(case["deployment"], Deployment)
    request = azure.check_params(build_request(ChatRequest, dict(case["request"])), drop=False)
    http = azure.prepare_chat(request, target)
    assert http.url == case["url"]
    assert http.method == "POST"
    assert http.headers == case["headers"]
    assert json.loads(http.body or b"") == case["body"]
    assert http.stream == bool(case["request"].get("stream"))


def test_registered_as_an_openai_dialect() -> None:
    registry = ProviderRegistry()
    assert "azure" in registry and "azure" in registry.known()
    adapter = registry.get("azure")
    assert isinstance(adapter, OpenAICompatible) and adapter.name == "azure"
    assert adapter.supports_text_completion


@pytest.mark.parametrize(
    ("settings", "environ", "header"),
    [
        ({"api_key": "dep-key"}, {}, ("api-key", "dep-key")),
        # the deployment's own key beats its token and anything in the environment
        ({"api_key": "dep-key", "options": {"azure_ad_token": "dep-tok"}}, {"AZURE_AD_TOKEN": "env-tok"},
         ("api-key", "dep-key")),
        # a deployment's token beats an environment key (the key may be meant for other deployments)
        ({"options": {"azure_ad_token": "dep-tok"}}, {"AZURE_API_KEY": "env-key"},
         ("authorization", "Bearer dep-tok")),
        ({}, {"AZURE_API_KEY": "env-key", "AZURE_OPENAI_API_KEY": "other"}, ("api-key", "env-key")),
        ({}, {"AZURE_OPENAI_API_KEY": "oai-key"}, ("api-key", "oai-key")),
        ({}, {"AZURE_OPENAI_API_KEY": "oai-key", "AZURE_AD_TOKEN": "env-tok"}, ("api-key", "oai-key")),
        ({}, {"AZURE_AD_TOKEN": "env-tok"}, ("authorization", "Bearer env-tok")),
    ],
)  # fmt: skip
def test_where_credentials_come_from(
    settings: dict[str, Any],
    environ: dict[str, str],
    header: tuple[str, str],
    azure: AzureOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    http = azure.prepare_chat(HI, deployment(api_base=BASE, **settings))
    name, value = header
    assert http.headers[name] == value
    other = "authorization" if name == "api-key" else "api-key"
    assert other not in http.headers


def test_token_passed_with_the_call_never_replaces_configured_credentials(
    azure: AzureOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = build_request(
        ChatRequest, {"model": "azure/chat", "messages": [{"role": "user", "content": "hi"}],
                      "azure_ad_token": "client-tok"},
    )  # fmt: skip
    http = azure.prepare_chat(request, deployment(api_base=BASE, api_key="dep-key"))
    assert http.headers["api-key"] == "dep-key" and "authorization" not in http.headers
    monkeypatch.setenv("AZURE_AD_TOKEN", "env-tok")
    http = azure.prepare_chat(request, deployment(api_base=BASE))
    assert http.headers["authorization"] == "Bearer env-tok"
    # whatever wins, the token is a credential: it never travels in the body
    assert b"client-tok" not in (http.body or b"")
    assert request.extra_body == {"azure_ad_token": "client-tok"}, "the caller's request was changed"


def test_endpoint_and_version_from_the_environment(
    azure: AzureOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_API_KEY", "env-key")
    monkeypatch.setenv("AZURE_API_BASE", "https://env.openai.azure.com/")
    monkeypatch.setenv("AZURE_API_VERSION", "2025-01-01-preview")
    http = azure.prepare_chat(HI, deployment())
    assert http.url == (
        "https://env.openai.azure.com/openai/deployments/chat/chat/completions?api-version=2025-01-01-preview"
    )
    monkeypatch.delenv("AZURE_API_BASE")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://sdk-style.openai.azure.com")
    http = azure.prepare_chat(HI, deployment(api_version="2024-10-21"))
    assert http.url.startswith("https://sdk-style.openai.azure.com/openai/deployments/chat/")
    assert http.url.endswith("?api-version=2024-10-21")


def test_default_api_version_takes_stream_usage(azure: AzureOpenAI) -> None:
    http = azure.prepare_chat(
        msgspec.structs.replace(HI, stream=True), deployment(api_base=BASE, api_key="k")
    )
    assert http.url.endswith(f"?api-version={DEFAULT_API_VERSION}")
    assert json.loads(http.body or b"")["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize(
    ("version", "sends"),
    [("2024-09-01-preview", True), ("2024-10-21", True), ("2025-04-01-preview", True),
     ("2024-08-01-preview", False), ("2024-02-01", False), ("2023-05-15", False), ("latest", False)],
)  # fmt: skip
def test_stream_usage_only_where_the_version_takes_it(version: str, sends: bool, azure: AzureOpenAI) -> None:
    assert azure.sends_stream_usage(deployment(api_version=version)) is sends


def test_missing_credentials_name_every_source(azure: AzureOpenAI) -> None:
    with pytest.raises(errors.AuthenticationError) as info:
        azure.prepare_chat(HI, deployment(api_base=BASE))
    message = str(info.value)
    for source in ("api_key", "AZURE_API_KEY", "AZURE_OPENAI_API_KEY", "azure_ad_token", "AZURE_AD_TOKEN"):
        assert source in message
    assert info.value.provider == "azure"


def test_missing_endpoint_is_a_clear_error(azure: AzureOpenAI) -> None:
    with pytest.raises(errors.BadRequestError, match="AZURE_API_BASE") as info:
        azure.prepare_chat(HI, deployment(api_key="k"))
    assert info.value.param == "api_base"


def test_deployment_name_is_one_path_segment(azure: AzureOpenAI) -> None:
    http = azure.prepare_chat(HI, deployment(model="eu/gpt-4o", api_base=BASE, api_key="k"))
    assert "/openai/deployments/eu%2Fgpt-4o/chat/completions?" in http.url
    with pytest.raises(errors.BadRequestError, match="azure/<deployment name>"):
        azure.prepare_chat(HI, deployment(model="", api_base=BASE, api_key="k"))


def test_api_key_never_in_errors_or_repr(azure: AzureOpenAI) -> None:
    target = deployment(api_key="super-secret-key", options={"azure_ad_token": "secret-token"})
    with pytest.raises(errors.BadRequestError) as info:
        azure.prepare_chat(HI, target)  # no api_base
    assert "super-secret" not in str(info.value) and "secret-token" not in str(info.value)
    assert "super-secret" not in repr(target)


def test_embeddings_and_text_completions(azure: AzureOpenAI) -> None:
    target = deployment(model="embed-3", api_base=BASE, api_key="k", api_version="2024-10-21")
    request = build_request(
        EmbeddingRequest,
        {"model": "azure/embed-3", "input": ["a", "b"], "dimensions": 256, "azure_ad_token": "t"},
    )
    http = azure.prepare_embedding(request, target)
    assert http.url == f"{BASE}/openai/deployments/embed-3/embeddings?api-version=2024-10-21"
    assert json.loads(http.body or b"") == {"model": "embed-3", "input": ["a", "b"], "dimensions": 256}
    assert http.headers["api-key"] == "k"

    text = TextCompletionRequest(model="azure/instruct", prompt="Say this", max_tokens=5, stream=True)
    http = azure.prepare_text_completion(text, msgspec.structs.replace(target, model="instruct"))
    assert http.url == f"{BASE}/openai/deployments/instruct/completions?api-version=2024-10-21"
    assert json.loads(http.body or b"") == {
        "model": "instruct",
        "prompt": "Say this",
        "max_tokens": 5,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_catalog_model_is_base_model_when_set(azure: AzureOpenAI) -> None:
    assert azure.catalog_model(deployment(model="prod-chat")) == "prod-chat"
    assert (
        azure.catalog_model(deployment(model="prod-chat", options={"base_model": "azure/gpt-4o"})) == "gpt-4o"
    )
    assert azure.catalog_model(deployment(model="x", options={"base_model": "gpt-4o-mini"})) == "gpt-4o-mini"


# ---- responses
def test_chat_response_keeps_content_filter_annotations(azure: AzureOpenAI) -> None:
    raw = load("responses/text.json")
    parsed = azure.parse_chat(HttpResponse(status=200, body=json.dumps(raw).encode()), HI)
    assert isinstance(parsed, ChatResponse)
    assert parsed.choices[0].message.content == "Bonjour! Comment ça va?"
    # everything Azure sent survives parsing (and so reaches a gateway's clients)
    assert parsed.to_dict() == _without_nulls(raw)
    encoded = json.loads(msgspec.json.encode(parsed))
    assert encoded["prompt_filter_results"][0]["content_filter_results"]["jailbreak"]["detected"] is False
    assert encoded["choices"][0]["content_filter_results"]["hate"]["severity"] == "safe"


def test_filtered_answer_reads_like_openai(azure: AzureOpenAI) -> None:
    raw = json.dumps(load("responses/content_filtered.json")).encode()
    parsed = azure.parse_chat(HttpResponse(status=200, body=raw), HI)
    choice = parsed.choices[0]
    assert choice.finish_reason == "content_filter" and choice.message.content is None
    assert parsed.usage is not None and parsed.usage.total_tokens == 45


def test_malformed_response_is_a_server_error(azure: AzureOpenAI) -> None:
    with pytest.raises(errors.InternalServerError, match="malformed"):
        azure.parse_chat(HttpResponse(status=200, body=b'{"choices": []}'), HI)


# ---- errors
@pytest.mark.parametrize("case", ERROR_CASES, ids=[f"{c['status']}-{c['class']}" for c in ERROR_CASES])
def test_error_mapping(case: dict[str, Any], azure: AzureOpenAI) -> None:
    error = azure.classify_error(case["status"], case["headers"], json.dumps(case["body"]).encode())
    assert type(error).__name__ == case["class"]
    assert error.status_code == case["status"]
    assert error.retryable is case["retryable"]
    assert error.provider == "azure"
    assert error.message == case["body"]["error"]["message"]
    for field in ("param", "code", "retry_after"):
        if field in case:
            assert getattr(error, field) == case[field]


def _without_nulls(value: Any) -> Any:
    # a message's content is the one field OpenAI (and so the canonical type) keeps as null
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None or k == "content"}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value
