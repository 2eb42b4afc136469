"""A key deleted while a load of it (the poll's, or a background miss's) is still reading the database
is refused afterwards: applying the change reads the key again once that load is done, rather than
sharing its answer, which may predate the deletion. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from llmrelay.auth import KeyAuthService, display_name, generate_key, hash_key
from llmrelay.storage import Storage
from llmrelay.storage.records import NewKey


async def test_a_deletion_during_an_earlier_load_is_not_undone(storage: Storage) -> None:
    key = generate_key()
    key_hash = hash_key(key)
    await storage.keys.create(NewKey(key_hash=key_hash, key_name=display_name(key)))
    service = KeyAuthService(storage, master_key="sk-master", poll_interval=3600)
    await service.start()
    try:
        assert service.cache.get(key_hash) is not None
        read, release = asyncio.Event(), asyncio.Event()
        original = storage.principals.load
        held = {"first": True}

        async def slow_first_load(wanted: str) -> Any:
            record = await original(wanted)
            if held.pop("first", False):  # the first load has read the key; it answers later
                read.set()
                await release.wait()
            return record

        storage.principals.load = slow_first_load  # type: ignore[method-assign]
        load_key = service.sync.load_key
        applying = asyncio.Event()

        async def watched_load_key(wanted: str, **options: Any) -> Any:
            if wanted in service.sync._loads:  # the deletion's apply, while the first load runs
                applying.set()
            return await load_key(wanted, **options)

        service.sync.load_key = watched_load_key  # type: ignore[method-assign]
        earlier = asyncio.create_task(load_key(key_hash))
        await read.wait()
        deleting = asyncio.create_task(storage.keys.delete([key_hash]))  # applied through sync.publish
        await applying.wait()
        release.set()
        await asyncio.gather(earlier, deleting)
        assert service.cache.get(key_hash) is None
    finally:
        await service.stop()
