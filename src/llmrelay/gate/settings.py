"""The settings of a gateway's virtual keys, read from its config: which database (configured, or
the embedded store — gate/store.py), Redis, the spend spool and its write interval, spend-log
retention, the end-user budget default, audit logs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from llmrelay.config.errors import ConfigError
from llmrelay.config.loader import GatewayConfig
from llmrelay.storage.durations import next_reset
from llmrelay.storage.url import resolve_database_url

# seconds between spend writes to the database when general_settings.proxy_batch_write_at is unset.
# LiteLLM waits 10 s; llmrelay writes sooner so other instances see a key's spend (and a budget it
# used up) within about a second. The spend of this process is counted at once either way.
DEFAULT_FLUSH_INTERVAL = 1.0


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
    def from_config(cls, config: GatewayConfig, environ: Mapping[str, str] = os.environ) -> KeysSettings:
        from llmrelay.gate.store import keys_store, prepare_data_dir

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


def _batch_write_interval(config: GatewayConfig) -> float:
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


def _pool_limit(config: GatewayConfig) -> int | None:
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
