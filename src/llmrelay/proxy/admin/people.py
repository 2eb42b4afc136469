"""/user/* and /team/* — LiteLLM's user and team management routes."""

from __future__ import annotations

import uuid
from typing import Any

from msgspec import UNSET, UnsetType

from llmrelay.auth.keys import display_name, generate_key, hash_key
from llmrelay.proxy.admin.access import Caller
from llmrelay.proxy.admin.audit import AuditTrail
from llmrelay.proxy.admin.io import (
    checked_duration,
    conflict,
    int_param,
    limit_fields,
    query,
    read_body,
    send,
    to_micros,
)
from llmrelay.proxy.admin.organizations import check_team_models, organization_of_team
from llmrelay.proxy.admin.permissions import check_owner_body
from llmrelay.proxy.admin.schemas import (
    DeleteTeamsRequest,
    DeleteUsersRequest,
    MemberAddRequest,
    MemberDeleteRequest,
    NewTeamRequest,
    NewUserRequest,
    UpdateTeamRequest,
    UpdateUserRequest,
)
from llmrelay.proxy.admin.views import key_view, team_view, user_view
from llmrelay.proxy.http import Request
from llmrelay.storage.durations import next_reset
from llmrelay.storage.errors import StorageConflict
from llmrelay.storage.records import NewKey, NewTeam, NewUser, TeamMember, TeamUpdate, UserUpdate
from llmrelay.storage.storage import Storage
from llmrelay.types.errors import BadRequestError, NotFoundError, PermissionDeniedError

USER_ROLES = frozenset({"proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"})
TEAM_ROLES = frozenset({"admin", "user"})
# /team/list is not paged (as in LiteLLM); a gateway with more teams than this shows the first ones
MAX_LISTED_TEAMS = 1000


def _given(body: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: value for name in names if (value := getattr(body, name)) is not UNSET}


