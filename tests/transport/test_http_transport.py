"""The transport: pooled sessions per loop, timeouts and connection failures mapped onto errors,
streams read as they arrive."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from llmrelay.transport.http import HttpTransport
from llmrelay.types import errors
from llmrelay.types.http import HttpRequest


@pytest.fixture
async def server() -> AsyncIterator[str]:
    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.Response(body=body, headers={"X-Echo": request.headers.get("x-key", "")})

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="late")

    async def chunks(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        for piece in (b"one ", b"two ", b"three"):
            await resp.write(piece)
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_post("/slow", slow)
    app.router.add_post("/chunks", chunks)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_send_and_reuse_the_pool(server: str) -> None:
    transport = HttpTransport()
    try:
        first = await transport.send(HttpRequest(url=f"{server}/echo", headers={"x-key": "v"}, body=b"abc"))
        assert (first.status, first.body, first.header("X-ECHO")) == (200, b"abc", "v")
        session = transport.session()
        await transport.send(HttpRequest(url=f"{server}/echo", headers={}, body=b"x"))
        assert transport.session() is session
    finally:
        await transport.aclose()


async def test_timeout(server: str) -> None:
    transport = HttpTransport()
    try:
        with pytest.raises(errors.Timeout, match=r"0\.2s"):
            await transport.send(HttpRequest(url=f"{server}/slow", headers={}, body=b""), timeout=0.2)
    finally:
        await transport.aclose()


async def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    transport = HttpTransport()
    try:
        with pytest.raises(errors.APIConnectionError) as info:
            await transport.send(
                HttpRequest(url=f"http://127.0.0.1:{port}/x?key=SECRET", headers={}, body=b"")
            )
        assert "SECRET" not in str(info.value)
    finally:
        await transport.aclose()


async def test_stream_reads_pieces(server: str) -> None:
    transport = HttpTransport()
    try:
        upstream = await transport.open_stream(HttpRequest(url=f"{server}/chunks", headers={}, body=b""))
        assert upstream.status == 200
        data = b"".join([piece async for piece in upstream.iter_bytes()])
        await upstream.aclose()
        assert data == b"one two three"
    finally:
        await transport.aclose()


def test_asyncio_run_closes_the_session_of_its_loop() -> None:
    transport = HttpTransport()
    sessions = []

    async def one_script_run() -> None:
        async def ok(request: web.Request) -> web.Response:
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_post("/", ok)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/"
        response = await transport.send(HttpRequest(url=url, headers={}, body=b""))
        assert response.body == b"ok"
        sessions.append(transport.session())
        await runner.cleanup()

    asyncio.run(one_script_run())
    asyncio.run(one_script_run())
    assert len(sessions) == 2 and sessions[0] is not sessions[1]
    assert all(s.closed for s in sessions)
