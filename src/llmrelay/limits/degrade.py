"""Explicit degradation: when Redis fails, fall back to this process's own state with a warning,
and try Redis again after `retry_interval` seconds. Limits then hold per process only (a warning
says so) until Redis is back."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from llmrelay.limits.base import Limit, Limiter, LimitUsage, Refusal, Reservation, Settlement

log = logging.getLogger("llmrelay.limits")
T = TypeVar("T")


class RedisGuard:
    """Tracks whether Redis is usable; shared by the limiter and the router state of one owner."""

    def __init__(self, what: str, retry_interval: float = 5.0) -> None:
        # imported here, not per call: a guard exists only where Redis is configured
        from redis.exceptions import RedisError

        self._outage_errors: tuple[type[BaseException], ...] = (RedisError, OSError)
        self.what = what
        self.retry_interval = retry_interval
        self.down_since: float | None = None
        self._retry_at = 0.0
        self.failures = 0

    @property
    def degraded(self) -> bool:
        return self.down_since is not None

    async def run(self, primary: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]]) -> T:
        now = time.monotonic()
        if self.down_since is not None and now < self._retry_at:
            return await fallback()
        try:
            result = await primary()
        except self._outage_errors as exc:
            self.failures += 1
            if self.down_since is None:
                self.down_since = now
                log.warning(
                    "Redis unavailable for %s (%s: %s); using this process's own state — limits and "
                    "cooldowns are no longer shared until it is back",
                    self.what, type(exc).__name__, exc,
                )  # fmt: skip
            self._retry_at = now + self.retry_interval
            return await fallback()
        if self.down_since is not None:
            log.warning("Redis is back for %s; shared state resumed", self.what)
            self.down_since = None
        return result


class DegradingLimiter:
    """Redis first; this process's memory limiter while Redis is down."""

    def __init__(self, primary: Limiter, fallback: Limiter, guard: RedisGuard) -> None:
        self.primary = primary
        self.fallback = fallback
        self.guard = guard

    async def reserve(
        self, limits: Sequence[Limit], tokens: int, *, now: float, lease: float
    ) -> Reservation | Refusal:
        return await self.guard.run(
            lambda: self.primary.reserve(limits, tokens, now=now, lease=lease),
            lambda: self.fallback.reserve(limits, tokens, now=now, lease=lease),
        )

    async def settle(self, reservation: Reservation, actual_tokens: int | None, *, now: float) -> None:
        if reservation.origin != "redis":
            await self.fallback.settle(reservation, actual_tokens, now=now)
            return

        async def skip() -> None:
            # the Redis lease expires on its own; nothing to settle locally
            reservation.settled = True

        await self.guard.run(lambda: self.primary.settle(reservation, actual_tokens, now=now), skip)

    async def settle_all(self, settlements: Sequence[Settlement], *, now: float) -> None:
        """Each settlement where its reservation was granted; Redis's in one round trip, skipped while
        Redis is down (their leases expire on their own, as in `settle`)."""
        shared = [s for s in settlements if s.origin == "redis"]
        local = [s for s in settlements if s.origin != "redis"]
        if local:
            await self.fallback.settle_all(local, now=now)
        if shared:
            await self.guard.run(lambda: self.primary.settle_all(shared, now=now), _nothing)

    async def usage(self, keys: Sequence[str], *, now: float) -> dict[str, LimitUsage]:
        return await self.guard.run(
            lambda: self.primary.usage(keys, now=now), lambda: self.fallback.usage(keys, now=now)
        )

    async def aclose(self) -> None:
        await self.primary.aclose()
        await self.fallback.aclose()


async def _nothing() -> None:
    return None
