"""ChatResponse → Responses API Response: output items, usage, incomplete answers, the request's
settings echoed back — and every body valid for the official openai SDK's Response model."""

from __future__ import annotations

import json
from typing import Any

import openai.types.responses as oai
import pytest

from llmrelay.types.chat import FunctionCall, ToolCall
from llmrelay.types.response import (
    ChatResponse,
    Choice,
    CompletionTokensDetails,
    PromptTokensDetails,
    ResponseMessage,
    Usage,
)
from llmrelay.wire.responses import decode_request, encode_response, encode_response_bytes


def answer(finish: str = "stop", **message: Any) -> ChatResponse:
    message.setdefault("content", None)
    usage = Usage(
        prompt_tokens=30, completion_tokens=12, total_tokens=42,
        prompt_tokens_details=PromptTokensDetails(cached_tokens=10, cache_creation_tokens=5),
        completion_tokens_details=CompletionTokensDetails(reasoning_tokens=4),
    )  # fmt: skip
    return ChatResponse(
        id="chatcmpl-1", created=1700000000, model="upstream-model",
        choices=[Choice(index=0, message=ResponseMessage(**message), finish_reason=finish)], usage=usage,
    )  # fmt: skip


def body_of(response: ChatResponse, request: dict[str, Any] | None = None) -> dict[str, Any]:
    parsed = decode_request(json.dumps(request or {"model": "asked", "input": "x"}).encode())[0]
    data: dict[str, Any] = json.loads(encode_response_bytes(response, parsed, "asked"))
    oai.Response.model_validate(data)  # the SDK's own model of the object accepts it
    return data


def test_text_answer() -> None:
    data = body_of(answer(content="Hello there"))
    assert data["object"] == "response" and data["id"].startswith("resp_")
    assert (data["status"], data["model"], data["created_at"]) == ("completed", "asked", 1700000000)
    assert data["error"] is None and data["incomplete_details"] is None
    (message,) = data["output"]
    assert message["type"] == "message" and message["id"].startswith("msg_")
    assert (message["role"], message["status"]) == ("assistant", "completed")
    assert message["content"] == [
        {"type": "output_text", "text": "Hello there", "annotations": [], "logprobs": []}
    ]
    assert data["usage"] == {
        "input_tokens": 30, "output_tokens": 12, "total_tokens": 42,
        "input_tokens_details": {"cached_tokens": 10, "cache_write_tokens": 5},
        "output_tokens_details": {"reasoning_tokens": 4},
    }  # fmt: skip
    assert oai.Response.model_validate(data).output_text == "Hello there"


def test_tool_calls_become_function_call_items_after_the_text() -> None:
    calls = [ToolCall(id="call_1", function=FunctionCall(name="w", arguments='{"city":"Lima"}')),
             ToolCall(id="call_2", function=FunctionCall(name="w", arguments='{"city":"Oslo"}'))]  # fmt: skip
    data = body_of(answer("tool_calls", content="checking", tool_calls=calls))
    kinds = [item["type"] for item in data["output"]]
    assert kinds == ["message", "function_call", "function_call"]
    first = data["output"][1]
    assert first["id"].startswith("fc_") and first["status"] == "completed"
    assert (first["call_id"], first["name"], first["arguments"]) == ("call_1", "w", '{"city":"Lima"}')
    assert data["output"][2]["call_id"] == "call_2"
    assert data["status"] == "completed"


def test_reasoning_item_carries_signed_thinking_back_into_a_request() -> None:
    blocks = [{"type": "thinking", "thinking": "let me think", "signature": "sig-xyz"}]
    data = body_of(answer(content="42", reasoning_content="let me think", thinking_blocks=blocks))
    reasoning, message = data["output"]
    assert reasoning["type"] == "reasoning" and reasoning["id"].startswith("rs_")
    assert reasoning["summary"] == [{"type": "summary_text", "text": "let me think"}]
    # replayed as OpenAI clients do, the next request gives the model its signed block back
    follow = {"model": "m", "input": [{"role": "user", "content": "q"}, reasoning, message,
                                      {"role": "user", "content": "and?"}]}  # fmt: skip
    turn = decode_request(json.dumps(follow).encode())[1].messages[1]
    assert (
        turn.thinking_blocks == blocks and turn.reasoning_content == "let me think" and turn.content == "42"
    )


def test_reasoning_text_without_signature() -> None:
    reasoning = body_of(answer(content="ok", reasoning_content="because"))["output"][0]
    assert reasoning["summary"][0]["text"] == "because" and "encrypted_content" not in reasoning


@pytest.mark.parametrize(
    ("finish", "reason"), [("length", "max_output_tokens"), ("content_filter", "content_filter")]
)
def test_cut_answers_are_incomplete(finish: str, reason: str) -> None:
    data = body_of(answer(finish, content="partial"))
    assert data["status"] == "incomplete" and data["incomplete_details"] == {"reason": reason}
    assert data["output"][0]["status"] == "incomplete"


def test_refusal_part() -> None:
    (message,) = body_of(answer(refusal="I can't help with that"))["output"]
    assert message["content"] == [{"type": "refusal", "refusal": "I can't help with that"}]


def test_request_settings_are_echoed() -> None:
    tool = {"type": "function", "name": "w", "parameters": {"type": "object"}, "strict": True}
    request = {
        "model": "asked", "input": "x", "instructions": "be brief", "max_output_tokens": 50,
        "temperature": 0.2, "top_p": 0.8, "tools": [tool], "tool_choice": "required",
        "parallel_tool_calls": False,
        "metadata": {"team": "a"}, "user": "u1", "store": True, "reasoning": {"effort": "low"},
        "text": {"format": {"type": "json_object"}},
    }  # fmt: skip
    data = body_of(answer(content="{}"), request)
    assert (data["instructions"], data["max_output_tokens"], data["temperature"], data["top_p"]) == (
        "be brief", 50, 0.2, 0.8,
    )  # fmt: skip
    assert data["tools"] == [tool] and data["tool_choice"] == "required"
    assert data["parallel_tool_calls"] is False and data["metadata"] == {"team": "a"} and data["user"] == "u1"
    assert data["reasoning"] == {"effort": "low", "summary": None}
    assert data["text"] == {"format": {"type": "json_object"}}
    assert data["previous_response_id"] is None


def test_without_usage_or_request() -> None:
    choice = Choice(index=0, message=ResponseMessage(content="x"), finish_reason="stop")
    bare = ChatResponse(id="resp_keep", created=5, model="up", choices=[choice])
    response = encode_response(bare)
    assert response.id == "resp_keep" and response.model == "up"
    assert response.usage is not None and response.usage.total_tokens == 0
    assert response.output_text == "x" and response.to_dict()["text"] == {"format": {"type": "text"}}
