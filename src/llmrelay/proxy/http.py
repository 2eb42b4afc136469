"""A thin view of one RSGI request: headers, a size-limited body, and the ways to answer.

RSGI (Granian's native interface) is used directly: no framework sits on the proxy routes."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
from asyncio import current_task
from time import perf_counter
from typing import Any, Protocol

import msgspec

from llmrelay.proxy.body_deadline import BodyDeadlines
from llmrelay.transport.clock import UpstreamClock
from llmrelay.types.errors import LLMError, RequestTooLargeError

JSON_HEADERS = ("content-type", "application/json")
# the gateway's own time on a request, in LiteLLM's spelling (see Request.overhead_header)
OVERHEAD_HEADER = "x-litellm-overhead-duration-ms"
_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")


class RSGIScope(Protocol):
    @property
    def proto(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def query_string(self) -> str: ...
    @property
    def headers(self) -> Any: ...
    @property
    def client(self) -> str: ...


class StreamTransport(Protocol):
    async def send_bytes(self, data: bytes) -> None: ...


class RSGIProto(Protocol):
    async def __call__(self) -> bytes: ...
    def __aiter__(self) -> Any: ...
    async def client_disconnect(self) -> None: ...
    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None: ...
    def response_str(self, status: int, headers: list[tuple[str, str]], body: str) -> None: ...
    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> StreamTransport: ...


class Request:
    """One request in flight. `response_headers` collects what every answer carries (request id...)."""

    __slots__ = (
        "_deadlines", "_headers", "arrived", "clock", "path", "proto", "request_id", "response_headers",
        "scope", "started",
    )  # fmt: skip

    def __init__(
        self, scope: RSGIScope, proto: RSGIProto, path: str, ids: RequestIds, deadlines: BodyDeadlines
    ) -> None:
        self.arrived = perf_counter()
        # the waits on upstreams made for this request (the app puts it where the transport sees it)
        self.clock = UpstreamClock()
        self.scope = scope
        self._deadlines = deadlines
        self.proto = proto
        self.path = path
        self._headers = scope.headers
        given = self._headers.get("x-request-id")
        self.request_id = given if given and _REQUEST_ID_OK.match(given) else ids.next()
        self.response_headers: list[tuple[str, str]] = [("x-request-id", self.request_id)]
        # set once a status line went out: later failures can no longer change it
        self.started = False

    def header(self, name: str) -> str | None:
        value: str | None = self._headers.get(name)
        return value

    def overhead_header(self) -> tuple[str, str]:
        """The gateway's own time on this request so far, in milliseconds: from its arrival to now,
        less the time spent waiting on upstreams (transport/clock.py). Sent with the status line, so
        for a stream it counts what is known when the first byte goes out (docs/gateway.md)."""
        now = perf_counter()
        own = now - self.arrived - self.clock.waited_until(now)
        return (OVERHEAD_HEADER, f"{max(0.0, own) * 1000:.3f}")

    async def body(self, limit: int) -> bytes:
        """The whole body, refused with 413 past `limit` bytes (checked before reading when declared),
        with 408 when it does not arrive within the body deadline (proxy/body_deadline.py)."""
        deadlines = self._deadlines
        # the read is registered with the deadline's sweeper inline, not by a method call (see there)
        task = current_task()
        if task is not None:
            deadlines.reading[task] = deadlines.epoch
            if deadlines.sweeper is None:
                deadlines.start_sweeper()
        try:
            # read here rather than in a helper coroutine: one await layer less per request
            declared = self._headers.get("content-length")
            if declared is not None and declared.isdigit():
                if int(declared) > limit:
                    raise _too_large(limit)
                return await self.proto()
            parts: list[bytes] = []
            size = 0
            async for part in self.proto:
                size += len(part)
                if size > limit:
                    raise _too_large(limit)
                parts.append(part)
            return b"".join(parts)
        except asyncio.CancelledError:
            if task is not None and deadlines.timed_out(task):
                raise deadlines.error() from None
            raise
        finally:
            if task is not None:
                deadlines.reading.pop(task, None)

    def send_json(self, status: int, body: bytes, extra: list[tuple[str, str]] | None = None) -> None:
        self.send_body(status, JSON_HEADERS, body, extra)

    def send_body(
        self,
        status: int,
        content_type: tuple[str, str],
        body: bytes,
        extra: list[tuple[str, str]] | None = None,
    ) -> None:
        """An answer of any content type (JSON, or the audio of /v1/audio/speech) in one piece."""
        headers = [content_type, *self.response_headers, self.overhead_header()]
        if extra:
            headers.extend(extra)
        self.started = True
        self.proto.response_bytes(status, headers, body)

    def send_error(self, error: LLMError, body: bytes) -> None:
        extra = None
        if error.retry_after is not None:
            extra = [("retry-after", str(max(0, round(error.retry_after))))]
        self.send_json(error.status_code, body, extra)

    def open_stream(self, extra: list[tuple[str, str]]) -> StreamTransport:
        headers = [
            ("content-type", "text/event-stream"),
            ("cache-control", "no-cache"),
            # tell nginx-style buffering proxies to pass chunks through as they come
            ("x-accel-buffering", "no"),
            *self.response_headers,
            *extra,
            self.overhead_header(),
        ]
        self.started = True
        return self.proto.response_stream(200, headers)


class RequestIds:
    """Unique request ids without a syscall per request (os.urandom costs ~40 us here): a random
    per-process prefix and a counter. The caller's own `x-request-id` is echoed when it is a sane token."""

    __slots__ = ("_counter", "_prefix")

    def __init__(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter):016x}"


def _too_large(limit: int) -> RequestTooLargeError:
    return RequestTooLargeError(
        f"request body larger than {limit} bytes (general_settings.max_request_size_mb)",
        code="request_too_large",
    )


JSON_ENCODER = msgspec.json.Encoder()
