"""Golden wire fixtures for the OpenAI adapter: canonical requests → exact request bodies, recorded
response bodies and error bodies → canonical objects and error classes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from llmrelay.core.requests import build_request
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.http import HttpResponse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "openai"
REQUEST_CASES = json.loads((FIXTURES / "requests.json").read_text())
# each plain status's class, message and code is checked for every adapter in tests/conformance; these
# cases are the provider's own (message markers, retry hints, odd statuses, non-JSON bodies)
ERROR_CASES = json.loads((FIXTURES / "errors.json").read_text())


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def registry() -> ProviderRegistry:
    return ProviderRegistry()


@pytest.mark.parametrize("case", REQUEST_CASES, ids=[c["name"] for c in REQUEST_CASES])
def test_request_body(case: dict[str, Any], registry: ProviderRegistry) -> None:
    deployment = msgspec.convert(case["deployment"], Deployment)
    adapter = registry.get(deployment.provider)
    request = adapter.check_params(build_request(ChatRequest, dict(case["request"])), drop=False)
    http = adapter.prepare_chat(request, deployment)
    assert http.url == case["url"]
    assert http.method == "POST"
    assert http.headers == case["headers"]
    assert json.loads(http.body or b"") == case["body"]
    assert http.stream == bool(case["request"].get("stream"))


def test_key_comes_from_environment(registry: ProviderRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://proxy.local/v1")
    adapter = registry.get("openai")
    request = ChatRequest(model="gpt-4o", messages=[])
    http = adapter.prepare_chat(request, Deployment(provider="openai", model="gpt-4o"))
    assert http.headers["authorization"] == "Bearer sk-from-env"
    assert http.url == "http://proxy.local/v1/chat/completions"


def test_missing_key_names_the_variable(registry: ProviderRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    adapter = registry.get("groq")
    with pytest.raises(errors.AuthenticationError, match="GROQ_API_KEY"):
        adapter.prepare_chat(ChatRequest(model="x", messages=[]), Deployment(provider="groq", model="x"))


def test_missing_base_is_a_clear_error(registry: ProviderRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOSTED_VLLM_API_BASE", raising=False)
    adapter = registry.get("hosted_vllm")
    with pytest.raises(errors.BadRequestError, match="api_base") as info:
        adapter.prepare_chat(
            ChatRequest(model="m", messages=[]), Deployment(provider="hosted_vllm", model="m")
        )
    assert info.value.param == "api_base"


def test_unsupported_param_names_param_and_provider(registry: ProviderRegistry) -> None:
    adapter = registry.get("perplexity")
    request = build_request(
        ChatRequest, {"model": "sonar", "messages": [{"role": "user", "content": "x"}], "seed": 3}
    )
    with pytest.raises(errors.UnsupportedParamsError) as info:
        adapter.check_params(request, drop=False)
    assert info.value.param == "seed"
    assert "'perplexity'" in str(info.value) and "seed" in str(info.value)
    dropped = adapter.check_params(request, drop=True)
    assert dropped.seed is None and dropped.messages == request.messages


# text.json parses as tests/conformance/golden/openai/chat.json says
@pytest.mark.parametrize(
    "name", ["tool_calls", "json_mode", "reasoning", "reasoning_content", "multi_choice"]
)
def test_chat_response_round_trips(name: str, registry: ProviderRegistry) -> None:
    raw = load(f"responses/{name}.json")
    adapter = registry.get("openai")
    request = ChatRequest(model="gpt-4o", messages=[])
    parsed = adapter.parse_chat(HttpResponse(status=200, body=json.dumps(raw).encode()), request)
    # everything the provider sent survives parsing; nulls other than message content are omitted
    assert parsed.to_dict() == _without_nulls(raw)


def test_tool_call_response_reads_like_openai(registry: ProviderRegistry) -> None:
    raw = json.dumps(load("responses/tool_calls.json")).encode()
    parsed = registry.get("openai").parse_chat(
        HttpResponse(status=200, body=raw), ChatRequest(model="m", messages=[])
    )
    calls = parsed.choices[0].message.tool_calls
    assert calls is not None and [c.function.name for c in calls] == [
        "get_current_weather",
        "get_current_time",
    ]
    assert json.loads(calls[0].function.arguments) == {"location": "Boston, MA"}
    assert parsed.usage is not None and parsed.usage.cached_tokens == 64
    assert parsed["choices"][0]["finish_reason"] == "tool_calls"


def test_reasoning_usage_fields(registry: ProviderRegistry) -> None:
    raw = json.dumps(load("responses/reasoning.json")).encode()
    parsed = registry.get("openai").parse_chat(
        HttpResponse(status=200, body=raw), ChatRequest(model="m", messages=[])
    )
    assert parsed.usage is not None
    assert (parsed.usage.cached_tokens, parsed.usage.reasoning_tokens) == (1024, 832)


def test_embedding_and_text_completion(registry: ProviderRegistry) -> None:
    adapter = registry.get("openai")
    deployment = Deployment(provider="openai", model="text-embedding-3-small", api_key="k")
    emb_req = EmbeddingRequest(model="openai/text-embedding-3-small", input=["a", "b"], dimensions=3)
    http = adapter.prepare_embedding(emb_req, deployment)
    assert http.url == "https://api.openai.com/v1/embeddings"
    assert json.loads(http.body or b"") == {
        "model": "text-embedding-3-small",
        "input": ["a", "b"],
        "dimensions": 3,
    }
    emb = adapter.parse_embedding(
        HttpResponse(status=200, body=json.dumps(load("responses/embedding.json")).encode()), emb_req
    )
    assert [d.index for d in emb.data] == [0, 1] and emb.data[1].embedding == [-0.012, 0.5, 0.25]
    assert emb.usage.prompt_tokens == 8

    text_req = TextCompletionRequest(
        model="gpt-3.5-turbo-instruct", prompt="Say this is a test", max_tokens=7
    )
    http = adapter.prepare_text_completion(
        text_req, Deployment(provider="openai", model="gpt-3.5-turbo-instruct", api_key="k")
    )
    assert http.url == "https://api.openai.com/v1/completions"
    assert json.loads(http.body or b"") == {
        "model": "gpt-3.5-turbo-instruct",
        "prompt": "Say this is a test",
        "max_tokens": 7,
    }
    text = adapter.parse_text_completion(
        HttpResponse(status=200, body=json.dumps(load("responses/text_completion.json")).encode()), text_req
    )
    assert (
        text.choices[0].text == "\n\nThis is indeed a test"
        and text.usage is not None
        and text.usage.total_tokens == 12
    )


def test_malformed_response_is_a_server_error(registry: ProviderRegistry) -> None:
    with pytest.raises(errors.InternalServerError, match="malformed"):
        registry.get("openai").parse_chat(
            HttpResponse(status=200, body=b'{"id": 1}'), ChatRequest(model="m", messages=[])
        )


@pytest.mark.parametrize("case", ERROR_CASES, ids=[f"{c['status']}-{c['class']}" for c in ERROR_CASES])
def test_error_mapping(case: dict[str, Any], registry: ProviderRegistry) -> None:
    body = case["raw"].encode() if "raw" in case else json.dumps(case["body"]).encode()
    error = registry.get("openai").classify_error(case["status"], case["headers"], body)
    assert type(error).__name__ == case["class"]
    assert isinstance(error, errors.LLMError)
    assert error.status_code == case["status"]
    assert error.retryable is case["retryable"]
    assert error.provider == "openai"
    if "param" in case:
        assert error.param == case["param"]
    if "code" in case:
        assert error.code == case["code"]
    if "retry_after" in case:
        assert error.retry_after == pytest.approx(case["retry_after"])
    if "retry_after_at_least" in case:
        assert error.retry_after is not None and error.retry_after > case["retry_after_at_least"]
    if "body" in case:
        assert error.message == case["body"]["error"]["message"]
    openai_body = error.to_openai_body()["error"]
    assert openai_body["type"] == error.error_type and case["class"] in openai_body["message"]


def _without_nulls(value: Any) -> Any:
    # a message's content is the one field OpenAI (and so the canonical type) keeps as null
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None or k == "content"}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def test_reasoning_alias_in_responses(registry: ProviderRegistry) -> None:
    raw = load("responses/reasoning_content.json")
    message = raw["choices"][0]["message"]
    message["reasoning"] = message.pop("reasoning_content")
    parsed = registry.get("openrouter").parse_chat(
        HttpResponse(status=200, body=json.dumps(raw).encode()), ChatRequest(model="m", messages=[])
    )
    assert parsed.choices[0].message.reasoning_content == message["reasoning"]
    assert "reasoning" not in parsed.to_dict()["choices"][0]["message"]
