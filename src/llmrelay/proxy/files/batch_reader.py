"""Reading a batch from its upstream (or cancelling it there) and acting on what it says: its stored
status updated, and once it is final its output and error files mapped to gateway ids and its output
billed (billing.py). The routes read a batch this way on each retrieve, list and cancel; the poller
(poller.py) reads the batches nobody has seen end."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from llmrelay.proxy.files.billing import FINAL
from llmrelay.proxy.files.context import FilesContext
from llmrelay.proxy.files.targets import Target
from llmrelay.proxy.files.views import BATCH_FILES, batch_file_id, batch_object
from llmrelay.storage.file_records import BILLING_DONE, BatchRecord, FileRecord
from llmrelay.types.errors import LLMError

log = logging.getLogger("llmrelay.proxy")
# batches the poll reads per tick and worker
POLL_PAGE = 50


class BatchReader:
    def __init__(self, ctx: FilesContext) -> None:
        self.ctx = ctx

    async def read(self, record: BatchRecord, method: str) -> dict[str, Any]:
        """The batch from its upstream (GET), or cancelled there (POST); what it says is observed."""
        ctx = self.ctx
        target = ctx.targets.resolve(record.target)
        api = ctx.targets.api(target)
        segments = (
            ("batches", record.upstream_id, "cancel") if method == "POST" else ("batches", record.upstream_id)
        )
        answer = await ctx.upstream.call(
            target, api, method, api.url(*segments), ids={record.upstream_id: record.id}
        )
        await self.observe(record, target, answer)
        return batch_object(answer, record)

    async def observe(self, record: BatchRecord, target: Target, answer: dict[str, Any]) -> None:
        ctx = self.ctx
        status = answer.get("status")
        if isinstance(status, str) and status != record.status:
            await ctx.repo.set_status(record.id, status[:32])
        if status not in FINAL or record.billing == BILLING_DONE:
            return
        for field, purpose in BATCH_FILES.items():
            upstream_file = answer.get(field)
            if isinstance(upstream_file, str) and upstream_file:
                await ctx.repo.add_file_once(
                    FileRecord(
                        id=batch_file_id(record.id, field), upstream_id=upstream_file[:255],
                        provider=record.provider, target=record.target, purpose=purpose,
                        filename=f"{record.id}_{purpose}.jsonl", bytes=0, created_at=ctx.clock(),
                        key_hash=record.key_hash, team_id=record.team_id,
                    )
                )  # fmt: skip
        output = answer.get("output_file_id")
        if isinstance(output, str) and output:
            await ctx.billing.settle(record, target, self._output, output)
        else:
            await ctx.billing.nothing_to_bill(record)

    async def _output(self, target: Target, upstream_file: str) -> AsyncIterator[bytes]:
        ctx = self.ctx
        api = ctx.targets.api(target)
        response = await ctx.upstream.open(target, api, api.url("files", upstream_file, "content"), {})
        async with response:
            async for piece in ctx.upstream.pieces(response):
                yield piece


class UnsettledPages:
    """The poll's walk through the batches not billed yet (poller.py): one page per `next()`."""

    def __init__(self, reader: BatchReader) -> None:
        self.reader = reader
        self._after: tuple[datetime, str] | None = None

    async def next(self) -> int:
        """Read one page of unsettled batches from their upstreams; how many were read."""
        page = await self.reader.ctx.repo.unsettled(after=self._after, limit=POLL_PAGE)
        self._after = (page[-1].created_at, page[-1].id) if len(page) == POLL_PAGE else None
        for record in page:
            try:
                await self.reader.read(record, "GET")
            except LLMError as exc:
                log.warning("batch %s not read: %s", record.id, type(exc).__name__)
        return len(page)
