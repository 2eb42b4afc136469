"""One configured MCP server, kept connected: a supervising task opens the official `mcp` client's
session (a spawned stdio process, or Streamable HTTP / SSE to its URL), holds it while it works, and
opens it again when it breaks — a crashed stdio server is spawned anew — at most `max_restarts`
times per `restart_window` seconds; past that the server is `failed` until the window has passed.

The session is opened and closed in the supervising task alone: the client's transports hold anyio
cancel scopes, which must be left in the task that entered them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from llmrelay.config.mcp import McpServer
from llmrelay.types.errors import ServiceUnavailableError

log = logging.getLogger("llmrelay.mcp")

# the states /v1/mcp/server shows
STARTING, READY, RESTARTING, FAILED, STOPPED = "starting", "ready", "restarting", "failed", "stopped"
STOP_GRACE = 5.0  # seconds a closing session gets at shutdown (a stdio server: time to exit)


class UpstreamDown(ServiceUnavailableError):
    pass


class Upstream:
    def __init__(
        self,
        name: str,
        config: McpServer,
        *,
        max_restarts: int = 5,
        restart_window: float = 60.0,
        connect_timeout: float = 30.0,
        client_factory: Callable[[McpServer, Callable[[], None]], AbstractAsyncContextManager[Any]]
        | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.max_restarts = max_restarts
        self.restart_window = restart_window
        self.connect_timeout = connect_timeout
        self._client_factory = client_factory or open_client
        self.state = STOPPED
        self.last_error: str | None = None
        self.restarts = 0  # sessions opened after the first
        self._client: Any = None
        self._ready = asyncio.Event()
        self._broken = asyncio.Event()
        self._stopping = asyncio.Event()
        self._opened: list[float] = []  # monotonic times of recent session openings
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.state = STARTING
        self._task = asyncio.create_task(self._supervise(), name=f"mcp-{self.name}")

    async def stop(self) -> None:
        self._stopping.set()
        self._broken.set()
        task = self._task
        if task is not None:
            # a session still opening (a server slow to answer its handshake) is not waited for
            done, _ = await asyncio.wait({task}, timeout=STOP_GRACE)
            if not done:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.state = STOPPED

    async def session(self) -> Any:
        """The connected client, waiting for a (re)connection up to `connect_timeout`."""
        if self.state == FAILED:
            raise self._down()
        if not self._ready.is_set():
            try:
                async with asyncio.timeout(self.connect_timeout):
                    await self._ready.wait()
            except TimeoutError:
                raise self._down() from None
        return self._client

    def broken(self, client: Any) -> None:
        """A call found the session dead (the process exited, the connection closed): reconnect."""
        if client is self._client:
            self._ready.clear()
            self._broken.set()

    async def _supervise(self) -> None:
        while not self._stopping.is_set():
            if not await self._may_open():
                return
            # one event per session: a late end-of-stream of an old session cannot end a new one
            broken = self._broken = asyncio.Event()
            if self._stopping.is_set():
                return
            try:
                async with self._client_factory(self.config, broken.set) as client:
                    self._client = client
                    self.state = READY
                    self.last_error = None
                    self._ready.set()
                    await broken.wait()
            except Exception as exc:  # noqa: BLE001 - any failure to open or hold the session: reopen
                self.last_error = self._scrubbed(exc)
                log.warning("MCP server %s: session ended: %s", self.name, self.last_error)
            finally:
                self._client = None
                self._ready.clear()
            if not self._stopping.is_set():
                self.state = RESTARTING
                self.restarts += 1

    async def _may_open(self) -> bool:
        """Wait out the restart bound; False when stopping."""
        now = time.monotonic()
        self._opened = [t for t in self._opened if now - t < self.restart_window]
        if len(self._opened) > self.max_restarts:
            self.state = FAILED
            log.error(
                "MCP server %s: %d sessions within %.0fs; not reopened until the window passes (%s)",
                self.name, len(self._opened), self.restart_window, self.last_error,
            )  # fmt: skip
            wait = self.restart_window - (now - self._opened[0])
            if await self._stopped_within(wait):
                return False
            self._opened.clear()
            self.state = RESTARTING
        elif self._opened and await self._stopped_within(min(5.0, 0.1 * 2 ** (len(self._opened) - 1))):
            # a little backoff between reopenings: 0.1, 0.2, 0.4... seconds, at most 5
            return False
        self._opened.append(time.monotonic())
        return True

    async def _stopped_within(self, seconds: float) -> bool:
        try:
            async with asyncio.timeout(max(0.0, seconds)):
                await self._stopping.wait()
        except TimeoutError:
            return False
        return True

    def unavailable(self, why: str) -> UpstreamDown:
        return UpstreamDown(f"MCP server {self.name!r} is unavailable: {why}", code="mcp_unavailable")

    def _down(self) -> UpstreamDown:
        why = f": {self.last_error}" if self.last_error else ""
        return UpstreamDown(
            f"MCP server {self.name!r} is unavailable ({self.state}){why}", code="mcp_unavailable"
        )

    def _scrubbed(self, exc: BaseException) -> str:
        return self.scrub(_describe(exc))[:300]

    def scrub(self, text: str) -> str:
        """`text` without the server's credential, header or environment values."""
        for secret in self.config.secrets():
            text = text.replace(secret, "<secret>")
        return text


