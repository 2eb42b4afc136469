"""`KeyAuthService`: the wiring a gateway process needs for virtual keys, in one object.

service = KeyAuthService(storage, master_key=settings.master_key, redis_url=redis_url)
await service.start()              # loads every key, starts the poll (and the Redis listener)
state.authenticate = service.authenticator
...
await service.stop()
"""

from __future__ import annotations

from llmrelay.auth.authenticator import KeyAuthenticator
from llmrelay.auth.bus import DEFAULT_CHANNEL, RedisChangeBus
from llmrelay.auth.cache import PrincipalCache
from llmrelay.auth.keys import MasterKey
from llmrelay.auth.presented import Authenticator
from llmrelay.auth.sync import PrincipalSync
from llmrelay.storage.storage import Storage


class KeyAuthService:
    def __init__(
        self,
        storage: Storage,
        *,
        master_key: str | None,
        redis_url: str | None = None,
        channel: str = DEFAULT_CHANNEL,
        poll_interval: float = 0.25,
        negative_ttl: float = 1.0,
    ):
        self.storage = storage
        self.bus = RedisChangeBus(redis_url, channel=channel) if redis_url else None
        self.cache = PrincipalCache(negative_ttl=negative_ttl)
        self.sync = PrincipalSync(storage, self.cache, bus=self.bus, poll_interval=poll_interval)
        self.authenticator = KeyAuthenticator(self.sync, MasterKey(master_key) if master_key else None)

    def gateway_authenticator(self) -> Authenticator:
        """The authenticator, typed as the gateway's seam (mypy checks that it conforms)."""
        return self.authenticator

    async def start(self) -> None:
        # writes made through this process's storage are applied here at once and announced
        self.storage.set_change_listener(self.sync.publish)
        await self.sync.start()

    async def stop(self) -> None:
        self.storage.set_change_listener(None)
        await self.sync.stop()
        if self.bus is not None:
            await self.bus.close()
