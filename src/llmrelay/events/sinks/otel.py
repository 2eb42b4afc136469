"""OpenTelemetry traces: one CLIENT span per logical call (however many retries and fallbacks it
took), with the call's real start and end times and the GenAI semantic conventions' attributes
(`genai.span_attributes`).

The sink owns its TracerProvider (the process-wide one is never set or changed), exports through a
BatchSpanProcessor (its own thread: the hook only builds the span and hands it over) to OTLP/HTTP, and
is flushed and shut down by `close()`. A call made under an incoming W3C `traceparent` (the gateway
passes the header in the call's metadata) gets a span that is that trace's child.

Bounded: at most `max_queue_size` spans wait for export; past that, spans are dropped and counted
(`dropped`), never queued without limit. Export failures are logged at most once a minute.
Configuration: `callback_settings.otel` (endpoint, headers, service_name, log_messages...) or the
standard OTEL_EXPORTER_OTLP_* / OTEL_SERVICE_NAME variables (LiteLLM's OTEL_ENDPOINT / OTEL_HEADERS
too). Imports the OpenTelemetry SDK when built: install `llmrelay[otel]`."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from llmrelay.events.record import CallRecord
from llmrelay.events.sinks.facts import error_message
from llmrelay.events.sinks.genai import span_attributes, span_name
from llmrelay.events.sinks.headers import parse_headers
from llmrelay.events.sinks.throttled_log import ThrottledLog
from llmrelay.version import __version__

log = logging.getLogger("llmrelay.sinks.otel")

DEFAULT_SERVICE_NAME = "llmrelay"
TRACES_PATH = "/v1/traces"


class _CountingExporter(SpanExporter):
    """Counts the spans the batch processor has finished with (exported or not), so the sink knows
    how many still wait; logs failed exports, throttled."""

    def __init__(self, inner: SpanExporter, failures: ThrottledLog) -> None:
        self.inner = inner
        self.finished = 0  # written on the processor's thread only
        self.failed = 0
        self._failures = failures

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result = SpanExportResult.FAILURE
        try:
            result = self.inner.export(spans)
        except Exception as exc:  # noqa: BLE001 - logged (throttled); must not end the processor thread
            self._failures.warning("otel: exporting %d spans raised %s", len(spans), type(exc).__name__)
        finally:
            self.finished += len(spans)
        if result is not SpanExportResult.SUCCESS:
            self.failed += len(spans)
            self._failures.warning(
                "otel: %d spans could not be exported (%d so far)", len(spans), self.failed
            )
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.inner.force_flush(timeout_millis)


class OtelSink:
    # the hook builds a span and hands it to the batch processor's queue: it never waits on I/O
    loop_safe = True

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        headers: Mapping[str, str] | str | None = None,
        service_name: str | None = None,
        log_messages: bool = False,
        exporter: SpanExporter | None = None,
        max_queue_size: int = 2048,
        max_export_batch_size: int = 512,
        schedule_delay_ms: float = 1000.0,
        export_timeout_s: float = 10.0,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self.log_messages = log_messages
        # a relayed stream's response is decoded for the records only if contents are exported
        self.wants_contents = log_messages
        self.max_queue_size = max_queue_size
        self.dropped = 0
        self._handed = 0
        self._drops = ThrottledLog(log)
        if exporter is None:
            exporter = _otlp_exporter(endpoint, headers, export_timeout_s, env)
        self._exporter = _CountingExporter(exporter, ThrottledLog(log))
        resource = Resource.create(
            {
                "service.name": service_name or env.get("OTEL_SERVICE_NAME") or DEFAULT_SERVICE_NAME,
                "service.version": __version__,
            }
        )
        # our own provider, never the global one: two sinks (or an application's own tracing) never
        # mix; shut down by close(), not by an atexit hook
        self._provider = TracerProvider(resource=resource, shutdown_on_exit=False)
        self._provider.add_span_processor(
            BatchSpanProcessor(
                self._exporter,
                # the processor's own bound is never reached: the sink drops (and counts) first
                max_queue_size=max_queue_size + max_export_batch_size,
                max_export_batch_size=max_export_batch_size,
                schedule_delay_millis=schedule_delay_ms,
            )
        )
        self._tracer = self._provider.get_tracer("llmrelay", __version__)
        self._propagator = TraceContextTextMapPropagator()
        self._closed = False

    # ---- router hooks
    def on_success(self, record: CallRecord) -> None:
        self._span(record)

    def on_stream_complete(self, record: CallRecord) -> None:
        self._span(record)

    def on_failure(self, record: CallRecord) -> None:
        self._span(record)

    def _span(self, record: CallRecord) -> None:
        if self._closed:
            return
        if self._handed - self._exporter.finished >= self.max_queue_size:
            self.dropped += 1
            self._drops.warning("otel: export queue full, %d spans dropped so far", self.dropped)
            return
        span = self._tracer.start_span(
            span_name(record),
            context=self._parent(record),
            kind=SpanKind.CLIENT,
            attributes=span_attributes(record, log_messages=self.log_messages),
            start_time=_nanos(record.start_time),
            # span.end() records it: a hook must never raise into the dispatcher's loop
            record_exception=False,
            set_status_on_exception=False,
        )
        error = record.error
        if error is not None:
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error_message(error)}"))
        self._handed += 1
        span.end(end_time=_nanos(record.end_time))

    def _parent(self, record: CallRecord) -> Context | None:
        metadata = record.metadata
        traceparent = metadata.get("traceparent") if metadata else None
        if not isinstance(traceparent, str) or not traceparent:
            return None
        carrier = {"traceparent": traceparent}
        tracestate = metadata.get("tracestate") if metadata else None
        if isinstance(tracestate, str) and tracestate:
            carrier["tracestate"] = tracestate
        # a malformed header gives an empty context: the span starts a trace of its own
        return self._propagator.extract(carrier)

    # ---- lifecycle
    def flush(self, timeout_s: float = 10.0) -> bool:
        """Export every span ended so far; False if that took longer than `timeout_s`."""
        return self._provider.force_flush(int(timeout_s * 1000))

    def close(self) -> None:
        """Export what is queued, then stop the processor's thread and the exporter."""
        if self._closed:
            return
        self._closed = True
        self._provider.shutdown()

    @property
    def exported_failures(self) -> int:
        return self._exporter.failed