def _describe(exc: BaseException) -> str:
    # an exception group from the client's task group: its first leaf says what happened
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"


def open_client(config: McpServer, on_end: Callable[[], None]) -> AbstractAsyncContextManager[Any]:
    """The official client over the server's transport; the handshake is negotiated (`auto`).
    `on_end` is called when the server's stream ends (a stdio server exited): the supervisor
    reopens the session then, not at the next call's failure."""
    from mcp.types import Implementation

    from mcp import Client, StdioServerParameters

    transport: Any
    if config.transport == "stdio":
        from mcp.client.stdio import stdio_client

        assert config.command is not None
        params = StdioServerParameters(command=config.command, args=config.args, env=config.env or None)
        transport = stdio_client(params)
    elif config.transport == "sse":
        from mcp.client.sse import sse_client

        assert config.url is not None
        transport = sse_client(config.url, headers=config.headers(), timeout=30.0)
    else:
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        assert config.url is not None
        http = httpx2.AsyncClient(headers=config.headers(), timeout=httpx2.Timeout(30.0, read=config.timeout))
        transport = _owning(http, streamable_http_client(config.url, http_client=http))
    return Client(
        _Watched(transport, on_end),
        cache=None,  # tools/list is asked of the server each time: its tools may change
        read_timeout_seconds=config.timeout,
        client_info=Implementation(name="llmrelay", version="1"),
    )


class _owning:
    """A transport that closes the HTTP client it was given when it closes."""

    def __init__(self, http: Any, transport: AbstractAsyncContextManager[Any]) -> None:
        self._http = http
        self._transport = transport

    async def __aenter__(self) -> Any:
        await self._http.__aenter__()
        try:
            return await self._transport.__aenter__()
        except BaseException:
            await self._http.__aexit__(None, None, None)
            raise

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await self._transport.__aexit__(*exc)
        finally:
            await self._http.__aexit__(None, None, None)


class _Watched:
    """A transport whose read stream reports its end (EOF, or closed under the reader)."""

    def __init__(self, transport: AbstractAsyncContextManager[Any], on_end: Callable[[], None]) -> None:
        self._transport = transport
        self._on_end = on_end

    async def __aenter__(self) -> Any:
        read, write = await self._transport.__aenter__()
        return _WatchedRead(read, self._on_end), write

    async def __aexit__(self, *exc: Any) -> Any:
        return await self._transport.__aexit__(*exc)


class _WatchedRead:
    def __init__(self, inner: Any, on_end: Callable[[], None]) -> None:
        self._inner = inner
        self._on_end = on_end

    @property
    def last_context(self) -> Any:
        # the sender's context, which the mcp dispatcher reads when the stream carries one
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> Any:
        import anyio

        try:
            return await self._inner.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._on_end()
            raise

    def __aiter__(self) -> _WatchedRead:
        return self

    async def __anext__(self) -> Any:
        import anyio

        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _WatchedRead:
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> Any:
        return await self._inner.__aexit__(*exc)
