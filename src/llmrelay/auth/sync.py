"""Keeps a PrincipalCache equal to the database: a full load at start, then every change, learned
from Redis pub/sub (fast path, when configured) and from polling the change log (the guarantee:
every instance sees a change within `poll_interval` plus one query)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError

from llmrelay.auth.bus import RedisChangeBus
from llmrelay.auth.cache import PrincipalCache
from llmrelay.auth.principal import principal_from_record
from llmrelay.calls.key_principal import KeyPrincipal
from llmrelay.storage.records import AuthChange
from llmrelay.storage.storage import Storage

log = logging.getLogger("llmrelay.auth")

OWNER_KINDS = ("user", "team", "organization", "budget")


class PrincipalSync:
    def __init__(
        self,
        storage: Storage,
        cache: PrincipalCache,
        *,
        bus: RedisChangeBus | None = None,
        poll_interval: float = 0.25,
        page_size: int = 1000,
        max_background_loads: int = 8,
    ):
        self.storage = storage
        self.cache = cache
        self.bus = bus
        self.poll_interval = poll_interval
        self.page_size = page_size
        self.max_background_loads = max_background_loads
        self.version = 0  # the change-log version the cache reflects
        # the database's data version when the last poll that succeeded began (None: never, or the
        # database keeps none): while it has not moved, nobody committed anything to poll for
        self._polled_at: int | None = None
        self._loads: dict[str, asyncio.Future[KeyPrincipal | None]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[KeyPrincipal | None]] = set()
        # told about every change after the cache applied it (e.g. the end-user budget cache)
        self.listeners: list[Callable[[list[AuthChange]], Awaitable[None]]] = []
        # told which owners (kind, id) were reloaded — changed, or their spend counted — after the
        # keys' cache read them again (e.g. the JWT principals, which hold the same rows)
        self.owner_listeners: list[Callable[[list[tuple[str, str]]], Awaitable[None]]] = []
        # told when the poller fell behind a pruned log and reloaded everything: any change may have
        # been missed (e.g. the models kept in the database, which read their table again)
        self.resync_listeners: list[Callable[[], Awaitable[None]]] = []

    async def start(self) -> None:
        await self.full_reload()
        self._tasks.append(asyncio.create_task(self._poll_loop(), name="auth-poll"))
        if self.bus is not None:
            self._tasks.append(asyncio.create_task(self.bus.listen(self.apply), name="auth-bus"))

    async def stop(self) -> None:
        for task in [*self._tasks, *self._background]:
            task.cancel()
        for task in [*self._tasks, *self._background]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._background.clear()

    # ---- loading ----

    async def full_reload(self) -> None:
        # read the version first: a change committed during the load is then applied again by the
        # next poll, never missed
        version = await self.storage.changes.latest_version()
        principals: list[KeyPrincipal] = []
        after = ""
        while True:
            page = await self.storage.principals.load_page(after, self.page_size)
            principals.extend(principal_from_record(record) for record in page)
            if len(page) < self.page_size:
                break
            after = page[-1].key.key_hash
        self.cache.replace_all(principals)
        self.version = version

    async def load_key(self, key_hash: str, *, fresh: bool = False) -> KeyPrincipal | None:
        """Load one key into the cache (or drop it); concurrent calls for one hash share one query.
        `fresh` (applying a change): never share a query that began before the change committed —
        its answer may predate it (a deleted key put back) — but wait for it to end, then read."""
        while (pending := self._loads.get(key_hash)) is not None:
            if not fresh:
                # shielded: a waiter that is cancelled (as background loads are at stop) must not
                # cancel the query it shares with the loader and any other waiter
                return await asyncio.shield(pending)
            # its outcome is its loader's (asyncio.wait neither raises it nor cancels it); the
            # query below is written to the cache after it, so last
            await asyncio.wait({pending})
        future: asyncio.Future[KeyPrincipal | None] = asyncio.get_running_loop().create_future()
        self._loads[key_hash] = future
        try:
            record = await self.storage.principals.load(key_hash)
            principal = None if record is None else principal_from_record(record)
            if principal is None:
                self.cache.mark_unknown(key_hash)
            else:
                self.cache.put(principal)
            future.set_result(principal)
            return principal
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so an unawaited future does not warn
            raise
        finally:
            del self._loads[key_hash]

    def load_in_background(self, key_hash: str) -> bool:
        """For the synchronous request path: look the key up without waiting. Bounded, and skipped for
        hashes recently found unknown, so random keys cannot flood the database."""
        if key_hash in self._loads or self.cache.known_unknown(key_hash):
            return False
        if len(self._background) >= self.max_background_loads:
            return False
        self.cache.mark_unknown(key_hash)  # until the load answers, further misses wait
        task = asyncio.get_running_loop().create_task(self._background_load(key_hash))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return True

    async def _background_load(self, key_hash: str) -> KeyPrincipal | None:
        try:
            return await self.load_key(key_hash)
        except SQLAlchemyError as exc:
            log.warning("background key load failed (%s)", type(exc).__name__)
            return None

    # ---- changes ----

    async def apply(self, changes: list[AuthChange]) -> None:
        """Bring the affected cache entries up to date. Idempotent: the same change may arrive from
        Redis and from the poll."""
        key_hashes = list(dict.fromkeys(c.ident for c in changes if c.kind == "key"))
        owners = list(dict.fromkeys((c.kind, c.ident) for c in changes if c.kind in OWNER_KINDS))
        await self.reload(key_hashes, owners)
        for listener in self.listeners:
            await listener(changes)

    async def reload(self, key_hashes: list[str], owners: list[tuple[str, str]]) -> None:
        """Reload these keys, and every key of these owners, from the database."""
        for key_hash in key_hashes:
            principal = await self.load_key(key_hash, fresh=True)
            if principal is None:
                self.cache.remove(key_hash)  # deleted: refuse it at once, no negative-TTL wait
        for kind, ident in owners:
            records = await self.storage.principals.load_for_owner(kind, ident)
            fresh = {record.key.key_hash for record in records}
            for stale in self.cache.keys_of(kind, ident) - fresh:
                self.cache.remove(stale)
            for record in records:
                self.cache.put(principal_from_record(record))
        if owners:
            for listener in self.owner_listeners:
                await listener(owners)

    async def publish(self, changes: list[AuthChange]) -> None:
        """The storage's change listener on this instance: apply at once here, announce to others."""
        await self.apply(changes)
        if self.bus is not None:
            await self.bus.publish(changes)

    async def poll_once(self) -> int:
        changes = await self.storage.changes.since(self.version)
        if not changes:
            return 0
        if changes[0].version != self.version + 1:
            # the log was pruned past our position: we cannot know what we missed
            await self.full_reload()
            for resync in self.resync_listeners:
                await resync()
            return len(changes)
        await self.apply(changes)
        self.version = changes[-1].version
        return len(changes)

    async def poll_if_changed(self) -> int:
        """`poll_once`, unless the database says no other connection has committed since the last
        poll that succeeded began (storage/data_version.py: one cheap read instead of the query).
        The number is read before the poll, so a commit during the poll moves it for the next one;
        a poll that fails leaves the old number, so the next round polls again."""
        mark = await self.storage.db.data_version()
        if mark is not None and mark == self._polled_at:
            return 0
        count = await self.poll_once()
        self._polled_at = mark
        return count

    async def _poll_loop(self) -> None:
        while True:
            try:
                await self.poll_if_changed()
            except (SQLAlchemyError, OSError) as exc:
                # database unreachable: cached keys keep working; try again next tick
                log.warning("auth change poll failed (%s)", type(exc).__name__)
            await asyncio.sleep(self.poll_interval)
