"""Virtual keys for one gateway worker process: the database, the key cache, the per-call gate, the
spend writer and its upkeep — built from KeysSettings (gate/settings.py), started and stopped with
the worker. The server installs it (proxy/keys_setup.py: the gate first in its call chain, the
authenticator, the admin API over its storage).

Turned on by a database: `general_settings.database_url` or DATABASE_URL, or, with a master key and
neither, the embedded SQLite store in the data directory (gate/store.py). Without any the gateway
keeps its master-key-only (or open) behaviour and none of this is imported.
"""

from __future__ import annotations

import asyncio
import logging
from operator import attrgetter
from typing import Any

from llmrelay.auth.end_users import EndUserBudgets
from llmrelay.auth.service import KeyAuthService
from llmrelay.gate.admission import GroupNames
from llmrelay.gate.key_gate import KeyGate
from llmrelay.gate.middleware import KeyGateMiddleware
from llmrelay.gate.settings import KeysSettings
from llmrelay.limits.base import Limiter
from llmrelay.limits.memory import MemoryLimiter
from llmrelay.private_files import make_private_directory
from llmrelay.spend.ledger import PendingSpend
from llmrelay.spend.maintenance import SpendMaintenance
from llmrelay.spend.quarantine import Quarantine
from llmrelay.spend.recovery import drain_orphan_spools
from llmrelay.spend.spool import SpoolLocked
from llmrelay.spend.writer import SpendWriter
from llmrelay.storage.database import Database
from llmrelay.storage.records import SpendLogRecord
from llmrelay.storage.storage import Storage

log = logging.getLogger("llmrelay.proxy")

MAX_WORKER_SPOOLS = 256
# seconds /health/readiness waits for the database
READINESS_TIMEOUT = 2.0


def _limiter(redis_url: str | None, prefix: str) -> tuple[Limiter, Any]:
    """The limiter, and the Redis client to close at the end (None without Redis)."""
    if redis_url is None:
        return MemoryLimiter(), None
    from redis.asyncio import BlockingConnectionPool, Redis

    from llmrelay.limits.degrade import DegradingLimiter, RedisGuard
    from llmrelay.limits.redis import RedisLimiter

    # as the router's: short timeouts (a slow Redis degrades to local limits instead of stalling
    # every call) and a bounded pool that queues a burst
    pool = BlockingConnectionPool.from_url(
        redis_url, max_connections=64, timeout=2.0, socket_timeout=0.5, socket_connect_timeout=0.5
    )
    redis = Redis(connection_pool=pool)
    limiter = DegradingLimiter(
        RedisLimiter(redis, prefix=prefix + "limits:"), MemoryLimiter(), RedisGuard("key limits")
    )
    return limiter, redis


def _database(settings: KeysSettings) -> Database:
    if settings.pool_limit is None:
        return Database(settings.database_url)
    # LiteLLM's limit is the most connections a worker holds: no overflow beyond the pool
    return Database(settings.database_url, pool_size=settings.pool_limit, max_overflow=0)


