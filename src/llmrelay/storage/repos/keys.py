"""Virtual keys, addressed by the hash of the key (the key itself is never stored)."""

from __future__ import annotations

from msgspec import UNSET
from sqlalchemy import delete, select, update

from llmrelay.storage.errors import conflicts_as
from llmrelay.storage.records import KeyModelSpend, KeyRecord, KeyUpdate, NewKey
from llmrelay.storage.repos.base import (
    Repository,
    new_values,
    record_changes,
    set_fields,
    to_record,
    to_records,
)
from llmrelay.storage.repos.key_spend import follow_model_budgets, model_spend_of
from llmrelay.storage.schema import virtual_keys

K = virtual_keys.c


class KeyRepository(Repository):
    async def create(self, new: NewKey) -> KeyRecord:
        now = self.clock()
        values = new_values(new) | {"spend_micros": 0, "created_at": now, "updated_at": now}
        async with (
            conflicts_as("key hash or alias already exists, or user/team/org unknown"),
            self.db.begin() as conn,
        ):
            row = (await conn.execute(virtual_keys.insert().values(values).returning(*virtual_keys.c))).one()
            # a cached "unknown key" answer for this hash must go
            changes = await record_changes(conn, [("key", new.key_hash)], now)
        await self._notify(changes)
        return to_record(KeyRecord, row)

    async def get(self, key_hash: str) -> KeyRecord | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(select(virtual_keys).where(K.key_hash == key_hash))).first()
        return to_record(KeyRecord, row) if row is not None else None

    async def get_by_alias(self, key_alias: str) -> KeyRecord | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(select(virtual_keys).where(K.key_alias == key_alias))).first()
        return to_record(KeyRecord, row) if row is not None else None

    async def list_keys(
        self,
        *,
        user_id: str | None = None,
        team_id: str | None = None,
        organization_id: str | None = None,
        key_alias: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[KeyRecord]:
        query = select(virtual_keys)
        if user_id is not None:
            query = query.where(K.user_id == user_id)
        if team_id is not None:
            query = query.where(K.team_id == team_id)
        if organization_id is not None:
            query = query.where(K.organization_id == organization_id)
        if key_alias is not None:
            query = query.where(K.key_alias == key_alias)
        query = query.order_by(K.created_at, K.key_hash).limit(limit).offset(offset)
        async with self.db.connect() as conn:
            return to_records(KeyRecord, await conn.execute(query))

    async def update(self, key_hash: str, changes: KeyUpdate) -> KeyRecord | None:
        if changes.model_max_budget is not UNSET:
            return await self._update_model_budgets(key_hash, changes)
        return await self._update_row(
            virtual_keys,
            K.key_hash,
            key_hash,
            changes,
            kind="key",
            record=KeyRecord,
            conflict="key alias already in use, or user/team/org unknown",
        )

    async def _update_model_budgets(self, key_hash: str, changes: KeyUpdate) -> KeyRecord | None:
        """An update that sets model_max_budget: the per-model spend rows follow it in the same
        transaction (repos/key_spend.follow_model_budgets)."""
        now = self.clock()
        values = set_fields(changes) | {"updated_at": now}
        async with (
            conflicts_as("key alias already in use, or user/team/org unknown"),
            self.db.begin() as conn,
        ):
            statement = (
                update(virtual_keys).where(K.key_hash == key_hash).values(values).returning(*virtual_keys.c)
            )
            row = (await conn.execute(statement)).first()
            if row is None:
                return None
            await follow_model_budgets(conn, key_hash, values["model_max_budget"], now)
            logged = await record_changes(conn, [("key", key_hash)], now)
        await self._notify(logged)
        return to_record(KeyRecord, row)

    async def model_spend(self, key_hash: str) -> tuple[KeyModelSpend, ...]:
        async with self.db.connect() as conn:
            return (await model_spend_of(conn, [key_hash])).get(key_hash, ())

    async def set_blocked(self, key_hash: str, blocked: bool) -> KeyRecord | None:
        return await self.update(key_hash, KeyUpdate(blocked=blocked))

    async def delete(self, key_hashes: list[str]) -> list[str]:
        """Delete keys; returns the hashes that existed."""
        if not key_hashes:
            return []
        now = self.clock()
        async with self.db.begin() as conn:
            result = await conn.execute(
                delete(virtual_keys).where(K.key_hash.in_(key_hashes)).returning(K.key_hash)
            )
            gone = [str(h) for h in result.scalars()]
            logged = await record_changes(conn, [("key", h) for h in gone], now)
        await self._notify(logged)
        return gone

    async def regenerate(self, old_hash: str, new_hash: str, new_name: str) -> KeyRecord | None:
        """Give a key a new secret, keeping its settings and spend; the old secret stops working."""
        now = self.clock()
        async with conflicts_as("the new key hash already exists"), self.db.begin() as conn:
            row = (
                await conn.execute(
                    update(virtual_keys)
                    .where(K.key_hash == old_hash)
                    .values(key_hash=new_hash, key_name=new_name, updated_at=now)
                    .returning(*virtual_keys.c)
                )
            ).first()
            if row is None:
                return None
            logged = await record_changes(conn, [("key", old_hash), ("key", new_hash)], now)
        await self._notify(logged)
        return to_record(KeyRecord, row)
