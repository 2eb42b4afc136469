"""The Redis limiter: every process using the same Redis (and key prefix) shares one set of
counters, checked and updated by atomic Lua scripts, so limits hold across replicas — not
"limit x replicas". Clocks of the processes are assumed NTP-synchronised (buckets are 1 s)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llmrelay.limits.base import Limit, LimitUsage, Refusal, Reservation, Settlement, Window
from llmrelay.limits.redis_loops import LoopRedis

if TYPE_CHECKING:
    from redis.asyncio import Redis

# Per limit i: KEYS[2i-1] = counts hash (fields "r:<bucket>", "t:<bucket>"), KEYS[2i] = leases zset.
# ARGV: now, bucket, buckets, width, tokens, reservation id, lease until, ttl ms, then per limit
# rpm, tpm, max_parallel (-1 = unlimited).
_RESERVE = """
local now = tonumber(ARGV[1])
local bucket = tonumber(ARGV[2])
local nb = tonumber(ARGV[3])
local width = tonumber(ARGV[4])
local tokens = tonumber(ARGV[5])
local oldest = bucket - nb + 1
local n = #KEYS / 2

local function wait(list, excess)
  table.sort(list, function(a, b) return a[1] < b[1] end)
  local freed = 0
  for _, e in ipairs(list) do
    freed = freed + e[2]
    if freed >= excess then return (e[1] + nb) * width - now end
  end
  return nb * width
end

