"""Several worker processes (`--workers N`): what they must share to stay exact, and how.

- Limits. The rpm / tpm / parallel limits of deployments (model_list) and of virtual keys (and their
  users, teams, end users) are counted in memory unless Redis is configured; with several workers and
  no Redis each worker would count on its own and admit up to N times the limit. Such a config is
  refused at startup (`check_workers`), naming what would be inexact and the two ways out (Redis, or
  one worker). With Redis every worker reserves in the same counters, exactly as several instances do.
- Metrics. Each worker counts into prometheus_client's multiprocess files in a private directory the
  parent makes before the workers start (`metrics_directory`); a scrape, whichever worker answers
  it, sums every worker's files (events/sinks/prometheus_shared.py).

Other per-process bounds stay per worker, by design, and are documented as such (docs/gateway.md):
connections (`max_connections_per_worker`), requests in flight per client address
(`max_requests_per_client`), the failed-authentication throttle and deployment cooldowns."""

from __future__ import annotations

import gc
import importlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from llmrelay.config.errors import ConfigError
from llmrelay.config.loader import GatewayConfig

# prometheus_client's own switch: read when it is first imported, so set before workers start
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_LIMIT_FIELDS = ("rpm", "tpm", "max_parallel_requests")


def inexact_limits(config: GatewayConfig, environ: Mapping[str, str]) -> list[str]:
    """What this config would count per worker: empty with Redis, or with no limit anywhere."""
    if config.router_kwargs().get("redis_url"):
        return []
    found = []
    limited = sorted(
        {
            str(entry.get("model_name"))
            for entry in config.model_list
            if any((entry.get("litellm_params") or {}).get(name) is not None for name in _LIMIT_FIELDS)
        }
    )
    if limited:
        found.append(f"the rpm/tpm/max_parallel_requests of model_list entries ({', '.join(limited)})")
    from llmrelay.gate.store import keys_store

    if keys_store(config.general, environ).enabled:
        # keys are made at run time: any of them may carry limits, so virtual keys count
        found.append("the rpm/tpm/max_parallel_requests limits of virtual keys, users and teams")
    return found


def check_workers(config: GatewayConfig, workers: int, environ: Mapping[str, str] = os.environ) -> None:
    """Refuse several workers where limits would be counted per worker. Raises ConfigError."""
    if workers <= 1:
        return
    found = inexact_limits(config, environ)
    if found:
        raise ConfigError(
            config.source,
            "",
            f"--workers {workers} without Redis: {' and '.join(found)} would be counted by each "
            "worker on its own, admitting up to "
            f"{workers}x the limit. Set router_settings.redis_url (the workers then share one count, "
            "as several instances do) or serve with one worker",
        )


@contextmanager
def metrics_directory(workers: int, environ: Any = os.environ) -> Iterator[str | None]:
    """With several workers: the directory of their metrics files — the operator's own
    PROMETHEUS_MULTIPROC_DIR if set (kept as it is: prometheus_client asks that it be emptied between
    runs), else a fresh private one, named in the environment the workers inherit and removed with
    everything in it at exit. None with one worker."""
    if workers <= 1:
        yield None
        return
    given = environ.get(MULTIPROC_ENV)
    if given:
        yield given
        return
    path = tempfile.mkdtemp(prefix="llmrelay-metrics-")
    environ[MULTIPROC_ENV] = path
    try:
        yield path
    finally:
        environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(path, ignore_errors=True)


def share_before_fork(
    config: GatewayConfig, workers: int, environ: Mapping[str, str] = os.environ
) -> list[str]:
    """Just before the workers fork from this process: freeze the heap — every object alive here goes
    to the permanent generation, which a worker's garbage collector never visits, so it never writes
    to those pages and they stay shared with the parent instead of being copied into each worker
    (one worker: 73 → 65 MB for the tree, docs/adr/0012). With several workers, first import here the
    modules each of them would import for itself (the key runtime with SQLAlchemy, the database
    driver and the Redis client; the Prometheus sink), so they share one copy. Called once
    PROMETHEUS_MULTIPROC_DIR is set (`metrics_directory`): prometheus_client reads it on import.
    Returns the modules imported."""
    modules = []
    if workers > 1:
        from llmrelay.gate.store import keys_store

        store = keys_store(config.general, environ)
        if store.enabled:
            # several workers with keys need Redis (check_workers): its client is theirs too
            driver = "asyncpg" if store.on_postgres else "aiosqlite"
            modules += ["llmrelay.proxy.keys_setup", driver, "redis.asyncio"]
        settings = config.litellm_settings
        named = settings.callbacks if isinstance(settings.callbacks, list) else [settings.callbacks or ""]
        if "prometheus" in [*named, *(settings.success_callback or [])]:
            modules += ["llmrelay.events.sinks.prometheus", "llmrelay.events.sinks.prometheus_shared"]
        for module in modules:
            importlib.import_module(module)
    gc.collect()
    gc.freeze()
    return modules
