"""Settlement off the answer's path (limits/settler.py): queued, one round trip per batch, bounded,
never lost, degraded as an awaited settle was; and limits exact across two limiter instances sharing
the real Redis while their settlements are deferred."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import AsyncIterator, Sequence

import pytest

from llmrelay.limits import Limit, MemoryLimiter, Refusal, Reservation
from llmrelay.limits.base import LimitUsage, Settlement
from llmrelay.limits.degrade import DegradingLimiter, RedisGuard
from llmrelay.limits.redis import RedisLimiter
from llmrelay.limits.settler import Settler

REDIS_URL = "redis://127.0.0.1:6379/0"
T0 = 1_700_000_000.0


class _Redis:
    """A client of the real Redis under a prefix of its own, removed afterwards."""

    def __init__(self) -> None:
        from redis.asyncio import BlockingConnectionPool, Redis

        self.prefix = f"test:settler:{uuid.uuid4().hex}:"
        self.clients: list[Redis] = []
        self._make = lambda: Redis(
            connection_pool=BlockingConnectionPool.from_url(REDIS_URL, max_connections=16)
        )

    def limiter(self) -> RedisLimiter:
        """A limiter on a client (and connection pool) of its own: another gateway instance."""
        client = self._make()
        self.clients.append(client)
        return RedisLimiter(client, prefix=self.prefix)

    async def aclose(self) -> None:
        client = self.clients[0]
        keys = [k async for k in client.scan_iter(match=self.prefix + "*")]
        if keys:
            await client.delete(*keys)
        for client in self.clients:
            await client.aclose()


@pytest.fixture
async def shared_redis() -> AsyncIterator[_Redis]:
    redis = _Redis()
    try:
        yield redis
    finally:
        await redis.aclose()


class _Counting:
    """A limiter whose batched settlements are counted (and can be held back by a gate)."""

    def __init__(self, inner: RedisLimiter | MemoryLimiter, gate: asyncio.Event | None = None) -> None:
        self.inner = inner
        self.gate = gate
        self.batches: list[int] = []

    async def reserve(self, limits: Sequence[Limit], tokens: int, *, now: float, lease: float
                      ) -> Reservation | Refusal:  # fmt: skip
        return await self.inner.reserve(limits, tokens, now=now, lease=lease)

    async def settle(self, reservation: Reservation, actual_tokens: int | None, *, now: float) -> None:
        await self.inner.settle(reservation, actual_tokens, now=now)

    async def settle_all(self, settlements: Sequence[Settlement], *, now: float) -> None:
        if self.gate is not None:
            await self.gate.wait()
        self.batches.append(len(settlements))
        await self.inner.settle_all(settlements, now=now)

    async def usage(self, keys: Sequence[str], *, now: float) -> dict[str, LimitUsage]:
        return await self.inner.usage(keys, now=now)

    async def aclose(self) -> None:
        return None


async def test_a_memory_reservation_is_settled_at_once() -> None:
    """No round trip to save: the in-memory limiter's semantics are unchanged (no queue, no task)."""
    limiter = MemoryLimiter()
    settler = Settler(limiter)
    grant = await limiter.reserve([Limit("k", tpm=100, max_parallel=1)], 1, now=T0, lease=60)
    assert isinstance(grant, Reservation)
    await settler.settle(grant, 40, now=T0)
    assert (await limiter.usage(["k"], now=T0))["k"] == LimitUsage(1, 40, 0)
    assert settler.round_trips == 0 and settler.pending == 0


