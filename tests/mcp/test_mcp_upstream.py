"""The supervisor of one MCP server: reopens a broken session, bounded — past `max_restarts`
openings within the window the server is `failed` (calls refused at once, with the scrubbed reason)
until the window has passed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from llmrelay.config.mcp import McpServer
from llmrelay.proxy.mcp.upstream import FAILED, READY, Upstream, UpstreamDown

SECRET = "very-secret-token"
SRC = str(Path(__file__).resolve().parents[2] / "src")


async def until(done: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll the supervisor's state (it has no event to wait on) until `done`, or fail."""
    for _ in range(int(timeout / 0.02)):
        if done():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the supervisor did not get there in time")


def server() -> McpServer:
    return McpServer(url="http://127.0.0.1:1/mcp", auth_type="bearer_token", authentication_token=SECRET)


async def test_a_server_that_keeps_failing_is_marked_failed_and_its_secret_kept_out() -> None:
    opened = 0

    @asynccontextmanager
    async def failing(_: McpServer, __: Any) -> AsyncIterator[Any]:
        nonlocal opened
        opened += 1
        raise ConnectionRefusedError(f"refused http://x?token={SECRET}")
        yield  # pragma: no cover

    up = Upstream("s", server(), max_restarts=2, restart_window=60, connect_timeout=5, client_factory=failing)
    await up.start()
    try:
        await until(lambda: up.state == FAILED)
        assert opened == 3  # the first opening and two restarts
        with pytest.raises(UpstreamDown) as down:
            await up.session()
        assert "ConnectionRefusedError" in str(down.value) and SECRET not in str(down.value)
    finally:
        await up.stop()


async def test_a_broken_session_is_reopened() -> None:
    sessions: list[object] = []

    @asynccontextmanager
    async def working(_: McpServer, __: Any) -> AsyncIterator[Any]:
        session = object()
        sessions.append(session)
        yield session

    up = Upstream("s", server(), client_factory=working)
    await up.start()
    try:
        first = await up.session()
        assert up.state == READY
        up.broken(first)
        second = await up.session()
        assert second is not first and up.restarts == 1
        up.broken(first)  # a stale report about the old session changes nothing
        assert await up.session() is second
    finally:
        await up.stop()


async def test_stopping_does_not_wait_for_a_session_that_never_opens(monkeypatch: pytest.MonkeyPatch) -> None:
    import llmrelay.proxy.mcp.upstream as upstream_module

    monkeypatch.setattr(upstream_module, "STOP_GRACE", 0.2)
    entered = asyncio.Event()

    @asynccontextmanager
    async def hanging(_: McpServer, __: Any) -> AsyncIterator[Any]:
        entered.set()
        await asyncio.Event().wait()  # a handshake that is never answered
        yield None  # pragma: no cover

    up = Upstream("s", server(), client_factory=hanging)
    await up.start()
    await entered.wait()
    async with asyncio.timeout(5):
        await up.stop()
    assert up.state == "stopped"


async def test_a_stdio_server_killed_between_calls_is_spawned_again_before_the_next_call() -> None:
    import os
    import signal
    import sys

    config = McpServer(
        transport="stdio",
        command=sys.executable,
        args=["-m", "llmrelay.testing.mcp_sim"],
        env={"PYTHONPATH": SRC},
    )
    up = Upstream("sim", config)
    await up.start()
    try:
        client = await up.session()
        first = int((await client.call_tool("whoami", {})).content[0].text)
        os.kill(first, signal.SIGKILL)  # no call in flight: the end of its stdout is what tells
        await until(lambda: up.restarts >= 1 and up.state == READY)
        again = await up.session()
        assert int((await again.call_tool("whoami", {})).content[0].text) != first
    finally:
        await up.stop()


async def test_an_sse_server_with_its_credential() -> None:
    from llmrelay.testing.mcp_sim import McpHttpSim

    sim = McpHttpSim(token=SECRET, sse=True).start()
    up = Upstream(
        "old", McpServer(url=sim.url, transport="sse", auth_type="bearer_token", authentication_token=SECRET)
    )
    await up.start()
    try:
        client = await up.session()
        assert (await client.call_tool("echo", {"text": "over sse"})).content[0].text == "over sse"
        assert sim.seen and all(h.get("authorization") == f"Bearer {SECRET}" for _, _, h in sim.seen)
    finally:
        await up.stop()
        sim.stop()
