"""What every provider simulator shares: request recording, fault application, auth and error
envelopes, and the writers for JSON answers and SSE streams.

A provider subclass declares its routes and builds answers (`JsonReply` / `StreamReply`) from the
parsed request; this base applies the faults around them, so every provider misbehaves the same way.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import msgspec
from aiohttp import web

from llmrelay.testing.faults import NO_FAULT, Fault, FaultControls, FaultHeaderError, parse_fault_header
from llmrelay.testing.recorder import RecordedRequest, RequestLog

FAULT_HEADER = "x-sim-fault"
CHUNKS_HEADER = "x-sim-chunks"
ADMIN_PREFIX = "/_sim"

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


@dataclass(frozen=True, slots=True)
class SimulatorSettings:
    """How a simulator behaves when no fault is set.

    api_keys        keys accepted (None: any non-empty key)
    chunks          content deltas per stream (None: one per word, as models stream)
    chunk_delay     seconds between stream events
    context_window  prompt tokens above which the provider's context-window error is returned
    record_limit    requests kept in `requests` (counters always count all of them)
    """

    api_keys: frozenset[str] | None = None
    chunks: int | None = None
    chunk_delay: float = 0.0
    context_window: int = 128_000
    record_limit: int | None = 10_000


class ProviderError(Exception):
    """Raised by a handler to answer with the provider's error envelope."""

    def __init__(self, status: int, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail


@dataclass(slots=True)
class JsonReply:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class StreamReply:
    """A stream as a list of complete SSE events (bytes, framing included)."""

    events: list[bytes]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class BytesReply:
    """A binary answer (OpenAI's text-to-speech audio)."""

    body: bytes
    content_type: str


Reply = JsonReply | StreamReply | BytesReply


@dataclass(slots=True)
class Call:
    """One request as a handler sees it."""

    path: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: Any
    match: Mapping[str, str]
    chunks: int | None
    # what request signing covers (AWS SigV4): the method, the path as sent (still percent-encoded,
    # with its query) and the body bytes
    method: str = "POST"
    raw_path: str = ""
    raw_body: bytes = b""


Handler = Callable[[Call], Awaitable[Reply]]


class ProviderSimulator:
    """Base of the OpenAI, Anthropic and Gemini simulators."""

    kind: ClassVar[str] = ""
    # what LiteLLM calls this provider's api_base, relative to the server root
    api_base_path: ClassVar[str] = ""
    stream_content_type: ClassVar[str] = "text/event-stream"
    default_context_window: ClassVar[int] = 128_000
    # an API that takes a file's bytes as the body (Deepgram's /v1/listen): a body whose content type
    # is not JSON is left to the handler (`Call.raw_body`), not refused as malformed JSON
    takes_binary_bodies: ClassVar[bool] = False

    def __init__(
        self,
        *,
        api_keys: frozenset[str] | set[str] | list[str] | tuple[str, ...] | None = None,
        chunks: int | None = None,
        chunk_delay: float = 0.0,
        context_window: int | None = None,
        record_limit: int | None = 10_000,
    ) -> None:
        self.defaults = SimulatorSettings(
            api_keys=frozenset(api_keys) if api_keys is not None else None,
            chunks=chunks,
            chunk_delay=chunk_delay,
            context_window=context_window or self.default_context_window,
            record_limit=record_limit,
        )
        self.settings = self.defaults
        self.faults = FaultControls()
        self.requests = RequestLog(record_limit)

    # ---- configuration from tests
    def configure(self, **changes: Any) -> None:
        """Change settings (see SimulatorSettings) until the next reset()."""
        if "api_keys" in changes and changes["api_keys"] is not None:
            changes["api_keys"] = frozenset(changes["api_keys"])
        self.settings = replace(self.settings, **changes)

    def reset(self) -> None:
        """Forget requests, faults and setting changes."""
        self.faults.clear()
        self.requests.clear()
        self.settings = self.defaults
        self.reset_state()

    def reset_state(self) -> None:
        """Subclasses drop their own state here (e.g. a prompt cache)."""

    # ---- what each provider defines
    def routes(self) -> list[tuple[str, str, Handler]]:
        raise NotImplementedError

    def error_body(self, status: int, message: str, **detail: Any) -> Any:
        """The provider's error envelope."""
        raise NotImplementedError

    def error_headers(self, retry_after: float | None) -> dict[str, str]:
        return {"retry-after": _seconds(retry_after)} if retry_after is not None else {}

    def stream_error_event(self, status: int, message: str) -> bytes:
        """The provider's in-stream error event (sent after a 200 has begun)."""
        raise NotImplementedError

    def broken_event(self) -> bytes:
        """A stream event that does not decode (the invalid_json fault, mid-stream)."""
        return b'data: {"broken": \n\n'

    def check_auth(self, call: Call) -> ProviderError | None:
        raise NotImplementedError

    def kind_error(self, kind: str, call: Call) -> Reply | ProviderError:
        """The provider's answer to a context-window or content-policy fault."""
        raise NotImplementedError

    def default_message(self, status: int) -> str:
        return _DEFAULT_MESSAGES.get(status, f"Simulated error {status}")

    def key_accepted(self, key: str | None) -> bool:
        if not key:
            return False
        keys = self.settings.api_keys
        return keys is None or key in keys

    # ---- serving
    def add_to(self, app: web.Application) -> None:
        for method, path, handler in self.routes():
            app.router.add_route(method, path, self._endpoint(handler))
        base = f"{ADMIN_PREFIX}/{self.kind}"
        app.router.add_post(f"{base}/faults", self._admin_set_fault)
        app.router.add_delete(f"{base}/faults", self._admin_clear_faults)
        app.router.add_post(f"{base}/reset", self._admin_reset)
        app.router.add_get(f"{base}/stats", self._admin_stats)
        app.router.add_get(f"{base}/requests", self._admin_requests)

    def _endpoint(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def endpoint(request: web.Request) -> web.StreamResponse:
            return await self._serve(request, handler)

        return endpoint

    async def _serve(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        raw = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        body: Any = None
        malformed = False
        body_kind = "JSON"
        if raw and headers.get("content-type", "").lower().startswith("multipart/form-data"):
            body_kind = "multipart/form-data"
            body = form_fields(headers["content-type"], raw)
            malformed = body is None
        elif raw and self.takes_binary_bodies and "json" not in headers.get("content-type", "json"):
            body_kind = "binary"
        elif raw:
            try:
                body = _decode(raw)
            except msgspec.DecodeError:
                malformed = True
        query = dict(request.query)
        self.requests.add(
            RecordedRequest(
                method=request.method,
                path=request.path,
                headers=headers,
                query=query,
                body=body,
                raw_body=raw,
                received_at=time.time(),
            )
        )
        try:
            fault = self._fault_for(request.path, headers)
            chunks = int(headers[CHUNKS_HEADER]) if CHUNKS_HEADER in headers else self.settings.chunks
        except (FaultHeaderError, ValueError) as exc:
            return self._error_response(ProviderError(400, str(exc)))
        if fault.latency:
            await asyncio.sleep(fault.latency)
        call = Call(
            request.path,
            headers,
            query,
            body,
            request.match_info,
            chunks,
            request.method,
            request.raw_path,
            raw,
        )
        denied = self.check_auth(call)
        if denied is not None:
            return self._error_response(denied)
        if fault.status is not None:
            error = ProviderError(fault.status, fault.message or self.default_message(fault.status))
            return self._error_response(error, fault.retry_after)
        try:
            if malformed:
                raise ProviderError(400, f"We could not parse the {body_kind} body of your request.")
            if fault.kind is not None:
                outcome = self.kind_error(fault.kind, call)
                if isinstance(outcome, ProviderError):
                    raise outcome
                reply = outcome
            else:
                reply = await handler(call)
        except ProviderError as exc:
            return self._error_response(exc)
        if isinstance(reply, StreamReply):
            return await self._write_stream(request, reply, fault)
        if isinstance(reply, BytesReply):
            return web.Response(body=reply.body, status=200, content_type=reply.content_type)
        payload = _encode(reply.body)
        if fault.invalid_json:
            payload = payload[: max(1, len(payload) // 2)]
        return web.Response(
            body=payload, status=reply.status, headers=reply.headers, content_type="application/json"
        )

    def _fault_for(self, path: str, headers: Mapping[str, str]) -> Fault:
        header = headers.get(FAULT_HEADER)
        if header:
            return parse_fault_header(header)
        return self.faults.take(path)

    def _error_response(self, error: ProviderError, retry_after: float | None = None) -> web.Response:
        body = self.error_body(error.status, error.message, **error.detail)
        return web.Response(
            body=_encode(body),
            status=error.status,
            headers=self.error_headers(retry_after),
            content_type="application/json",
        )

    async def _write_stream(
        self, request: web.Request, reply: StreamReply, fault: Fault
    ) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"cache-control": "no-cache", **reply.headers})
        response.content_type = self.stream_content_type
        await response.prepare(request)
        events = reply.events
        delay = fault.chunk_delay if fault.chunk_delay is not None else self.settings.chunk_delay
        if fault is NO_FAULT and not delay:
            # the common, fast case: the whole stream in one write
            await response.write(b"".join(events))
            await response.write_eof()
            return response
        broken_at = len(events) // 2 if fault.invalid_json else -1
        for i, event in enumerate(events):
            if fault.cut_after is not None and i >= fault.cut_after:
                # drop the connection without ending the chunked body: the client sees a cut stream
                if request.transport is not None:
                    request.transport.close()
                return response
            if fault.error_after is not None and i >= fault.error_after:
                await response.write(self.stream_error_event(500, fault.message or "Internal server error"))
                break
            if i and delay:
                await asyncio.sleep(delay)
            await response.write(self.broken_event() if i == broken_at else event)
        await response.write_eof()
        return response

    # ---- admin API, for processes that cannot reach this object (not recorded, no auth)
    async def _admin_set_fault(self, request: web.Request) -> web.Response:
        try:
            settings = msgspec.json.decode(await request.read(), type=dict[str, Any])
            times = settings.pop("times", None)
            fault = self.faults.set(times=times, **settings)
        except (msgspec.DecodeError, TypeError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"armed": msgspec.to_builtins(fault), "times": times})

    async def _admin_clear_faults(self, request: web.Request) -> web.Response:
        self.faults.clear()
        return web.json_response({"cleared": True})

    async def _admin_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"reset": True})

    async def _admin_stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "total": self.requests.count(),
                "per_path": self.requests.per_path(),
                "per_minute": {str(k): v for k, v in self.requests.per_minute().items()},
            }
        )

    async def _admin_requests(self, request: web.Request) -> web.Response:
        items = [
            {"method": r.method, "path": r.path, "body": r.body, "repr": repr(r)}
            for r in self.requests.snapshot()
        ]
        return web.Response(body=_encode(items), content_type="application/json")


