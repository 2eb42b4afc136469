"""Serving an identity simulator (anything with `add_to(app)`: the Google and Azure identity
endpoints) on 127.0.0.1 at a free port: in the running event loop (`serve_here`, for async tests) or
on a thread and loop of its own (`serve_in_thread`, for a gateway under test on another thread)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Protocol

from aiohttp import web


class Mountable(Protocol):
    def add_to(self, app: web.Application) -> None: ...


@contextlib.asynccontextmanager
async def serve_here(simulator: Mountable) -> AsyncIterator[str]:
    """Yields `127.0.0.1:<port>` while `simulator` is served in the running loop."""
    app = web.Application(client_max_size=1024**2)
    simulator.add_to(app)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@contextlib.contextmanager
def serve_in_thread(simulator: Mountable, timeout: float = 10.0) -> Iterator[str]:
    """Yields `127.0.0.1:<port>` while `simulator` is served on a thread of its own."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    started = threading.Event()
    address: list[str] = []

    async def main() -> None:
        async with serve_here(simulator) as where:
            address.append(where)
            started.set()
            await stop.wait()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(main())
        finally:
            started.set()
            loop.close()

    thread = threading.Thread(target=run, name="identity-simulator", daemon=True)
    thread.start()
    if not started.wait(timeout) or not address:
        raise RuntimeError("the identity simulator did not start")
    try:
        yield address[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout)