def _nanos(epoch_seconds: float) -> int:
    return int(epoch_seconds * 1_000_000_000)


def _otlp_exporter(
    endpoint: str | None, headers: Mapping[str, str] | str | None, timeout_s: float, env: Mapping[str, str]
) -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    standard = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" in env or "OTEL_EXPORTER_OTLP_ENDPOINT" in env
    if endpoint is None and not standard and env.get("OTEL_ENDPOINT"):
        endpoint = env["OTEL_ENDPOINT"]  # LiteLLM's name
    standard_headers = "OTEL_EXPORTER_OTLP_TRACES_HEADERS" in env or "OTEL_EXPORTER_OTLP_HEADERS" in env
    if headers is None and not standard_headers and env.get("OTEL_HEADERS"):
        headers = env["OTEL_HEADERS"]  # LiteLLM's name
    return OTLPSpanExporter(
        endpoint=None if endpoint is None else traces_url(endpoint),
        headers=None if headers is None else parse_headers(headers, "otel headers"),
        timeout=timeout_s,
    )


def traces_url(endpoint: str) -> str:
    """A configured endpoint as the traces URL: a bare collector address (no path) gets OTLP's
    `/v1/traces`, as OTEL_EXPORTER_OTLP_ENDPOINT does; a URL with a path is used as it is."""
    parts = urlsplit(endpoint)
    if parts.path in ("", "/"):
        return endpoint.rstrip("/") + TRACES_PATH
    return endpoint
