"""Where cached answers live: this process's memory (bounded LRU with expiry) or Redis (shared by
every worker and instance). Values are opaque bytes; each remembers when it was stored."""

from __future__ import annotations

import struct
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

# a Redis value: the time it was stored (epoch seconds, float64) then the answer's bytes
_STORED_AT = struct.Struct("!d")


class CacheStore(Protocol):
    async def get(self, key: str) -> tuple[bytes, float] | None:
        """The value and when it was stored (epoch seconds), or None."""
        ...

    async def set(self, key: str, value: bytes, ttl: float) -> None: ...

    async def aclose(self) -> None: ...


class MemoryStore:
    def __init__(self, max_entries: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, float, bytes]] = OrderedDict()

    async def get(self, key: str) -> tuple[bytes, float] | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, stored_at, value = entry
        if self.clock() >= expires:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value, stored_at

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        now = self.clock()
        self._entries[key] = (now + ttl, now, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    async def aclose(self) -> None:
        self._entries.clear()


class RedisStore:
    """Keys expire in Redis itself (SET PX), so nothing here needs sweeping."""

    def __init__(self, url: str, *, client: Any = None) -> None:
        if client is None:
            from redis.asyncio import Redis

            client = Redis.from_url(url, socket_timeout=5.0, socket_connect_timeout=5.0)
        self._redis = client

    async def get(self, key: str) -> tuple[bytes, float] | None:
        raw = await self._redis.get(key)
        if raw is None or len(raw) < _STORED_AT.size:
            return None
        (stored_at,) = _STORED_AT.unpack_from(raw)
        return bytes(raw[_STORED_AT.size :]), stored_at

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        payload = _STORED_AT.pack(time.time()) + value
        await self._redis.set(key, payload, px=max(1, int(ttl * 1000)))

    async def aclose(self) -> None:
        await self._redis.aclose()
