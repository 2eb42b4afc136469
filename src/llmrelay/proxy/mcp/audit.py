"""Every MCP tool call in the audit log (litellm_settings.store_audit_logs, on by default): who
called which server's tool, how it ended, the size of its arguments and result — never the
arguments or the result themselves, which may hold anything.

Entries are queued (bounded) and written in batches by a task of the worker's loop, so a tool call
never waits on the database; a full queue or a failed write loses entries with an error logged,
never the call."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from llmrelay.calls.principal import Principal
from llmrelay.storage.audit_records import AuditRecord
from llmrelay.storage.storage import Storage

log = logging.getLogger("llmrelay.audit")

ACTION = "call_mcp_tool"  # LiteLLM's call type for a tool call
TABLE_NAME = "mcp_tool"
MAX_QUEUED = 10_000
BATCH = 500


class McpAudit:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._queue: asyncio.Queue[AuditRecord] = asyncio.Queue(MAX_QUEUED)
        self._task: asyncio.Task[None] | None = None
        self.lost = 0

    def record(self, principal: Principal, server: str, tool: str, outcome: dict[str, Any]) -> None:
        key = principal.key
        entry = AuditRecord(
            id=str(uuid.uuid4()),
            updated_at=self.storage.audit.clock(),
            changed_by=(key.user_id if key is not None else principal.user_id)
            or ("proxy_admin" if principal.is_admin else ""),
            changed_by_api_key=principal.key_hash or ("master_key" if principal.kind == "master" else ""),
            action=ACTION,
            table_name=TABLE_NAME,
            object_id=f"{server}-{tool}"[:255],
            updated_values={"server": server, "tool": tool, **outcome},
        )
        try:
            self._queue.put_nowait(entry)
        except asyncio.QueueFull:
            self.lost += 1
            log.error("audit entry lost (queue full): %s %s-%s", ACTION, server, tool)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._drain(), name="mcp-audit")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            # the drain task's own cancellation, asked for just above
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()  # what was queued still goes in

    async def flush(self) -> None:
        """Write what is queued now (tests, shutdown)."""
        while batch := self._take():
            await self._write(batch)

    def _take(self) -> list[AuditRecord]:
        batch: list[AuditRecord] = []
        while not self._queue.empty() and len(batch) < BATCH:
            batch.append(self._queue.get_nowait())
        return batch

    async def _drain(self) -> None:
        while True:
            first = await self._queue.get()
            await self._write([first, *self._take()])

    async def _write(self, entries: list[AuditRecord]) -> None:
        if not entries:
            return
        try:
            await self.storage.audit.add(entries)
        except (SQLAlchemyError, OSError) as exc:
            self.lost += len(entries)
            log.error("%d audit entries lost (%s): %s", len(entries), type(exc).__name__, ACTION)
