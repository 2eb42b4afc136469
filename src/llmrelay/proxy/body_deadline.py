"""The deadline of a request body's arrival (general_settings.request_body_timeout_seconds).

Granian closes a connection whose headers do not arrive in time, but once the headers are in, it
waits for the body as long as the client likes: a client that sends `Content-Length: 100` and three
bytes held its connection (and a worker's connection slot) open indefinitely. The deadline is kept
here, in the app.

Why not `asyncio.timeout` around the read: with uvloop it costs ≈ 10-20 µs per request here (a timer
armed and cancelled), a large share of the gateway's own ≈ 55 µs. Instead a read registers its task
in a dict and one sweeper task per worker, running only while reads are registered, cancels the
reads that outlive the deadline; the deadline is therefore kept to within `tick` seconds."""

from __future__ import annotations

import asyncio
import math
from asyncio import current_task
from typing import Any

from llmrelay.types.errors import Timeout


class BodyTimeoutError(Timeout):
    """The client did not send its whole body in time: 408, and the connection is closed."""


class BodyDeadlines:
    """One per worker (the GatewayApp's). `enter()` before reading a body, `leave()` after."""

    __slots__ = ("_epoch", "_expired", "_reading", "_sweeper", "_ticks", "seconds", "tick")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.tick = min(1.0, seconds / 4)
        # time is counted in the sweeper's ticks: a read registered at epoch e is late once the
        # epoch reaches e + _ticks (between `seconds` and `seconds + tick` later), and no clock is
        # read per request
        self._ticks = math.ceil(seconds / self.tick)
        self._epoch = 0
        self._reading: dict[asyncio.Task[Any], int] = {}
        self._expired: set[asyncio.Task[Any]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    def enter(self) -> asyncio.Task[Any] | None:
        task = current_task()
        if task is not None:
            self._reading[task] = self._epoch
            if self._sweeper is None:
                self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        return task

    def leave(self, task: asyncio.Task[Any]) -> None:
        self._reading.pop(task, None)

    def timed_out(self, task: asyncio.Task[Any]) -> bool:
        """After a read raised CancelledError: True when the deadline cancelled it (the cancellation
        is then withdrawn, so the request can still answer 408); False for any other cancellation
        (the client went away, the server stops), which must go on."""
        if task not in self._expired:
            return False
        self._expired.discard(task)
        task.uncancel()
        return True

    def error(self) -> BodyTimeoutError:
        return BodyTimeoutError(
            f"request body not received within {self.seconds:g}s "
            "(general_settings.request_body_timeout_seconds)",
            code="request_body_timeout",
        )

    async def _sweep(self) -> None:
        try:
            while self._reading:
                await asyncio.sleep(self.tick)
                self._epoch += 1
                oldest = self._epoch - self._ticks
                late = [task for task, started in self._reading.items() if started <= oldest]
                for task in late:
                    del self._reading[task]
                    self._expired.add(task)
                    task.cancel()
        finally:
            self._sweeper = None

    def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