class KeysRuntime:
    def __init__(self, settings: KeysSettings) -> None:
        self.settings = settings
        self.db = _database(settings)
        self.storage = Storage(self.db)
        self.service = KeyAuthService(
            self.storage,
            master_key=settings.master_key,
            redis_url=settings.redis_url,
            channel=settings.redis_prefix + "auth-changes",
            poll_interval=settings.poll_interval,
        )
        self.pending = PendingSpend()
        self.end_users = EndUserBudgets(
            self.storage, default_max_budget_micros=settings.max_end_user_budget_micros
        )
        self.service.sync.listeners.append(self.end_users.on_changes)
        self.limiter, self._redis = _limiter(settings.redis_url, settings.redis_prefix)
        self.gate = KeyGate(
            self.service.authenticator,
            self.limiter,
            writer=None,
            pending=self.pending,
            end_users=self.end_users,
        )
        self.maintenance = SpendMaintenance(
            self.storage.spend, retention=settings.retention, interval=settings.maintenance_interval
        )
        self.writer: SpendWriter | None = None
        # spend records the database refused, set aside (dead-letter files) by recovery and writer
        self.quarantine = Quarantine()

    @property
    def authenticator(self) -> Any:
        return self.service.gateway_authenticator()

    def middleware(self, names: GroupNames) -> KeyGateMiddleware:
        """The key gate as a step of the gateway's call chain; `names` is the router it asks which
        group an alias stands for and which group serves a model-less call."""
        return KeyGateMiddleware(self.gate, names)

    async def start(self) -> None:
        """Migrate, write out spools nobody owns, take a spool of our own, load every key."""
        await self.db.migrate()
        if self.settings.record_spend:
            await asyncio.to_thread(make_private_directory, self.settings.spool_dir)
            recovered = await drain_orphan_spools(
                self.settings.spool_dir, self._apply_spend, quarantine=self.quarantine
            )
            if recovered:
                log.warning("recorded %d spend rows left by a previous run", recovered)
            self.writer = await self._open_writer()
            self.gate.spend.writer = self.writer
        await self.service.start()
        self.maintenance.start()

    async def _open_writer(self) -> SpendWriter:
        # worker-N: the first directory no live process holds; a restarted worker replays its own
        for index in range(MAX_WORKER_SPOOLS):
            writer = SpendWriter(
                self._apply_spend,
                self.settings.spool_dir / f"worker-{index}",
                flush_interval=self.settings.flush_interval,
                fsync=self.settings.durable_spend,
                on_applied=self._counted,
                quarantine=self.quarantine,
            )
            try:
                await writer.start()
            except SpoolLocked:
                continue
            return writer
        raise RuntimeError(f"every spend spool under {self.settings.spool_dir} is in use")

    async def _apply_spend(self, rows: list[SpendLogRecord]) -> int:
        return await self.storage.spend.apply(rows, keep_logs=self.settings.spend_logs)

    async def _counted(self, rows: list[SpendLogRecord]) -> None:
        """The database now counts `rows`: reload the spend the cache holds for their owners, then
        drop them from the pending ledger (in that order, so they are never counted zero times)."""
        # each owner column read with map(attrgetter) (C, per row), the Python loop over distinct ids
        keys = _distinct(rows, "key_hash")
        owners: list[tuple[str, str]] = []
        for kind, attr in (("user", "user_id"), ("team", "team_id"), ("organization", "organization_id")):
            owners += [(kind, ident) for ident in _distinct(rows, attr)]
        # the shared budgets these keys spend from: every key naming one reads its new spend (a
        # key of the budget with no call in this batch would otherwise hold its old spend)
        cache = self.service.cache
        shared = {
            scope.ident
            for key_hash in keys
            if (found := cache.get(key_hash)) is not None
            for scope in found.limits
            if scope.scope == "budget"
        }
        owners += [("budget", ident) for ident in sorted(shared)]
        await self.service.sync.reload(keys, owners)
        await self.end_users.refresh(_distinct(rows, "end_user"))
        self.pending.settled(map(_REQUEST_ID, rows))

    async def ping_database(self) -> None:
        """One round trip to the database (the readiness probe); ConnectionError (or TimeoutError)
        when it does not answer."""
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        try:
            async with asyncio.timeout(READINESS_TIMEOUT), self.db.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise ConnectionError(f"database: {type(exc).__name__}") from exc

    async def stop(self) -> None:
        await self.maintenance.stop()
        if self.writer is not None:
            await self.writer.stop()
        await self.service.stop()
        await self.gate.settler.aclose()
        await self.limiter.aclose()
        if self._redis is not None:
            await self._redis.aclose()
        await self.db.close()


_REQUEST_ID = attrgetter("request_id")


def _distinct(rows: list[SpendLogRecord], attr: str) -> list[str]:
    """The distinct non-empty values of one column of `rows`, in first-seen order."""
    return [ident for ident in dict.fromkeys(map(attrgetter(attr), rows)) if ident]
