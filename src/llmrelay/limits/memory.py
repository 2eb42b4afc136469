"""The in-process limiter: exact within one process, shared by nothing else."""

from __future__ import annotations

import itertools
import math
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
    # the buckets' sums, kept as they change: a check reads two ints instead of summing every bucket
    # of the window (61 of them once a key has had a minute of traffic)
    requests: int = 0
    tokens: int = 0
    # the lowest bucket index held (None when none is): pruning scans the buckets only when one of
    # them has left the window, at most once a bucket (a second)
    first: int | None = None
    # the earliest lease expiry (inf when none): leases are scanned only when one has run out
    next_expiry: float = math.inf

    def prune(self, oldest: int, now: float) -> None:
        if self.first is not None and self.first < oldest:
            for index in [i for i in self.buckets if i < oldest]:
                requests, tokens = self.buckets.pop(index)
                self.requests -= requests
                self.tokens -= tokens
            self.first = min(self.buckets, default=None)
        if self.next_expiry <= now:
            for rid in [r for r, until in self.leases.items() if until <= now]:
                del self.leases[rid]
            self.next_expiry = min(self.leases.values(), default=math.inf)

    def add(self, bucket: int, tokens: int, rid: str, until: float) -> None:
        counts = self.buckets.get(bucket)
        if counts is None:
            counts = self.buckets[bucket] = [0, 0]
            if self.first is None or bucket < self.first:
                self.first = bucket
        counts[0] += 1
        counts[1] += tokens
        self.requests += 1
        self.tokens += tokens
        self.leases[rid] = until
        if until < self.next_expiry:
            self.next_expiry = until

    def add_tokens(self, bucket: int, delta: int) -> None:
        """Correct a bucket's tokens by `delta` (never below zero), if the bucket is still held."""
        counts = self.buckets.get(bucket)
        if counts is not None:
            fitted = max(0, counts[1] + delta)
            self.tokens += fitted - counts[1]
            counts[1] = fitted

    def sums(self) -> tuple[int, int]:
        return self.requests, self.tokens

    def ordered(self, slot: int) -> list[tuple[int, int]]:
        return [(i, self.buckets[i][slot]) for i in sorted(self.buckets)]


class MemoryLimiter:
    """A lock keeps it correct when the sync API's loop thread and the caller's loop share it."""

    def __init__(self, window: Window | None = None) -> None:
        self.window = window or Window()
        # the window's geometry as plain numbers: read on every reservation
        self._bucket = self.window.bucket
        self._span = self.window.buckets
        self._keys: dict[str, _KeyState] = {}
        self._lock = threading.Lock()
        # reservation ids only name leases inside this limiter: a counter is unique enough
        self._ids = itertools.count(1)

    def _state(self, key: str, now: float) -> _KeyState:
        state = self._keys.get(key)
        if state is None:
            state = self._keys[key] = _KeyState()
        state.prune(math.floor(now / self._bucket) - self._span + 1, now)
        return state

    async def reserve(
        self, limits: Sequence[Limit], tokens: int, *, now: float, lease: float
    ) -> Reservation | Refusal:
        return self.reserve_now(limits, tokens, now=now, lease=lease)

    def reserve_now(
        self, limits: Sequence[Limit], tokens: int, *, now: float, lease: float
    ) -> Reservation | Refusal:
        bucket = math.floor(now / self._bucket)
        oldest = bucket - self._span + 1
        keys = self._keys
        with self._lock:
            states = []
            for limit in limits:
                state = keys.get(limit.key)
                if state is None:
                    state = keys[limit.key] = _KeyState()
                state.prune(oldest, now)
                refusal = self._check(limit, state, tokens, now)
                if refusal is not None:
                    return refusal
                states.append(state)
            rid = str(next(self._ids))
            until = now + lease
            for state in states:
                state.add(bucket, tokens, rid, until)
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
        # Settlement.of's arithmetic, without building the value: this runs once per call
        delta = 0 if actual_tokens is None else actual_tokens - reservation.tokens
        self._apply(reservation.id, reservation.keys, reservation.bucket, delta)

    async def settle_all(self, settlements: Sequence[Settlement], *, now: float) -> None:
        for settlement in settlements:
            self._apply(settlement.id, settlement.keys, settlement.bucket, settlement.delta)

    def _apply(self, rid: str, keys: tuple[str, ...], bucket: int, delta: int) -> None:
        with self._lock:
            for key in keys:
                state = self._keys.get(key)
                if state is None:
                    continue
                state.leases.pop(rid, None)
                if delta:
                    state.add_tokens(bucket, delta)

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
