"""The auth path's one read: a key with its user, team, organization, organization budget and its
own shared budget."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import Label, Row, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from llmrelay.storage.records import (
    BudgetRecord,
    KeyRecord,
    OrganizationRecord,
    PrincipalRecord,
    TeamRecord,
    UserRecord,
)
from llmrelay.storage.repos.base import Repository
from llmrelay.storage.repos.key_spend import model_spend_of
from llmrelay.storage.schema import budgets, organizations, teams, users, virtual_keys

# the key's own budget (virtual_keys.budget_id), joined beside the organization's
_key_budgets = budgets.alias("key_budgets")

_PARTS: tuple[tuple[str, Any, type[Any]], ...] = (
    ("k", virtual_keys, KeyRecord),
    ("u", users, UserRecord),
    ("t", teams, TeamRecord),
    ("o", organizations, OrganizationRecord),
    ("b", budgets, BudgetRecord),
    ("kb", _key_budgets, BudgetRecord),
)


def _labelled(prefix: str, table: Any) -> list[Label[Any]]:
    return [column.label(f"{prefix}__{column.name}") for column in table.c]


_OWNER_COLUMNS: dict[str, Any] = {
    "user": virtual_keys.c.user_id,
    "team": virtual_keys.c.team_id,
    # either index (keys.organization_id, teams.organization_id) serves this OR
    "organization": or_(
        virtual_keys.c.organization_id == bindparam("ident"), teams.c.organization_id == bindparam("ident")
    ),
    "budget": or_(
        organizations.c.budget_id == bindparam("ident"), virtual_keys.c.budget_id == bindparam("ident")
    ),
}


def _principal_query() -> Any:
    """Keys with their user, team, organization (the key's own, else its team's) and that
    organization's budget; joins on primary keys only."""
    org_id = func.coalesce(virtual_keys.c.organization_id, teams.c.organization_id)
    return (
        select(*[label for prefix, table, _ in _PARTS for label in _labelled(prefix, table)])
        .select_from(virtual_keys)
        .outerjoin(users, users.c.user_id == virtual_keys.c.user_id)
        .outerjoin(teams, teams.c.team_id == virtual_keys.c.team_id)
        .outerjoin(organizations, organizations.c.organization_id == org_id)
        .outerjoin(budgets, budgets.c.budget_id == organizations.c.budget_id)
        .outerjoin(_key_budgets, _key_budgets.c.budget_id == virtual_keys.c.budget_id)
    )


class PrincipalRepository(Repository):
    async def load(self, key_hash: str) -> PrincipalRecord | None:
        """The auth path's miss: one query by primary key."""
        async with self.db.connect() as conn:
            row = (await conn.execute(_principal_query().where(virtual_keys.c.key_hash == key_hash))).first()
            return None if row is None else (await _with_model_spend(conn, [_split(row)]))[0]

    async def load_page(self, after_hash: str, limit: int = 1000) -> list[PrincipalRecord]:
        """Every key, in key-hash order, a page at a time (a cache warming up)."""
        query = (
            _principal_query()
            .where(virtual_keys.c.key_hash > after_hash)
            .order_by(virtual_keys.c.key_hash)
            .limit(limit)
        )
        async with self.db.connect() as conn:
            return await _with_model_spend(conn, [_split(row) for row in await conn.execute(query)])

    async def load_for_owner(self, kind: str, ident: str) -> list[PrincipalRecord]:
        """Every key that depends on a user, team, organization or budget (after that owner changed)."""
        column = _OWNER_COLUMNS.get(kind)
        if column is None:
            raise ValueError(f"no keys depend on a {kind!r}")
        condition = column if kind in ("organization", "budget") else column == bindparam("ident")
        async with self.db.connect() as conn:
            rows = await conn.execute(_principal_query().where(condition), {"ident": ident})
            return await _with_model_spend(conn, [_split(row) for row in rows])


async def _with_model_spend(conn: AsyncConnection, records: list[PrincipalRecord]) -> list[PrincipalRecord]:
    """The per-model spend of the keys that have per-model budgets: a second query, only for them."""
    budgeted = [r.key.key_hash for r in records if r.key.model_max_budget]
    if not budgeted:
        return records
    spends = await model_spend_of(conn, budgeted)
    return [
        msgspec.structs.replace(r, model_spend=spends[r.key.key_hash]) if r.key.key_hash in spends else r
        for r in records
    ]


def _layout() -> tuple[tuple[str, type[Any], tuple[str, ...], int, int], ...]:
    """Per part: (prefix, record type, field names, first column position, primary key offset)."""
    layout = []
    position = 0
    for prefix, table, kind in _PARTS:
        names = tuple(str(column.name) for column in table.c)
        primary = names.index(next(iter(table.primary_key)).name)
        layout.append((prefix, kind, names, position, primary))
        position += len(names)
    return tuple(layout)


_LAYOUT = _layout()


def _split(row: Row[Any]) -> PrincipalRecord:
    parts: dict[str, Any] = {}
    for prefix, kind, names, first, primary in _LAYOUT:
        values = row[first : first + len(names)]
        parts[prefix] = (
            None if values[primary] is None else msgspec.convert(dict(zip(names, values, strict=True)), kind)
        )
    return PrincipalRecord(
        key=parts["k"],
        user=parts["u"],
        team=parts["t"],
        organization=parts["o"],
        organization_budget=parts["b"],
        key_budget=parts["kb"],
    )
