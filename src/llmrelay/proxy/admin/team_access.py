"""Whom a team belongs to for the permission table's scopes: a team's admins (`team` scope), its
organization's admin (`org` scope), its members (`own` scope for reads)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llmrelay.proxy.admin.access import Caller
from llmrelay.proxy.admin.permission_table import Scope
from llmrelay.storage.records import TeamMember, TeamRecord
from llmrelay.storage.storage import Storage
from llmrelay.types.errors import NotFoundError, PermissionDeniedError


async def require_team_admin(storage: Storage, caller: Caller, team_id: str) -> None:
    """A non-admin may change a team only as one of its admins (the member role `admin`)."""
    user_id = caller.require_user("updating a team")
    members = await storage.teams.members(team_id)
    if not any(m.user_id == user_id and m.role == "admin" for m in members):
        raise PermissionDeniedError(
            f"only a proxy admin or an admin of team {team_id} may change it",
            param="team_id",
            code="not_team_admin",
        )


def sees_team(caller: Caller, team: TeamRecord, members: list[TeamMember]) -> bool:
    if caller.sees_all or caller.org_admin_of(team.organization_id) or caller.team_admin_of(team.team_id):
        return True
    return Scope.OWN in caller.scopes and any(m.user_id == caller.user_id for m in members)


async def require_team_manager(
    storage: Storage, caller: Caller, team_id: str, *, org_only: bool = False
) -> None:
    """A team's admin (unless `org_only`) or its organization's admin; else 403 naming team_id."""
    team = await storage.teams.get(team_id)
    if team is None:
        raise NotFoundError("team not found", param="team_id", code="team_not_found")
    if caller.org_admin_of(team.organization_id) or (not org_only and caller.team_admin_of(team_id)):
        return
    who = "its organization's admin" if org_only else "an admin of the team or of its organization"
    raise PermissionDeniedError(
        f"team {team_id}: only a proxy admin or {who} may do this", param="team_id", code="not_team_admin"
    )


async def require_users(storage: Storage, members: Sequence[Any]) -> None:
    """Only a proxy admin makes users: another manager adds users that exist."""
    for member in members:
        if await storage.users.get(member.user_id) is None:
            raise NotFoundError(
                f"user {member.user_id} not found; only a proxy admin creates users",
                param="user_id",
                code="user_not_found",
            )
