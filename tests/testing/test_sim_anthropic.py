"""The Anthropic simulator checks what the Messages API checks and streams its full event sequence."""

from __future__ import annotations

import pytest
from simtest_helpers import decode, post, sse_events

from llmrelay.testing import RunningSimulator
from llmrelay.testing.content import reply_text

USER = [{"role": "user", "content": "Name three rivers"}]
TOOL = {
    "name": "lookup",
    "description": "Look a thing up",
    "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
}


ORPHAN_RESULT = {"type": "tool_result", "tool_use_id": "t1", "content": "x"}
DANGLING_USE = {"type": "tool_use", "id": "t1", "name": "lookup", "input": {}}


def headers(sim: RunningSimulator) -> dict[str, str]:
    return {"x-api-key": sim.api_key, "anthropic-version": "2023-06-01"}


async def messages(sim: RunningSimulator, body: dict, extra: dict[str, str] | None = None):
    return await post(sim.base_url + "/v1/messages", body, {**headers(sim), **(extra or {})})


def body(**fields: object) -> dict:
    return {"model": "claude-sonnet-4-5", "max_tokens": 200, "messages": USER, **fields}


async def test_missing_key_is_401_in_anthropic_shape(anthropic_sim: RunningSimulator) -> None:
    status, _, raw = await post(
        anthropic_sim.base_url + "/v1/messages", body(), {"anthropic-version": "2023-06-01"}
    )
    assert status == 401
    error = decode(raw)
    assert error["type"] == "error"
    assert error["error"] == {"type": "authentication_error", "message": "x-api-key header is required"}


async def test_missing_version_header_is_400(anthropic_sim: RunningSimulator) -> None:
    status, _, raw = await post(anthropic_sim.base_url + "/v1/messages", body(), {"x-api-key": "k"})
    assert status == 400
    assert "anthropic-version" in decode(raw)["error"]["message"]


@pytest.mark.parametrize(
    ("request_body", "fragment"),
    [
        ({"model": "m", "messages": USER}, "max_tokens"),
        (body(messages=[{"role": "system", "content": "x"}, *USER]), "top-level `system`"),
        (body(temperature=1.5), "temperature"),
        (body(thinking={"type": "enabled", "budget_tokens": 500}), "budget_tokens"),
        (body(thinking={"type": "enabled", "budget_tokens": 2048}, max_tokens=1000), "max_tokens"),
        (body(messages=[{"role": "user", "content": [ORPHAN_RESULT]}]), "tool_use_id"),
        (body(messages=[*USER, {"role": "assistant", "content": [DANGLING_USE]}, *USER]), "tool_result"),
    ],
)
async def test_invalid_requests_are_400(
    anthropic_sim: RunningSimulator, request_body: dict, fragment: str
) -> None:
    status, _, raw = await messages(anthropic_sim, request_body)
    assert status == 400
    error = decode(raw)["error"]
    assert error["type"] == "invalid_request_error"
    assert fragment in error["message"]


async def test_message_answer_and_usage(anthropic_sim: RunningSimulator) -> None:
    status, _, raw = await messages(anthropic_sim, body(system="Be brief."))
    assert status == 200
    msg = decode(raw)
    assert msg["type"] == "message" and msg["role"] == "assistant" and msg["id"].startswith("msg_")
    assert msg["content"] == [{"type": "text", "text": reply_text("Name three rivers")}]
    assert msg["stop_reason"] == "end_turn" and msg["stop_sequence"] is None
    usage = msg["usage"]
    assert usage["output_tokens"] == len(reply_text("Name three rivers").split())
    assert usage["input_tokens"] > 0 and usage["cache_read_input_tokens"] == 0


async def test_stop_sequence_and_max_tokens(anthropic_sim: RunningSimulator) -> None:
    msg = decode((await messages(anthropic_sim, body(stop_sequences=["three"])))[2])
    assert msg["stop_reason"] == "stop_sequence" and msg["stop_sequence"] == "three"
    assert msg["content"][0]["text"] == "Simulated reply to: Name "
    msg = decode((await messages(anthropic_sim, body(max_tokens=2)))[2])
    assert msg["stop_reason"] == "max_tokens" and msg["usage"]["output_tokens"] == 2


async def test_full_stream_event_sequence(anthropic_sim: RunningSimulator) -> None:
    status, hdrs, raw = await messages(anthropic_sim, body(stream=True))
    assert status == 200 and hdrs["content-type"].startswith("text/event-stream")
    events = sse_events(raw, seed=5)
    names = [e.event for e in events]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-4:] == ["content_block_delta", "content_block_stop", "message_delta", "message_stop"]
    payloads = [decode(e.data) for e in events]
    assert all(p["type"] == e.event for p, e in zip(payloads, events, strict=True))
    text = "".join(p["delta"]["text"] for p in payloads if p["type"] == "content_block_delta")
    assert text == reply_text("Name three rivers")
    delta = payloads[-2]
    assert delta["delta"]["stop_reason"] == "end_turn"
    assert delta["usage"]["output_tokens"] == len(text.split())
    assert payloads[0]["message"]["usage"]["input_tokens"] > 0


