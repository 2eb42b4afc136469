"""Sends HttpRequests over pooled aiohttp sessions, one per event loop, and maps network failures
onto the error hierarchy (connection refused → APIConnectionError, deadline → Timeout)."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncGenerator, AsyncIterator
from types import TracebackType

import aiohttp
from yarl import URL

from llmrelay.transport.bounds import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_EVENT_BYTES,
    EventSizeGuard,
    UpstreamAnswerTooLarge,
    read_bounded,
)
from llmrelay.transport.clock import UPSTREAM_CLOCK
from llmrelay.transport.in_process import IN_PROCESS_SCHEME, InProcessUpstreams, UpstreamStream
from llmrelay.transport.redirects import is_redirect, next_hop
from llmrelay.transport.tls import tls_context
from llmrelay.types.errors import APIConnectionError, Timeout
from llmrelay.types.http import HttpRequest, HttpResponse

DEFAULT_TIMEOUT = 600.0


class StreamingResponse:
    """An open streamed response: status and headers now, body bytes as they arrive."""

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        read_timeout: float | None,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        self._response = response
        self._read_timeout = read_timeout
        self._max_body = max_body_bytes
        self._max_event = max_event_bytes
        self.status = response.status
        self.headers = {k.lower(): v for k, v in response.headers.items()}

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        content = self._response.content
        guard = EventSizeGuard(self._max_event, self.headers.get("content-type", ""))
        # the request's clock of upstream waits (transport/clock.py), None outside the gateway
        clock = UPSTREAM_CLOCK.get()
        try:
            while True:
                if clock is not None:
                    clock.enter()
                try:
                    if self._read_timeout is None:
                        data = await content.readany()
                    else:
                        async with asyncio.timeout(self._read_timeout):
                            data = await content.readany()
                finally:
                    if clock is not None:
                        clock.leave()
                if not data:
                    return
                try:
                    guard.feed(data)
                except UpstreamAnswerTooLarge:
                    self._response.close()  # never read further, nor back to the pool
                    raise
                yield data
        except TimeoutError as exc:
            raise Timeout(f"no stream data for {self._read_timeout}s") from exc
        except aiohttp.ClientError as exc:
            raise APIConnectionError(f"stream broken: {_reason(exc)}") from exc

    async def read(self) -> bytes:
        clock = UPSTREAM_CLOCK.get()
        if clock is not None:
            clock.enter()
        try:
            return await read_bounded(self._response, self._max_body)
        except aiohttp.ClientError as exc:
            raise APIConnectionError(f"reading body failed: {_reason(exc)}") from exc
        finally:
            if clock is not None:
                clock.leave()

    async def aclose(self) -> None:
        self._response.release()

    async def __aenter__(self) -> StreamingResponse:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close rather than release on error: a half-read body must not go back to the pool
        if et is None:
            self._response.release()
        else:
            self._response.close()


class HttpTransport:
    """Keep-alive connection pools, one aiohttp session per event loop that uses this transport."""

    def __init__(
        self,
        *,
        pool_size: int = 1000,
        pool_size_per_host: int = 0,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        """`max_body_bytes` caps a whole answer, `max_event_bytes` one event of a stream (bounds.py)."""
        self.max_body_bytes = max_body_bytes
        self.max_event_bytes = max_event_bytes
        self._pool_size = pool_size
        # upstreams answered inside this process (local models), built on first use
        self.in_process = InProcessUpstreams()
        self._per_host = pool_size_per_host
        self._sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
            weakref.WeakKeyDictionary()
        )
        # per loop, an async generator whose cleanup closes that loop's session (see _close_at_shutdown)
        self._guards: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncGenerator[None, None]] = (
            weakref.WeakKeyDictionary()
        )

    def session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._pool_size,
                limit_per_host=self._per_host,
                ttl_dns_cache=300,
                enable_cleanup_closed=True,
            )
            session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None),
                auto_decompress=True,
                skip_auto_headers=("User-Agent",),
            )
            self._sessions[loop] = session
            self._guards[loop] = _close_at_shutdown(session)
        return session

    async def send(self, request: HttpRequest, timeout: float | None = DEFAULT_TIMEOUT) -> HttpResponse:
        """Send and read the whole response within `timeout` seconds."""
        if request.url.startswith(IN_PROCESS_SCHEME):
            return await self.in_process.send(request, timeout)
        clock = UPSTREAM_CLOCK.get()
        if clock is not None:
            clock.enter()
        try:
            async with asyncio.timeout(timeout):
                async with await self._request(request) as resp:
                    body = await read_bounded(resp, self.max_body_bytes)
                    # aiohttp's header view is already a case-insensitive mapping: no copy per call
                    return HttpResponse(status=resp.status, body=body, headers=resp.headers)
        except TimeoutError as exc:
            raise Timeout(f"request timed out after {timeout}s") from exc
        except aiohttp.ClientError as exc:
            raise APIConnectionError(_describe(exc, request)) from exc
        finally:
            if clock is not None:
                clock.leave()

    async def open_stream(
        self,
        request: HttpRequest,
        *,
        connect_timeout: float | None = DEFAULT_TIMEOUT,
        read_timeout: float | None = None,
    ) -> UpstreamStream:
        """Send and return once the response head arrives (within `connect_timeout`, which thus
        bounds time to first byte); the body is then read chunk by chunk, each within read_timeout."""
        if request.url.startswith(IN_PROCESS_SCHEME):
            return await self.in_process.open_stream(
                request, connect_timeout=connect_timeout, read_timeout=read_timeout
            )
        clock = UPSTREAM_CLOCK.get()
        if clock is not None:
            clock.enter()
        try:
            async with asyncio.timeout(connect_timeout):
                resp = await self._request(request)
        except TimeoutError as exc:
            raise Timeout(f"no response within {connect_timeout}s") from exc
        except aiohttp.ClientError as exc:
            raise APIConnectionError(_describe(exc, request)) from exc
        finally:
            if clock is not None:
                clock.leave()
        return StreamingResponse(
            resp, read_timeout, max_body_bytes=self.max_body_bytes, max_event_bytes=self.max_event_bytes
        )

    async def _request(self, request: HttpRequest) -> aiohttp.ClientResponse:
        """The response head to `request`; redirects within its origin followed, others refused
        (see redirects.py). A refused redirect's response is released before the error is raised."""
        session = self.session()
        target: str | URL = request.url
        hops = 0
        # a deployment's own CA bundle / client certificate; else aiohttp's default (system CAs)
        tls = True if request.tls is None else tls_context(request.tls)
        while True:
            resp = await session.request(
                request.method, target, data=request.body, headers=request.headers, allow_redirects=False,
                ssl=tls,
            )  # fmt: skip
            if not is_redirect(resp.status):
                return resp
            resp.release()
            target = next_hop(resp.status, request.method, resp.url, resp.headers.get("location"), hops)
            hops += 1

    async def aclose(self) -> None:
        self.in_process.close()
        sessions = list(self._sessions.values())
        self._sessions.clear()
        for session in sessions:
            if not session.closed:
                await session.close()

    async def aclose_current_loop(self) -> None:
        """Close the session of the running loop only (others belong to other threads)."""
        loop = asyncio.get_running_loop()
        session = self._sessions.pop(loop, None)
        if session is not None and not session.closed:
            await session.close()


def _close_at_shutdown(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    """Tie the session's life to its event loop. The generator is started here, inside the running
    loop, which registers it with asyncio's async-generator hooks; `asyncio.run()` (and uvloop's,
    and pytest-asyncio) finalise live generators before closing the loop, and the generator's
    `finally` then closes the session. Without this, each `asyncio.run(acompletion(...))` would
    leave a session and its sockets open on a dead loop."""

    async def guard() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            if not session.closed:
                await session.close()

    agen = guard()
    with contextlib.suppress(StopIteration):
        agen.__anext__().send(None)  # runs to the `yield`: no await happens before it
    return agen


def _describe(exc: aiohttp.ClientError, request: HttpRequest) -> str:
    """What went wrong, without aiohttp's own text: it names hosts, resolved addresses and proxies
    (the URL may also carry a key in its query, Gemini's ?key=). The deployment says where."""
    return f"cannot reach the upstream: {_reason(exc)}"


def _reason(exc: aiohttp.ClientError) -> str:
    os_error = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
    strerror = getattr(os_error, "strerror", None)
    name = type(exc).__name__
    return f"{name} ({strerror})" if isinstance(strerror, str) and strerror else name
