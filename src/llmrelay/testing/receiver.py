"""Receivers for the exporting sinks' tests: a small aiohttp server on a thread of its own that
records what it is sent (headers and body) and answers with statuses a test scripts in advance
(a 500 then a 200, say). The Langfuse simulator and the tests' OTLP and webhook receivers use it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Received:
    """One request as the receiver saw it."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes


class ReceiverLog:
    """What arrived, readable from any thread; `wait_for` polls under a condition, bounded in time."""

    def __init__(self) -> None:
        self._items: list[Received] = []
        self._changed = threading.Condition()

    def add(self, item: Received) -> None:
        with self._changed:
            self._items.append(item)
            self._changed.notify_all()

    @property
    def items(self) -> list[Received]:
        with self._changed:
            return list(self._items)

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self._items):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"receiver: condition not met in {timeout}s ({len(self._items)} requests)"
                    )
                self._changed.wait(left)
            return list(self._items)


class ScriptedStatuses:
    """Statuses to answer with, in order, before the default (thread-safe: tests script them)."""

    def __init__(self) -> None:
        self._queue: deque[int] = deque()
        self._lock = threading.Lock()

    def script(self, *statuses: int) -> None:
        with self._lock:
            self._queue.extend(statuses)

    def next(self) -> int | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None


class ReceiverThread:
    """Serves `routes` ((method, path, handler)) on 127.0.0.1 from a daemon thread's loop."""

    def __init__(self, routes: list[tuple[str, str, Handler]], host: str = "127.0.0.1") -> None:
        self._routes = routes
        self._host = host
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def start(self) -> str:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="llmrelay-receiver", daemon=True)
        self._thread.start()
        self._runner, self.base_url = asyncio.run_coroutine_threadsafe(self._serve(), loop).result(30)
        return self.base_url

    async def _serve(self) -> tuple[web.AppRunner, str]:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        for method, path, handler in self._routes:
            app.router.add_route(method, path, handler)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self._host, 0)
        await site.start()
        port = runner.addresses[0][1]
        return runner, f"http://{self._host}:{port}"

    def stop(self) -> None:
        loop, thread, runner = self._loop, self._thread, self._runner
        if loop is None or thread is None:
            return
        if runner is not None:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        self._loop = self._thread = self._runner = None

    def __enter__(self) -> ReceiverThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def read_received(request: web.Request) -> Received:
    body = await request.read()
    headers = {k.lower(): v for k, v in request.headers.items()}
    return Received(request.method, request.path, headers, body)


def json_receiver(path: str, log: ReceiverLog, statuses: ScriptedStatuses) -> tuple[str, str, Handler]:
    """A POST route that records every request and answers the next scripted status (default 200)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        log.add(await read_received(request))
        status = statuses.next() or 200
        return web.json_response({"ok": status < 400}, status=status)

    return ("POST", path, handle)
