"""A client that goes away mid-stream makes the gateway close its upstream connection: the upstream
server sees the connection drop while it is still writing."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import pytest
from aiohttp import web
from harness import running
from test_streaming import raw_stream_request

from llmrelay.config import parse_config
from llmrelay.proxy.server import build_app


class SlowUpstream:
    """An OpenAI-style endpoint streaming one chunk every 20 ms for 10 s; notes when its peer left."""

    def __init__(self) -> None:
        self.peer_left = threading.Event()
        self.finished = threading.Event()

    async def chat(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        try:
            for i in range(500):
                chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "slow",
                         "choices": [{"index": 0, "delta": {"content": f"w{i} "}}]}  # fmt: skip
                await response.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                await asyncio.sleep(0.02)
            await response.write(b"data: [DONE]\n\n")
            self.finished.set()
        except (ConnectionResetError, ConnectionError):
            self.peer_left.set()
        return response


@pytest.fixture
def slow_upstream() -> Iterator[tuple[SlowUpstream, str]]:
    upstream = SlowUpstream()
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", upstream.chat)
    runner = web.AppRunner(app, handle_signals=False)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> str:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}/v1"

    base = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    yield upstream, base
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def test_client_disconnect_closes_upstream_connection(slow_upstream):
    upstream, base = slow_upstream
    doc = {"model_list": [{"model_name": "slow",
                           "litellm_params": {"model": "openai/slow", "api_base": base, "api_key": "k"}}],
           "general_settings": {"master_key": "sk-master-test"}}  # fmt: skip
    with running(build_app(parse_config(doc, source="test"))) as url:
        sock = raw_stream_request(url, {"model": "slow", "messages": [{"role": "user", "content": "x"}],
                                        "stream": True})  # fmt: skip
        received = b""
        while b"w2 " not in received:
            received += sock.recv(65536)
        sock.close()
        assert upstream.peer_left.wait(5), "the upstream never saw the gateway's connection close"
        assert not upstream.finished.is_set()
