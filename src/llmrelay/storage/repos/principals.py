"""The auth path's one read: a key with its user, team, organization and organization budget."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import Label, Row, Table, func, select

from llmrelay.storage.records import (
    BudgetRecord,
    KeyRecord,
    OrganizationRecord,
    PrincipalRecord,
    TeamRecord,
    UserRecord,
)
from llmrelay.storage.repos.base import Repository
from llmrelay.storage.schema import budgets, organizations, teams, users, virtual_keys

_PARTS: tuple[tuple[str, Table, type[Any]], ...] = (
    ("k", virtual_keys, KeyRecord),
    ("u", users, UserRecord),
    ("t", teams, TeamRecord),
    ("o", organizations, OrganizationRecord),
    ("b", budgets, BudgetRecord),
)


def _labelled(prefix: str, table: Table) -> list[Label[Any]]:
    return [column.label(f"{prefix}__{column.name}") for column in table.c]


class PrincipalRepository(Repository):
    async def load(self, key_hash: str) -> PrincipalRecord | None:
        """One indexed query (primary keys only). A key's organization is its own, else its team's."""
        org_id = func.coalesce(virtual_keys.c.organization_id, teams.c.organization_id)
        query = (
            select(*[label for prefix, table, _ in _PARTS for label in _labelled(prefix, table)])
            .select_from(virtual_keys)
            .outerjoin(users, users.c.user_id == virtual_keys.c.user_id)
            .outerjoin(teams, teams.c.team_id == virtual_keys.c.team_id)
            .outerjoin(organizations, organizations.c.organization_id == org_id)
            .outerjoin(budgets, budgets.c.budget_id == organizations.c.budget_id)
            .where(virtual_keys.c.key_hash == key_hash)
        )
        async with self.db.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _split(row)


def _split(row: Row[Any]) -> PrincipalRecord:
    mapping = row._mapping
    parts: dict[str, Any] = {}
    for prefix, table, kind in _PARTS:
        values = {str(column.name): mapping[f"{prefix}__{column.name}"] for column in table.c}
        primary = next(iter(table.primary_key.columns)).name
        parts[prefix] = None if values[primary] is None else msgspec.convert(values, kind)
    return PrincipalRecord(
        key=parts["k"],
        user=parts["u"],
        team=parts["t"],
        organization=parts["o"],
        organization_budget=parts["b"],
    )
