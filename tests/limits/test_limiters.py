"""The reserve → settle contract, run against the memory and the real Redis backends."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import pytest

from llmrelay.limits import Limit, MemoryLimiter, Refusal, Reservation
from llmrelay.limits.base import Limiter, Settlement
from llmrelay.limits.degrade import DegradingLimiter, RedisGuard
from llmrelay.limits.redis import RedisLimiter

REDIS_URL = "redis://127.0.0.1:6379/0"
T0 = 1_700_000_000.0


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[Limiter]:
    if request.param == "memory":
        yield MemoryLimiter()
        return
    from redis.asyncio import BlockingConnectionPool, Redis

    redis = Redis(connection_pool=BlockingConnectionPool.from_url(REDIS_URL, max_connections=32))
    prefix = f"test:limits:{uuid.uuid4().hex}:"
    try:
        yield RedisLimiter(redis, prefix=prefix)
    finally:
        keys = [k async for k in redis.scan_iter(match=prefix + "*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def test_rpm_refuses_the_extra_request_and_says_when(limiter: Limiter) -> None:
    limit = Limit("d1", rpm=3)
    for i in range(3):
        assert isinstance(await limiter.reserve([limit], 0, now=T0 + i, lease=60), Reservation)
    refusal = await limiter.reserve([limit], 0, now=T0 + 10, lease=60)
    assert isinstance(refusal, Refusal) and refusal.reason == "rpm"
    # the oldest request (at T0) leaves the 61 one-second buckets at T0 + 61
    assert refusal.retry_after == pytest.approx(51.0)
    assert isinstance(await limiter.reserve([limit], 0, now=T0 + 61, lease=60), Reservation)


async def test_tpm_is_settled_with_the_real_count(limiter: Limiter) -> None:
    limit = Limit("d1", tpm=100)
    first = await limiter.reserve([limit], 80, now=T0, lease=60)
    assert isinstance(first, Reservation)
    assert isinstance(await limiter.reserve([limit], 30, now=T0, lease=60), Refusal)
    await limiter.settle(first, 20, now=T0 + 1)
    assert isinstance(await limiter.reserve([limit], 30, now=T0 + 1, lease=60), Reservation)
    usage = (await limiter.usage(["d1"], now=T0 + 1))["d1"]
    assert (usage.requests, usage.tokens) == (2, 50)


async def test_a_request_larger_than_the_budget_never_fits(limiter: Limiter) -> None:
    refusal = await limiter.reserve([Limit("d1", tpm=10)], 11, now=T0, lease=60)
    assert isinstance(refusal, Refusal) and refusal.retry_after is None


async def test_parallel_slots_are_freed_by_settle_or_lease_expiry(limiter: Limiter) -> None:
    limit = Limit("d1", max_parallel=2)
    a = await limiter.reserve([limit], 0, now=T0, lease=30)
    b = await limiter.reserve([limit], 0, now=T0, lease=5)
    assert isinstance(a, Reservation) and isinstance(b, Reservation)
    refused = await limiter.reserve([limit], 0, now=T0, lease=30)
    assert isinstance(refused, Refusal) and refused.reason == "parallel"
    assert (await limiter.usage(["d1"], now=T0))["d1"].in_flight == 2
    await limiter.settle(a, None, now=T0 + 1)
    assert isinstance(await limiter.reserve([limit], 0, now=T0 + 1, lease=30), Reservation)
    # b's holder never settles (crashed): its lease runs out
    assert isinstance(await limiter.reserve([limit], 0, now=T0 + 2, lease=30), Refusal)
    assert isinstance(await limiter.reserve([limit], 0, now=T0 + 6, lease=30), Reservation)


async def test_all_or_nothing_across_keys(limiter: Limiter) -> None:
    key, team = Limit("key:1", rpm=5), Limit("team:1", rpm=1)
    assert isinstance(await limiter.reserve([key, team], 0, now=T0, lease=60), Reservation)
    refusal = await limiter.reserve([key, team], 0, now=T0, lease=60)
    assert isinstance(refusal, Refusal) and refusal.key == "team:1"
    # the refused call did not count against the key
    assert (await limiter.usage(["key:1"], now=T0))["key:1"].requests == 1


async def test_concurrent_reservations_never_exceed_rpm(limiter: Limiter) -> None:
    limit = Limit("d1", rpm=50)
    results = await asyncio.gather(*(limiter.reserve([limit], 1, now=T0, lease=60) for _ in range(200)))
    assert sum(isinstance(r, Reservation) for r in results) == 50


async def test_settle_all_applies_a_batch_of_settlements(limiter: Limiter) -> None:
    """The settler's batch (one round trip in Redis): each reservation's tokens corrected and its
    parallel slot freed, on every key it holds."""
    key, team = Limit("key:1", tpm=1000, max_parallel=3), Limit("team:1", max_parallel=3)
    grants = [await limiter.reserve([key, team], 10, now=T0, lease=60) for _ in range(3)]
    assert all(isinstance(g, Reservation) for g in grants)
    assert isinstance(await limiter.reserve([key, team], 10, now=T0, lease=60), Refusal)
    batch = [Settlement.of(g, tokens) for g, tokens in zip(grants, (25, 10, None), strict=True)
             if isinstance(g, Reservation)]  # fmt: skip
    await limiter.settle_all(batch, now=T0 + 1)
    usage = await limiter.usage(["key:1", "team:1"], now=T0 + 1)
    assert (usage["key:1"].tokens, usage["key:1"].in_flight, usage["team:1"].in_flight) == (45, 0, 0)


async def test_redis_down_degrades_to_local_limits_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    from redis.asyncio import Redis

    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    limiter = DegradingLimiter(RedisLimiter(dead), MemoryLimiter(), RedisGuard("test"))
    limit = Limit("d1", rpm=1)
    with caplog.at_level(logging.WARNING, logger="llmrelay.limits"):
        first = await limiter.reserve([limit], 0, now=T0, lease=60)
        second = await limiter.reserve([limit], 0, now=T0, lease=60)
    assert isinstance(first, Reservation) and first.origin == "memory"
    assert isinstance(second, Refusal)
    assert "Redis unavailable" in caplog.text
    await limiter.settle(first, 3, now=T0)
    await dead.aclose()