async def test_queued_settlements_go_in_one_round_trip(shared_redis: _Redis) -> None:
    """What is queued when the flusher runs goes in one round trip; what arrives while that round
    trip is in flight goes in the next."""
    hold = asyncio.Event()
    limiter = _Counting(shared_redis.limiter(), hold)
    settler = Settler(limiter)
    limit = Limit("key:a", tpm=10_000, max_parallel=100)
    grants = [await limiter.reserve([limit], 1, now=T0, lease=60) for _ in range(35)]
    reservations = [g for g in grants if isinstance(g, Reservation)]
    assert len(reservations) == 35
    for grant in reservations[:30]:
        await settler.settle(grant, 11, now=T0)  # returns at once: the round trip comes later
    # the flusher runs while this awaits Redis: it takes all 30 (held back before sending)
    assert (await limiter.usage(["key:a"], now=T0))["key:a"].in_flight == 35
    for grant in reservations[30:]:
        await settler.settle(grant, 11, now=T0)
    hold.set()
    await settler.drain()
    assert limiter.batches == [30, 5]
    assert settler.round_trips == 2
    assert (await limiter.usage(["key:a"], now=T0))["key:a"] == LimitUsage(35, 385, 0)
    await settler.aclose()


async def test_a_full_queue_makes_the_caller_wait_and_loses_nothing(shared_redis: _Redis) -> None:
    hold = asyncio.Event()
    limiter = _Counting(shared_redis.limiter(), hold)
    settler = Settler(limiter, capacity=3, batch=2)
    limit = Limit("key:b", max_parallel=50)
    grants = [await limiter.reserve([limit], 0, now=T0, lease=60) for _ in range(10)]
    reservations = [g for g in grants if isinstance(g, Reservation)]
    tasks = [asyncio.create_task(settler.settle(g, None, now=T0)) for g in reservations]
    for _ in range(20):
        await asyncio.sleep(0)
    # one batch taken by the flusher (held), three queued: the other callers wait for room
    assert sum(t.done() for t in tasks) == 2 + 3
    assert settler.pending == 2 + 3
    hold.set()
    await asyncio.gather(*tasks)
    await settler.drain()
    assert sum(limiter.batches) == 10 and max(limiter.batches) <= 2
    assert (await limiter.usage(["key:b"], now=T0))["key:b"].in_flight == 0
    await settler.aclose()


