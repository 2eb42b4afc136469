"""The Cohere simulator checks keys and fields as Cohere's v2 API does and streams its named events."""

from __future__ import annotations

import json

import pytest
from simtest_helpers import decode, post, sse_events

from llmrelay.testing import RunningSimulator
from llmrelay.testing.cohere_sim import PROMPT_OVERHEAD_TOKENS
from llmrelay.testing.content import embedding_vector, reply_text

MESSAGES = [{"role": "user", "content": "Describe the sea"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "find",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
        },
    }
]


async def chat(sim: RunningSimulator, body: dict, key: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"authorization": f"Bearer {key or sim.api_key}"}
    return await post(sim.base_url + "/v2/chat", {"model": "command-a-03-2025", **body}, headers)


async def test_bearer_key_is_checked(cohere_sim: RunningSimulator) -> None:
    status, _, raw = await post(cohere_sim.base_url + "/v2/chat", {"model": "m", "messages": MESSAGES})
    assert status == 401 and decode(raw)["message"] == "no api key supplied" and "id" in decode(raw)
    cohere_sim.configure(api_keys={"good"})
    status, _, raw = await chat(cohere_sim, {"messages": MESSAGES}, key="bad")
    assert status == 401 and decode(raw)["message"] == "invalid api token"
    status, _, _ = await chat(cohere_sim, {"messages": MESSAGES}, key="good")
    assert status == 200


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"messages": MESSAGES, "top_p": 0.5}, "unknown field: parameter top_p is not a valid field"),
        ({"messages": MESSAGES, "stream_options": {}}, "parameter stream_options is not a valid field"),
        ({"messages": []}, "messages must not be empty"),
        ({"messages": [{"role": "developer", "content": "x"}]}, "role must be one of"),
        ({"messages": [*MESSAGES, {"role": "tool", "tool_call_id": "c1", "content": "r"}]},
         "does not match a preceding tool call"),
        ({"messages": MESSAGES, "tool_choice": "REQUIRED"}, "requires tools"),
        ({"messages": MESSAGES, "tools": TOOLS, "tool_choice": "auto"}, "tool_choice must be one of"),
        ({"messages": MESSAGES, "p": 1.0}, "p must be between"),
        ({"messages": [{"role": "user", "content": [{"type": "input_audio"}]}]}, "block type"),
    ],
)  # fmt: skip
async def test_invalid_requests_are_400(cohere_sim: RunningSimulator, body: dict, fragment: str) -> None:
    status, _, raw = await chat(cohere_sim, body)
    assert status == 400
    assert fragment in decode(raw)["message"] and decode(raw)["message"].startswith("invalid request:")


async def test_answer_usage_bills_the_messages(cohere_sim: RunningSimulator) -> None:
    status, _, raw = await chat(cohere_sim, {"messages": MESSAGES})
    answer = decode(raw)
    assert status == 200 and answer["finish_reason"] == "COMPLETE"
    assert answer["message"] == {
        "role": "assistant",
        "content": [{"type": "text", "text": reply_text("Describe the sea")}],
    }
    billed, tokens = answer["usage"]["billed_units"], answer["usage"]["tokens"]
    assert billed["output_tokens"] == tokens["output_tokens"] == 6
    assert tokens["input_tokens"] == billed["input_tokens"] + PROMPT_OVERHEAD_TOKENS


async def test_stream_event_sequence_for_text(cohere_sim: RunningSimulator) -> None:
    status, headers, raw = await chat(cohere_sim, {"messages": MESSAGES, "stream": True})
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    events = sse_events(raw)
    payloads = [json.loads(e.data) for e in events]
    assert all(e.event == p["type"] for e, p in zip(events, payloads, strict=True))
    kinds = [p["type"] for p in payloads]
    assert kinds[:2] == ["message-start", "content-start"] and kinds[-2:] == ["content-end", "message-end"]
    assert set(kinds[2:-2]) == {"content-delta"}
    text = "".join(p["delta"]["message"]["content"]["text"] for p in payloads if p["type"] == "content-delta")
    assert text == reply_text("Describe the sea")
    end = payloads[-1]["delta"]
    assert end["finish_reason"] == "COMPLETE" and end["usage"]["billed_units"]["output_tokens"] == 6


