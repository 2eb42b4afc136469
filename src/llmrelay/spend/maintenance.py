"""Periodic upkeep: spend log retention and budget resets. Both are idempotent, so every instance
may run them; they cost one indexed query each when there is nothing to do."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from llmrelay.storage.repos.spend import SpendRepository

log = logging.getLogger("llmrelay.spend")


class SpendMaintenance:
    def __init__(
        self,
        spend: SpendRepository,
        *,
        retention: timedelta | None = timedelta(days=30),
        interval: float = 60.0,
    ):
        self.spend = spend
        self.retention = retention  # None keeps spend logs forever
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> tuple[int, int]:
        """(spend log rows purged, budgets reset)."""
        purged = 0
        if self.retention is not None:
            purged = await self.spend.purge_logs(self.spend.clock() - self.retention)
        reset = await self.spend.reset_due_budgets()
        return purged, len(reset)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="spend-maintenance")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("spend maintenance failed (%s); retrying next round", type(exc).__name__)
            await asyncio.sleep(self.interval)
