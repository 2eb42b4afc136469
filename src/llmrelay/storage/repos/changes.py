"""The auth change log: what cache pollers read to learn about changes made by other instances."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select

from llmrelay.storage.records import AuthChange
from llmrelay.storage.repos.base import Repository, to_records
from llmrelay.storage.schema import auth_changes, auth_version


class ChangeLogRepository(Repository):
    async def latest_version(self) -> int:
        async with self.db.connect() as conn:
            result = await conn.execute(select(auth_version.c.version).where(auth_version.c.id == 1))
            return int(result.scalar_one())

    async def since(self, version: int, limit: int = 1000) -> list[AuthChange]:
        """Changes with a version above `version`, oldest first."""
        async with self.db.connect() as conn:
            rows = await conn.execute(
                select(auth_changes.c.version, auth_changes.c.kind, auth_changes.c.ident)
                .where(auth_changes.c.version > version)
                .order_by(auth_changes.c.version)
                .limit(limit)
            )
            return to_records(AuthChange, rows)

    async def prune(self, before: datetime) -> int:
        """Drop changes older than `before` (pollers that fell that far behind reload everything)."""
        async with self.db.begin() as conn:
            oldest_kept = select(func.max(auth_changes.c.version)).scalar_subquery()
            result = await conn.execute(
                delete(auth_changes).where(
                    auth_changes.c.changed_at < before, auth_changes.c.version < oldest_kept
                )
            )
            return int(result.rowcount)