def form_fields(content_type: str, raw: bytes) -> dict[str, Any] | None:
    """A multipart/form-data body as a dict: a text field as its string, a file as
    {"filename", "content_type", "data"}, an array's `name[]` parts as a list under `name[]` (read
    with the standard library's MIME parser, not llmrelay's); None when it is not a form."""
    message = email.message_from_bytes(
        b"content-type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw, policy=email.policy.HTTP
    )
    if not message.is_multipart():
        return None
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            return None
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            return None
        filename = part.get_filename()
        if filename is None:
            value: Any = data.decode("utf-8", errors="replace")
        else:
            value = {"filename": filename, "content_type": part.get_content_type(), "data": data}
        if name.endswith("[]"):
            fields.setdefault(name, []).append(value)
        else:
            fields[name] = value
    return fields


def encode_json(value: Any) -> bytes:
    return _encode(value)


def sse_data(value: Any) -> bytes:
    """`data: <json>` framed as one SSE event."""
    return b"data: " + _encode(value) + b"\n\n"


def sse_event(name: str, value: Any) -> bytes:
    """A named SSE event (`event:` line, then `data:`)."""
    return b"event: " + name.encode() + b"\ndata: " + _encode(value) + b"\n\n"


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


_DEFAULT_MESSAGES = {
    400: "Invalid request.",
    401: "Invalid authentication credentials.",
    403: "You do not have permission to use this resource.",
    404: "The requested resource was not found.",
    408: "The request timed out.",
    409: "Conflict.",
    413: "Request exceeds the maximum allowed number of bytes.",
    422: "Unprocessable request.",
    429: "Rate limit reached for requests. Please try again later.",
    500: "The server had an error while processing your request.",
    502: "Bad gateway.",
    503: "The service is temporarily unavailable. Please try again later.",
    504: "The upstream timed out.",
    529: "Overloaded",
}
