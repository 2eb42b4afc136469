"""Router state in Redis: cooldowns, failure counts and latency averages seen by every process that
uses the same Redis and key prefix. Each update is one atomic Lua script."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llmrelay.limits.degrade import DegradingLimiter, RedisGuard
from llmrelay.limits.memory import MemoryLimiter
from llmrelay.limits.redis import RedisLimiter
from llmrelay.limits.redis_loops import LoopRedis
from llmrelay.router.shared import SharedBackends
from llmrelay.router.state import Cooldown, LatencyStats, MemoryRouterState, RouterState

if TYPE_CHECKING:
    from redis.asyncio import Redis

# KEYS[1] = cooldown key. ARGV: now, until ("inf" = no expiry), reason, fingerprint.
# A cooldown already in force that lasts longer is kept. Returns the cooldown in force.
_COOL = """
local function num(text) if text == 'inf' then return math.huge end return tonumber(text) end
local now = tonumber(ARGV[1])
local current = redis.call('GET', KEYS[1])
if current then
  local until_ = num(string.match(current, '^([^|]+)'))
  if until_ > now and until_ >= num(ARGV[2]) then return current end
end
local value = ARGV[2] .. '|' .. ARGV[3] .. '|' .. ARGV[4]
if ARGV[2] == 'inf' then
  redis.call('SET', KEYS[1], value)
else
  redis.call('SET', KEYS[1], value, 'PX', math.max(1, math.ceil((tonumber(ARGV[2]) - now) * 1000)))
end
return value
"""

# KEYS[1] = failures zset, KEYS[2] = cooldown key. ARGV: now, window, allowed_fails, cooldown_time,
# a unique member, the cooldown's reason. Returns the cooldown started (or in force), or false.
_FAIL = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
if redis.call('ZCARD', KEYS[1]) <= tonumber(ARGV[3]) then return false end
redis.call('DEL', KEYS[1])
local until_ = now + tonumber(ARGV[4])
local current = redis.call('GET', KEYS[2])
if current then
  local head = string.match(current, '^([^|]+)')
  local existing = head == 'inf' and math.huge or tonumber(head)
  if existing > now and existing >= until_ then return current end
end
local value = string.format('%.6f', until_) .. '|' .. ARGV[6] .. '|'
redis.call('SET', KEYS[2], value, 'PX', math.max(1, math.ceil(tonumber(ARGV[4]) * 1000)))
return value
"""

# KEYS[1] = latency hash. ARGV: alpha, latency ('' = none), ttft ('' = none), now
_LATENCY = """
local alpha = tonumber(ARGV[1])
for i, field in ipairs({'latency', 'ttft'}) do
  local sample = ARGV[i + 1]
  if sample ~= '' then
    local previous = redis.call('HGET', KEYS[1], field)
    local value = tonumber(sample)
    if previous then value = alpha * value + (1 - alpha) * tonumber(previous) end
    redis.call('HSET', KEYS[1], field, string.format('%.6f', value))
  end
end
redis.call('HSET', KEYS[1], 'at', ARGV[4])
redis.call('EXPIRE', KEYS[1], 86400)
return 1
"""


def _decode(value: Any) -> Cooldown | None:
    if not value:
        return None
    text = value.decode() if isinstance(value, bytes) else str(value)
    until, reason, fingerprint = [*text.split("|", 2), "", ""][:3]
    return Cooldown(math.inf if until == "inf" else float(until), reason, fingerprint)


