"""The audit log of admin changes: append, page through with filters, read one."""

from __future__ import annotations

from sqlalchemy import func, select

from llmrelay.storage.audit_records import AuditFilter, AuditRecord
from llmrelay.storage.repos.base import Repository, new_values, to_records
from llmrelay.storage.schema import audit_logs

A = audit_logs.c


class AuditRepository(Repository):
    async def add(self, entries: list[AuditRecord]) -> None:
        if not entries:
            return
        async with self.db.begin() as conn:
            await conn.execute(audit_logs.insert(), [new_values(e) for e in entries])

    async def page(self, flt: AuditFilter) -> tuple[list[AuditRecord], int]:
        """The entries matching `flt` (one page of them) and how many match in all."""
        conditions = [
            column == value
            for column, value in (
                (A.changed_by, flt.changed_by),
                (A.changed_by_api_key, flt.changed_by_api_key),
                (A.action, flt.action),
                (A.table_name, flt.table_name),
                (A.object_id, flt.object_id),
            )
            if value is not None
        ]
        if flt.start is not None:
            conditions.append(A.updated_at >= flt.start)
        if flt.end is not None:
            conditions.append(A.updated_at < flt.end)
        order = (A.updated_at.desc(), A.id.desc()) if flt.newest_first else (A.updated_at, A.id)
        query = select(audit_logs).where(*conditions).order_by(*order).limit(flt.limit).offset(flt.offset)
        async with self.db.connect() as conn:
            rows = to_records(AuditRecord, await conn.execute(query))
            total = await conn.execute(select(func.count()).select_from(audit_logs).where(*conditions))
            return rows, int(total.scalar_one())

    async def get(self, entry_id: str) -> AuditRecord | None:
        async with self.db.connect() as conn:
            rows = to_records(AuditRecord, await conn.execute(select(audit_logs).where(A.id == entry_id)))
        return rows[0] if rows else None
