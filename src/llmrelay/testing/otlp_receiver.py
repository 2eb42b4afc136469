"""A tiny OTLP/HTTP trace receiver (a stand-in collector) for the OpenTelemetry sink's tests:
POST /v1/traces with a protobuf ExportTraceServiceRequest, decoded with opentelemetry-proto (install
`llmrelay[otel]`); answers with an empty ExportTraceServiceResponse, or a scripted error status.

    with OtlpReceiver() as collector:   # collector.base_url is the sink's endpoint
        ...
        spans = collector.wait_spans(2)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from llmrelay.testing.receiver import ReceiverLog, ReceiverThread, ScriptedStatuses, read_received

PROTOBUF = "application/x-protobuf"


@dataclass
class ReceivedSpan:
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_span_id: str
    start_ns: int
    end_ns: int
    status_code: int
    status_message: str
    attributes: dict[str, Any]
    resource: dict[str, Any]


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    return getattr(value, kind) if kind else None


def decode(body: bytes) -> list[ReceivedSpan]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans: list[ReceivedSpan] = []
    for resource_spans in request.resource_spans:
        resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    ReceivedSpan(
                        name=span.name,
                        kind=span.kind,
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        start_ns=span.start_time_unix_nano,
                        end_ns=span.end_time_unix_nano,
                        status_code=span.status.code,
                        status_message=span.status.message,
                        attributes={a.key: _value(a.value) for a in span.attributes},
                        resource=resource,
                    )
                )
    return spans


class OtlpReceiver:
    def __init__(self) -> None:
        self.log = ReceiverLog()
        self.statuses = ScriptedStatuses()
        self._thread = ReceiverThread([("POST", "/v1/traces", self._handle)])
        self.base_url = ""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        received = await read_received(request)
        self.log.add(received)
        status = self.statuses.next()
        if status is not None:
            return web.Response(status=status, text="scripted failure")
        if received.headers.get("content-type") != PROTOBUF:
            return web.Response(status=415, text="expected protobuf")
        decode(received.body)  # a body that does not parse answers 500
        return web.Response(body=ExportTraceServiceResponse().SerializeToString(), content_type=PROTOBUF)

    def spans(self) -> list[ReceivedSpan]:
        return [
            s for r in self.log.items if r.headers.get("content-type") == PROTOBUF for s in decode(r.body)
        ]

    def wait_spans(self, count: int, timeout: float = 10.0) -> list[ReceivedSpan]:
        self.log.wait_for(lambda items: sum(len(decode(r.body)) for r in items) >= count, timeout)
        return self.spans()

    def __enter__(self) -> OtlpReceiver:
        self.base_url = self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._thread.stop()