class RedisRouterState:
    def __init__(self, redis: Redis | LoopRedis, prefix: str) -> None:
        self.redis = redis if isinstance(redis, LoopRedis) else LoopRedis.single(redis)
        self.prefix = prefix
        self._cool = self.redis.register_script(_COOL)
        self._fail = self.redis.register_script(_FAIL)
        self._latency = self.redis.register_script(_LATENCY)
        self._member = 0

    def _key(self, kind: str, deployment_id: str) -> str:
        return f"{self.prefix}{kind}:{deployment_id}"

    async def cooldowns(self, ids: Sequence[str], now: float) -> dict[str, Cooldown]:
        if not ids:
            return {}
        values = await self.redis.client.mget([self._key("cooldown", i) for i in ids])
        result = {}
        for deployment_id, value in zip(ids, values, strict=True):
            cooldown = _decode(value)
            if cooldown is not None and cooldown.until > now:
                result[deployment_id] = cooldown
        return result

    async def cool(self, deployment_id: str, cooldown: Cooldown, now: float) -> None:
        until = "inf" if math.isinf(cooldown.until) else f"{cooldown.until:.6f}"
        await self._cool(
            keys=[self._key("cooldown", deployment_id)],
            args=[repr(now), until, cooldown.reason, cooldown.fingerprint],
            client=self.redis.client,
        )

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
        import uuid

        value = await self._fail(
            keys=[self._key("fails", deployment_id), self._key("cooldown", deployment_id)],
            args=[repr(now), repr(window), allowed_fails, repr(cooldown_time), uuid.uuid4().hex, reason],
            client=self.redis.client,
        )
        return _decode(value)

    async def latencies(self, ids: Sequence[str]) -> dict[str, LatencyStats]:
        async with self.redis.client.pipeline(transaction=False) as pipe:
            for deployment_id in ids:
                pipe.hmget(self._key("latency", deployment_id), ["latency", "ttft", "at"])
            rows = await pipe.execute()
        result = {}
        for deployment_id, (latency, ttft, at) in zip(ids, rows, strict=True):
            if latency is not None or ttft is not None:
                result[deployment_id] = LatencyStats(_float(latency), _float(ttft), _float(at))
        return result

    async def record_latency(
        self, deployment_id: str, *, latency: float | None, ttft: float | None, alpha: float, now: float
    ) -> None:
        args = [repr(alpha), "" if latency is None else repr(latency), "" if ttft is None else repr(ttft),
                repr(now)]  # fmt: skip
        await self._latency(keys=[self._key("latency", deployment_id)], args=args, client=self.redis.client)

    async def aclose(self) -> None:
        await self.redis.aclose()


class DegradingRouterState:
    """Redis first; this process's memory while Redis is down (see limits.degrade)."""

    def __init__(self, primary: RouterState, fallback: RouterState, guard: RedisGuard) -> None:
        self.primary = primary
        self.fallback = fallback
        self.guard = guard

    async def cooldowns(self, ids: Sequence[str], now: float) -> dict[str, Cooldown]:
        return await self.guard.run(
            lambda: self.primary.cooldowns(ids, now), lambda: self.fallback.cooldowns(ids, now)
        )

    async def cool(self, deployment_id: str, cooldown: Cooldown, now: float) -> None:
        # kept locally as well, so a Redis outage does not forget a cooldown this process set
        await self.fallback.cool(deployment_id, cooldown, now)
        await self.guard.run(lambda: self.primary.cool(deployment_id, cooldown, now), _nothing)

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
        return await self.guard.run(
            lambda: self.primary.record_failure(
                deployment_id, now, window=window, allowed_fails=allowed_fails,
                cooldown_time=cooldown_time, reason=reason,
            ),
            lambda: self.fallback.record_failure(
                deployment_id, now, window=window, allowed_fails=allowed_fails,
                cooldown_time=cooldown_time, reason=reason,
            ),
        )  # fmt: skip

    async def latencies(self, ids: Sequence[str]) -> dict[str, LatencyStats]:
        return await self.guard.run(lambda: self.primary.latencies(ids), lambda: self.fallback.latencies(ids))

    async def record_latency(
        self, deployment_id: str, *, latency: float | None, ttft: float | None, alpha: float, now: float
    ) -> None:
        await self.guard.run(
            lambda: self.primary.record_latency(
                deployment_id, latency=latency, ttft=ttft, alpha=alpha, now=now
            ),
            lambda: self.fallback.record_latency(
                deployment_id, latency=latency, ttft=ttft, alpha=alpha, now=now
            ),
        )

    async def aclose(self) -> None:
        await self.primary.aclose()


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


async def _nothing() -> None:
    return None


def redis_backends(redis_url: str, key_prefix: str) -> SharedBackends:
    from redis.asyncio import BlockingConnectionPool, Redis

    # short timeouts: a slow Redis must degrade to local state, not stall every call; a bounded
    # pool that makes callers queue for a connection rather than fail under a burst
    def client() -> Redis:
        pool = BlockingConnectionPool.from_url(
            redis_url, max_connections=64, timeout=2.0, socket_timeout=0.5, socket_connect_timeout=0.5
        )
        return Redis(connection_pool=pool)

    # an SDK Router is called from its own loop thread and from callers' loops: a client per loop
    redis = LoopRedis(client)
    guard = RedisGuard("router")
    limiter = DegradingLimiter(RedisLimiter(redis, prefix=key_prefix + "limits:"), MemoryLimiter(), guard)
    state = DegradingRouterState(RedisRouterState(redis, key_prefix), MemoryRouterState(), guard)
    return SharedBackends(state, limiter)
