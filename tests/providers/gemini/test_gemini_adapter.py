"""Behaviour of the Gemini adapter beyond the golden fixtures: credentials, URLs, parameter policy,
message edge cases, thinking, tool-call round trips, embeddings and the stream's end conditions."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import msgspec
import pytest

from llmrelay.providers.gemini import GeminiProvider
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest, Message
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.http import HttpResponse


def chat(**fields: Any) -> ChatRequest:
    fields.setdefault("model", "gemini-2.0-flash")
    fields.setdefault("messages", [{"role": "user", "content": "hi"}])
    return msgspec.convert(fields, ChatRequest)


def dep(model: str = "gemini-2.0-flash", **fields: Any) -> Deployment:
    fields.setdefault("api_key", "k-123")
    return Deployment(provider="gemini", model=model, **fields)


def body_of(request: ChatRequest, deployment: Deployment | None = None) -> dict[str, Any]:
    http = GeminiProvider().prepare_chat(request, deployment or dep())
    result: dict[str, Any] = json.loads(http.body or b"")
    return result


# ---- registry, credentials, URLs


def test_registry_builds_the_gemini_adapter() -> None:
    assert isinstance(ProviderRegistry().get("gemini"), GeminiProvider)


def test_key_env_order_prefers_gemini_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "google-key")
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key")
    http = GeminiProvider().prepare_chat(chat(), dep(api_key=None))
    assert http.headers["x-goog-api-key"] == "gemini-key"
    monkeypatch.delenv("GEMINI_API_KEY")
    http = GeminiProvider().prepare_chat(chat(), dep(api_key=None))
    assert http.headers["x-goog-api-key"] == "google-key"


def test_missing_key_is_an_authentication_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    with pytest.raises(errors.AuthenticationError, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        GeminiProvider().prepare_chat(chat(), dep(api_key=None))


def test_api_base_from_env_and_key_never_in_url_or_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_BASE", "http://127.0.0.1:9999/v1beta/")
    http = GeminiProvider().prepare_chat(chat(stream=True), dep(api_key="secret-key"))
    assert http.url == "http://127.0.0.1:9999/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse"
    assert "secret-key" not in http.url
    assert "secret-key" not in repr(http)
    assert http.stream is True


def test_model_id_cannot_inject_path_or_query() -> None:
    http = GeminiProvider().prepare_chat(chat(), dep(model="evil/../x?key=1#frag"))
    assert http.url.endswith("/models/evil%2F..%2Fx%3Fkey%3D1%23frag:generateContent")


def test_tuned_model_path_is_kept() -> None:
    http = GeminiProvider().prepare_chat(chat(), dep(model="tunedModels/my-model-123"))
    assert http.url.endswith("/v1beta/tunedModels/my-model-123:generateContent")


def test_extra_headers_are_sent() -> None:
    http = GeminiProvider().prepare_chat(chat(), dep(extra_headers={"x-trace": "abc"}))
    assert http.headers["x-trace"] == "abc"


# ---- parameter policy


def test_unsupported_param_raises_naming_it() -> None:
    with pytest.raises(errors.UnsupportedParamsError) as info:
        GeminiProvider().check_params(chat(logit_bias={"1": 2.0}), drop=False)
    assert info.value.param == "logit_bias"
    assert "gemini" in str(info.value)


def test_unsupported_param_dropped_with_drop_params() -> None:
    request = GeminiProvider().check_params(chat(logit_bias={"1": 2.0}, temperature=0.3), drop=True)
    assert request.logit_bias is None
    assert body_of(request)["generationConfig"] == {"temperature": 0.3}


def _tool(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}


def test_parallel_tool_calls_true_is_gemini_default_false_is_unsupported() -> None:
    adapter = GeminiProvider()
    assert adapter.check_params(chat(parallel_tool_calls=True), drop=False).parallel_tool_calls is None
    two = [_tool("a"), _tool("b")]
    with pytest.raises(errors.UnsupportedParamsError, match="parallel_tool_calls"):
        adapter.check_params(chat(parallel_tool_calls=False, tools=two), drop=False)


@pytest.mark.parametrize(
    "fields",
    [
        {},  # no tools: LangChain/llama-index send it anyway
        {"tools": [_tool("a")]},  # structured output through one tool
        {"tools": [_tool("a"), _tool("b")], "tool_choice": "none"},
        {"tools": [_tool("a"), _tool("b")], "tool_choice": {"type": "function", "function": {"name": "b"}}},
    ],
)
def test_parallel_tool_calls_false_is_dropped_when_one_tool_at_most_can_be_called(
    fields: dict[str, Any],
) -> None:
    request = GeminiProvider().check_params(chat(parallel_tool_calls=False, **fields), drop=False)
    assert request.parallel_tool_calls is None
    assert "parallel" not in json.dumps(body_of(request)).lower()


# ---- messages


def test_only_system_messages_is_a_clear_error() -> None:
    with pytest.raises(errors.BadRequestError, match="at least one user or assistant"):
        body_of(chat(messages=[{"role": "system", "content": "be nice"}]))


def test_system_message_with_image_is_rejected() -> None:
    messages = [
        {
            "role": "system",
            "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}],
        },
        {"role": "user", "content": "hi"},
    ]
    with pytest.raises(errors.BadRequestError, match="systemInstruction takes text only"):
        body_of(chat(messages=messages))


def test_tool_message_with_unknown_id_is_rejected() -> None:
    messages = [{"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "nope", "content": "1"}]
    with pytest.raises(errors.BadRequestError, match="unknown tool_call_id 'nope'"):
        body_of(chat(messages=messages))


def test_reused_tool_call_id_takes_the_latest_name() -> None:
    def call(name: str) -> dict[str, Any]:
        return {"role": "assistant", "tool_calls": [
            {"id": "call_0", "type": "function", "function": {"name": name, "arguments": "{}"}}
        ]}  # fmt: skip

    messages = [
        {"role": "user", "content": "a"},
        call("first"),
        {"role": "tool", "tool_call_id": "call_0", "content": "[1, 2]"},
        call("second"),
        {"role": "tool", "tool_call_id": "call_0", "content": ""},
    ]
    contents = body_of(chat(messages=messages))["contents"]
    responses = [p["functionResponse"] for c in contents for p in c["parts"] if "functionResponse" in p]
    assert responses == [
        {"name": "first", "response": {"output": [1, 2]}},
        {"name": "second", "response": {"output": ""}},
    ]


def test_empty_assistant_text_is_skipped_and_turns_stay_merged() -> None:
    messages = [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": "b"},
    ]
    assert body_of(chat(messages=messages))["contents"] == [
        {"role": "user", "parts": [{"text": "a"}, {"text": "b"}]}
    ]


def test_invalid_tool_arguments_are_rejected() -> None:
    messages = [
        {"role": "user", "content": "a"},
        {"role": "assistant", "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "f", "arguments": "[1]"}}
        ]},
    ]  # fmt: skip
    with pytest.raises(errors.BadRequestError, match="JSON object"):
        body_of(chat(messages=messages))


def test_percent_encoded_data_url_becomes_base64() -> None:
    messages = [{"role": "user", "content": [
        {"type": "file", "file": {"file_data": "data:text/plain,hello%20world"}}
    ]}]  # fmt: skip
    part = body_of(chat(messages=messages))["contents"][0]["parts"][0]
    assert part == {
        "inlineData": {"mimeType": "text/plain", "data": base64.b64encode(b"hello world").decode()}
    }


def test_url_without_known_extension_needs_a_format_and_hides_the_query() -> None:
    messages = [{"role": "user", "content": [
        {"type": "file", "file": {"file_id": "https://host/download?token=SECRET"}}
    ]}]  # fmt: skip
    with pytest.raises(errors.BadRequestError) as info:
        body_of(chat(messages=messages))
    assert "SECRET" not in str(info.value)
    assert "file.format" in str(info.value)


def test_openai_file_ids_are_rejected() -> None:
    messages = [{"role": "user", "content": [{"type": "file", "file": {"file_id": "file-abc"}}]}]
    with pytest.raises(errors.BadRequestError, match="data: URLs"):
        body_of(chat(messages=messages))


# ---- thinking


@pytest.mark.parametrize(
    ("model", "effort", "expected"),
    [
        ("gemini-2.5-flash", "none", {"thinkingBudget": 0}),
        ("gemini-2.5-flash", "minimal", {"thinkingBudget": 512, "includeThoughts": True}),
        ("gemini-2.5-pro", "high", {"thinkingBudget": 24576, "includeThoughts": True}),
        ("gemini-3-pro-preview", "none", {"thinkingLevel": "low"}),
        ("gemini-3.1-flash", "medium", {"thinkingLevel": "high", "includeThoughts": True}),
    ],
)
def test_reasoning_effort_mapping(model: str, effort: str, expected: dict[str, Any]) -> None:
    body = body_of(chat(model=model, reasoning_effort=effort), dep(model=model))
    assert body["generationConfig"]["thinkingConfig"] == expected


def test_thinking_disabled_turns_budget_to_zero() -> None:
    body = body_of(chat(thinking={"type": "disabled"}), dep(model="gemini-2.5-flash"))
    assert body["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 0}


# ---- tool-call round trip


def test_parsed_tool_calls_replay_with_their_thought_signatures() -> None:
    response = {
        "candidates": [{"content": {"role": "model", "parts": [
            {"functionCall": {"name": "lookup", "args": {"q": "x"}}, "thoughtSignature": "U0lHLzE+"},
            {"functionCall": {"name": "lookup", "args": {"q": "y"}}},
        ]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2},
    }  # fmt: skip
    adapter = GeminiProvider()
    parsed = adapter.parse_chat(HttpResponse(status=200, body=json.dumps(response).encode()), chat())
    message = parsed.choices[0].message
    assert message.tool_calls is not None
    first, second = (c.id for c in message.tool_calls)
    assert first.startswith("call_") and first.endswith("_0__thought__U0lHLzE+")
    assert second == first.split("__thought__")[0][:-1] + "1"
    assistant = Message(role="assistant", content=message.content, tool_calls=message.tool_calls)
    tool_results = [
        Message(role="tool", tool_call_id=c.id, content='{"hits": 1}') for c in message.tool_calls
    ]
    replay = chat(messages=[{"role": "user", "content": "go"}])
    replay.messages.extend([assistant, *tool_results])
    contents = body_of(replay)["contents"]
    assert contents[1] == {"role": "model", "parts": [
        {"functionCall": {"name": "lookup", "args": {"q": "x"}}, "thoughtSignature": "U0lHLzE+"},
        {"functionCall": {"name": "lookup", "args": {"q": "y"}}},
    ]}  # fmt: skip
    assert contents[2]["parts"] == [
        {"functionResponse": {"name": "lookup", "response": {"hits": 1}}},
        {"functionResponse": {"name": "lookup", "response": {"hits": 1}}},
    ]


def test_hidden_params_keep_gemini_finish_reason_and_safety_ratings() -> None:
    from llmrelay.types.response import hidden_params

    response = {
        "candidates": [
            {
                "content": {"parts": [{"text": "x"}]},
                "finishReason": "LANGUAGE",
                "safetyRatings": [{"category": "C", "probability": "LOW"}],
            }
        ]
    }
    parsed = GeminiProvider().parse_chat(HttpResponse(status=200, body=json.dumps(response).encode()), chat())
    assert parsed.choices[0].finish_reason == "stop"
    assert parsed.usage is not None and parsed.usage.total_tokens == 0
    params = hidden_params(parsed)
    assert params["provider_finish_reasons"] == ["LANGUAGE"]
    assert params["safety_ratings"] == [[{"category": "C", "probability": "LOW"}]]


def test_malformed_body_is_a_server_error() -> None:
    with pytest.raises(errors.InternalServerError, match="malformed response"):
        GeminiProvider().parse_chat(HttpResponse(status=200, body=b"{not json"), chat())


# ---- streams


def test_stream_without_usage_emits_no_usage_chunk() -> None:
    decoder = GeminiProvider().chat_stream_decoder(chat(stream=True))
    event = {"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": "STOP"}]}
    chunks = decoder.feed(b"data: " + json.dumps(event).encode() + b"\r\n\r\n") + decoder.end()
    assert [c.usage for c in chunks] == [None]
    assert chunks[0].choices[0].finish_reason == "stop"


def test_empty_stream_is_a_connection_error() -> None:
    decoder = GeminiProvider().chat_stream_decoder(chat(stream=True))
    assert decoder.feed(b"") == []
    with pytest.raises(errors.APIConnectionError):
        decoder.end()


def test_stream_waits_for_every_candidate_to_finish() -> None:
    decoder = GeminiProvider().chat_stream_decoder(chat(stream=True, n=2))
    events = [
        {
            "candidates": [
                {"content": {"parts": [{"text": "a"}]}},
                {"index": 1, "content": {"parts": [{"text": "b"}]}},
            ]
        },
        {"candidates": [{"finishReason": "STOP"}]},
    ]
    for event in events:
        decoder.feed(b"data: " + json.dumps(event).encode() + b"\n\n")
    with pytest.raises(errors.APIConnectionError):
        decoder.end()


# ---- embeddings


def test_embedding_base64_encoding_is_little_endian_float32() -> None:
    request = EmbeddingRequest(model="gemini-embedding-001", input="x", encoding_format="base64")
    body = json.dumps({"embedding": {"values": [1.5, -2.0]}}).encode()
    result = GeminiProvider().parse_embedding(HttpResponse(status=200, body=body), request)
    raw = base64.b64decode(str(result.data[0].embedding))
    assert struct.unpack("<2f", raw) == (1.5, -2.0)


@pytest.mark.parametrize("bad_input", [[], [1, 2, 3], [[1, 2]]])
def test_embedding_rejects_token_ids_and_empty_input(bad_input: Any) -> None:
    request = EmbeddingRequest(model="gemini-embedding-001", input=bad_input)
    with pytest.raises(errors.BadRequestError, match="input"):
        GeminiProvider().prepare_embedding(request, dep(model="gemini-embedding-001"))


def test_batch_embedding_count_mismatch_is_a_server_error() -> None:
    request = EmbeddingRequest(model="gemini-embedding-001", input=["a", "b"])
    body = json.dumps({"embeddings": [{"values": [0.1]}]}).encode()
    with pytest.raises(errors.InternalServerError, match="1 embeddings for 2 inputs"):
        GeminiProvider().parse_embedding(HttpResponse(status=200, body=body), request)


def test_unterminated_final_error_event_keeps_its_class() -> None:
    decoder = GeminiProvider().chat_stream_decoder(chat(stream=True))
    decoder.feed(b'data: {"candidates": [{"content": {"parts": [{"text": "x"}]}}]}\n\n')
    decoder.feed(b'data: [{"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}}]')
    with pytest.raises(errors.RateLimitError, match="slow down"):
        decoder.end()


def test_malformed_complete_event_is_a_server_error() -> None:
    decoder = GeminiProvider().chat_stream_decoder(chat(stream=True))
    with pytest.raises(errors.InternalServerError, match="malformed stream event"):
        decoder.feed(b"data: {oops\n\n")


def test_a_400_naming_a_safety_field_is_a_plain_bad_request() -> None:
    # Gemini refuses a blocked prompt with a 200 (promptFeedback), never a 400: a 400 that mentions
    # "safety" is about a field, and must not trigger content_policy_fallbacks
    body = json.dumps(
        {
            "error": {
                "code": 400,
                "message": 'Invalid JSON payload received. Unknown name "safety_identifier"',
                "status": "INVALID_ARGUMENT",
            }
        }
    ).encode()
    error = GeminiProvider().classify_error(400, {}, body)
    assert type(error) is errors.BadRequestError


def _call_response(response_id: str | None) -> bytes:
    body: dict[str, Any] = {
        "candidates": [{"content": {"role": "model", "parts": [
            {"functionCall": {"name": "lookup", "args": {"q": "x"}}},
        ]}, "finishReason": "STOP"}],
    }  # fmt: skip
    if response_id is not None:
        body["responseId"] = response_id
    return json.dumps(body).encode()


def _first_call_id(body: bytes) -> str:
    message = GeminiProvider().parse_chat(HttpResponse(status=200, body=body), chat()).choices[0].message
    assert message.tool_calls is not None
    return message.tool_calls[0].id


def test_tool_call_ids_are_unique_across_turns_and_stable_per_response() -> None:
    # an agent history keys tool results by id: two turns must never both say call_0
    ids = {_first_call_id(_call_response(r)) for r in ("turn-1", "turn-2", None, None)}
    assert len(ids) == 4
    assert _first_call_id(_call_response("turn-1")) == _first_call_id(_call_response("turn-1"))


def test_stream_tool_call_ids_match_the_whole_response() -> None:
    event = _call_response("turn-9")
    decoder = GeminiProvider().chat_stream_decoder(chat(stream=True))
    chunks = decoder.feed(b"data: " + event + b"\r\n\r\n") + decoder.end()
    ids = [t.id for c in chunks for ch in c.choices for t in ch.delta.tool_calls or ()]
    assert ids == [_first_call_id(event)]
