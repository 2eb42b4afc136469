"""Internal users (people or services that own keys)."""

from __future__ import annotations

from sqlalchemy import select

from llmrelay.storage.errors import conflicts_as
from llmrelay.storage.records import NewUser, UserRecord, UserUpdate
from llmrelay.storage.repos.base import (
    Repository,
    new_values,
    to_record,
    to_records,
)
from llmrelay.storage.schema import users, virtual_keys

U = users.c


class UserRepository(Repository):
    async def create(self, new: NewUser) -> UserRecord:
        now = self.clock()
        values = new_values(new) | {"spend_micros": 0, "created_at": now, "updated_at": now}
        async with conflicts_as("user_id already exists, or organization unknown"), self.db.begin() as conn:
            row = (await conn.execute(users.insert().values(values).returning(*users.c))).one()
        return to_record(UserRecord, row)

    async def get(self, user_id: str) -> UserRecord | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(select(users).where(U.user_id == user_id))).first()
        return to_record(UserRecord, row) if row is not None else None

    async def get_by_email(self, user_email: str) -> UserRecord | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(select(users).where(U.user_email == user_email).limit(1))).first()
        return to_record(UserRecord, row) if row is not None else None

    async def list_users(
        self, *, organization_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[UserRecord]:
        query = select(users)
        if organization_id is not None:
            query = query.where(U.organization_id == organization_id)
        query = query.order_by(U.user_id).limit(limit).offset(offset)
        async with self.db.connect() as conn:
            return to_records(UserRecord, await conn.execute(query))

    async def update(self, user_id: str, changes: UserUpdate) -> UserRecord | None:
        return await self._update_row(
            users,
            U.user_id,
            user_id,
            changes,
            kind="user",
            record=UserRecord,
            conflict="organization unknown",
        )

    async def delete(self, user_ids: list[str]) -> list[str]:
        """Delete users and, as LiteLLM does, every key they own; team memberships go with them."""
        return await self._delete_with_keys(users, U.user_id, virtual_keys.c.user_id, user_ids, kind="user")
