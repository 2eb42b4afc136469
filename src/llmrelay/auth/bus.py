"""Change announcements over Redis pub/sub: the fast path (milliseconds) for telling every instance
that a key, user, team or organization changed. Pub/sub drops messages while a subscriber is
disconnected, so the database change log poll (PrincipalSync) stays on as the guarantee."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from llmrelay.storage.records import AuthChange

log = logging.getLogger("llmrelay.auth")

ChangeHandler = Callable[[list[AuthChange]], Awaitable[None]]
DEFAULT_CHANNEL = "llmrelay:auth-changes"


class RedisChangeBus:
    def __init__(self, redis_url: str, *, channel: str = DEFAULT_CHANNEL, reconnect_delay: float = 1.0):
        import redis.asyncio as redis

        self.channel = channel
        self.reconnect_delay = reconnect_delay
        self._client: Any = redis.Redis.from_url(redis_url)
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder(list[AuthChange])
        self.subscribed = asyncio.Event()

    async def publish(self, changes: list[AuthChange]) -> bool:
        """Announce; False (logged) if Redis is unreachable, in which case other instances learn of
        the change from their poll instead."""
        from redis.exceptions import RedisError

        if not changes:
            return True
        try:
            await self._client.publish(self.channel, self._encoder.encode(changes))
        except (RedisError, OSError) as exc:
            log.warning("auth change announcement failed (%s); other instances will poll", type(exc).__name__)
            return False
        return True

    async def listen(self, handler: ChangeHandler) -> None:
        """Deliver every announcement to `handler` until cancelled; reconnects after errors."""
        from redis.exceptions import RedisError

        while True:
            pubsub = self._client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                self.subscribed.set()
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        changes = self._decoder.decode(message["data"])
                    except msgspec.DecodeError:
                        log.warning("ignored a malformed message on %s", self.channel)
                        continue
                    await handler(changes)
            except (RedisError, OSError) as exc:
                self.subscribed.clear()
                log.warning("auth change subscription lost (%s); reconnecting", type(exc).__name__)
                await asyncio.sleep(self.reconnect_delay)
            finally:
                await pubsub.aclose()

    async def close(self) -> None:
        await self._client.aclose()
