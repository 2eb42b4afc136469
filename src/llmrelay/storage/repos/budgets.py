"""Reusable budgets (referenced by organizations and end users) and end users themselves."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from llmrelay.storage.errors import conflicts_as
from llmrelay.storage.records import (
    BudgetRecord,
    BudgetUpdate,
    EndUserRecord,
    EndUserUpdate,
    NewBudget,
    NewEndUser,
)
from llmrelay.storage.repos.base import (
    Repository,
    new_values,
    record_changes,
    set_fields,
    to_record,
    to_records,
)
from llmrelay.storage.schema import budgets, end_users, organizations, virtual_keys

B = budgets.c
E = end_users.c


class BudgetRepository(Repository):
    async def create(self, new: NewBudget) -> BudgetRecord:
        now = self.clock()
        values = new_values(new) | {"created_at": now, "updated_at": now}
        async with conflicts_as("budget_id already exists"), self.db.begin() as conn:
            row = (await conn.execute(budgets.insert().values(values).returning(*budgets.c))).one()
        return to_record(BudgetRecord, row)

    async def get(self, budget_id: str) -> BudgetRecord | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(select(budgets).where(B.budget_id == budget_id))).first()
        return to_record(BudgetRecord, row) if row is not None else None

    async def get_many(self, budget_ids: list[str]) -> dict[str, BudgetRecord]:
        if not budget_ids:
            return {}
        async with self.db.connect() as conn:
            rows = await conn.execute(select(budgets).where(B.budget_id.in_(budget_ids)))
        return {str(row.budget_id): to_record(BudgetRecord, row) for row in rows}

    async def list_budgets(self, limit: int = 1000) -> list[BudgetRecord]:
        async with self.db.connect() as conn:
            rows = await conn.execute(select(budgets).order_by(B.budget_id).limit(limit))
            return to_records(BudgetRecord, rows)

    async def holders(self, budget_id: str) -> dict[str, int]:
        """How many keys, organizations and end users name the budget (kinds with none left out)."""
        counts: dict[str, int] = {}
        async with self.db.connect() as conn:
            for kind, table in (
                ("keys", virtual_keys),
                ("organizations", organizations),
                ("end users", end_users),
            ):
                count = (
                    await conn.execute(
                        select(func.count()).select_from(table).where(table.c.budget_id == budget_id)
                    )
                ).scalar_one()
                if count:
                    counts[kind] = int(count)
        return counts

    async def update(self, budget_id: str, changes: BudgetUpdate) -> BudgetRecord | None:
        now = self.clock()
        values = set_fields(changes) | {"updated_at": now}
        async with self.db.begin() as conn:
            row = (
                await conn.execute(
                    update(budgets).where(B.budget_id == budget_id).values(values).returning(*budgets.c)
                )
            ).first()
            if row is None:
                return None
            # budgets are shared: every cached principal may depend on this one
            logged = await record_changes(conn, [("budget", budget_id)], now)
        await self._notify(logged)
        return to_record(BudgetRecord, row)

    async def delete(self, budget_id: str) -> bool:
        now = self.clock()
        async with self.db.begin() as conn:
            result = await conn.execute(delete(budgets).where(B.budget_id == budget_id))
            if not result.rowcount:
                return False
            logged = await record_changes(conn, [("budget", budget_id)], now)
        await self._notify(logged)
        return True

    # ---- end users (the `user` field of a request) ----

    async def upsert_end_user(
        self,
        end_user_id: str,
        *,
        alias: str | None = None,
        budget_id: str | None = None,
        blocked: bool = False,
    ) -> EndUserRecord:
        now = self.clock()
        async with conflicts_as("budget unknown"), self.db.begin() as conn:
            exists = (await conn.execute(select(E.end_user_id).where(E.end_user_id == end_user_id))).first()
            values = {"alias": alias, "budget_id": budget_id, "blocked": blocked, "updated_at": now}
            if exists is None:
                await conn.execute(
                    end_users.insert().values(
                        values | {"end_user_id": end_user_id, "spend_micros": 0, "created_at": now}
                    )
                )
            else:
                await conn.execute(update(end_users).where(E.end_user_id == end_user_id).values(values))
            row = (await conn.execute(select(end_users).where(E.end_user_id == end_user_id))).one()
            logged = await record_changes(conn, [("end_user", end_user_id)], now)
        await self._notify(logged)
        return to_record(EndUserRecord, row)

    async def get_end_user(self, end_user_id: str) -> EndUserRecord | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(select(end_users).where(E.end_user_id == end_user_id))).first()
        return to_record(EndUserRecord, row) if row is not None else None

    async def delete_end_user(self, end_user_id: str) -> bool:
        now = self.clock()
        async with self.db.begin() as conn:
            result = await conn.execute(delete(end_users).where(E.end_user_id == end_user_id))
            if not result.rowcount:
                return False
            logged = await record_changes(conn, [("end_user", end_user_id)], now)
        await self._notify(logged)
        return True

    async def create_end_user(self, new: NewEndUser, budget: NewBudget | None = None) -> EndUserRecord:
        """Create an end user and, if given, a budget made for them (linked by its id), in one
        transaction. A taken id or an unknown budget_id: StorageConflict."""
        now = self.clock()
        stamps = {"created_at": now, "updated_at": now}
        values = new_values(new) | stamps
        async with conflicts_as("end user already exists, or budget unknown"), self.db.begin() as conn:
            if budget is not None:
                await conn.execute(budgets.insert().values(new_values(budget) | stamps))
                values["budget_id"] = budget.budget_id
            row = (await conn.execute(end_users.insert().values(values).returning(*end_users.c))).one()
            # the gateway may hold this id already (seen in a request before it had a row)
            logged = await record_changes(conn, [("end_user", new.end_user_id)], now)
        await self._notify(logged)
        return to_record(EndUserRecord, row)

    async def update_end_user(
        self, end_user_id: str, changes: EndUserUpdate, limits: BudgetUpdate | None = None
    ) -> EndUserRecord | None:
        """Change an end user. `limits` change the budget they are linked to (as in LiteLLM: a budget
        shared with other end users changes for them too); without one, a budget is made for them
        when a limit is set. None if there is no such end user."""
        now = self.clock()
        values = set_fields(changes) | {"updated_at": now}
        budget_values = set_fields(limits) if limits is not None else {}
        logged_ids = [("end_user", end_user_id)]
        async with conflicts_as("budget unknown"), self.db.begin() as conn:
            found = (
                await conn.execute(select(E.budget_id).where(E.end_user_id == end_user_id).with_for_update())
            ).first()
            if found is None:
                return None
            budget_id = values.get("budget_id", found.budget_id)
            if budget_values and budget_id is not None:
                await conn.execute(
                    update(budgets)
                    .where(B.budget_id == budget_id)
                    .values(budget_values | {"updated_at": now})
                )
                logged_ids.append(("budget", budget_id))
            elif any(value is not None for value in budget_values.values()):
                values["budget_id"] = await self._insert_budget(conn, budget_values, now)
            row = (
                await conn.execute(
                    update(end_users)
                    .where(E.end_user_id == end_user_id)
                    .values(values)
                    .returning(*end_users.c)
                )
            ).one()
            logged = await record_changes(conn, logged_ids, now)
        await self._notify(logged)
        return to_record(EndUserRecord, row)

    @staticmethod
    async def _insert_budget(conn: AsyncConnection, limits: dict[str, Any], now: datetime) -> str:
        budget_id = str(uuid.uuid4())
        values = new_values(NewBudget(budget_id=budget_id)) | limits
        await conn.execute(budgets.insert().values(values | {"created_at": now, "updated_at": now}))
        return budget_id

    async def list_end_users(
        self, end_user_ids: list[str] | None = None, *, blocked: bool | None = None
    ) -> list[EndUserRecord]:
        """End users by id (all of them without `end_user_ids`), optionally only (un)blocked ones."""
        statement = select(end_users).order_by(E.end_user_id)
        if end_user_ids is not None:
            statement = statement.where(E.end_user_id.in_(end_user_ids))
        if blocked is not None:
            statement = statement.where(E.blocked == blocked)
        async with self.db.connect() as conn:
            rows = await conn.execute(statement)
            return to_records(EndUserRecord, rows)

    async def set_end_users_blocked(
        self, end_user_ids: list[str], blocked: bool, *, create_missing: bool
    ) -> list[EndUserRecord]:
        """Block or unblock end users in one transaction; with `create_missing`, ids without a row get
        one (so an end user can be blocked before their first call). Returns the rows changed."""
        ids = sorted(set(end_user_ids))  # one row order everywhere, so concurrent writers cannot deadlock
        if not ids:
            return []
        now = self.clock()
        async with self.db.begin() as conn:
            if create_missing:
                insert = (postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert)(end_users)
                statement = insert.on_conflict_do_update(
                    index_elements=["end_user_id"], set_={"blocked": blocked, "updated_at": now}
                )
                fresh = {"alias": None, "budget_id": None, "spend_micros": 0, "blocked": blocked}
                await conn.execute(
                    statement,
                    [fresh | {"end_user_id": i, "created_at": now, "updated_at": now} for i in ids],
                )
            else:
                await conn.execute(
                    update(end_users).where(E.end_user_id.in_(ids)).values(blocked=blocked, updated_at=now)
                )
            rows = to_records(
                EndUserRecord,
                await conn.execute(select(end_users).where(E.end_user_id.in_(ids)).order_by(E.end_user_id)),
            )
            logged = await record_changes(conn, [("end_user", r.end_user_id) for r in rows], now)
        await self._notify(logged)
        return rows

    async def delete_end_users(self, end_user_ids: list[str]) -> list[str]:
        """Delete end users (their spend goes with them; budgets stay, they may be shared). Returns
        the ids deleted."""
        if not end_user_ids:
            return []
        now = self.clock()
        async with self.db.begin() as conn:
            result = await conn.execute(
                delete(end_users).where(E.end_user_id.in_(end_user_ids)).returning(E.end_user_id)
            )
            gone = sorted(str(i) for i in result.scalars())
            logged = await record_changes(conn, [("end_user", i) for i in gone], now)
        await self._notify(logged)
        return gone
