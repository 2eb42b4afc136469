"""The batches nobody read after they ended still get billed: every `proxy_batch_polling_interval`
seconds (LiteLLM's setting; 0: off) each worker reads a bounded page of the batches whose billing is
not done — oldest first, continuing after the last page on the next tick, so a long queue is walked
through rather than its head polled forever — from their upstream, as a retrieve would (batch_reader.py).
Every worker of every instance may poll: the billing claim keeps the spend exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from llmrelay.proxy.files.batch_reader import BatchReader
from llmrelay.storage.repos.files import FileRepository
from llmrelay.types.errors import LLMError

log = logging.getLogger("llmrelay.proxy")

PAGE = 50  # batches read per tick and worker


class BatchPoller:
    def __init__(self, repo: FileRepository, reader: BatchReader, interval: float) -> None:
        self.repo = repo
        self.reader = reader
        self.interval = interval
        self._after: tuple[datetime, str] | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.interval > 0:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.tick()
            except (LLMError, OSError) as exc:
                # the database or an upstream is down: the next tick tries again
                log.warning("batch poll failed: %s", type(exc).__name__)

    async def tick(self) -> int:
        """Read one page of unsettled batches; how many were read."""
        page = await self.repo.unsettled(after=self._after, limit=PAGE)
        self._after = (page[-1].created_at, page[-1].id) if len(page) == PAGE else None
        for record in page:
            try:
                await self.reader.read(record, "GET")
            except LLMError as exc:
                log.warning("batch %s not read: %s", record.id, type(exc).__name__)
        return len(page)
