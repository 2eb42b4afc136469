"""Internal users (people or services that own keys)."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from llmrelay.storage.errors import conflicts_as
from llmrelay.storage.records import NewUser, UserRecord, UserUpdate
from llmrelay.storage.repos.base import (
    Repository,
    new_values,
    record_changes,
    set_fields,
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
        now = self.clock()
        values = set_fields(changes) | {"updated_at": now}
        async with conflicts_as("organization unknown"), self.db.begin() as conn:
            row = (
                await conn.execute(
                    update(users).where(U.user_id == user_id).values(values).returning(*users.c)
                )
            ).first()
            if row is None:
                return None
            logged = await record_changes(conn, [("user", user_id)], now)
        await self._notify(logged)
        return to_record(UserRecord, row)

    async def delete(self, user_ids: list[str]) -> list[str]:
        """Delete users and, as LiteLLM does, every key they own; team memberships go with them."""
        if not user_ids:
            return []
        now = self.clock()
        async with self.db.begin() as conn:
            keys = await conn.execute(
                delete(virtual_keys)
                .where(virtual_keys.c.user_id.in_(user_ids))
                .returning(virtual_keys.c.key_hash)
            )
            key_hashes = [str(h) for h in keys.scalars()]
            result = await conn.execute(delete(users).where(U.user_id.in_(user_ids)).returning(U.user_id))
            gone = [str(u) for u in result.scalars()]
            logged = await record_changes(
                conn, [("key", h) for h in key_hashes] + [("user", u) for u in gone], now
            )
        await self._notify(logged)
        return gone
