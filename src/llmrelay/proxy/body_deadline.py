"""The deadline of a request body's arrival (general_settings.request_body_timeout_seconds).

Granian closes a connection whose headers do not arrive in time, but once the headers are in, it
waits for the body as long as the client likes: a client that sends `Content-Length: 100` and three
bytes held its connection (and a worker's connection slot) open indefinitely. The deadline is kept
here, in the app.

Why not `asyncio.timeout` around the read: with uvloop it costs ≈ 10-20 µs per request here (a timer
armed and cancelled), a large share of the gateway's own ≈ 55 µs. Instead a read registers its task
in a dict and one sweeper task per worker, running while reads are registered (until a tick finds
none), cancels the reads that outlive the deadline; the deadline is therefore kept to within `tick` seconds.

Request.body (proxy/http.py) registers and removes its read in `reading` inline, with no method call
here: on the path of every request, the calls cost more than the dict writes (ADR 0008)."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from llmrelay.types.errors import Timeout


class BodyTimeoutError(Timeout):
    """The client did not send its whole body in time: 408, and the connection is closed."""


class BodyDeadlines:
    """One per worker (the GatewayApp's). A read of a body sets `reading[its task] = epoch` before it
    starts (and calls `start_sweeper()` when `sweeper` is None), and pops its task after it ends."""

    __slots__ = ("_expired", "_ticks", "epoch", "reading", "seconds", "sweeper", "tick")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.tick = min(1.0, seconds / 4)
        # time is counted in the sweeper's ticks: a read registered at epoch e is late once the
        # epoch reaches e + _ticks (between `seconds` and `seconds + tick` later), and no clock is
        # read per request
        self._ticks = math.ceil(seconds / self.tick)
        self.epoch = 0
        # the reads in progress: task → the epoch it started in
        self.reading: dict[asyncio.Task[Any], int] = {}
        self._expired: set[asyncio.Task[Any]] = set()
        # runs while reads are registered, until a tick finds none
        self.sweeper: asyncio.Task[None] | None = None

    def start_sweeper(self) -> None:
        self.sweeper = asyncio.get_running_loop().create_task(self._sweep())

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
            # it ends at the first tick that finds no read registered, not as soon as the reads end:
            # a request that waits on anything after its body (a keyed call's spend write) lets
            # the sweeper run, and ending then would start one task per request
            while True:
                await asyncio.sleep(self.tick)
                if not self.reading:
                    return
                self.epoch += 1
                oldest = self.epoch - self._ticks
                late = [task for task, started in self.reading.items() if started <= oldest]
                for task in late:
                    del self.reading[task]
                    self._expired.add(task)
                    task.cancel()
        finally:
            self.sweeper = None

    def close(self) -> None:
        if self.sweeper is not None:
            self.sweeper.cancel()
