"""Virtual keys for one gateway worker process: the database, the key cache, the per-call gate, the
spend writer and its upkeep, and the admin API — built from the config, started on the worker's loop.

Turned on by a database: `general_settings.database_url` or DATABASE_URL, or, with a master key and
neither, the embedded SQLite store in the data directory (llmrelay.proxy.keys_store). Without any the
gateway keeps its master-key-only (or open) behaviour and none of this is imported.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from llmrelay.auth.end_users import EndUserBudgets
from llmrelay.auth.service import KeyAuthService
from llmrelay.config.loader import ConfigError
from llmrelay.limits.base import Limiter
from llmrelay.limits.memory import MemoryLimiter
from llmrelay.private_files import make_private_directory
from llmrelay.proxy.admin.api import AdminApi
from llmrelay.proxy.admin.openapi import admin_docs
from llmrelay.proxy.enforce import KeyGateMiddleware
from llmrelay.proxy.enforce_keys import KeyGate
from llmrelay.proxy.state import GatewayState
from llmrelay.spend.ledger import PendingSpend
from llmrelay.spend.maintenance import SpendMaintenance
from llmrelay.spend.quarantine import Quarantine
from llmrelay.spend.recovery import drain_orphan_spools
from llmrelay.spend.spool import SpoolLocked
from llmrelay.spend.writer import SpendWriter
from llmrelay.storage.database import Database
from llmrelay.storage.durations import next_reset
from llmrelay.storage.records import SpendLogRecord
from llmrelay.storage.storage import Storage
from llmrelay.storage.url import resolve_database_url

log = logging.getLogger("llmrelay.proxy")

MAX_WORKER_SPOOLS = 256
# seconds between spend writes to the database when general_settings.proxy_batch_write_at is unset.
# LiteLLM waits 10 s; llmrelay writes sooner so other instances see a key's spend (and a budget it
# used up) within about a second. The spend of this process is counted at once either way.
DEFAULT_FLUSH_INTERVAL = 1.0
# seconds /health/readiness waits for the database
READINESS_TIMEOUT = 2.0


@dataclass(frozen=True, slots=True)
class KeysSettings:
    database_url: str
    master_key: str | None
    redis_url: str | None = None
    spool_dir: Path = Path("llmrelay-spool")
    retention: timedelta | None = timedelta(days=30)
    maintenance_interval: float = 60.0
    max_end_user_budget_micros: int | None = None
    poll_interval: float = 0.25
    flush_interval: float = DEFAULT_FLUSH_INTERVAL
    # general_settings.database_connection_pool_limit: at most this many database connections
    # (PostgreSQL); None keeps Database's default pool
    pool_limit: int | None = None
    # False with general_settings.disable_spend_logs: spend counters and daily totals as ever, and a
    # receipt per call instead of its spend log row (see SpendRepository.apply)
    spend_logs: bool = True
    # litellm_settings.store_audit_logs: an audit log entry per admin change
    audit_logs: bool = True
    # the spend spool's fsync (off only for benchmarks that measure everything else)
    durable_spend: bool = True
    record_spend: bool = True
    redis_prefix: str = "llmrelay:keys:"

    @classmethod
    def from_config(cls, config: Any, environ: Mapping[str, str] = os.environ) -> KeysSettings:
        from llmrelay.proxy.keys_store import keys_store, prepare_data_dir

        general, litellm = config.general, config.litellm_settings
        budget = litellm.max_end_user_budget
        store = keys_store(general, environ)
        if store.data_dir is not None:
            prepare_data_dir(store.data_dir)
        return cls(
            database_url=store.database_url or resolve_database_url(general.database_url, environ),
            master_key=general.master_key,
            redis_url=config.router_kwargs().get("redis_url"),
            spool_dir=store.spool_dir(general.spend_spool_dir),
            retention=_duration(general.maximum_spend_logs_retention_period, timedelta(days=30)),
            maintenance_interval=_seconds(general.maximum_spend_logs_retention_interval, 60.0),
            max_end_user_budget_micros=None if budget is None else round(budget * 1_000_000),
            flush_interval=_batch_write_interval(config),
            pool_limit=_pool_limit(config),
            spend_logs=not general.disable_spend_logs,
            audit_logs=_audit_logs(litellm.store_audit_logs, environ),
        )


def _audit_logs(configured: bool | None, environ: Mapping[str, str]) -> bool:
    """On unless turned off (LiteLLM keeps it off without an enterprise licence; an audit trail of
    admin changes costs nothing on the request path, so here it is on)."""
    if configured is not None:
        return configured
    return environ.get("LITELLM_STORE_AUDIT_LOGS", "true").strip().lower() not in ("false", "0", "no", "off")


def _batch_write_interval(config: Any) -> float:
    seconds: float | None = config.general.proxy_batch_write_at
    if seconds is None:
        return DEFAULT_FLUSH_INTERVAL
    if not seconds > 0:
        raise ConfigError(
            config.source,
            "general_settings.proxy_batch_write_at",
            f"expected the seconds between spend writes to the database, greater than 0, got {seconds!r}",
        )
    return float(seconds)


def _pool_limit(config: Any) -> int | None:
    limit: int | None = config.general.database_connection_pool_limit
    if limit is not None and limit < 1:
        raise ConfigError(
            config.source,
            "general_settings.database_connection_pool_limit",
            f"expected the most database connections a worker may open, at least 1, got {limit!r}",
        )
    return limit


def _duration(text: str | None, default: timedelta) -> timedelta:
    if not text:
        return default
    from datetime import UTC, datetime

    start = datetime(2000, 1, 1, tzinfo=UTC)
    return next_reset(text, start) - start


def _seconds(text: str | None, default: float) -> float:
    return _duration(text, timedelta(seconds=default)).total_seconds()


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
    def __init__(self, settings: KeysSettings, *, model_names: Callable[[], list[str]] | None = None) -> None:
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
        self.admin = AdminApi(
            self.storage, self.service.authenticator, audit=settings.audit_logs, model_names=model_names
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
            self.gate.writer = self.writer
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
        keys = list(dict.fromkeys(r.key_hash for r in rows if r.key_hash))
        owners: list[tuple[str, str]] = []
        for kind, attr in (("user", "user_id"), ("team", "team_id"), ("organization", "organization_id")):
            owners += [(kind, ident) for ident in dict.fromkeys(getattr(r, attr) for r in rows) if ident]
        await self.service.sync.reload(keys, owners)
        await self.end_users.refresh(list(dict.fromkeys(r.end_user for r in rows if r.end_user)))
        self.pending.settled(r.request_id for r in rows)

    def routes(self) -> list[tuple[str, str, Any]]:
        return self.admin.routes()

    def prefix_routes(self) -> list[tuple[str, str, Any]]:
        return self.admin.prefix_routes()

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
        await self.limiter.aclose()
        if self._redis is not None:
            await self._redis.aclose()
        await self.db.close()


def install_keys(state: GatewayState, config: Any) -> KeysRuntime:
    """Put virtual keys into a gateway worker's state: the authenticator, the gate around the router,
    the admin routes (and their OpenAPI), and the runtime to start and stop with the worker."""
    runtime = KeysRuntime(KeysSettings.from_config(config), model_names=state.router.model_names)
    state.authenticate = runtime.authenticator
    # first in the chain: every call, of whatever type, is gated before the cache or the router
    state.add_middleware(KeyGateMiddleware(runtime.gate, state.router), first=True)
    state.extra_routes.extend(runtime.routes())
    state.extra_prefix_routes.extend(runtime.prefix_routes())
    state.readiness_probes["db"] = runtime.ping_database
    state.extra_openapi.update(admin_docs())
    state.services.append(runtime)
    if state.metrics is not None:
        state.metrics.watch_spend_quarantine(lambda: runtime.quarantine.count)
    return runtime