class PeopleRoutes:
    def __init__(self, storage: Storage, audit: AuditTrail) -> None:
        self.storage = storage
        self.audit = audit

    # ---- users ----

    async def user_new(self, req: Request, caller: Caller) -> None:
        caller.require_admin("creating users")
        body = await read_body(req, NewUserRequest)
        if body.user_role not in USER_ROLES:
            raise BadRequestError(f"user_role must be one of {sorted(USER_ROLES)}", param="user_role")
        if body.organization_id is not None:
            # a 400 naming the field, not the database's reference conflict
            await organization_of_team(self.storage, body.organization_id)
        now = self.storage.users.clock()
        user_id = body.user_id or str(uuid.uuid4())
        try:
            user = await self.storage.users.create(
                NewUser(
                    user_id=user_id,
                    user_alias=body.user_alias,
                    user_email=body.user_email,
                    user_role=body.user_role,
                    organization_id=body.organization_id,
                    models=body.models,
                    metadata=body.metadata,
                    **limit_fields(body, now, creating=True),
                )
            )
            for team_id in body.teams:
                await self.storage.teams.add_member(TeamMember(team_id=team_id, user_id=user_id))
            answer: dict[str, Any] = user_view(user)
            await self.audit.record(req, caller, "created", "user", user_id, after=answer)
            if body.auto_create_key:
                key = generate_key()
                duration = checked_duration(body.duration, "duration")
                record = await self.storage.keys.create(
                    NewKey(
                        key_hash=hash_key(key),
                        key_name=display_name(key),
                        key_alias=body.key_alias,
                        user_id=user_id,
                        expires=next_reset(duration, now) if duration else None,
                        created_by="master" if caller.user_id is None else caller.user_id,
                    )
                )
                answer |= {"key": key, "token": record.key_hash, "key_name": record.key_name}
                await self.audit.record(
                    req, caller, "created", "key", record.key_hash, after=key_view(record)
                )
        except StorageConflict as exc:
            raise conflict(exc) from None
        send(req, answer)

    async def user_info(self, req: Request, caller: Caller) -> None:
        user_id = query(req).get("user_id") or caller.require_user("user info without ?user_id=")
        if not caller.may_manage(user_id):
            raise NotFoundError("user not found", code="user_not_found")
        user = await self.storage.users.get(user_id)
        if user is None:
            raise NotFoundError("user not found", code="user_not_found")
        keys = await self.storage.keys.list_keys(user_id=user_id, limit=1000)
        teams = await self.storage.teams.teams_of(user_id)
        send(
            req,
            {
                "user_id": user_id,
                "user_info": user_view(user),
                "keys": [key_view(k) for k in keys],
                "teams": [{"team_id": m.team_id, "role": m.role} for m in teams],
            },
        )

    async def user_list(self, req: Request, caller: Caller) -> None:
        """LiteLLM's paging parameters (`page`, `page_size`); `has_more` instead of a total count."""
        caller.require_admin("listing users")
        params = query(req)
        page, size = int_param(params, "page", 1, high=10**6), int_param(params, "page_size", 25)
        found = await self.storage.users.list_users(
            organization_id=params.get("organization_id"), limit=size + 1, offset=(page - 1) * size
        )
        send(
            req,
            {
                "users": [user_view(u) for u in found[:size]],
                "page": page,
                "page_size": size,
                "has_more": len(found) > size,
            },
        )

    async def user_update(self, req: Request, caller: Caller) -> None:
        body = await read_body(req, UpdateUserRequest)
        check_owner_body(caller, "/user/update", body)
        if not caller.is_admin and body.user_id != caller.require_user("updating a user"):
            raise PermissionDeniedError(
                "you may update only your own user", param="user_id", code="not_owner"
            )
        if body.user_role is not UNSET and body.user_role not in USER_ROLES:
            raise BadRequestError(f"user_role must be one of {sorted(USER_ROLES)}", param="user_role")
        changes = _given(body, ("user_alias", "user_email", "user_role", "models", "metadata", "blocked"))
        if body.spend is not UNSET:
            changes["spend_micros"] = to_micros(body.spend, "spend")
        changes |= limit_fields(body, self.storage.users.clock(), creating=False)
        before = await self.storage.users.get(body.user_id) if self.audit.enabled else None
        try:
            user = await self.storage.users.update(body.user_id, UserUpdate(**changes))
        except StorageConflict as exc:
            raise conflict(exc) from None
        if user is None:
            raise NotFoundError("user not found", code="user_not_found")
        view = user_view(user)
        before_view = user_view(before) if before is not None else None
        await self.audit.record(req, caller, "updated", "user", user.user_id, before=before_view, after=view)
        send(req, view)

    async def user_delete(self, req: Request, caller: Caller) -> None:
        caller.require_admin("deleting users")
        body = await read_body(req, DeleteUsersRequest)
        befores = {u: await self.storage.users.get(u) for u in body.user_ids} if self.audit.enabled else {}
        deleted = await self.storage.users.delete(body.user_ids)
        await self.audit.record_many(
            req, caller, "deleted", "user",
            [(u, user_view(b) if (b := befores.get(u)) is not None else None, None) for u in deleted],
        )  # fmt: skip
        send(req, {"deleted_users": deleted})

    # ---- teams ----

    async def team_new(self, req: Request, caller: Caller) -> None:
        caller.require_admin("creating teams")
        body = await read_body(req, NewTeamRequest)
        members = [
            TeamMember(team_id="", user_id=m.user_id, role=self._role(m.role))
            for m in body.members_with_roles
        ]
        team_id = body.team_id or str(uuid.uuid4())
        if body.organization_id is not None:
            check_team_models(await organization_of_team(self.storage, body.organization_id), body.models)
        try:
            for member in members:
                if await self.storage.users.get(member.user_id) is None:
                    await self.storage.users.create(NewUser(user_id=member.user_id))
            team = await self.storage.teams.create(
                NewTeam(
                    team_id=team_id,
                    team_alias=body.team_alias,
                    organization_id=body.organization_id,
                    models=body.models,
                    metadata=body.metadata,
                    blocked=body.blocked,
                    **limit_fields(body, self.storage.teams.clock(), creating=True),
                ),
                members=members,
            )
        except StorageConflict as exc:
            raise conflict(exc) from None
        view = team_view(team, await self.storage.teams.members(team_id))
        await self.audit.record(req, caller, "created", "team", team_id, after=view)
        send(req, view)

    async def team_info(self, req: Request, caller: Caller) -> None:
        team_id = query(req).get("team_id")
        if not team_id:
            raise BadRequestError("pass ?team_id=", param="team_id")
        members = await self.storage.teams.members(team_id)
        if not caller.is_admin and all(m.user_id != caller.user_id for m in members):
            raise NotFoundError("team not found", code="team_not_found")
        team = await self.storage.teams.get(team_id)
        if team is None:
            raise NotFoundError("team not found", code="team_not_found")
        keys = await self.storage.keys.list_keys(team_id=team_id, limit=1000)
        send(
            req,
            {"team_id": team_id, "team_info": team_view(team, members), "keys": [key_view(k) for k in keys]},
        )

    async def team_list(self, req: Request, caller: Caller) -> None:
        """Every team (an admin) or the caller's own teams, with their members, as LiteLLM lists them."""
        params = query(req)
        if caller.is_admin:
            found = await self.storage.teams.list_teams(
                organization_id=params.get("organization_id"), limit=MAX_LISTED_TEAMS
            )
        else:
            own = await self.storage.teams.teams_of(caller.require_user("listing teams"))
            found = [t for m in own if (t := await self.storage.teams.get(m.team_id)) is not None]
        send(req, [team_view(t, await self.storage.teams.members(t.team_id)) for t in found])

    async def team_update(self, req: Request, caller: Caller) -> None:
        body = await read_body(req, UpdateTeamRequest)
        check_owner_body(caller, "/team/update", body)
        if not caller.is_admin:
            await self._require_team_admin(caller, body.team_id)
        changes = _given(body, ("team_alias", "organization_id", "models", "metadata", "blocked"))
        await self._check_team_organization(body.team_id, body.organization_id, body.models)
        if body.spend is not UNSET:
            changes["spend_micros"] = to_micros(body.spend, "spend")
        changes |= limit_fields(body, self.storage.teams.clock(), creating=False)
        before = await self._team_view(body.team_id) if self.audit.enabled else None
        try:
            team = await self.storage.teams.update(body.team_id, TeamUpdate(**changes))
        except StorageConflict as exc:
            raise conflict(exc) from None
        if team is None:
            raise NotFoundError("team not found", code="team_not_found")
        view = team_view(team, await self.storage.teams.members(body.team_id))
        await self.audit.record(req, caller, "updated", "team", body.team_id, before=before, after=view)
        send(req, view)

    async def team_delete(self, req: Request, caller: Caller) -> None:
        caller.require_admin("deleting teams")
        body = await read_body(req, DeleteTeamsRequest)
        befores = {t: await self._team_view(t) for t in body.team_ids} if self.audit.enabled else {}
        deleted = await self.storage.teams.delete(body.team_ids)
        await self.audit.record_many(
            req, caller, "deleted", "team", [(t, befores.get(t), None) for t in deleted]
        )
        send(req, {"deleted_teams": deleted})

    async def member_add(self, req: Request, caller: Caller) -> None:
        caller.require_admin("adding team members")
        body = await read_body(req, MemberAddRequest)
        members = body.member if isinstance(body.member, list) else [body.member]
        before = await self._team_view(body.team_id)
        if before is None:
            raise NotFoundError("team not found", code="team_not_found")
        try:
            for member in members:
                if await self.storage.users.get(member.user_id) is None:
                    await self.storage.users.create(NewUser(user_id=member.user_id))
                await self.storage.teams.add_member(
                    TeamMember(team_id=body.team_id, user_id=member.user_id, role=self._role(member.role))
                )
        except StorageConflict as exc:
            raise conflict(exc) from None
        view = await self._team_view(body.team_id)
        if view is None:  # deleted meanwhile
            raise NotFoundError("team not found", code="team_not_found")
        await self.audit.record(req, caller, "updated", "team", body.team_id, before=before, after=view)
        send(req, view)

    async def member_delete(self, req: Request, caller: Caller) -> None:
        caller.require_admin("removing team members")
        body = await read_body(req, MemberDeleteRequest)
        before = await self._team_view(body.team_id) if self.audit.enabled else None
        if not await self.storage.teams.remove_member(body.team_id, body.user_id):
            raise NotFoundError("no such member in that team", code="member_not_found")
        after = await self._team_view(body.team_id) if self.audit.enabled else None
        await self.audit.record(req, caller, "updated", "team", body.team_id, before=before, after=after)
        send(req, {"team_id": body.team_id, "user_id": body.user_id, "removed": True})

    async def _require_team_admin(self, caller: Caller, team_id: str) -> None:
        """A non-admin may change a team only as one of its admins (the member role `admin`)."""
        user_id = caller.require_user("updating a team")
        members = await self.storage.teams.members(team_id)
        if not any(m.user_id == user_id and m.role == "admin" for m in members):
            raise PermissionDeniedError(
                f"only a proxy admin or an admin of team {team_id} may change it",
                param="team_id",
                code="not_team_admin",
            )

    async def _check_team_organization(
        self, team_id: str, organization_id: str | UnsetType | None, models: list[str] | UnsetType
    ) -> None:
        """A team's models stay within its organization's, whether the update moves the team or
        changes its models."""
        if organization_id is UNSET and models is UNSET:
            return
        team = await self.storage.teams.get(team_id)
        if team is None:
            return  # the update answers 404
        if organization_id is UNSET:
            organization_id = team.organization_id
        if organization_id is not None:
            org = await organization_of_team(self.storage, organization_id)
            check_team_models(org, team.models if models is UNSET else models)

    async def _team_view(self, team_id: str) -> dict[str, Any] | None:
        team = await self.storage.teams.get(team_id)
        return team_view(team, await self.storage.teams.members(team_id)) if team is not None else None

    @staticmethod
    def _role(role: str) -> str:
        if role not in TEAM_ROLES:
            raise BadRequestError(f"team member role must be one of {sorted(TEAM_ROLES)}", param="role")
        return role
