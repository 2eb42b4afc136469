"""Canonical chunks → Responses stream events: the documented event order for text, reasoning,
refusals and function calls, sequence numbers, incomplete and failed endings; events valid for the
openai SDK's event models; and the same events however the upstream's bytes or deltas were split."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pydantic
import pytest
from openai.types.responses import ResponseStreamEvent

from llmrelay.core.assemble import stream_chunk_builder
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.types.chat import ChatRequest
from llmrelay.types.errors import RateLimitError, ServiceUnavailableError
from llmrelay.types.response import ChatChunk, ChunkChoice, Delta, ToolCallDelta, ToolCallDeltaFunction, Usage
from llmrelay.wire.responses import ResponsesStreamEncoder, decode_request, encode_events
from llmrelay.wire.sse import SSEParser

SDK_EVENT: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(ResponseStreamEvent)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def chunk(finish: str | None = None, usage: Usage | None = None, **delta: Any) -> ChatChunk:
    choices = [ChunkChoice(index=0, delta=Delta(**delta), finish_reason=finish)] if delta or finish else []
    return ChatChunk(id="c1", created=1, model="upstream", choices=choices, usage=usage)


def call(
    index: int, id: str | None = None, name: str | None = None, args: str | None = None
) -> ToolCallDelta:
    return ToolCallDelta(index=index, id=id, function=ToolCallDeltaFunction(name=name, arguments=args))


def run(chunks: list[ChatChunk], request: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Encode, then read back as a client does: SSE frames → JSON, each checked by the SDK's models."""
    parsed = decode_request(json.dumps(request or {"model": "asked", "input": "x"}).encode())[0]
    encoder = ResponsesStreamEncoder(parsed, "asked")
    events = [e for c in chunks for e in encoder.feed(c)] + encoder.finish()
    return wire_events(encode_events(events))


def wire_events(data: bytes) -> list[dict[str, Any]]:
    parser = SSEParser()
    frames = parser.feed(data) + parser.end()
    out = []
    for frame in frames:
        event = json.loads(frame.data)
        assert frame.event == event["type"]
        SDK_EVENT.validate_python(event)
        out.append(event)
    return out


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


USAGE = Usage(prompt_tokens=9, completion_tokens=3, total_tokens=12)


def test_text_stream_event_sequence() -> None:
    events = run(
        [chunk(role="assistant", content="Hel"), chunk(content="lo"), chunk("stop"), chunk(usage=USAGE)]
    )
    assert kinds(events) == [
        "response.created", "response.in_progress", "response.output_item.added",
        "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
        "response.output_text.done", "response.content_part.done", "response.output_item.done",
        "response.completed",
    ]  # fmt: skip
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    created = events[0]["response"]
    assert created["status"] == "in_progress" and created["output"] == [] and created["model"] == "asked"
    item = events[2]["item"]
    assert item["type"] == "message" and item["status"] == "in_progress" and item["content"] == []
    assert all(e["item_id"] == item["id"] and e["output_index"] == 0 for e in events[3:8])
    assert [e["delta"] for e in events[4:6]] == ["Hel", "lo"]
    assert events[6]["text"] == "Hello" and events[7]["part"]["text"] == "Hello"
    assert events[8]["item"]["status"] == "completed"
    final = events[-1]["response"]
    assert final["id"] == created["id"] and final["status"] == "completed"
    assert final["output"] == [events[8]["item"]]
    assert final["usage"]["input_tokens"] == 9 and final["usage"]["output_tokens"] == 3


