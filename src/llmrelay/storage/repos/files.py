"""Files and batches: the gateway's ids for the upstream's, their owners, and the one-time claim on
a completed batch's billing (storage/file_records.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite

from llmrelay.storage.file_records import (
    BILLING_CLAIMED,
    BILLING_DONE,
    BILLING_OPEN,
    BatchRecord,
    FileRecord,
)
from llmrelay.storage.repos.base import Repository, new_values, to_record, to_records
from llmrelay.storage.schema import managed_batches, managed_files

F = managed_files.c
B = managed_batches.c
MAX_PAGE = 100


def _owned(column: Any, key_hash: str | None) -> ColumnElement[bool]:
    # None: the master key (or an open gateway), which sees every object
    return true() if key_hash is None else column == key_hash


class FileRepository(Repository):
    # ---- files
    async def add_file(self, record: FileRecord) -> None:
        async with self.db.begin() as conn:
            await conn.execute(managed_files.insert(), [new_values(record)])

    async def add_file_once(self, record: FileRecord) -> None:
        """Store `record` unless a file of its id exists (a batch's output file, which any instance
        may see first: its id is derived from the batch's)."""
        insert = (postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert)(managed_files)
        async with self.db.begin() as conn:
            statement = insert.values(new_values(record)).on_conflict_do_nothing(index_elements=["id"])
            await conn.execute(statement)

    async def file(self, file_id: str, key_hash: str | None) -> FileRecord | None:
        """The file, if `key_hash` owns it (None: any owner)."""
        query = select(managed_files).where(F.id == file_id, _owned(F.key_hash, key_hash))
        async with self.db.connect() as conn:
            row = (await conn.execute(query)).first()
        return to_record(FileRecord, row) if row is not None else None

    async def files(
        self, key_hash: str | None, *, purpose: str | None, after: str | None, limit: int, newest_first: bool
    ) -> list[FileRecord]:
        conditions = [_owned(F.key_hash, key_hash)]
        if purpose is not None:
            conditions.append(F.purpose == purpose)
        order = (F.created_at.desc(), F.id.desc()) if newest_first else (F.created_at, F.id)
        if after is not None:
            anchor = await self.file(after, key_hash)
            if anchor is not None:
                at = anchor.created_at
                later = (F.created_at < at) if newest_first else (F.created_at > at)
                same = F.created_at == anchor.created_at
                beyond = (F.id < anchor.id) if newest_first else (F.id > anchor.id)
                conditions.append(or_(later, same & beyond))
        query = select(managed_files).where(*conditions).order_by(*order).limit(min(limit, MAX_PAGE))
        async with self.db.connect() as conn:
            return to_records(FileRecord, await conn.execute(query))

    async def delete_file(self, file_id: str) -> bool:
        async with self.db.begin() as conn:
            result = await conn.execute(delete(managed_files).where(F.id == file_id).returning(F.id))
            return result.first() is not None

    # ---- batches
    async def add_batch(self, record: BatchRecord) -> None:
        async with self.db.begin() as conn:
            await conn.execute(managed_batches.insert(), [new_values(record)])

    async def batch(self, batch_id: str, key_hash: str | None) -> BatchRecord | None:
        query = select(managed_batches).where(B.id == batch_id, _owned(B.key_hash, key_hash))
        async with self.db.connect() as conn:
            row = (await conn.execute(query)).first()
        return to_record(BatchRecord, row) if row is not None else None

    async def batches(self, key_hash: str | None, *, after: str | None, limit: int) -> list[BatchRecord]:
        """Newest first, as OpenAI lists them; `after`: the last id of the previous page."""
        conditions = [_owned(B.key_hash, key_hash)]
        if after is not None:
            anchor = await self.batch(after, key_hash)
            if anchor is not None:
                same = B.created_at == anchor.created_at
                conditions.append(or_(B.created_at < anchor.created_at, same & (B.id < anchor.id)))
        query = (
            select(managed_batches)
            .where(*conditions)
            .order_by(B.created_at.desc(), B.id.desc())
            .limit(min(limit, MAX_PAGE))
        )
        async with self.db.connect() as conn:
            return to_records(BatchRecord, await conn.execute(query))

    async def unsettled(self, *, after: tuple[datetime, str] | None, limit: int) -> list[BatchRecord]:
        """Batches of any owner whose billing is not done, oldest first, after (created_at, id)."""
        conditions: list[ColumnElement[bool]] = [B.billing.in_((BILLING_OPEN, BILLING_CLAIMED))]
        if after is not None:
            at, ident = after
            conditions.append(or_(B.created_at > at, (B.created_at == at) & (B.id > ident)))
        query = (
            select(managed_batches)
            .where(*conditions)
            .order_by(B.created_at, B.id)
            .limit(min(limit, MAX_PAGE))
        )
        async with self.db.connect() as conn:
            return to_records(BatchRecord, await conn.execute(query))

    async def set_status(self, batch_id: str, status: str) -> None:
        async with self.db.begin() as conn:
            await conn.execute(update(managed_batches).where(B.id == batch_id).values(status=status))

    async def claim_billing(self, batch_id: str, now: datetime, lease: timedelta) -> bool:
        """Take the batch's billing for this caller: True for exactly one of any number of concurrent
        callers on any instance (one conditional UPDATE). A claim older than `lease` whose holder never
        finished (it crashed) may be taken again; the spend row's id is the batch's, so a second
        record of it is still counted once (storage/repos/spend.py)."""
        open_or_stale = or_(
            B.billing == BILLING_OPEN, (B.billing == BILLING_CLAIMED) & (B.claimed_at < now - lease)
        )
        statement = (
            update(managed_batches)
            .where(B.id == batch_id, open_or_stale)
            .values(billing=BILLING_CLAIMED, claimed_at=now)
            .returning(B.id)
        )
        async with self.db.begin() as conn:
            return (await conn.execute(statement)).first() is not None

    async def billed(self, batch_id: str, cost_micros: int) -> None:
        async with self.db.begin() as conn:
            await conn.execute(
                update(managed_batches)
                .where(B.id == batch_id)
                .values(billing=BILLING_DONE, cost_micros=cost_micros)
            )

    async def release_claim(self, batch_id: str) -> None:
        """Give the claim back (the output could not be read): the next retrieve tries again."""
        async with self.db.begin() as conn:
            await conn.execute(
                update(managed_batches)
                .where(B.id == batch_id, B.billing == BILLING_CLAIMED)
                .values(billing=BILLING_OPEN, claimed_at=None)
            )
