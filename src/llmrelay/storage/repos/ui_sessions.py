"""The dashboard's SSO sessions: open one, read a live one with its user's row, end one, prune."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from llmrelay.storage.records import UserRecord
from llmrelay.storage.repos.base import Repository, to_record
from llmrelay.storage.schema import ui_sessions, users

S = ui_sessions.c


class UiSessionRepository(Repository):
    async def open(self, session_hash: str, user_id: str, expires_at: datetime) -> None:
        now = self.clock()
        async with self.db.begin() as conn:
            await conn.execute(
                ui_sessions.insert().values(
                    session_hash=session_hash, user_id=user_id, created_at=now, expires_at=expires_at
                )
            )

    async def user_of(self, session_hash: str) -> UserRecord | None:
        """The user of a session that has not expired; None for an unknown or expired one."""
        query = (
            select(users)
            .join(ui_sessions, S.user_id == users.c.user_id)
            .where(S.session_hash == session_hash, S.expires_at > self.clock())
        )
        async with self.db.connect() as conn:
            row = (await conn.execute(query)).first()
        return to_record(UserRecord, row) if row is not None else None

    async def end(self, session_hash: str) -> bool:
        async with self.db.begin() as conn:
            result = await conn.execute(delete(ui_sessions).where(S.session_hash == session_hash))
        return bool(result.rowcount)

    async def prune(self) -> int:
        """Delete the expired sessions; how many."""
        async with self.db.begin() as conn:
            result = await conn.execute(delete(ui_sessions).where(S.expires_at <= self.clock()))
        return int(result.rowcount or 0)