def test_reasoning_text_and_parallel_function_calls() -> None:
    blocks = [{"type": "thinking", "thinking": "plan", "signature": "sig"}]
    events = run([
        chunk(role="assistant", reasoning_content="pl"), chunk(reasoning_content="an"),
        chunk(thinking_blocks=blocks), chunk(content="checking"),
        chunk(tool_calls=[call(0, "call_a", "w", '{"city":'), call(1, "call_b", "w", '{"city":')]),
        chunk(tool_calls=[call(0, args='"Lima"}'), call(1, args='"Oslo"}')]),
        chunk("tool_calls", usage=USAGE),
    ])  # fmt: skip
    assert kinds(events)[2:] == [
        "response.output_item.added", "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta", "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done", "response.reasoning_summary_part.done",
        "response.output_item.done",
        "response.output_item.added", "response.content_part.added", "response.output_text.delta",
        "response.output_text.done", "response.content_part.done", "response.output_item.done",
        "response.output_item.added", "response.function_call_arguments.delta",
        "response.output_item.added", "response.function_call_arguments.delta",
        "response.function_call_arguments.delta", "response.function_call_arguments.delta",
        "response.function_call_arguments.done", "response.output_item.done",
        "response.function_call_arguments.done", "response.output_item.done",
        "response.completed",
    ]  # fmt: skip
    final = events[-1]["response"]
    reasoning, message, lima, oslo = final["output"]
    assert (
        reasoning["summary"] == [{"type": "summary_text", "text": "plan"}] and reasoning["encrypted_content"]
    )
    assert message["content"][0]["text"] == "checking"
    assert (lima["call_id"], lima["arguments"]) == ("call_a", '{"city":"Lima"}')
    assert (oslo["call_id"], oslo["arguments"]) == ("call_b", '{"city":"Oslo"}')
    # a late argument piece went to its own call's item
    deltas = [e for e in events if e["type"] == "response.function_call_arguments.delta"]
    assert [(e["output_index"], e["delta"]) for e in deltas] == [
        (2, '{"city":'), (3, '{"city":'), (2, '"Lima"}'), (3, '"Oslo"}'),
    ]  # fmt: skip
    assert {e["item_id"] for e in deltas} == {lima["id"], oslo["id"]}


def test_refusal_part_events() -> None:
    events = run([chunk(role="assistant", refusal="I can't"), chunk(refusal=" do that"), chunk("stop")])
    assert "response.refusal.delta" in kinds(events) and "response.output_text.delta" not in kinds(events)
    done = next(e for e in events if e["type"] == "response.refusal.done")
    assert done["refusal"] == "I can't do that"
    assert events[-1]["response"]["output"][0]["content"] == [
        {"type": "refusal", "refusal": "I can't do that"}
    ]


def test_stop_at_max_tokens_ends_incomplete() -> None:
    events = run([chunk(role="assistant", content="cut sh"), chunk("length", usage=USAGE)])
    assert events[-1]["type"] == "response.incomplete"
    final = events[-1]["response"]
    assert final["status"] == "incomplete" and final["incomplete_details"] == {"reason": "max_output_tokens"}
    assert final["output"][0]["status"] == "incomplete"


def test_failure_mid_stream_keeps_finished_items() -> None:
    parsed = decode_request(b'{"model":"asked","input":"x"}')[0]
    encoder = ResponsesStreamEncoder(parsed, "asked")
    out = encoder.feed(chunk(role="assistant", tool_calls=[call(0, "c", "f", "{}")]))
    out += encoder.feed(chunk(content="after the call"))
    out += encoder.fail(RateLimitError("slow down", code="rate_limited"))
    assert encoder.finish() == [] and encoder.fail(RateLimitError("again")) == []
    events = wire_events(encode_events(out))
    assert kinds(events)[-2:] == ["error", "response.failed"]
    error = events[-2]
    assert (error["code"], error["message"]) == ("rate_limited", "slow down")
    failed = events[-1]["response"]
    assert failed["status"] == "failed" and failed["error"] == {
        "code": "rate_limit_exceeded",
        "message": "slow down",
    }
    assert [item["type"] for item in failed["output"]] == ["function_call"]  # the open message is not in it
    assert [e["sequence_number"] for e in events] == list(range(len(events)))


