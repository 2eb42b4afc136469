"""The limiter contract and the sliding-window arithmetic both backends share.

Counting: time is cut into buckets (1 s by default) and a limit looks at the last `window / bucket + 1`
buckets. Any 60-second interval overlaps at most 61 one-second buckets, so keeping that sum under the
limit means no 60-second interval ever holds more than the limit — exact in the "never exceeded"
sense, conservative by at most one bucket. A fixed per-minute window would allow twice the limit
across a minute boundary."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Limit:
    """Budgets for one key; None = unlimited. `max_parallel` caps calls in flight."""

    key: str
    rpm: int | None = None
    tpm: int | None = None
    max_parallel: int | None = None


@dataclass(slots=True)
class Reservation:
    """Granted capacity, to be settled once (with the real token count) when the call ends."""

    id: str
    keys: tuple[str, ...]
    tokens: int
    bucket: int
    settled: bool = field(default=False)
    # which backend granted it ("memory" | "redis"), so a degraded limiter settles it there
    origin: str = "memory"


@dataclass(frozen=True, slots=True)
class Settlement:
    """One reservation's settlement as sent to a backend: free its parallel slot on each key, and
    correct its bucket's tokens by `delta` (the real count minus the estimate)."""

    id: str
    keys: tuple[str, ...]
    bucket: int
    delta: int
    origin: str = "memory"

    @classmethod
    def of(cls, reservation: Reservation, actual_tokens: int | None) -> Settlement:
        delta = 0 if actual_tokens is None else actual_tokens - reservation.tokens
        return cls(reservation.id, reservation.keys, reservation.bucket, delta, reservation.origin)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a reservation was refused: which key and budget, and when capacity should be back
    (None = not known, e.g. waiting on calls in flight)."""

    key: str
    reason: str  # "rpm" | "tpm" | "parallel"
    retry_after: float | None


@dataclass(frozen=True, slots=True)
class LimitUsage:
    requests: int = 0
    tokens: int = 0
    in_flight: int = 0


@dataclass(frozen=True, slots=True)
class Window:
    """Sliding window geometry: `seconds` long, counted in buckets of `bucket` seconds."""

    seconds: float = 60.0
    bucket: float = 1.0

    @property
    def buckets(self) -> int:
        return math.ceil(self.seconds / self.bucket) + 1

    def index(self, now: float) -> int:
        return math.floor(now / self.bucket)

    def expires_at(self, bucket_index: int) -> float:
        """When a bucket stops counting."""
        return (bucket_index + self.buckets) * self.bucket


class Limiter(Protocol):
    async def reserve(
        self, limits: Sequence[Limit], tokens: int, *, now: float, lease: float
    ) -> Reservation | Refusal:
        """All-or-nothing: count one request and `tokens` against every limit, and take a parallel
        slot (held until settled, or until `lease` seconds pass if the holder dies)."""
        ...

    async def settle(self, reservation: Reservation, actual_tokens: int | None, *, now: float) -> None:
        """Replace the reserved token estimate by the real count and free the parallel slot.
        Idempotent. actual_tokens None keeps the estimate."""
        ...

    async def settle_all(self, settlements: Sequence[Settlement], *, now: float) -> None:
        """Apply settlements already taken from their reservations (limits.settler marks each
        reservation settled when it queues it): every one in a single round trip where the backend
        has one."""
        ...

    async def usage(self, keys: Sequence[str], *, now: float) -> dict[str, LimitUsage]: ...

    async def aclose(self) -> None: ...


def free_after(counts: Sequence[tuple[int, int]], excess: int, window: Window, now: float) -> float:
    """Seconds until `excess` units have left the window, given (bucket index, units) oldest first."""
    freed = 0
    for index, units in counts:
        freed += units
        if freed >= excess:
            return max(0.0, window.expires_at(index) - now)
    return window.seconds
