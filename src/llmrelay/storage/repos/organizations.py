"""Organizations: the top of the key → team → organization hierarchy."""

from __future__ import annotations

from sqlalchemy import delete, select

from llmrelay.storage.errors import conflicts_as
from llmrelay.storage.records import NewOrganization, OrganizationRecord, OrganizationUpdate
from llmrelay.storage.repos.base import (
    Repository,
    new_values,
    record_changes,
    to_record,
    to_records,
)
from llmrelay.storage.schema import organizations

ORG = organizations.c


class OrganizationRepository(Repository):
    async def create(self, new: NewOrganization) -> OrganizationRecord:
        now = self.clock()
        values = new_values(new) | {"spend_micros": 0, "created_at": now, "updated_at": now}
        async with conflicts_as("organization_id already exists, or budget unknown"), self.db.begin() as conn:
            row = (
                await conn.execute(organizations.insert().values(values).returning(*organizations.c))
            ).one()
        return to_record(OrganizationRecord, row)

    async def get(self, organization_id: str) -> OrganizationRecord | None:
        async with self.db.connect() as conn:
            row = (
                await conn.execute(select(organizations).where(ORG.organization_id == organization_id))
            ).first()
        return to_record(OrganizationRecord, row) if row is not None else None

    async def list_organizations(self, *, limit: int = 100, offset: int = 0) -> list[OrganizationRecord]:
        query = select(organizations).order_by(ORG.organization_id).limit(limit).offset(offset)
        async with self.db.connect() as conn:
            return to_records(OrganizationRecord, await conn.execute(query))

    async def update(self, organization_id: str, changes: OrganizationUpdate) -> OrganizationRecord | None:
        return await self._update_row(
            organizations,
            ORG.organization_id,
            organization_id,
            changes,
            kind="organization",
            record=OrganizationRecord,
            conflict="budget unknown",
        )

    async def delete(self, organization_ids: list[str]) -> list[str]:
        """Delete organizations; their teams, users and keys stay, detached (organization_id NULL)."""
        if not organization_ids:
            return []
        now = self.clock()
        async with self.db.begin() as conn:
            result = await conn.execute(
                delete(organizations)
                .where(ORG.organization_id.in_(organization_ids))
                .returning(ORG.organization_id)
            )
            gone = [str(o) for o in result.scalars()]
            logged = await record_changes(conn, [("organization", o) for o in gone], now)
        await self._notify(logged)
        return gone
