"""Upstreams served inside this process: a request whose URL starts with `in-process://` is answered
by a server object instead of the network — today the local Hugging Face model server
(llmrelay.local), which the transport builds on its first such request, so a transport's models are
loaded once and shared by every call it sends. Timeouts apply as for a network upstream: the whole
answer within the call's timeout, a stream's first event within its first-token wait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Protocol

from llmrelay.local.wire import LOCAL_HF_BASE
from llmrelay.transport.clock import UPSTREAM_CLOCK
from llmrelay.types.errors import APIConnectionError, Timeout
from llmrelay.types.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from llmrelay.local.server import LocalModelServer

IN_PROCESS_SCHEME = "in-process://"


class UpstreamStream(Protocol):
    """An open streamed answer, from the network (http.StreamingResponse) or in-process."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    def iter_bytes(self) -> AsyncIterator[bytes]: ...

    async def read(self) -> bytes: ...

    async def aclose(self) -> None: ...


class InProcessUpstreams:
    def __init__(self) -> None:
        self._local: LocalModelServer | None = None

    async def send(self, request: HttpRequest, timeout: float | None) -> HttpResponse:
        server = self._server(request)
        clock = UPSTREAM_CLOCK.get()  # the model's time is the upstream's, not the gateway's
        if clock is not None:
            clock.enter()
        try:
            async with asyncio.timeout(timeout):
                return await server.send(request)
        except TimeoutError as exc:
            raise Timeout(f"no answer from the local model within {timeout}s") from exc
        finally:
            if clock is not None:
                clock.leave()

    async def open_stream(
        self, request: HttpRequest, *, connect_timeout: float | None, read_timeout: float | None
    ) -> UpstreamStream:
        server = self._server(request)
        clock = UPSTREAM_CLOCK.get()
        if clock is not None:
            clock.enter()
        try:
            async with asyncio.timeout(connect_timeout):
                return await server.open_stream(request, read_timeout)
        except TimeoutError as exc:
            raise Timeout(f"the local model did not start within {connect_timeout}s") from exc
        finally:
            if clock is not None:
                clock.leave()

    def close(self) -> None:
        """Unload the local models (the transport is closing)."""
        if self._local is not None:
            self._local.close()
            self._local = None

    def _server(self, request: HttpRequest) -> LocalModelServer:
        if not request.url.startswith(LOCAL_HF_BASE + "/"):
            host = request.url.removeprefix(IN_PROCESS_SCHEME).partition("/")[0]
            raise APIConnectionError(f"no in-process upstream named {host!r}")
        if self._local is None:
            from llmrelay.local.server import LocalModelServer

            self._local = LocalModelServer()
        return self._local
