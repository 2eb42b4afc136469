"""The JSON-lines sink: one object per call, no secrets, no message contents unless asked for,
buffered writes flushed on a timer or at close."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

from records import auth_error, record

from llmrelay.events.sinks.jsonlog import JsonLogSink, mask_secrets


def lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_one_line_per_call_with_usage_cost_and_caller(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    sink = JsonLogSink(str(path))
    sink.on_success(record())
    sink.on_stream_complete(record(stream=True, call_id="call-2"))
    sink.close()
    first, second = lines(path.read_text())
    assert first["call_id"] == "call-1" and second["call_id"] == "call-2"
    assert first["status"] == "ok" and first["provider"] == "openai" and first["model_group"] == "gpt-group"
    assert first["prompt_tokens"] == 11 and first["completion_tokens"] == 7 and first["cost_usd"] == 0.0025
    assert first["request_id"] == "req-9" and first["endpoint"] == "/v1/chat/completions"
    assert first["principal"] == {"kind": "master", "key_hash": "h4sh"}
    assert "ttft_s" not in first and second["ttft_s"] == 0.05


def test_no_secrets_and_no_contents_by_default() -> None:
    out = io.StringIO()
    sink = JsonLogSink(stream=out)
    sink.on_failure(record(error=auth_error()))
    sink.close()
    text = out.getvalue()
    assert "sk-should-never-appear" not in text and '"api_key"' not in text
    assert "sk-abcdef123456" not in text and "sk-***" in text
    assert "the secret plan" not in text
    (entry,) = lines(text)
    assert entry["status"] == "error"
    assert entry["error"] == {
        "type": "AuthenticationError",
        "status_code": 401,
        "code": "invalid_api_key",
        "message": "Incorrect API key provided: sk-***",
    }


def test_message_contents_when_configured() -> None:
    out = io.StringIO()
    sink = JsonLogSink(stream=out, log_messages=True)
    sink.on_success(record())
    sink.close()
    (entry,) = lines(out.getvalue())
    assert entry["messages"] == [{"role": "user", "content": "the secret plan"}]


class FlushSignal(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushed = asyncio.Event()

    def flush(self) -> None:
        super().flush()
        self.flushed.set()


async def test_lines_wait_for_the_flush_interval() -> None:
    out = FlushSignal()
    sink = JsonLogSink(stream=out, flush_seconds=0.05)
    sink.on_success(record())
    sink.on_success(record(call_id="call-2"))
    assert out.getvalue() == ""  # buffered: no write per call
    await asyncio.wait_for(out.flushed.wait(), 5)
    assert [e["call_id"] for e in lines(out.getvalue())] == ["call-1", "call-2"]


def test_a_full_buffer_is_written_at_once() -> None:
    out = io.StringIO()
    sink = JsonLogSink(stream=out, flush_bytes=1)
    sink.on_success(record())
    assert len(lines(out.getvalue())) == 1


def test_mask_secrets_keeps_the_rest() -> None:
    assert mask_secrets("bad key sk-proj-AbCdEf0123 for Bearer abcdefgh!") == "bad key sk-*** for Bearer ***!"
    assert mask_secrets("model not found") == "model not found"
