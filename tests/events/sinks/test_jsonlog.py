"""The JSON-lines sink: one object per call, no secrets, no message contents unless asked for,
buffered writes flushed on a timer or at close."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from types import SimpleNamespace

from records import auth_error, record

from llmrelay.calls.principal import MASTER, Principal
from llmrelay.events.sinks.jsonlog import JsonLogSink, mask_secrets
from llmrelay.types.response import Usage


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


def test_a_line_with_every_optional_field() -> None:
    out = io.StringIO()
    sink = JsonLogSink(stream=out, log_messages=True)
    principal = SimpleNamespace(
        kind="virtual_key",
        key_hash="h4sh",
        key_alias="ci",
        user_id="u-1",
        team_id="t-1",
        organization_id="o-1",
    )
    metadata = {
        "request_id": "req-9",
        "endpoint": "/v1/chat/completions",
        "tags": ["batch", {"tier": 2}],
        "fallback_from": "gpt-big",
        "user": "alice",
        "principal": principal,
        "api_key": "sk-should-never-appear",
    }
    sink.on_failure(
        record(
            error=auth_error(),
            stream=True,
            end_time=1795607241.2234567891,
            latency_s=0.0004123456,
            time_to_first_token_s=0.0500004,
            usage=Usage(prompt_tokens=11, completion_tokens=7, total_tokens=18),
            cost_micros=2500,
            attempts=2,
            metadata=metadata,
            response={"id": "resp-1"},
        )
    )
    sink.close()
    (entry,) = lines(out.getvalue())
    expected = {
        "ts": 1795607241.223457,
        "call_id": "call-1",
        "call_type": "completion",
        "model": "gpt-group",
        "model_group": "gpt-group",
        "provider": "openai",
        "deployment": "dep-1",
        "stream": True,
        "status": "error",
        "latency_s": 0.000412,
        "attempts": 2,
        "cost_usd": 0.0025,
        "ttft_s": 0.05,
        "prompt_tokens": 11,
        "completion_tokens": 7,
        "total_tokens": 18,
        "error": {
            "type": "AuthenticationError",
            "status_code": 401,
            "code": "invalid_api_key",
            "message": "Incorrect API key provided: sk-***",
        },
        "request_id": "req-9",
        "endpoint": "/v1/chat/completions",
        "tags": ["batch", {"tier": 2}],
        "fallback_from": "gpt-big",
        "user": "alice",
        "principal": {
            "kind": "virtual_key",
            "key_hash": "h4sh",
            "key_alias": "ci",
            "user_id": "u-1",
            "team_id": "t-1",
            "organization_id": "o-1",
        },
        "messages": [{"role": "user", "content": "the secret plan"}],
        "response": {"id": "resp-1"},
    }
    assert entry == expected and list(entry) == list(expected)


def test_a_line_with_no_optional_field() -> None:
    out = io.StringIO()
    sink = JsonLogSink(stream=out)
    sink.on_success(
        record(usage=None, metadata=None, model_group=None, provider=None, deployment=None, cost_micros=0)
    )
    sink.on_success(record(usage=None, metadata={"request_id": None, "principal": None, "other": 1}))
    sink.close()
    first, second = lines(out.getvalue())
    expected = {
        "ts": 1000.25,
        "call_id": "call-1",
        "call_type": "completion",
        "model": "gpt-group",
        "model_group": None,
        "provider": None,
        "deployment": None,
        "stream": False,
        "status": "ok",
        "latency_s": 0.25,
        "attempts": 1,
        "cost_usd": 0.0,
    }
    assert first == expected and list(first) == list(expected)
    assert list(second) == list(expected)


def test_each_principal_logs_its_own_facts() -> None:
    out = io.StringIO()
    sink = JsonLogSink(stream=out)
    mutable = SimpleNamespace(kind="virtual_key", key_hash="k1")
    for principal in (MASTER, Principal(kind="virtual_key", key_hash="k2"), MASTER, mutable):
        sink.on_success(record(metadata={"principal": principal}))
    mutable.key_hash = "k3"  # not immutable, so read again
    sink.on_success(record(metadata={"principal": mutable}))
    sink.close()
    assert [e["principal"] for e in lines(out.getvalue())] == [
        {"kind": "master"},
        {"kind": "virtual_key", "key_hash": "k2"},
        {"kind": "master"},
        {"kind": "virtual_key", "key_hash": "k1"},
        {"kind": "virtual_key", "key_hash": "k3"},
    ]
