"""The OpenTelemetry sink: one CLIENT span per call with the GenAI conventions' attributes, the
record's own times, errors as span status, no secrets, contents only when asked for, the caller's
traceparent as parent, a bounded queue."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from records import auth_error, record

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from llmrelay.events.sinks.headers import parse_headers
from llmrelay.events.sinks.otel import OtelSink, traces_url
from llmrelay.testing.otlp_receiver import OtlpReceiver, decode
from llmrelay.types.chat import ChatRequest, Message
from llmrelay.types.response import ChatResponse, Choice, ResponseMessage, Usage

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


def finished(exporter: InMemorySpanExporter, sink: OtelSink) -> list[ReadableSpan]:
    sink.close()
    return list(exporter.get_finished_spans())


def sink_with(**options: Any) -> tuple[OtelSink, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    return OtelSink(exporter=exporter, environ={}, **options), exporter


def response() -> ChatResponse:
    return ChatResponse(
        id="chatcmpl-7",
        created=1,
        model="gpt-4o-mini-2024-07-18",
        choices=[Choice(index=0, message=ResponseMessage(content="the answer"), finish_reason="stop")],
        usage=Usage(prompt_tokens=11, completion_tokens=7, total_tokens=18),
    )


def test_a_span_per_call_with_genai_attributes_and_real_times() -> None:
    sink, exporter = sink_with()
    request = ChatRequest(
        model="gpt-group",
        messages=[Message(role="user", content="the secret plan")],
        temperature=0.2,
        max_tokens=64,
        stop="END",
    )
    principal = SimpleNamespace(kind="virtual_key", key_hash="h4sh", key_alias="ci", team_id="t-1")
    metadata = {"request_id": "req-9", "principal": principal, "api_key": "sk-should-never-appear"}
    sink.on_success(record(request=request, response=response(), attempts=2, metadata=metadata))
    (span,) = finished(exporter, sink)
    assert span.name == "chat gpt-group"
    assert span.kind is SpanKind.CLIENT
    assert span.start_time == 1000 * 10**9 and span.end_time == 1000_250_000_000
    assert span.status.status_code is StatusCode.UNSET
    assert span.parent is None
    attrs = dict(span.attributes or {})
    assert attrs == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-group",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 64,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.response.id": "chatcmpl-7",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 11,
        "gen_ai.usage.output_tokens": 7,
        "llmrelay.call_id": "call-1",
        "llmrelay.stream": False,
        "llmrelay.attempts": 2,
        "llmrelay.cost_usd": 0.0025,
        "llmrelay.latency_s": 0.25,
        "llmrelay.model_group": "gpt-group",
        "llmrelay.deployment": "dep-1",
        "llmrelay.request_id": "req-9",
        "llmrelay.principal_kind": "virtual_key",
        "llmrelay.key_alias": "ci",
        "llmrelay.team_id": "t-1",
    }
    assert span.resource.attributes["service.name"] == "llmrelay"


def test_a_failed_call_is_an_error_span_without_secrets() -> None:
    sink, exporter = sink_with()
    sink.on_failure(record(error=auth_error()))
    (span,) = finished(exporter, sink)
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "AuthenticationError: Incorrect API key provided: sk-***"
    attrs = dict(span.attributes or {})
    assert attrs["error.type"] == "AuthenticationError"
    assert attrs["llmrelay.error.status_code"] == 401
    assert attrs["llmrelay.error.code"] == "invalid_api_key"
    assert "gen_ai.usage.input_tokens" not in attrs
    dumped = repr(span.to_json())
    for secret in ("sk-abcdef123456", "sk-should-never-appear", "h4sh", "the secret plan"):
        assert secret not in dumped


def test_contents_only_when_opted_in() -> None:
    request = ChatRequest(
        model="gpt-group",
        messages=[
            Message(role="system", content="be brief"),
            Message(role="user", content="the secret plan"),
        ],
    )
    quiet, quiet_exporter = sink_with()
    assert quiet.wants_contents is False
    quiet.on_success(record(request=request, response=response()))
    (span,) = finished(quiet_exporter, quiet)
    assert not any(
        k.startswith(("gen_ai.input", "gen_ai.output", "gen_ai.system_i")) for k in span.attributes or {}
    )

    loud, loud_exporter = sink_with(log_messages=True)
    assert loud.wants_contents is True
    loud.on_success(record(request=request, response=response()))
    (span,) = finished(loud_exporter, loud)
    attrs = dict(span.attributes or {})
    assert json.loads(str(attrs["gen_ai.system_instructions"])) == [{"type": "text", "content": "be brief"}]
    assert json.loads(str(attrs["gen_ai.input.messages"])) == [
        {"role": "user", "parts": [{"type": "text", "content": "the secret plan"}]}
    ]
    assert json.loads(str(attrs["gen_ai.output.messages"])) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "the answer"}], "finish_reason": "stop"}
    ]


def test_the_callers_traceparent_is_the_parent() -> None:
    sink, exporter = sink_with()
    metadata = {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01", "tracestate": "vendor=1"}
    sink.on_success(record(metadata=metadata))
    sink.on_success(record(call_id="call-2", metadata={"traceparent": "garbage"}))
    first, second = finished(exporter, sink)
    assert first.context is not None and first.parent is not None
    assert format(first.context.trace_id, "032x") == TRACE_ID
    assert format(first.parent.span_id, "016x") == PARENT_ID
    assert first.parent.is_remote
    assert first.context.trace_state.get("vendor") == "1"
    assert second.parent is None  # a malformed header starts a trace of its own
    assert second.context is not None and format(second.context.trace_id, "032x") != TRACE_ID


def test_streams_and_embeddings() -> None:
    sink, exporter = sink_with()
    sink.on_stream_complete(record(stream=True))
    sink.on_success(record(call_type="embedding", provider="gemini", call_id="call-2"))
    stream, embedding = finished(exporter, sink)
    assert stream.attributes is not None and embedding.attributes is not None
    assert stream.attributes["llmrelay.time_to_first_token_s"] == 0.05
    assert stream.attributes["llmrelay.stream"] is True
    assert embedding.name == "embeddings gpt-group"
    assert embedding.attributes["gen_ai.provider.name"] == "gcp.gemini"


class StuckExporter(SpanExporter):
    """Holds the processor's thread on its first batch until released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.exported: list[str] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.entered.set()
        self.release.wait(10)
        self.exported.extend(str((s.attributes or {})["llmrelay.call_id"]) for s in spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self.release.set()


def test_a_stuck_exporter_drops_and_counts_past_the_bound() -> None:
    exporter = StuckExporter()
    sink = OtelSink(
        exporter=exporter, environ={}, max_queue_size=4, max_export_batch_size=1, schedule_delay_ms=1
    )
    sink.on_success(record(call_id="c0"))
    assert exporter.entered.wait(5)  # c0 is being exported, the thread is stuck
    for i in range(1, 10):
        sink.on_success(record(call_id=f"c{i}"))
    # c0 in the exporter and c1..c3 queued: four in flight, the bound
    assert sink.dropped == 6
    exporter.release.set()
    sink.close()
    assert exporter.exported == ["c0", "c1", "c2", "c3"]


class FailingExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        raise ConnectionError("collector down")

    def shutdown(self) -> None:
        return None


def test_export_failures_are_counted_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    sink = OtelSink(exporter=FailingExporter(), environ={}, max_export_batch_size=1)
    for i in range(3):
        sink.on_success(record(call_id=f"c{i}"))
    sink.close()
    assert sink.exported_failures == 3
    warnings = [r for r in caplog.records if r.name == "llmrelay.sinks.otel"]
    assert len(warnings) == 1 and "ConnectionError" in warnings[0].getMessage()
    sink.on_success(record())  # after close: ignored, not raised


def test_service_name_from_settings_then_environment() -> None:
    names = []
    for setting in ("gw", None):
        exporter = InMemorySpanExporter()
        sink = OtelSink(exporter=exporter, service_name=setting, environ={"OTEL_SERVICE_NAME": "env"})
        sink.on_success(record())
        (span,) = finished(exporter, sink)
        names.append(span.resource.attributes["service.name"])
    assert names == ["gw", "env"]


def test_endpoint_and_headers_forms() -> None:
    assert traces_url("http://collector:4318") == "http://collector:4318/v1/traces"
    assert traces_url("http://collector:4318/") == "http://collector:4318/v1/traces"
    assert traces_url("https://x.example/api/otel/v1/traces") == "https://x.example/api/otel/v1/traces"
    assert parse_headers("Authorization=Basic%20abc, x-team = t1") == {
        "authorization": "Basic abc",
        "x-team": "t1",
    }
    assert parse_headers({"A": "b"}) == {"A": "b"}
    with pytest.raises(ValueError, match="otel headers: entry 2") as info:
        parse_headers("a=1,secret-token-without-name", "otel headers")
    assert "secret-token" not in str(info.value)


def test_otlp_http_export_with_configured_endpoint_and_headers() -> None:
    with OtlpReceiver() as receiver:
        sink = OtelSink(endpoint=receiver.base_url, headers="x-team=t1", environ={})
        sink.on_success(record())
        sink.close()
        (span,) = receiver.wait_spans(1)
        (request,) = receiver.log.items
    assert request.headers["x-team"] == "t1"
    assert span.name == "chat gpt-group" and span.attributes["gen_ai.usage.input_tokens"] == 11
    assert span.start_ns == 1000 * 10**9


def test_litellm_variables_and_a_failing_collector(caplog: pytest.LogCaptureFixture) -> None:
    with OtlpReceiver() as receiver:
        receiver.statuses.script(400)  # not retried by the exporter: counted and logged
        env = {"OTEL_ENDPOINT": receiver.base_url, "OTEL_HEADERS": "authorization=Bearer%20tok"}
        sink = OtelSink(environ=env, max_export_batch_size=1, schedule_delay_ms=1)
        sink.on_success(record(call_id="c0"))
        receiver.log.wait_for(lambda items: len(items) == 1)
        sink.on_success(record(call_id="c1"))
        sink.close()
        requests = receiver.log.wait_for(lambda items: len(items) == 2)
    # the first export was refused (400, not retried); the second carries c1 alone
    assert [s.attributes["llmrelay.call_id"] for s in decode(requests[1].body)] == ["c1"]
    assert all(r.headers["authorization"] == "Bearer tok" for r in requests)
    assert sink.exported_failures == 1
    assert "Bearer tok" not in caplog.text
