"""Prometheus metrics summed over a gateway's worker processes.

prometheus_client's multiprocess mode: with PROMETHEUS_MULTIPROC_DIR set before it is imported,
every metric value lives in a memory-mapped file per process in that directory, and a scrape builds
its answer from all the files (counters and histograms summed). The gateway's sink counts into plain
integers and folds them into the metrics in batches (events/sinks/prometheus.py); here a worker folds
every FOLD_INTERVAL seconds, and before answering a scrape, so a scrape answered by any worker shows
every call the others finished more than FOLD_INTERVAL ago, each counted once. Files of workers that
exited stay and keep counting: a restarted worker does not take its calls off the totals."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, generate_latest, values
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

# seconds between a worker's folds into its file: how stale another worker's counts may be
FOLD_INTERVAL = 0.25


def multiprocess_mode_on() -> bool:
    """prometheus_client chose its memory-mapped values (the environment was set before its import)."""
    return getattr(values.ValueClass, "__name__", "") == "MmapedValue"


def render_shared(directory: str, fold: Callable[[], None], collectors: Iterable[Collector]) -> bytes:
    """The exposition of every worker's metrics, and of this worker's own `collectors` (state read
    at scrape time, such as deployment cooldowns)."""
    fold()
    registry = CollectorRegistry(auto_describe=True)
    MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)


class FoldEvery:
    """A worker service (started and stopped on its serving loop): folds the sink's counts into its
    file every `interval` seconds, and once more at exit, so a worker's last calls are counted."""

    def __init__(self, fold: Callable[[], None], interval: float = FOLD_INTERVAL) -> None:
        self._fold = fold
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            self._fold()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            # waits for the task to end without raising its cancellation here
            await asyncio.wait([task])
        self._fold()
