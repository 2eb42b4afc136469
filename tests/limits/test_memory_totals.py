"""The memory limiter keeps each key's window sums as they change (no sum over the window's buckets per
check): after any sequence of reservations, settlements and time passing, the kept sums, the pruned
buckets and the live leases are what recounting the buckets from scratch gives."""

from __future__ import annotations

import math
import random

import pytest

from llmrelay.limits import Limit, MemoryLimiter, Reservation

T0 = 1_700_000_000.0


@pytest.mark.parametrize("seed", range(20))
def test_kept_sums_match_a_recount(seed: int) -> None:
    rng = random.Random(seed)
    limiter = MemoryLimiter()
    limits = [Limit("a", rpm=10_000, tpm=10_000_000, max_parallel=1_000), Limit("b", tpm=10_000_000)]
    held: list[Reservation] = []
    now = T0
    for _ in range(600):
        # mostly small steps, sometimes far enough for every bucket (or lease) to leave the window
        now += rng.choice([0.0, 0.3, 1.0, 2.5, 17.0, 70.0, 700.0])
        if held and rng.random() < 0.5:
            reservation = held.pop(rng.randrange(len(held)))
            limiter.settle_now(reservation, rng.choice([None, 0, 5, 5000]), now=now)
        else:
            got = limiter.reserve_now(
                rng.sample(limits, rng.randint(1, 2)),
                rng.randint(0, 300),
                now=now,
                lease=rng.choice([5.0, 660.0]),
            )
            assert isinstance(got, Reservation)
            held.append(got)
        for key, state in limiter._keys.items():
            state.prune(limiter.window.index(now) - limiter.window.buckets + 1, now)
            recount = (sum(r for r, _ in state.buckets.values()), sum(t for _, t in state.buckets.values()))
            assert state.sums() == recount, key
            assert state.first == min(state.buckets, default=None)
            assert all(index > limiter.window.index(now) - limiter.window.buckets for index in state.buckets)
            assert all(until > now for until in state.leases.values())
            assert state.next_expiry <= min(state.leases.values(), default=math.inf)


def test_a_refusal_counts_what_the_window_still_holds() -> None:
    """Decisions read the kept sums: a full minute of traffic refuses, and one bucket leaving the
    window frees exactly what it held."""
    limiter = MemoryLimiter()
    limit = Limit("k", rpm=61)
    for second in range(61):
        assert isinstance(limiter.reserve_now([limit], 0, now=T0 + second, lease=1), Reservation)
    assert not isinstance(limiter.reserve_now([limit], 0, now=T0 + 60.5, lease=1), Reservation)
    # the first bucket (T0) leaves the 61-bucket window at T0 + 61
    assert isinstance(limiter.reserve_now([limit], 0, now=T0 + 61, lease=1), Reservation)
    assert not isinstance(limiter.reserve_now([limit], 0, now=T0 + 61.5, lease=1), Reservation)
