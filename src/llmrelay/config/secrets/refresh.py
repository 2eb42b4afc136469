"""Reading a config's managed secrets again every `refresh_seconds`, off the request path: a task on
the worker's loop that runs each read in a worker thread (the exchange is blocking).

A running gateway keeps the values it started with: its deployments, master key and database URL
were built from them. What the refresh tells is that a secret changed in the manager (a rotation),
once per change, by name and by where the config uses it — a WARNING in `llmrelay.config` — so the
operator rolls the workers; and that it can no longer be read. Never a value."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from llmrelay.config.secrets.managed import ManagedSecrets

log = logging.getLogger("llmrelay.config")


class SecretRefresher:
    """A worker service (`start()` / `stop()` on its loop)."""

    def __init__(self, managed: ManagedSecrets) -> None:
        self.managed = managed
        self._task: asyncio.Task[None] | None = None
        self._reported: set[str] = set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="llmrelay-secret-refresh")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.managed.refresh_seconds)
            await self.refresh_once()

    async def refresh_once(self) -> None:
        result = await asyncio.to_thread(self.managed.refresh)
        for problem in result.failed:
            log.warning("secret refresh: %s", problem)
        for name in result.changed:
            if name in self._reported:
                continue
            self._reported.add(name)
            where = ", ".join(self.managed.uses.get(name, ()))
            log.warning(
                "secret %s changed in %s (used at %s); this worker keeps the value it started with: "
                "restart the gateway to apply it",
                name,
                self.managed.system,
                where,
            )
