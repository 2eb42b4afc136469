"""Redis clients per event loop. A redis.asyncio connection belongs to the loop that opened it; an
SDK Router is called from its own loop thread (the sync API) and from any caller's loop (the async
API), so each loop gets a client of its own, made from one factory on first use there."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis.asyncio import Redis


class LoopRedis:
    """`client` is the running loop's client. With `per_loop=False` one client serves every call (a
    caller on a single loop: the gateway's worker, a test)."""

    def __init__(self, factory: Callable[[], Redis], *, per_loop: bool = True) -> None:
        self._factory = factory
        self._shared: Redis | None = None if per_loop else factory()
        self._clients: dict[asyncio.AbstractEventLoop, Redis] = {}
        self._lock = threading.Lock()  # loops on several threads may ask at once
        # scripts are registered on a client that never connects; each call passes the loop's client
        self._template = self._shared if self._shared is not None else factory()

    @classmethod
    def single(cls, client: Redis) -> LoopRedis:
        return cls(lambda: client, per_loop=False)

    @property
    def client(self) -> Redis:
        if self._shared is not None:
            return self._shared
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            with self._lock:
                # a loop that has closed took its connections with it: forget its client
                for gone in [known for known in self._clients if known.is_closed()]:
                    del self._clients[gone]
                client = self._clients.setdefault(loop, self._factory())
        return client

    def register_script(self, script: str) -> Any:
        """A Lua script; run it with `client=self.client` (redis-py loads it where it is missing)."""
        return self._template.register_script(script)

    async def aclose(self) -> None:
        """Close the running loop's client (the others belong to their loops, or went with them)."""
        if self._shared is not None:
            await self._shared.aclose()
            return
        with self._lock:
            client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()
