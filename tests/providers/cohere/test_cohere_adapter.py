"""The Cohere v2 adapter without a network: credentials and URLs, the OpenAI → Cohere parameter and
message mapping, response parsing (text, thinking, tool plan and calls, finish reasons, billed usage),
embeddings and error classification."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import msgspec
import pytest

from llmrelay.providers.cohere import CohereChatProvider, CohereProvider
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.http import HttpResponse

KEY = "co-secret-key-123"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def chat(**fields: Any) -> ChatRequest:
    fields.setdefault("model", "cohere/command-a-03-2025")
    fields.setdefault("messages", [{"role": "user", "content": "hi"}])
    return msgspec.convert(fields, ChatRequest)


def dep(model: str = "command-a-03-2025", **fields: Any) -> Deployment:
    fields.setdefault("api_key", KEY)
    return Deployment(provider="cohere", model=model, **fields)


def body_of(request: ChatRequest, deployment: Deployment | None = None) -> dict[str, Any]:
    http = CohereProvider().prepare_chat(request, deployment or dep())
    result: dict[str, Any] = json.loads(http.body or b"")
    return result


def response(body: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(status=status, headers={}, body=json.dumps(body).encode())


# ---- registry, credentials, URLs


def test_registry_serves_both_litellm_spellings() -> None:
    registry = ProviderRegistry()
    assert type(registry.get("cohere")) is CohereProvider
    chat_adapter = registry.get("cohere_chat")
    assert isinstance(chat_adapter, CohereChatProvider) and chat_adapter.name == "cohere_chat"


def test_chat_url_headers_and_model() -> None:
    http = CohereProvider().prepare_chat(chat(), dep())
    assert http.url == "https://api.cohere.com/v2/chat"
    assert http.headers["authorization"] == f"Bearer {KEY}"
    assert http.headers["content-type"] == "application/json"
    assert "accept" not in http.headers and http.stream is False
    body = json.loads(http.body or b"")
    assert body == {"model": "command-a-03-2025", "messages": [{"role": "user", "content": "hi"}]}


def test_stream_asks_for_events() -> None:
    http = CohereProvider().prepare_chat(chat(stream=True, stream_options={"include_usage": True}), dep())
    assert http.stream is True and http.headers["accept"] == "text/event-stream"
    body = json.loads(http.body or b"")
    assert body["stream"] is True and "stream_options" not in body


@pytest.mark.parametrize(
    "base",
    ["http://sim:1", "http://sim:1/", "http://sim:1/v2", "http://sim:1/v2/chat", "http://sim:1/v1/chat",
     "http://sim:1/v2/embed"],
)  # fmt: skip
def test_api_base_is_cut_back_to_its_root(base: str) -> None:
    http = CohereProvider().prepare_chat(chat(), dep(api_base=base))
    assert http.url == "http://sim:1/v2/chat"


def test_key_and_base_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CO_API_KEY", "co-key")
    monkeypatch.setenv("COHERE_API_KEY", "cohere-key")
    monkeypatch.setenv("COHERE_API_BASE", "http://proxy.local/v2")
    http = CohereProvider().prepare_chat(chat(), dep(api_key=None))
    assert http.headers["authorization"] == "Bearer cohere-key"
    assert http.url == "http://proxy.local/v2/chat"
    monkeypatch.delenv("COHERE_API_KEY")
    http = CohereProvider().prepare_chat(chat(), dep(api_key=None))
    assert http.headers["authorization"] == "Bearer co-key"


def test_missing_key_is_an_authentication_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COHERE_API_KEY", raising=False)
    monkeypatch.delenv("CO_API_KEY", raising=False)
    with pytest.raises(errors.AuthenticationError, match="COHERE_API_KEY or CO_API_KEY"):
        CohereProvider().prepare_chat(chat(), dep(api_key=None))


def test_extra_headers_are_sent() -> None:
    http = CohereProvider().prepare_chat(chat(), dep(extra_headers={"X-Client-Name": "llmrelay-test"}))
    assert http.headers["X-Client-Name"] == "llmrelay-test"


# ---- parameters


def test_sampling_parameters_take_cohere_names() -> None:
    body = body_of(
        chat(max_completion_tokens=50, temperature=0.2, top_p=0.9, top_k=40, stop="END", seed=7,
             frequency_penalty=0.1, presence_penalty=0.3)
    )  # fmt: skip
    assert {k: v for k, v in body.items() if k not in ("model", "messages")} == {
        "max_tokens": 50,
        "temperature": 0.2,
        "p": 0.9,
        "k": 40,
        "stop_sequences": ["END"],
        "seed": 7,
        "frequency_penalty": 0.1,
        "presence_penalty": 0.3,
    }
    assert body_of(chat(stop=["a", "b"], max_tokens=9))["stop_sequences"] == ["a", "b"]
    assert body_of(chat(max_tokens=9))["max_tokens"] == 9


def test_unsupported_parameters_raise_or_drop() -> None:
    adapter = CohereProvider()
    with pytest.raises(errors.UnsupportedParamsError, match="logprobs"):
        adapter.check_params(chat(logprobs=True), drop=False)
    assert adapter.check_params(chat(logprobs=True, n=3), drop=True).logprobs is None
    with pytest.raises(errors.UnsupportedParamsError, match=r"parameter\(s\) n;"):
        adapter.check_params(chat(n=2), drop=False)
    # what Cohere does anyway is accepted
    checked = adapter.check_params(chat(n=1, parallel_tool_calls=True), drop=False)
    assert checked.n is None and checked.parallel_tool_calls is None
    two_tools = [WEATHER, {"type": "function", "function": {"name": "now"}}]
    with pytest.raises(errors.UnsupportedParamsError):
        adapter.check_params(chat(parallel_tool_calls=False, tools=two_tools), drop=False)
    # without tools it cannot change the answer: removed, not refused
    assert adapter.check_params(chat(parallel_tool_calls=False), drop=False).parallel_tool_calls is None


def test_tools_and_tool_choice() -> None:
    no_params = {"type": "function", "function": {"name": "now"}}
    body = body_of(chat(tools=[WEATHER, no_params], tool_choice="required"))
    assert body["tools"] == [
        WEATHER,
        {"type": "function", "function": {"name": "now", "parameters": {"type": "object", "properties": {}}}},
    ]
    assert body["tool_choice"] == "REQUIRED" and "strict_tools" not in body
    assert body_of(chat(tools=[WEATHER], tool_choice="none"))["tool_choice"] == "NONE"
    assert "tool_choice" not in body_of(chat(tools=[WEATHER], tool_choice="auto"))


def test_named_tool_choice_narrows_the_tools_and_requires_a_call() -> None:
    other = {"type": "function", "function": {"name": "other", "parameters": {"type": "object"}}}
    body = body_of(
        chat(tools=[other, WEATHER], tool_choice={"type": "function", "function": {"name": "get_weather"}})
    )
    assert [t["function"]["name"] for t in body["tools"]] == ["get_weather"]
    assert body["tool_choice"] == "REQUIRED"
    with pytest.raises(errors.BadRequestError, match="not among the request's tools"):
        body_of(chat(tools=[other], tool_choice={"type": "function", "function": {"name": "missing"}}))


def test_strict_tool_asks_for_strict_tools() -> None:
    strict = {**WEATHER, "function": {**WEATHER["function"], "strict": True}}
    body = body_of(chat(tools=[strict]))
    assert body["strict_tools"] is True
    assert "strict" not in body["tools"][0]["function"]


def test_response_format() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    assert body_of(chat(response_format={"type": "json_object"}))["response_format"] == {
        "type": "json_object"
    }
    json_schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema, "strict": True}}
    assert body_of(chat(response_format=json_schema))["response_format"] == {
        "type": "json_object",
        "json_schema": schema,
    }
    assert "response_format" not in body_of(chat(response_format={"type": "text"}))


def test_reasoning_settings() -> None:
    assert body_of(chat(thinking={"type": "enabled", "budget_tokens": 2048}))["thinking"] == {
        "type": "enabled",
        "token_budget": 2048,
    }
    assert body_of(chat(thinking={"type": "disabled"}))["thinking"] == {"type": "disabled"}
    assert body_of(chat(reasoning_effort="none"))["thinking"] == {"type": "disabled"}
    assert body_of(chat(reasoning_effort="high"))["thinking"] == {"type": "enabled"}
    assert "thinking" not in body_of(chat())


def test_extra_body_is_merged() -> None:
    body = body_of(chat(extra_body={"safety_mode": "STRICT", "documents": ["doc one"]}))
    assert body["safety_mode"] == "STRICT" and body["documents"] == ["doc one"]


# ---- messages


def test_roles_and_content_blocks() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": [{"type": "text", "text": "Dev rule."}]},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}},
                {"type": "image_url", "image_url": {"url": "https://x.test/cat.jpg"}},
            ],
        },
        {"role": "assistant", "content": "A cat."},
    ]
    assert body_of(chat(messages=messages))["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "system", "content": "Dev rule."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}},
                {"type": "image_url", "image_url": {"url": "https://x.test/cat.jpg"}},
            ],
        },
        {"role": "assistant", "content": "A cat."},
    ]


def test_tool_round_trip_messages() -> None:
    call = {
        "id": "get_weather_abc",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city":"Lima"}'},
    }
    messages = [
        {"role": "user", "content": "Weather in Lima?"},
        {"role": "assistant", "content": "I will check.", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "get_weather_abc", "content": "18C"},
    ]
    sent = body_of(chat(messages=messages, tools=[WEATHER]))["messages"]
    assert sent[1] == {"role": "assistant", "tool_calls": [call], "tool_plan": "I will check."}
    assert sent[2] == {"role": "tool", "tool_call_id": "get_weather_abc", "content": "18C"}
    # a call-only turn (content null) sends no tool_plan
    messages[1] = {"role": "assistant", "content": None, "tool_calls": [call]}
    assert body_of(chat(messages=messages))["messages"][1] == {"role": "assistant", "tool_calls": [call]}


def test_replayed_reasoning_is_a_thinking_block() -> None:
    messages = [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4", "reasoning_content": "Simple sum."},
        {"role": "user", "content": "And 3+3?"},
    ]
    assert body_of(chat(messages=messages))["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "thinking", "thinking": "Simple sum."}, {"type": "text", "text": "4"}],
    }


@pytest.mark.parametrize(
    ("message", "fragment"),
    [
        ({"role": "user",
          "content": [{"type": "input_audio", "input_audio": {"data": "AA", "format": "wav"}}]},
         "not 'input_audio'"),
        ({"role": "system", "content": [{"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}]},
         "text only"),
        ({"role": "tool", "content": "18C"}, "tool_call_id"),
        ({"role": "function", "name": "f", "content": "x"}, "legacy 'function'"),
    ],
)  # fmt: skip
def test_messages_cohere_cannot_take_are_bad_requests(message: dict[str, Any], fragment: str) -> None:
    with pytest.raises(errors.BadRequestError, match=fragment) as info:
        body_of(chat(messages=[{"role": "user", "content": "x"}, message]))
    assert info.value.provider == "cohere" and info.value.param == "messages"


# ---- responses


def test_text_response() -> None:
    raw = {
        "id": "c14c80c3-18eb-4519-9460-6c92edd8cfb4",
        "finish_reason": "COMPLETE",
        "message": {"role": "assistant",
                    "content": [{"type": "text", "text": "Hello "}, {"type": "text", "text": "there"}]},
        "usage": {"billed_units": {"input_tokens": 5, "output_tokens": 418},
                  "tokens": {"input_tokens": 71, "output_tokens": 418}},
    }  # fmt: skip
    result = CohereProvider().parse_chat(response(raw), chat())
    assert result.id == "c14c80c3-18eb-4519-9460-6c92edd8cfb4" and result.model == "cohere/command-a-03-2025"
    (choice,) = result.choices
    assert choice.message.content == "Hello there" and choice.message.role == "assistant"
    assert choice.finish_reason == "stop" and choice.message.tool_calls is None
    assert result.usage is not None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens, result.usage.total_tokens) == (
        5,
        418,
        423,
    )
    assert result._hidden_params["provider_finish_reason"] == "COMPLETE"  # type: ignore[attr-defined]


def test_tool_call_response_keeps_the_plan_as_content() -> None:
    raw = {
        "id": "r1",
        "finish_reason": "TOOL_CALL",
        "message": {
            "role": "assistant",
            "tool_plan": "I will look up the weather.",
            "tool_calls": [
                {"id": "get_weather_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": '{"city":"Lima"}'}},
                {"type": "function", "function": {"name": "now"}},
            ],
        },
        "usage": {"billed_units": {"input_tokens": 10, "output_tokens": 20}},
    }  # fmt: skip
    (choice,) = CohereProvider().parse_chat(response(raw), chat()).choices
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "I will look up the weather."
    calls = choice.message.tool_calls or []
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("get_weather_1", "get_weather", '{"city":"Lima"}'),
        ("call_1", "now", "{}"),
    ]


def test_thinking_response_is_reasoning_content_and_citations_are_kept() -> None:
    citations = [{"start": 0, "end": 1, "text": "4", "sources": []}]
    raw = {
        "id": "r2",
        "finish_reason": "MAX_TOKENS",
        "message": {
            "role": "assistant",
            "content": [{"type": "thinking", "thinking": "Add them."}, {"type": "text", "text": "4"}],
            "citations": citations,
        },
        "usage": {"tokens": {"input_tokens": 3, "output_tokens": 8}, "cached_tokens": 2},
    }
    result = CohereProvider().parse_chat(response(raw), chat())
    choice = result.choices[0]
    assert choice.message.reasoning_content == "Add them." and choice.message.content == "4"
    assert choice.finish_reason == "length"
    # no billed units: the processed tokens stand in
    assert result.usage is not None and (result.usage.prompt_tokens, result.usage.completion_tokens) == (3, 8)
    assert result.usage.cached_tokens == 2
    assert result._hidden_params["citations"] == citations  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("COMPLETE", "stop"), ("STOP_SEQUENCE", "stop"), ("MAX_TOKENS", "length"), ("TOOL_CALL", "tool_calls"),
     ("ERROR", "stop"), ("TIMEOUT", "stop"), (None, "stop")],
)  # fmt: skip
def test_finish_reasons(raw: str | None, expected: str) -> None:
    body = {
        "id": "r",
        "finish_reason": raw,
        "message": {"role": "assistant", "content": [{"type": "text", "text": "x"}]},
    }
    assert CohereProvider().parse_chat(response(body), chat()).choices[0].finish_reason == expected


def test_malformed_response_is_a_server_error() -> None:
    with pytest.raises(errors.InternalServerError, match="malformed response"):
        CohereProvider().parse_chat(HttpResponse(status=200, headers={}, body=b"<html>"), chat())
    with pytest.raises(errors.InternalServerError, match="no message"):
        CohereProvider().parse_chat(response({"id": "x", "finish_reason": "COMPLETE"}), chat())


# ---- embeddings


def embed_body(**fields: Any) -> dict[str, Any]:
    fields.setdefault("model", "cohere/embed-v4.0")
    request = msgspec.convert(fields, EmbeddingRequest)
    http = CohereProvider().prepare_embedding(request, dep("embed-v4.0"))
    assert http.url == "https://api.cohere.com/v2/embed"
    assert http.headers["authorization"] == f"Bearer {KEY}"
    result: dict[str, Any] = json.loads(http.body or b"")
    return result


def test_embedding_request() -> None:
    assert embed_body(input="hello") == {
        "model": "embed-v4.0",
        "texts": ["hello"],
        "input_type": "search_document",
        "embedding_types": ["float"],
    }
    body = embed_body(
        input=["a", "b"], dimensions=512, extra_body={"input_type": "search_query", "truncate": "END"}
    )
    assert body["texts"] == ["a", "b"] and body["output_dimension"] == 512
    assert body["input_type"] == "search_query" and body["truncate"] == "END"
    assert embed_body(input="x", task_type="CLASSIFICATION")["input_type"] == "classification"


@pytest.mark.parametrize(
    ("value", "fragment"), [([1, 2, 3], "take text"), ([], "take text"), (["x"] * 97, "at most 96")]
)
def test_embedding_inputs_cohere_cannot_take(value: Any, fragment: str) -> None:
    with pytest.raises(errors.BadRequestError, match=fragment):
        embed_body(input=value)


def test_embedding_response_usage_and_base64() -> None:
    raw = {
        "id": "e1",
        "texts": ["a", "b"],
        "embeddings": {"float": [[0.5, -0.25], [1.0, 0.0]]},
        "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": 4}},
        "response_type": "embeddings_by_type",
    }
    request = EmbeddingRequest(model="cohere/embed-v4.0", input=["a", "b"])
    result = CohereProvider().parse_embedding(response(raw), request)
    assert [d.embedding for d in result.data] == [[0.5, -0.25], [1.0, 0.0]]
    assert [d.index for d in result.data] == [0, 1]
    assert result.usage.prompt_tokens == 4 and result.usage.total_tokens == 4
    b64 = CohereProvider().parse_embedding(
        response(raw), EmbeddingRequest(model="m", input=["a", "b"], encoding_format="base64")
    )
    first = b64.data[0].embedding
    assert isinstance(first, str) and struct.unpack("<2f", base64.b64decode(first)) == (0.5, -0.25)


def test_embedding_response_with_the_wrong_count_is_a_server_error() -> None:
    raw = {"id": "e1", "embeddings": {"float": [[0.5]]}, "meta": {"billed_units": {"input_tokens": 1}}}
    with pytest.raises(errors.InternalServerError, match="1 embeddings for 2 inputs"):
        CohereProvider().parse_embedding(response(raw), EmbeddingRequest(model="m", input=["a", "b"]))


# ---- errors


def classify(status: int, message: str, headers: dict[str, str] | None = None) -> errors.LLMError:
    body = json.dumps({"id": "err-1", "message": message}).encode()
    return CohereProvider().classify_error(status, headers or {}, body)


# the documented class of each plain status is checked for every adapter in tests/conformance; here
# what is Cohere's own: its message markers, its 498, and a 504
@pytest.mark.parametrize(
    ("status", "message", "cls"),
    [
        (400, "too many tokens: total number of tokens in the prompt cannot exceed 4081 - received 4292. Try "
              "using a shorter prompt, or enabling prompt truncating.", errors.ContextWindowExceededError),
        (400, "too many tokens: max tokens must be less than or equal to 4096, the maximum output for this "
              "model - received 8192.", errors.BadRequestError),
        (498, "invalid api token", errors.AuthenticationError),
        (504, "gateway timeout", errors.Timeout),
    ],
)  # fmt: skip
def test_error_classes(status: int, message: str, cls: type[errors.LLMError]) -> None:
    error = classify(status, message)
    assert type(error) is cls
    assert error.message == message and error.provider == "cohere"
    assert error.status_code == (401 if status == 498 else status)


def test_rate_limit_keeps_retry_after_and_other_bodies_read_as_text() -> None:
    assert classify(429, "slow down", {"retry-after": "3"}).retry_after == 3.0
    error = CohereProvider().classify_error(502, {}, b"upstream connect error")
    assert isinstance(error, errors.BadGatewayError) and error.message == "upstream connect error"
    assert CohereChatProvider().classify_error(401, {}, b"{}").provider == "cohere_chat"


def test_the_key_never_appears_in_errors_or_reprs() -> None:
    http = CohereProvider().prepare_chat(chat(), dep())
    assert KEY not in http.url and KEY not in (http.body or b"").decode() and KEY not in repr(http)
    error = classify(401, "invalid api token")
    assert KEY not in str(error) and KEY not in repr(error)
