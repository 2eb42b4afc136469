"""The batches nobody read after they ended still get billed: every `proxy_batch_polling_interval`
seconds (LiteLLM's setting; 0: off) each worker reads one bounded page of the batches whose billing is
not done (batch_reader.py's `UnsettledPages`: oldest first, going on after the last page on the next
tick, so a long queue is walked through rather than its head polled forever), as a retrieve would.
Every worker of every instance may poll: the billing claim keeps the spend exactly once.

Light on purpose: every gateway with virtual keys starts it, and what a tick needs is built by its
first tick (tests/cli/test_idle_memory.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from llmrelay.types.errors import LLMError

log = logging.getLogger("llmrelay.proxy")


class BatchPoller:
    def __init__(self, tick: Callable[[], Awaitable[int]], interval: float) -> None:
        self.tick = tick  # one page read; how many batches it read
        self.interval = interval
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
