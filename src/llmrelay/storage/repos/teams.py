"""Teams and their members."""

from __future__ import annotations

from sqlalchemy import delete, select

from llmrelay.storage.errors import conflicts_as
from llmrelay.storage.records import NewTeam, TeamMember, TeamRecord, TeamUpdate
from llmrelay.storage.repos.base import (
    Repository,
    new_values,
    record_changes,
    to_record,
    to_records,
)
from llmrelay.storage.schema import team_members, teams, virtual_keys

T = teams.c
M = team_members.c


class TeamRepository(Repository):
    async def create(self, new: NewTeam, members: list[TeamMember] | None = None) -> TeamRecord:
        now = self.clock()
        values = new_values(new) | {"spend_micros": 0, "created_at": now, "updated_at": now}
        async with (
            conflicts_as("team_id already exists, or organization/user unknown"),
            self.db.begin() as conn,
        ):
            row = (await conn.execute(teams.insert().values(values).returning(*teams.c))).one()
            if members:
                await conn.execute(
                    team_members.insert(),
                    [
                        {"team_id": new.team_id, "user_id": m.user_id, "role": m.role, "created_at": now}
                        for m in members
                    ],
                )
        return to_record(TeamRecord, row)

    async def get(self, team_id: str) -> TeamRecord | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(select(teams).where(T.team_id == team_id))).first()
        return to_record(TeamRecord, row) if row is not None else None

    async def list_teams(
        self, *, organization_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[TeamRecord]:
        query = select(teams)
        if organization_id is not None:
            query = query.where(T.organization_id == organization_id)
        query = query.order_by(T.team_id).limit(limit).offset(offset)
        async with self.db.connect() as conn:
            return to_records(TeamRecord, await conn.execute(query))

    async def update(self, team_id: str, changes: TeamUpdate) -> TeamRecord | None:
        return await self._update_row(
            teams,
            T.team_id,
            team_id,
            changes,
            kind="team",
            record=TeamRecord,
            conflict="organization unknown",
        )

    async def delete(self, team_ids: list[str]) -> list[str]:
        """Delete teams and, as LiteLLM does, the keys that belong to them."""
        return await self._delete_with_keys(teams, T.team_id, virtual_keys.c.team_id, team_ids, kind="team")

    async def add_member(self, member: TeamMember) -> TeamMember:
        now = self.clock()
        async with conflicts_as("already a member, or team/user unknown"), self.db.begin() as conn:
            await conn.execute(
                team_members.insert().values(
                    team_id=member.team_id, user_id=member.user_id, role=member.role, created_at=now
                )
            )
            logged = await record_changes(conn, [("team", member.team_id)], now)
        await self._notify(logged)
        return TeamMember(team_id=member.team_id, user_id=member.user_id, role=member.role, created_at=now)

    async def remove_member(self, team_id: str, user_id: str) -> bool:
        now = self.clock()
        async with self.db.begin() as conn:
            result = await conn.execute(
                delete(team_members).where(M.team_id == team_id, M.user_id == user_id)
            )
            if not result.rowcount:
                return False
            logged = await record_changes(conn, [("team", team_id)], now)
        await self._notify(logged)
        return True

    async def members(self, team_id: str) -> list[TeamMember]:
        async with self.db.connect() as conn:
            rows = await conn.execute(select(team_members).where(M.team_id == team_id).order_by(M.user_id))
            return to_records(TeamMember, rows)

    async def teams_of(self, user_id: str) -> list[TeamMember]:
        async with self.db.connect() as conn:
            rows = await conn.execute(select(team_members).where(M.user_id == user_id).order_by(M.team_id))
            return to_records(TeamMember, rows)
