"""A client that leaves while the router call is still pending cancels that call — before the first
keep-alive and while keep-alives are being sent."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from fake_router import FakeRouter
from test_streaming import chat, raw_stream_request

from llmrelay.types.chat import ChatRequest


class PendingRouter(FakeRouter):
    """A chat call never settles; it notes when it is cancelled."""

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Event()
        self.cancelled = threading.Event()

    async def _chat(self, request: ChatRequest, metadata: Any) -> Any:
        self.started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        raise AssertionError("not reached")


@pytest.mark.parametrize("keepalive", [30.0, 0.05])
def test_leaving_client_cancels_the_pending_call(serve_fake, keepalive: float) -> None:
    router = PendingRouter()
    url, _ = serve_fake(router, stream_keepalive_seconds=keepalive)
    sock = raw_stream_request(url, chat())
    assert router.started.wait(5)
    if keepalive < 1:
        received = b""
        while b": keep-alive" not in received:
            received += sock.recv(65536)
    sock.close()
    assert router.cancelled.wait(5), "the router call was not cancelled"
