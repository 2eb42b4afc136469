"""Router state that processes may share: cooldowns, recent failures, latency averages.

`MemoryRouterState` is the per-router default; `llmrelay.router.redis_state` shares it through Redis."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Cooldown:
    """A deployment is skipped until `until` (clock seconds; inf = until its config changes)."""

    until: float
    reason: str  # "failures" | "rate_limited" | "auth"
    # for auth cooldowns: the config the failure was seen with; another config is not cooling
    fingerprint: str = ""

    def active(self, now: float, fingerprint: str) -> bool:
        if self.fingerprint and self.fingerprint != fingerprint:
            return False
        return self.until > now


@dataclass(frozen=True, slots=True)
class LatencyStats:
    """Exponentially weighted moving averages (seconds); None until measured."""

    latency: float | None = None
    ttft: float | None = None
    # clock time of the last sample, so stale averages can be re-measured
    updated_at: float | None = None


class RouterState(Protocol):
    async def cooldowns(self, ids: Sequence[str], now: float) -> dict[str, Cooldown]: ...

    async def cool(self, deployment_id: str, cooldown: Cooldown, now: float) -> None: ...

    async def record_failure(
        self,
        deployment_id: str,
        now: float,
        *,
        window: float,
        allowed_fails: int,
        cooldown_time: float,
        reason: str = "failures",
    ) -> Cooldown | None:
        """Count a failure; when more than `allowed_fails` fell within `window`, start (and
        return) a cooldown of `cooldown_time`, whose reason is the last failure's."""
        ...

    async def latencies(self, ids: Sequence[str]) -> dict[str, LatencyStats]: ...

    async def record_latency(
        self, deployment_id: str, *, latency: float | None, ttft: float | None, alpha: float, now: float
    ) -> None: ...

    async def aclose(self) -> None: ...


def ewma(previous: float | None, sample: float, alpha: float) -> float:
    return sample if previous is None else alpha * sample + (1 - alpha) * previous


@dataclass(slots=True)
class _Entry:
    cooldown: Cooldown | None = None
    failures: list[float] = field(default_factory=list)
    latency: float | None = None
    ttft: float | None = None
    updated_at: float | None = None


class MemoryRouterState:
    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def _entry(self, deployment_id: str) -> _Entry:
        entry = self._entries.get(deployment_id)
        if entry is None:
            entry = self._entries[deployment_id] = _Entry()
        return entry

    async def cooldowns(self, ids: Sequence[str], now: float) -> dict[str, Cooldown]:
        result: dict[str, Cooldown] = {}
        with self._lock:
            for deployment_id in ids:
                entry = self._entries.get(deployment_id)
                if entry is not None and entry.cooldown is not None:
                    if entry.cooldown.until > now:
                        result[deployment_id] = entry.cooldown
                    else:
                        entry.cooldown = None
        return result

    async def cool(self, deployment_id: str, cooldown: Cooldown, now: float) -> None:
        with self._lock:
            entry = self._entry(deployment_id)
            current = entry.cooldown
            # never shorten a longer cooldown already in force
            if current is None or current.until <= now or cooldown.until >= current.until:
                entry.cooldown = cooldown

    async def record_failure(
        self,
        deployment_id: str,
        now: float,
        *,
        window: float,
        allowed_fails: int,
        cooldown_time: float,
        reason: str = "failures",
    ) -> Cooldown | None:
        with self._lock:
            entry = self._entry(deployment_id)
            entry.failures = [t for t in entry.failures if t > now - window]
            entry.failures.append(now)
            if len(entry.failures) <= allowed_fails:
                return None
            entry.failures.clear()
            cooldown = Cooldown(now + cooldown_time, reason)
            if entry.cooldown is None or entry.cooldown.until < cooldown.until:
                entry.cooldown = cooldown
            return entry.cooldown

    async def latencies(self, ids: Sequence[str]) -> dict[str, LatencyStats]:
        with self._lock:
            return {
                i: LatencyStats(e.latency, e.ttft, e.updated_at)
                for i in ids
                if (e := self._entries.get(i)) is not None and (e.latency is not None or e.ttft is not None)
            }

    async def record_latency(
        self, deployment_id: str, *, latency: float | None, ttft: float | None, alpha: float, now: float
    ) -> None:
        with self._lock:
            entry = self._entry(deployment_id)
            entry.updated_at = now
            if latency is not None:
                entry.latency = ewma(entry.latency, latency, alpha)
            if ttft is not None:
                entry.ttft = ewma(entry.ttft, ttft, alpha)

    async def aclose(self) -> None:
        return None


FOREVER = math.inf
