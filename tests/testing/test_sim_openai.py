"""The OpenAI simulator checks what OpenAI checks and answers in OpenAI's shapes."""

from __future__ import annotations

import base64
import struct
import time

import pytest
from simtest_helpers import decode, get, json_events, post

from llmrelay.testing import RunningSimulator
from llmrelay.testing.content import count_tokens, embedding_vector, reply_text

USER = [{"role": "user", "content": "What is the capital of France?"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
            "required": ["city", "unit"],
        },
    },
}


def auth(sim: RunningSimulator) -> dict[str, str]:
    return {"authorization": f"Bearer {sim.api_key}"}


async def chat(sim: RunningSimulator, body: dict, headers: dict[str, str] | None = None):
    return await post(sim.api_base + "/chat/completions", body, {**auth(sim), **(headers or {})})


# ---- auth
async def test_missing_key_is_401_in_openai_shape(openai_sim: RunningSimulator) -> None:
    status, _, body = await post(openai_sim.api_base + "/chat/completions", {"model": "m", "messages": USER})
    assert status == 401
    error = decode(body)["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert "API key" in error["message"]


async def test_wrong_key_is_401_invalid_api_key(openai_sim: RunningSimulator) -> None:
    openai_sim.configure(api_keys={"sk-right"})
    status, _, body = await post(
        openai_sim.api_base + "/chat/completions",
        {"model": "m", "messages": USER},
        {"authorization": "Bearer sk-wrong"},
    )
    assert status == 401
    assert decode(body)["error"]["code"] == "invalid_api_key"
    status, _, _ = await post(
        openai_sim.api_base + "/chat/completions",
        {"model": "m", "messages": USER},
        {"authorization": "Bearer sk-right"},
    )
    assert status == 200


# ---- validation
@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": USER}, "model"),
        ({"model": "m", "messages": []}, "messages"),
        ({"model": "m", "messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        ({"model": "m", "messages": USER, "stream_options": {"include_usage": True}}, "stream_options"),
        ({"model": "m", "messages": USER, "temperature": 3}, "temperature"),
        ({"model": "m", "messages": USER, "tool_choice": "auto"}, "tool_choice"),
        ({"model": "m", "messages": USER, "response_format": {"type": "json_object"}}, "messages"),
        ({"model": "m", "messages": [*USER, {"role": "tool", "tool_call_id": "x", "content": "1"}]}, None),
    ],
)
async def test_invalid_requests_are_400(openai_sim: RunningSimulator, body: dict, param: str | None) -> None:
    status, _, raw = await chat(openai_sim, body)
    assert status == 400
    error = decode(raw)["error"]
    assert error["type"] == "invalid_request_error"
    if param is not None:
        assert error["param"] == param


async def test_unanswered_tool_calls_are_rejected(openai_sim: RunningSimulator) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    messages = [*USER, {"role": "assistant", "content": None, "tool_calls": [call]}, *USER]
    status, _, raw = await chat(openai_sim, {"model": "m", "messages": messages})
    assert status == 400
    assert "call_1" in decode(raw)["error"]["message"]


# ---- answers
async def test_chat_answer_is_deterministic_with_consistent_usage(openai_sim: RunningSimulator) -> None:
    status, headers, raw = await chat(openai_sim, {"model": "gpt-4o-mini", "messages": USER})
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    body = decode(raw)
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("chatcmpl-")
    assert body["model"] == "gpt-4o-mini"
    choice = body["choices"][0]
    assert choice["message"] == {
        "role": "assistant",
        "content": reply_text(USER[0]["content"]),
        "refusal": None,
        "annotations": [],
    }
    assert choice["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["prompt_tokens"] == 3 + 4 + count_tokens(USER[0]["content"])
    assert usage["completion_tokens"] == len(reply_text(USER[0]["content"]).split())
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


async def test_n_choices_and_max_tokens_cut(openai_sim: RunningSimulator) -> None:
    _, _, raw = await chat(openai_sim, {"model": "m", "messages": USER, "n": 3, "max_tokens": 2})
    body = decode(raw)
    assert [c["index"] for c in body["choices"]] == [0, 1, 2]
    assert all(c["finish_reason"] == "length" for c in body["choices"])
    assert body["choices"][0]["message"]["content"] == "Simulated reply"
    assert body["usage"]["completion_tokens"] == 6


async def test_json_modes(openai_sim: RunningSimulator) -> None:
    messages = [{"role": "user", "content": "Answer in JSON please"}]
    _, _, raw = await chat(
        openai_sim, {"model": "m", "messages": messages, "response_format": {"type": "json_object"}}
    )
    assert decode(decode(raw)["choices"][0]["message"]["content"]) == {
        "reply": reply_text("Answer in JSON please")
    }
    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer"}, "ok": {"type": "boolean"}},
        "required": ["n", "ok"],
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    _, _, raw = await chat(openai_sim, {"model": "m", "messages": USER, "response_format": fmt})
    assert decode(decode(raw)["choices"][0]["message"]["content"]) == {"n": 1, "ok": True}


async def test_tools_trigger_a_call_of_the_first_tool(openai_sim: RunningSimulator) -> None:
    _, _, raw = await chat(openai_sim, {"model": "m", "messages": USER, "tools": [WEATHER_TOOL]})
    choice = decode(raw)["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    (call,) = choice["message"]["tool_calls"]
    assert call["id"].startswith("call_")
    assert call["function"]["name"] == "get_weather"
    assert decode(call["function"]["arguments"]) == {"city": "What is the capital of France?", "unit": "c"}
    # tool_choice none: plain answer; a tool result: an answer about it
    _, _, raw = await chat(
        openai_sim, {"model": "m", "messages": USER, "tools": [WEATHER_TOOL], "tool_choice": "none"}
    )
    assert decode(raw)["choices"][0]["finish_reason"] == "stop"
    follow = [*USER, {"role": "assistant", "content": None, "tool_calls": [call]},
              {"role": "tool", "tool_call_id": call["id"], "content": "18 degrees"}]  # fmt: skip
    _, _, raw = await chat(openai_sim, {"model": "m", "messages": follow, "tools": [WEATHER_TOOL]})
    assert decode(raw)["choices"][0]["message"]["content"] == "Tool result received: 18 degrees"


# ---- streams
async def test_stream_shape_with_and_without_usage(openai_sim: RunningSimulator) -> None:
    status, headers, raw = await chat(openai_sim, {"model": "m", "messages": USER, "stream": True})
    assert status == 200
    assert headers["content-type"].startswith("text/event-stream")
    events = json_events(raw, seed=1)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" and "usage" not in c for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == reply_text(USER[0]["content"])
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"

    body = {"model": "m", "messages": USER, "stream": True, "stream_options": {"include_usage": True}}
    events = json_events((await chat(openai_sim, body))[2], seed=2)
    *content, usage_chunk, done = events
    assert done == "[DONE]"
    assert usage_chunk["choices"] == [] and usage_chunk["usage"]["completion_tokens"] == len(text.split())
    assert all(c["usage"] is None for c in content)


async def test_stream_chunk_count_is_configurable(openai_sim: RunningSimulator) -> None:
    body = {"model": "m", "messages": USER, "stream": True}
    events = json_events((await chat(openai_sim, body, {"x-sim-chunks": "2"}))[2])
    content_chunks = [e for e in events[:-1] if e["choices"][0]["delta"].get("content")]
    assert len(content_chunks) == 2


async def test_streamed_tool_call_arguments_arrive_in_pieces(openai_sim: RunningSimulator) -> None:
    body = {"model": "m", "messages": USER, "stream": True, "tools": [WEATHER_TOOL]}
    events = json_events((await chat(openai_sim, body))[2], seed=3)[:-1]
    deltas = [e["choices"][0]["delta"] for e in events]
    head = deltas[0]["tool_calls"][0]
    assert head["id"].startswith("call_") and head["function"] == {"name": "get_weather", "arguments": ""}
    pieces = [d["tool_calls"][0]["function"]["arguments"] for d in deltas[1:-1]]
    assert len(pieces) == 4
    assert decode("".join(pieces)) == {"city": "What is the capital of France?", "unit": "c"}
    assert events[-1]["choices"][0]["finish_reason"] == "tool_calls"


# ---- completions, embeddings, models
async def test_legacy_completions(openai_sim: RunningSimulator) -> None:
    status, _, raw = await post(
        openai_sim.api_base + "/completions",
        {"model": "gpt-3.5-turbo-instruct", "prompt": "Say hi", "max_tokens": 50},
        auth(openai_sim),
    )
    body = decode(raw)
    assert status == 200 and body["object"] == "text_completion"
    assert body["choices"][0]["text"] == reply_text("Say hi")
    raw = (
        await post(
            openai_sim.api_base + "/completions",
            {"model": "x", "prompt": "Say hi", "stream": True},
            auth(openai_sim),
        )
    )[2]
    events = json_events(raw)
    assert events[-1] == "[DONE]"
    assert "".join(e["choices"][0]["text"] for e in events[:-1]) == reply_text("Say hi")


async def test_embeddings_float_and_base64_agree(openai_sim: RunningSimulator) -> None:
    url = openai_sim.api_base + "/embeddings"
    body = {"model": "text-embedding-3-small", "input": ["alpha", "beta"]}
    floats = decode((await post(url, body, auth(openai_sim)))[2])
    assert [d["index"] for d in floats["data"]] == [0, 1]
    assert len(floats["data"][0]["embedding"]) == 1536
    assert floats["data"][0]["embedding"] == list(embedding_vector("alpha", 1536))
    assert floats["data"][0]["embedding"] != floats["data"][1]["embedding"]
    assert floats["usage"] == {"prompt_tokens": 2, "total_tokens": 2}
    b64 = decode(
        (await post(url, {**body, "encoding_format": "base64", "dimensions": 8}, auth(openai_sim)))[2]
    )
    raw = base64.b64decode(b64["data"][0]["embedding"])
    assert list(struct.unpack("<8f", raw)) == list(embedding_vector("alpha", 8))
    status, _, raw_err = await post(
        url, {"model": "text-embedding-ada-002", "input": "x", "dimensions": 8}, auth(openai_sim)
    )
    assert status == 400 and decode(raw_err)["error"]["param"] == "dimensions"


@pytest.mark.parametrize("dimensions", [340_419_826, 1537, 0, -5, 2.5, "8", True])
async def test_embedding_dimensions_beyond_the_model_are_refused(
    openai_sim: RunningSimulator, dimensions: object
) -> None:
    # a fuzzer's `dimensions: 340419826` once had the simulator build a 340M-float vector and hang
    body = {"model": "text-embedding-3-small", "input": "x", "dimensions": dimensions}
    status, _, raw = await post(openai_sim.api_base + "/embeddings", body, auth(openai_sim))
    assert status == 400 and decode(raw)["error"]["param"] == "dimensions"


async def test_models_list(openai_sim: RunningSimulator) -> None:
    status, raw = await get(openai_sim.api_base + "/models", auth(openai_sim))
    assert status == 200
    body = decode(raw)
    assert body["object"] == "list" and {"id", "object", "created", "owned_by"} <= set(body["data"][0])


# ---- faults
async def test_status_fault_with_retry_after(openai_sim: RunningSimulator) -> None:
    openai_sim.faults.set(status=429, retry_after=2)
    status, headers, raw = await chat(openai_sim, {"model": "m", "messages": USER})
    assert status == 429
    assert headers["retry-after"] == "2" and headers["retry-after-ms"] == "2000"
    assert decode(raw)["error"]["type"] == "requests"


async def test_fail_next_then_succeed(openai_sim: RunningSimulator) -> None:
    openai_sim.faults.fail_next(2, 503)
    statuses = [(await chat(openai_sim, {"model": "m", "messages": USER}))[0] for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert openai_sim.requests.count("/chat/completions") == 3


async def test_header_fault_applies_to_that_request_only(openai_sim: RunningSimulator) -> None:
    status, _, raw = await chat(openai_sim, {"model": "m", "messages": USER}, {"x-sim-fault": "status=500"})
    assert status == 500 and decode(raw)["error"]["type"] == "server_error"
    assert (await chat(openai_sim, {"model": "m", "messages": USER}))[0] == 200
    status, _, raw = await chat(openai_sim, {"model": "m", "messages": USER}, {"x-sim-fault": "bogus"})
    assert status == 400 and "bogus" in decode(raw)["error"]["message"]


async def test_context_window_and_content_policy_faults(openai_sim: RunningSimulator) -> None:
    _, _, raw = await chat(openai_sim, {"model": "m", "messages": USER}, {"x-sim-fault": "context-window"})
    assert decode(raw)["error"]["code"] == "context_length_exceeded"
    _, _, raw = await chat(openai_sim, {"model": "m", "messages": USER}, {"x-sim-fault": "content-policy"})
    assert decode(raw)["error"]["code"] == "content_policy_violation"
    openai_sim.configure(context_window=10)
    status, _, raw = await chat(openai_sim, {"model": "m", "messages": USER})
    assert status == 400 and decode(raw)["error"]["code"] == "context_length_exceeded"


async def test_latency_before_first_byte(openai_sim: RunningSimulator) -> None:
    openai_sim.faults.set(latency=0.3, times=1)
    started = time.monotonic()
    assert (await chat(openai_sim, {"model": "m", "messages": USER}))[0] == 200
    assert time.monotonic() - started >= 0.3


async def test_invalid_json_fault(openai_sim: RunningSimulator) -> None:
    openai_sim.faults.set(invalid_json=True)
    status, _, raw = await chat(openai_sim, {"model": "m", "messages": USER})
    assert status == 200
    with pytest.raises(Exception):  # noqa: B017 - any decode error
        decode(raw)


async def test_recorded_requests_hide_keys_in_repr(openai_sim: RunningSimulator) -> None:
    openai_sim.configure(api_keys={"sk-live-0123456789abcdef"})
    await post(openai_sim.api_base + "/chat/completions", {"model": "m", "messages": USER},
               {"authorization": "Bearer sk-live-0123456789abcdef"})  # fmt: skip
    last = openai_sim.requests.last
    assert last.header("authorization") == "Bearer sk-live-0123456789abcdef"
    assert last.body["model"] == "m"
    assert "0123456789" not in repr(last)
    minute = int(last.received_at // 60)
    assert openai_sim.requests.per_minute()[minute] == 1
    assert openai_sim.requests.per_path() == {"/v1/chat/completions": 1}