async def test_tool_use_streams_input_json_deltas(anthropic_sim: RunningSimulator) -> None:
    raw = (await messages(anthropic_sim, body(stream=True, tools=[TOOL])))[2]
    payloads = [decode(e.data) for e in sse_events(raw, seed=9)]
    starts = [p["content_block"] for p in payloads if p["type"] == "content_block_start"]
    assert [b["type"] for b in starts] == ["text", "tool_use"]
    assert starts[1]["name"] == "lookup" and starts[1]["input"] == {}
    pieces = [p["delta"]["partial_json"] for p in payloads
              if p["type"] == "content_block_delta" and p["index"] == 1]  # fmt: skip
    assert pieces[0] == "" and len(pieces) == 5
    assert decode("".join(pieces)) == {"q": "Name three rivers"}
    assert payloads[-2]["delta"]["stop_reason"] == "tool_use"
    # forced tool: no preamble text
    msg = decode((await messages(anthropic_sim, body(tools=[TOOL], tool_choice={"type": "any"})))[2])
    assert [b["type"] for b in msg["content"]] == ["tool_use"]


async def test_thinking_blocks_carry_a_signature(anthropic_sim: RunningSimulator) -> None:
    thinking = {"type": "enabled", "budget_tokens": 1024}
    msg = decode((await messages(anthropic_sim, body(max_tokens=2000, thinking=thinking)))[2])
    first = msg["content"][0]
    assert first["type"] == "thinking" and first["thinking"] and first["signature"]
    raw = (await messages(anthropic_sim, body(max_tokens=2000, thinking=thinking, stream=True)))[2]
    deltas = [decode(e.data)["delta"] for e in sse_events(raw) if e.event == "content_block_delta"]
    kinds = [d["type"] for d in deltas]
    assert kinds[0] == "thinking_delta" and "signature_delta" in kinds
    assert "".join(d.get("thinking", "") for d in deltas) == first["thinking"]


async def test_prompt_cache_written_then_read(anthropic_sim: RunningSimulator) -> None:
    system = [{"type": "text", "text": "Long shared context " * 20, "cache_control": {"type": "ephemeral"}}]
    first = decode((await messages(anthropic_sim, body(system=system)))[2])["usage"]
    second = decode((await messages(anthropic_sim, body(system=system)))[2])["usage"]
    assert first["cache_creation_input_tokens"] > 0 and first["cache_read_input_tokens"] == 0
    assert second["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    assert second["cache_creation_input_tokens"] == 0
    assert second["input_tokens"] == first["input_tokens"]


async def test_count_tokens(anthropic_sim: RunningSimulator) -> None:
    status, _, raw = await post(
        anthropic_sim.base_url + "/v1/messages/count_tokens",
        {"model": "claude-sonnet-4-5", "messages": USER},
        headers(anthropic_sim),
    )
    full = decode((await messages(anthropic_sim, body()))[2])["usage"]["input_tokens"]
    assert status == 200 and decode(raw) == {"input_tokens": full}


async def test_overloaded_529_and_in_stream_error(anthropic_sim: RunningSimulator) -> None:
    status, hdrs, raw = await messages(anthropic_sim, body(), {"x-sim-fault": "status=529; retry-after=1"})
    assert status == 529 and hdrs["retry-after"] == "1"
    assert decode(raw)["error"]["type"] == "overloaded_error"
    raw = (await messages(anthropic_sim, body(stream=True), {"x-sim-fault": "error-after=3"}))[2]
    events = sse_events(raw)
    assert [e.event for e in events][-1] == "error" and len(events) == 4
    assert decode(events[-1].data)["error"]["type"] == "overloaded_error"


async def test_refusal_is_a_200_with_stop_reason_refusal(anthropic_sim: RunningSimulator) -> None:
    msg = decode((await messages(anthropic_sim, body(), {"x-sim-fault": "content-policy"}))[2])
    assert msg["stop_reason"] == "refusal" and msg["content"][0]["type"] == "text"
    trigger = [{"role": "user", "content": "ANTHROPIC_MAGIC_STRING_TRIGGER_REFUSAL_1FAEFB"}]
    raw = (await messages(anthropic_sim, body(messages=trigger, stream=True)))[2]
    delta = next(decode(e.data) for e in sse_events(raw) if e.event == "message_delta")
    assert delta["delta"]["stop_reason"] == "refusal"
