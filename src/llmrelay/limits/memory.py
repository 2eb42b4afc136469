"""The in-process limiter: exact within one process, shared by nothing else."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from llmrelay.limits.base import Limit, LimitUsage, Refusal, Reservation, Settlement, Window, free_after


@dataclass(slots=True)
class _KeyState:
    # bucket index → [requests, tokens]
    buckets: dict[int, list[int]] = field(default_factory=dict)
    # reservation id → lease expiry
    leases: dict[str, float] = field(default_factory=dict)

    def prune(self, oldest: int, now: float) -> None:
        for index in [i for i in self.buckets if i < oldest]:
            del self.buckets[index]
        for rid in [r for r, until in self.leases.items() if until <= now]:
            del self.leases[rid]

    def sums(self) -> tuple[int, int]:
        requests = tokens = 0
        for r, t in self.buckets.values():
            requests += r
            tokens += t
        return requests, tokens

    def ordered(self, slot: int) -> list[tuple[int, int]]:
        return [(i, self.buckets[i][slot]) for i in sorted(self.buckets)]


class MemoryLimiter:
    """A lock keeps it correct when the sync API's loop thread and the caller's loop share it."""

    def __init__(self, window: Window | None = None) -> None:
        self.window = window or Window()
        self._keys: dict[str, _KeyState] = {}
        self._lock = threading.Lock()
        self._ids = random.Random()

    def _state(self, key: str, now: float) -> _KeyState:
        state = self._keys.get(key)
        if state is None:
            state = self._keys[key] = _KeyState()
        state.prune(self.window.index(now) - self.window.buckets + 1, now)
        return state

    async def reserve(
        self, limits: Sequence[Limit], tokens: int, *, now: float, lease: float
    ) -> Reservation | Refusal:
        return self.reserve_now(limits, tokens, now=now, lease=lease)

    def reserve_now(
        self, limits: Sequence[Limit], tokens: int, *, now: float, lease: float
    ) -> Reservation | Refusal:
        bucket = self.window.index(now)
        with self._lock:
            states = [self._state(limit.key, now) for limit in limits]
            for limit, state in zip(limits, states, strict=True):
                refusal = self._check(limit, state, tokens, now)
                if refusal is not None:
                    return refusal
            rid = f"{self._ids.getrandbits(128):032x}"
            for state in states:
                counts = state.buckets.setdefault(bucket, [0, 0])
                counts[0] += 1
                counts[1] += tokens
                state.leases[rid] = now + lease
        return Reservation(rid, tuple(limit.key for limit in limits), tokens, bucket)

    def _check(self, limit: Limit, state: _KeyState, tokens: int, now: float) -> Refusal | None:
        requests, used_tokens = state.sums()
        if limit.rpm is not None and requests + 1 > limit.rpm:
            wait = free_after(state.ordered(0), requests + 1 - limit.rpm, self.window, now)
            return Refusal(limit.key, "rpm", wait)
        if limit.tpm is not None and used_tokens + tokens > limit.tpm:
            # a request larger than the whole budget can never fit
            if tokens > limit.tpm:
                return Refusal(limit.key, "tpm", None)
            wait = free_after(state.ordered(1), used_tokens + tokens - limit.tpm, self.window, now)
            return Refusal(limit.key, "tpm", wait)
        if limit.max_parallel is not None and len(state.leases) >= limit.max_parallel:
            return Refusal(limit.key, "parallel", None)
        return None

    async def settle(self, reservation: Reservation, actual_tokens: int | None, *, now: float) -> None:
        self.settle_now(reservation, actual_tokens, now=now)

    def settle_now(self, reservation: Reservation, actual_tokens: int | None, *, now: float) -> None:
        if reservation.settled:
            return
        reservation.settled = True
        self._apply(Settlement.of(reservation, actual_tokens))

    async def settle_all(self, settlements: Sequence[Settlement], *, now: float) -> None:
        for settlement in settlements:
            self._apply(settlement)

    def _apply(self, settlement: Settlement) -> None:
        delta = settlement.delta
        with self._lock:
            for key in settlement.keys:
                state = self._keys.get(key)
                if state is None:
                    continue
                state.leases.pop(settlement.id, None)
                counts = state.buckets.get(settlement.bucket)
                if counts is not None and delta:
                    counts[1] = max(0, counts[1] + delta)

    async def usage(self, keys: Sequence[str], *, now: float) -> dict[str, LimitUsage]:
        result: dict[str, LimitUsage] = {}
        with self._lock:
            for key in keys:
                state = self._state(key, now)
                requests, tokens = state.sums()
                result[key] = LimitUsage(requests, tokens, len(state.leases))
        return result

    async def aclose(self) -> None:
        return None
