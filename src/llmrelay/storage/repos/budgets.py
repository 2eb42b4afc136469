"""Reusable budgets (referenced by organizations and end users) and end users themselves."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from llmrelay.storage.errors import conflicts_as
from llmrelay.storage.records import BudgetRecord, BudgetUpdate, EndUserRecord, NewBudget
from llmrelay.storage.repos.base import Repository, new_values, record_changes, set_fields, to_record
from llmrelay.storage.schema import budgets, end_users

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