async def test_redis_down_skips_its_settlements_as_the_awaited_settle_did(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The degrade policy of limits.degrade: a Redis reservation whose settlement cannot be sent is
    left to its lease; the flusher keeps going, and reservations made in memory meanwhile settle there."""
    from redis.asyncio import Redis

    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    limiter = DegradingLimiter(RedisLimiter(dead), MemoryLimiter(), RedisGuard("test", retry_interval=60))
    settler = Settler(limiter)
    granted_by_redis = Reservation("r1", ("k",), 1, 0, origin="redis")
    with caplog.at_level(logging.WARNING, logger="llmrelay.limits"):
        await settler.settle(granted_by_redis, 5, now=T0)
        await settler.drain()
        local = await limiter.reserve([Limit("k", max_parallel=1)], 1, now=T0, lease=60)
        assert isinstance(local, Reservation) and local.origin == "memory"
        await settler.settle(local, 3, now=T0)
    assert "Redis unavailable" in caplog.text
    assert granted_by_redis.settled and settler.pending == 0
    assert (await limiter.fallback.usage(["k"], now=T0))["k"] == LimitUsage(1, 3, 0)
    await settler.aclose()
    await dead.aclose()


async def test_a_failing_limiter_does_not_stop_the_flusher(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(_Counting):
        async def settle_all(self, settlements: Sequence[Settlement], *, now: float) -> None:
            self.batches.append(len(settlements))
            if len(self.batches) == 1:
                raise RuntimeError("script error")

    limiter = Broken(MemoryLimiter())
    settler = Settler(limiter)
    with caplog.at_level(logging.ERROR, logger="llmrelay.limits"):
        await settler.settle(Reservation("a", ("k",), 0, 0, origin="redis"), None, now=T0)
        await settler.drain()
        await settler.settle(Reservation("b", ("k",), 0, 0, origin="redis"), None, now=T0)
        await settler.drain()
    assert limiter.batches == [1, 1]
    assert "settling 1 limit reservations failed (RuntimeError)" in caplog.text
    await settler.aclose()


async def test_two_instances_never_admit_more_than_the_limits(shared_redis: _Redis) -> None:
    """Two gateway instances (two limiters, each with its own Redis client and settler) hammer the same
    key and team scopes at once, settling off the path. rpm admits exactly its limit; at no moment do
    more calls hold a parallel slot than the limit allows; nothing is left held once drained."""
    rpm, parallel = 120, 4
    scopes = [Limit("key:k1", rpm=rpm, tpm=1_000_000, max_parallel=parallel), Limit("team:t1", rpm=10_000)]
    limiters = [shared_redis.limiter() for _ in range(2)]
    instances = [(limiter, Settler(limiter)) for limiter in limiters]
    rng = random.Random(13)
    holding = 0
    most = 0
    admitted = refused_parallel = 0

    async def client(limiter: RedisLimiter, settler: Settler) -> None:
        nonlocal holding, most, admitted, refused_parallel
        for _ in range(40):
            got = await limiter.reserve(scopes, 1, now=T0, lease=60)
            if isinstance(got, Refusal):
                refused_parallel += got.reason == "parallel"
                await asyncio.sleep(0)
                continue
            admitted += 1
            holding += 1
            most = max(most, holding)
            await asyncio.sleep(rng.random() * 0.002)  # the call
            holding -= 1  # before its settlement is queued: a slot counted here is still held in Redis
            await settler.settle(got, 7, now=T0)

    await asyncio.gather(*(client(*instances[i % 2]) for i in range(16)))
    for _, settler in instances:
        await settler.drain()
    assert most <= parallel
    assert refused_parallel > 0  # the parallel limit was reached, and held
    assert admitted <= rpm
    usage = await instances[0][0].usage(["key:k1", "team:t1"], now=T0)
    assert usage["key:k1"] == LimitUsage(admitted, 7 * admitted, 0)
    assert usage["team:t1"].requests == admitted
    # the rest of the minute's budget, taken by both instances at once: exactly rpm in all
    rest = await asyncio.gather(*(
        instances[i % 2][0].reserve([Limit("key:k1", rpm=rpm)], 1, now=T0 + 1, lease=60) for i in range(200)
    ))  # fmt: skip
    assert admitted + sum(isinstance(r, Reservation) for r in rest) == rpm
    for _, settler in instances:
        await settler.aclose()


async def test_aclose_sends_what_is_queued(shared_redis: _Redis) -> None:
    """A worker that stops settles what it queued before it goes."""
    limiter = shared_redis.limiter()
    settler = Settler(limiter)
    limit = Limit("key:c", tpm=1000, max_parallel=5)
    grants = [await limiter.reserve([limit], 1, now=T0, lease=600) for _ in range(3)]
    for grant in grants:
        assert isinstance(grant, Reservation)
        await settler.settle(grant, 4, now=T0)
    assert settler.pending == 3
    await settler.aclose()
    assert (await limiter.usage(["key:c"], now=T0))["key:c"] == LimitUsage(3, 12, 0)


async def test_scripts_missing_from_redis_are_loaded_again(shared_redis: _Redis) -> None:
    """EVALSHA first; a Redis that lost its scripts (restarted, flushed) answers NOSCRIPT, and the
    script is loaded and run again in the same call."""
    limiter = shared_redis.limiter()
    settler = Settler(limiter)
    limiter._reserve.sha = limiter._settle.sha = "0" * 40  # as if Redis had forgotten them
    grant = await limiter.reserve([Limit("key:d", max_parallel=1)], 1, now=T0, lease=60)
    assert isinstance(grant, Reservation)
    await settler.settle(grant, None, now=T0)
    await settler.drain()
    assert (await limiter.usage(["key:d"], now=T0))["key:d"].in_flight == 0
    assert limiter._settle.sha != "0" * 40
    await settler.aclose()
