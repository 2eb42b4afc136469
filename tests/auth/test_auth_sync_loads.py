"""PrincipalSync.load_key shares one query among concurrent callers for a key. A caller that stops
waiting (its task cancelled, as every background load is when the service stops) must not cancel
the query the others share: the loader then failed with InvalidStateError instead of answering
(seen as a teardown error of tests/auth/test_admin_api.py on PostgreSQL)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from llmrelay.auth.cache import PrincipalCache
from llmrelay.auth.sync import PrincipalSync


class HeldPrincipals:
    """`principals.load` that answers "no such key" only when the test says so."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.queries = 0

    async def load(self, key_hash: str) -> Any:
        self.queries += 1
        self.started.set()
        await self.release.wait()
        return None


class FakeStorage:
    def __init__(self) -> None:
        self.principals = HeldPrincipals()


async def test_a_cancelled_waiter_leaves_the_shared_load_alone() -> None:
    storage = FakeStorage()
    sync = PrincipalSync(storage, PrincipalCache())  # type: ignore[arg-type]
    loader = asyncio.create_task(sync.load_key("h"))
    await storage.principals.started.wait()
    waiter = asyncio.create_task(sync.load_key("h"))
    await asyncio.sleep(0)  # one loop turn: the waiter runs up to its await on the shared load
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    storage.principals.release.set()
    assert await loader is None  # answered, not InvalidStateError
    assert sync.cache.known_unknown("h")
    assert storage.principals.queries == 1


async def test_waiters_still_share_the_answer() -> None:
    storage = FakeStorage()
    sync = PrincipalSync(storage, PrincipalCache())  # type: ignore[arg-type]
    loader = asyncio.create_task(sync.load_key("h"))
    await storage.principals.started.wait()
    waiter = asyncio.create_task(sync.load_key("h"))
    await asyncio.sleep(0)
    storage.principals.release.set()
    assert await asyncio.gather(loader, waiter) == [None, None]
    assert storage.principals.queries == 1