def test_failure_before_any_chunk_still_opens_the_response() -> None:
    encoder = ResponsesStreamEncoder(None, "asked")
    events = wire_events(encode_events(encoder.fail(ServiceUnavailableError("overloaded"))))
    assert kinds(events) == ["response.created", "response.in_progress", "error", "response.failed"]
    assert events[-1]["response"]["error"]["code"] == "server_error"


def test_empty_stream_completes() -> None:
    events = run([])
    assert kinds(events) == ["response.created", "response.in_progress", "response.completed"]
    assert events[-1]["response"]["output"] == []


def normalized(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events with generated ids replaced by their order of appearance (ids are random), and the
    creation time (the clock's) zeroed."""
    text = re.sub(r'"created_at": \d+', '"created_at": 0', json.dumps(events))
    names: dict[str, str] = {}
    text = GENERATED_ID.sub(lambda m: names.setdefault(m.group(0), f"{m.group(1)}_{len(names)}"), text)
    return json.loads(text)  # type: ignore[no-any-return]


GENERATED_ID = re.compile(r"\b(resp|msg|fc|rs|call)_[0-9a-f]{32}\b")


def encode_upstream(provider: str, data: list[bytes]) -> list[dict[str, Any]]:
    """An upstream transcript, read in the given pieces by the provider's decoder, then encoded."""
    decoder = (
        ProviderRegistry().get(provider).chat_stream_decoder(ChatRequest(model="m", messages=[], stream=True))
    )
    chunks = [c for piece in data for c in decoder.feed(piece)] + list(decoder.end())
    return normalized(run(chunks))


@pytest.mark.parametrize(
    ("provider", "path"),
    [("openai", "openai/streams/text.sse"), ("openai", "openai/streams/tool_calls.sse"),
     ("openai", "openai/streams/reasoning.sse"), ("anthropic", "anthropic/streams/thinking.sse"),
     ("anthropic", "anthropic/streams/tools.sse")],
)  # fmt: skip
def test_upstream_bytes_split_anywhere_give_the_same_events(provider: str, path: str) -> None:
    data = (FIXTURES / path).read_bytes()
    whole = encode_upstream(provider, [data])
    assert whole[-1]["type"] in ("response.completed", "response.incomplete")
    rng = random.Random(path)
    for _ in range(30):
        cuts = sorted({rng.randrange(len(data) + 1) for _ in range(rng.randrange(1, 30))})
        pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        assert encode_upstream(provider, pieces) == whole


@pytest.mark.parametrize("path", ["openai/streams/tool_calls.sse", "anthropic/streams/thinking.sse"])
def test_final_response_matches_the_assembled_chat_answer(path: str) -> None:
    provider = path.split("/")[0]
    decoder = (
        ProviderRegistry().get(provider).chat_stream_decoder(ChatRequest(model="m", messages=[], stream=True))
    )
    chunks = list(decoder.feed((FIXTURES / path).read_bytes())) + list(decoder.end())
    final = run(chunks)[-1]["response"]
    message = stream_chunk_builder(chunks).choices[0].message
    texts = [p["text"] for item in final["output"] if item["type"] == "message" for p in item["content"]]
    assert "".join(texts) == (message.content or "")
    calls = [
        (i["call_id"], i["name"], i["arguments"]) for i in final["output"] if i["type"] == "function_call"
    ]
    assert calls == [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or ()]


def test_encoded_sse_split_anywhere_parses_to_the_same_events() -> None:
    data = encode_events(
        [e for e in [*ResponsesStreamEncoder(None, "m").feed(chunk(role="assistant", content="héllo ✓"))]]
    )
    whole = wire_events(data)
    rng = random.Random("sse")
    for _ in range(30):
        cuts = sorted({rng.randrange(len(data) + 1) for _ in range(rng.randrange(1, 20))})
        parser = SSEParser()
        frames = []
        for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True):
            frames += parser.feed(data[a:b])
        frames += parser.end()
        assert [json.loads(f.data) for f in frames] == whole