async def test_stream_event_sequence_for_a_tool_call(cohere_sim: RunningSimulator) -> None:
    _, _, raw = await chat(cohere_sim, {"messages": MESSAGES, "tools": TOOLS, "stream": True})
    payloads = [json.loads(e.data) for e in sse_events(raw)]
    kinds = [p["type"] for p in payloads]
    assert kinds[0] == "message-start" and "tool-plan-delta" in kinds
    assert kinds.index("tool-call-start") < kinds.index("tool-call-delta") < kinds.index("tool-call-end")
    start = next(p for p in payloads if p["type"] == "tool-call-start")["delta"]["message"]["tool_calls"]
    assert start["id"].startswith("find_") and start["function"] == {"name": "find", "arguments": ""}
    arguments = "".join(
        p["delta"]["message"]["tool_calls"]["function"]["arguments"]
        for p in payloads
        if p["type"] == "tool-call-delta"
    )
    assert json.loads(arguments) == {"q": "Describe the sea"}
    assert payloads[-1]["delta"]["finish_reason"] == "TOOL_CALL"


async def test_tool_result_turn(cohere_sim: RunningSimulator) -> None:
    _, _, raw = await chat(cohere_sim, {"messages": MESSAGES, "tools": TOOLS})
    message = decode(raw)["message"]
    assert "content" not in message and message["tool_plan"] == "I will use find to answer."
    call = message["tool_calls"][0]
    follow = [
        *MESSAGES,
        message,
        {"role": "tool", "tool_call_id": call["id"], "content": [{"type": "text", "text": "waves"}]},
    ]
    status, _, raw = await chat(cohere_sim, {"messages": follow, "tools": TOOLS})
    assert status == 200 and decode(raw)["message"]["content"][0]["text"] == "Tool result received: waves"


async def test_embed(cohere_sim: RunningSimulator) -> None:
    url = cohere_sim.base_url + "/v2/embed"
    headers = {"authorization": f"Bearer {cohere_sim.api_key}"}
    body = {
        "model": "embed-v4.0",
        "texts": ["a b", "c"],
        "input_type": "search_query",
        "embedding_types": ["float"],
    }
    status, _, raw = await post(url, {**body, "output_dimension": 512}, headers)
    answer = decode(raw)
    assert status == 200 and answer["response_type"] == "embeddings_by_type"
    assert answer["embeddings"]["float"][1] == pytest.approx(list(embedding_vector("c", 512)))
    assert answer["meta"]["billed_units"]["input_tokens"] == 3
    status, _, raw = await post(url, {k: v for k, v in body.items() if k != "input_type"}, headers)
    assert status == 400 and "valid input_type must be provided" in decode(raw)["message"]
    status, _, raw = await post(
        url, {**body, "model": "embed-english-v3.0", "output_dimension": 256}, headers
    )
    assert status == 400 and "output_dimension" in decode(raw)["message"]


async def test_faults_use_cohere_envelopes(cohere_sim: RunningSimulator) -> None:
    cohere_sim.faults.set(kind="context_window", times=1)
    status, _, raw = await chat(cohere_sim, {"messages": MESSAGES})
    assert status == 400 and decode(raw)["message"].startswith("too many tokens:")
    cohere_sim.faults.set(error_after=2, times=1)
    _, _, raw = await chat(cohere_sim, {"messages": MESSAGES, "stream": True})
    last = json.loads(sse_events(raw)[-1].data)
    assert (
        last["type"] == "message-end" and last["delta"]["finish_reason"] == "ERROR" and last["delta"]["error"]
    )
