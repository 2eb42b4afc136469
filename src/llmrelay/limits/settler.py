"""Settlement off the answer's path, in one round trip for everything waiting.

A call's reservation is settled when it ends (the real token count replaces the estimate, the parallel
slot is freed). With Redis that is a round trip the answer need not wait for: `settle` queues it and
returns, and one flusher task per settler sends every queued settlement in a single EVALSHA, so under
load a round trip settles many calls (group commit, no timer: whatever arrived while the previous
batch was in flight goes in the next).

Never lost: the queue is bounded, and a caller that finds it full waits for room instead of dropping
its settlement (Redis slower than the calls it settles pushes back on them, as the awaited settle did
before). A failed round trip is the degrade policy's (limits.degrade): while Redis is down its
settlements are skipped and their parallel leases expire on their own, exactly as an awaited settle
did. A reservation granted by this process's memory (no Redis, or Redis down) needs no round trip and
is settled at once, so the in-memory limiter's semantics do not change. `aclose` drains the queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from llmrelay.limits.base import Limiter, Reservation, Settlement

log = logging.getLogger("llmrelay.limits")


class Settler:
    """Queued settlements of one limiter, flushed from the event loop that first queued one."""

    def __init__(
        self,
        limiter: Limiter,
        *,
        capacity: int = 10_000,
        batch: int = 500,
    ) -> None:
        self.limiter = limiter
        self.capacity = capacity
        self.batch = batch  # settlements per round trip: bounds one script's run in Redis
        # each settlement with the time its call ended
        self._queue: deque[tuple[Settlement, float]] = deque()
        self._in_flight = 0
        # made on first use, on the loop that flushes (the settler may be built before it runs)
        self._wake: asyncio.Event | None = None
        self._room: asyncio.Event | None = None
        self._idle: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.round_trips = 0  # flushes sent (the round-trip count a test and the bench read)

    @property
    def pending(self) -> int:
        return len(self._queue) + self._in_flight

    async def settle(self, reservation: Reservation, actual_tokens: int | None, *, now: float) -> None:
        """Settle `reservation` (idempotent): at once when it needs no round trip, else queued for the
        flusher. Waits only while the queue is full."""
        if reservation.settled:
            return
        if reservation.origin != "redis":
            await self.limiter.settle(reservation, actual_tokens, now=now)
            return
        reservation.settled = True
        settlement = Settlement.of(reservation, actual_tokens)
        self._start()
        assert self._room is not None and self._wake is not None
        while len(self._queue) >= self.capacity:
            self._room.clear()
            await self._room.wait()
        self._queue.append((settlement, now))
        self._wake.set()

    def _start(self) -> None:
        task, loop = self._task, asyncio.get_running_loop()
        if task is not None and not task.done():
            if task.get_loop() is not loop:
                raise RuntimeError("a Settler flushes from one event loop; this one is already running")
            return
        self._wake, self._room, self._idle = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self._task = loop.create_task(self._run(), name="llmrelay-limit-settler")

    async def _run(self) -> None:
        assert self._wake is not None and self._room is not None and self._idle is not None
        while True:
            if not self._queue:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            self._idle.clear()
            taken = [self._queue.popleft() for _ in range(min(self.batch, len(self._queue)))]
            batch = [settlement for settlement, _ in taken]
            self._in_flight = len(batch)
            self._room.set()
            try:
                self.round_trips += 1
                # the latest end in the batch: a bucket that has left the window by then takes no
                # token correction (as when each was settled at its own end)
                await self.limiter.settle_all(batch, now=max(now for _, now in taken))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - logged; the flusher must outlive one batch
                # the degrade policy already took Redis outages; anything else (a plain Redis limiter
                # without it, a script error) loses only these parallel slots to their leases, and
                # must not stop the settlements behind them
                log.error(
                    "settling %d limit reservations failed (%s); their parallel slots free when their "
                    "leases expire", len(batch), type(exc).__name__,
                )  # fmt: skip
            finally:
                self._in_flight = 0

    async def drain(self) -> None:
        """Wait until every settlement queued so far has been sent."""
        if self._task is None or self._task.done() or self._idle is None:
            return
        while self.pending:
            await self._idle.wait()
            if self.pending:  # more arrived while it was idle for a moment
                await asyncio.sleep(0)

    async def aclose(self) -> None:
        """Send what is queued, then stop the flusher."""
        task = self._task
        if task is None:
            return
        if task.get_loop() is asyncio.get_running_loop():
            await self.drain()
        task.cancel()
        self._task = None