for i = 1, n do
  local ck, lk = KEYS[2 * i - 1], KEYS[2 * i]
  local rpm = tonumber(ARGV[9 + 3 * (i - 1)])
  local tpm = tonumber(ARGV[10 + 3 * (i - 1)])
  local par = tonumber(ARGV[11 + 3 * (i - 1)])
  local flat = redis.call('HGETALL', ck)
  local reqs, toks, stale = {}, {}, {}
  local rsum, tsum = 0, 0
  for j = 1, #flat, 2 do
    local f = flat[j]
    local v = tonumber(flat[j + 1])
    local idx = tonumber(string.sub(f, 3))
    if idx < oldest then
      stale[#stale + 1] = f
    elseif string.sub(f, 1, 1) == 'r' then
      rsum = rsum + v
      reqs[#reqs + 1] = {idx, v}
    else
      tsum = tsum + v
      toks[#toks + 1] = {idx, v}
    end
  end
  if #stale > 0 then redis.call('HDEL', ck, unpack(stale)) end
  if rpm >= 0 and rsum + 1 > rpm then
    return {0, i, 'rpm', tostring(wait(reqs, rsum + 1 - rpm))}
  end
  if tpm >= 0 and tsum + tokens > tpm then
    if tokens > tpm then return {0, i, 'tpm', ''} end
    return {0, i, 'tpm', tostring(wait(toks, tsum + tokens - tpm))}
  end
  redis.call('ZREMRANGEBYSCORE', lk, '-inf', now)
  if par >= 0 and redis.call('ZCARD', lk) >= par then
    return {0, i, 'parallel', ''}
  end
end
local ttl = tonumber(ARGV[8])
for i = 1, n do
  local ck, lk = KEYS[2 * i - 1], KEYS[2 * i]
  redis.call('HINCRBY', ck, 'r:' .. bucket, 1)
  if tokens > 0 then redis.call('HINCRBY', ck, 't:' .. bucket, tokens) end
  redis.call('PEXPIRE', ck, ttl)
  redis.call('ZADD', lk, ARGV[7], ARGV[6])
  local lease_ms = math.ceil((tonumber(ARGV[7]) - now) * 1000)
  redis.call('PEXPIRE', lk, math.max(ttl, lease_ms))
end
return {1}
"""

# Any number of settlements in one call (the settler's batch, or a single one). KEYS: each
# settlement's keys in turn, two per scope as above; ARGV: oldest bucket, then per settlement: its
# number of scopes, bucket, token delta, reservation id.
_SETTLE = """
local oldest = tonumber(ARGV[1])
local k = 1
for a = 2, #ARGV, 4 do
  local scopes = tonumber(ARGV[a])
  local bucket = tonumber(ARGV[a + 1])
  local delta = tonumber(ARGV[a + 2])
  local rid = ARGV[a + 3]
  for _ = 1, scopes do
    local ck, lk = KEYS[k], KEYS[k + 1]
    k = k + 2
    redis.call('ZREM', lk, rid)
    if delta ~= 0 and bucket >= oldest then
      local field = 't:' .. bucket
      local current = tonumber(redis.call('HGET', ck, field) or '0')
      if current + delta <= 0 then
        redis.call('HDEL', ck, field)
      else
        redis.call('HSET', ck, field, current + delta)
      end
    end
  end
end
return 1
"""

# KEYS as above; ARGV: now, oldest bucket → flat {requests, tokens, in_flight} per key
_USAGE = """
local now = tonumber(ARGV[1])
local oldest = tonumber(ARGV[2])
local out = {}
for i = 1, #KEYS / 2 do
  local ck, lk = KEYS[2 * i - 1], KEYS[2 * i]
  local flat = redis.call('HGETALL', ck)
  local rsum, tsum = 0, 0
  for j = 1, #flat, 2 do
    local f = flat[j]
    if tonumber(string.sub(f, 3)) >= oldest then
      if string.sub(f, 1, 1) == 'r' then rsum = rsum + tonumber(flat[j + 1])
      else tsum = tsum + tonumber(flat[j + 1]) end
    end
  end
  out[#out + 1] = rsum
  out[#out + 1] = tsum
  out[#out + 1] = redis.call('ZCOUNT', lk, '(' .. now, '+inf')
end
return out
"""


class RedisLimiter:
    def __init__(
        self, redis: Redis | LoopRedis, *, prefix: str = "llmrelay:limits:", window: Window | None = None
    ) -> None:
        self.redis = redis if isinstance(redis, LoopRedis) else LoopRedis.single(redis)
        self.prefix = prefix
        self.window = window or Window()
        self._reserve = self.redis.register_script(_RESERVE)
        self._settle = self.redis.register_script(_SETTLE)
        self._usage = self.redis.register_script(_USAGE)

    def _keys(self, keys: Sequence[str]) -> list[str]:
        out = []
        for key in keys:
            out += [f"{self.prefix}{key}:n", f"{self.prefix}{key}:p"]
        return out

    async def reserve(
        self, limits: Sequence[Limit], tokens: int, *, now: float, lease: float
    ) -> Reservation | Refusal:
        import uuid

        rid = uuid.uuid4().hex
        bucket = self.window.index(now)
        ttl_ms = int((self.window.buckets + 1) * self.window.bucket * 1000)
        args: list[Any] = [repr(now), bucket, self.window.buckets, repr(self.window.bucket), tokens, rid,
                           repr(now + lease), ttl_ms]  # fmt: skip
        for limit in limits:
            args += [_unlimited(limit.rpm), _unlimited(limit.tpm), _unlimited(limit.max_parallel)]
        reply = await self._reserve(
            keys=self._keys([limit.key for limit in limits]), args=args, client=self.redis.client
        )
        if int(reply[0]) == 1:
            return Reservation(rid, tuple(limit.key for limit in limits), tokens, bucket, origin="redis")
        which, reason, wait = int(reply[1]), _text(reply[2]), _text(reply[3])
        return Refusal(limits[which - 1].key, reason, float(wait) if wait else None)

    async def settle(self, reservation: Reservation, actual_tokens: int | None, *, now: float) -> None:
        if reservation.settled:
            return
        reservation.settled = True
        await self.settle_all([Settlement.of(reservation, actual_tokens)], now=now)

    async def settle_all(self, settlements: Sequence[Settlement], *, now: float) -> None:
        """Every settlement in one round trip (one EVALSHA)."""
        if not settlements:
            return
        keys: list[str] = []
        args: list[Any] = [self.window.index(now) - self.window.buckets + 1]
        for settlement in settlements:
            keys += self._keys(settlement.keys)
            args += [len(settlement.keys), settlement.bucket, settlement.delta, settlement.id]
        await self._settle(keys=keys, args=args, client=self.redis.client)

    async def usage(self, keys: Sequence[str], *, now: float) -> dict[str, LimitUsage]:
        if not keys:
            return {}
        oldest = self.window.index(now) - self.window.buckets + 1
        flat = await self._usage(keys=self._keys(keys), args=[repr(now), oldest], client=self.redis.client)
        return {
            key: LimitUsage(int(flat[3 * i]), int(flat[3 * i + 1]), int(flat[3 * i + 2]))
            for i, key in enumerate(keys)
        }

    async def aclose(self) -> None:
        return None


def _unlimited(value: int | None) -> int:
    return -1 if value is None else value


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
