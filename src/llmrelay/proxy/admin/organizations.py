"""/organization/* — LiteLLM's organizations, the top of the key → team → organization hierarchy.
Admin only (master key or a proxy_admin), reads included.

As in LiteLLM, an organization's limits (max_budget, budget_duration, rpm/tpm...) live in a budget
row: given limits make one, `budget_id` links an existing one instead. The gate already enforces an
organization's budget, limits, models and block on every key of its teams (auth/principal.py).

What differs from LiteLLM, refused rather than ignored: there is no per-organization member role
(a user belongs to one organization, `users.organization_id`), so member_add takes only the role
`internal_user`; an organization is deleted only once no team belongs to it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from msgspec import UNSET

from llmrelay.auth.principal import ALL_MODELS
from llmrelay.proxy.admin.access import Caller
from llmrelay.proxy.admin.audit import AuditTrail
from llmrelay.proxy.admin.io import conflict, limit_fields, query, read_body, send, to_micros
from llmrelay.proxy.admin.schemas import (
    DeleteOrganizationsRequest,
    LimitsIn,
    NewOrganizationRequest,
    OrganizationMemberAddRequest,
    UpdateOrganizationRequest,
)
from llmrelay.proxy.admin.views import organization_view, team_view, user_view
from llmrelay.proxy.http import Request
from llmrelay.storage.errors import StorageConflict
from llmrelay.storage.records import (
    BudgetUpdate,
    NewBudget,
    NewOrganization,
    NewUser,
    OrganizationRecord,
    OrganizationUpdate,
    UserUpdate,
)
from llmrelay.storage.storage import Storage
from llmrelay.types.errors import BadRequestError, NotFoundError

NOT_FOUND = "organization_not_found"
MEMBER_ROLES = frozenset({"internal_user"})
MAX_LISTED = 1000  # /organization/list is not paged (as in LiteLLM)
MAX_SHOWN_MEMBERS = 1000


def _not_found(organization_id: str) -> NotFoundError:
    return NotFoundError(
        f"organization_id={organization_id} does not exist", param="organization_id", code=NOT_FOUND
    )


def check_team_models(org: OrganizationRecord, team_models: list[str]) -> None:
    """A team of an organization may only name models the organization allows (LiteLLM's rule)."""
    if not org.models or ALL_MODELS in org.models:
        return
    outside = [m for m in team_models if m not in org.models]
    if outside or ALL_MODELS in team_models:
        raise BadRequestError(
            f"models {outside or [ALL_MODELS]} are not among organization "
            f"{org.organization_id}'s models {org.models}",
            param="models",
        )


async def organization_of_team(storage: Storage, organization_id: str) -> OrganizationRecord:
    """The organization a team names, or a 400 naming `organization_id`."""
    org = await storage.organizations.get(organization_id)
    if org is None:
        raise BadRequestError(
            f"organization_id={organization_id} does not exist; create it with /organization/new",
            param="organization_id",
            code=NOT_FOUND,
        )
    return org


def _budget_limits(body: LimitsIn, now: datetime, linking: str | None) -> dict[str, Any]:
    """The limits a body sets; refused beside a `budget_id` (they would belong to that budget),
    except nulls, which LiteLLM's clients send for fields left unset."""
    limits = limit_fields(body, now, creating=False)
    given = [name for name, value in limits.items() if value is not None]
    if linking is not None and given:
        field = "budget_duration" if given[0] == "budget_reset_at" else given[0].removesuffix("_micros")
        raise BadRequestError(f"set either budget_id or {field}, not both", param=field)
    return {} if linking is not None else limits


class OrganizationRoutes:
    def __init__(self, storage: Storage, audit: AuditTrail) -> None:
        self.storage = storage
        self.audit = audit

    async def _view(self, org: OrganizationRecord) -> dict[str, Any]:
        budget = await self.storage.budgets.get(org.budget_id) if org.budget_id else None
        return organization_view(org, budget)

    async def _require(self, organization_id: str) -> OrganizationRecord:
        org = await self.storage.organizations.get(organization_id)
        if org is None:
            raise _not_found(organization_id)
        return org

    async def _check_budget(self, budget_id: str | None) -> None:
        if budget_id is not None and await self.storage.budgets.get(budget_id) is None:
            raise BadRequestError(f"budget_id={budget_id} does not exist", param="budget_id")

    async def new(self, req: Request, caller: Caller) -> None:
        caller.require_admin("creating organizations")
        body = await read_body(req, NewOrganizationRequest)
        limits = _budget_limits(body, self.storage.budgets.clock(), body.budget_id)
        await self._check_budget(body.budget_id)
        organization_id = body.organization_id or str(uuid.uuid4())
        if await self.storage.organizations.get(organization_id) is not None:
            raise BadRequestError(
                f"organization_id={organization_id} already exists", param="organization_id", code="conflict"
            )
        budget_id = body.budget_id
        made_budget = None
        if any(value is not None for value in limits.values()):
            made_budget = await self.storage.budgets.create(NewBudget(budget_id=str(uuid.uuid4()), **limits))
            budget_id = made_budget.budget_id
        new = NewOrganization(
            organization_id=organization_id,
            organization_alias=body.organization_alias,
            budget_id=budget_id,
            models=body.models,
            metadata=body.metadata,
            blocked=body.blocked,
        )
        try:
            org = await self.storage.organizations.create(new)
        except StorageConflict as exc:  # created meanwhile: drop the budget made for it
            if made_budget is not None:
                await self.storage.budgets.delete(made_budget.budget_id)
            raise conflict(exc) from None
        view = await self._view(org)
        await self.audit.record(req, caller, "created", "organization", organization_id, after=view)
        send(req, view)

    async def info(self, req: Request, caller: Caller) -> None:
        caller.require_admin("reading organizations")
        organization_id = query(req).get("organization_id")
        if not organization_id:
            raise BadRequestError("pass ?organization_id=", param="organization_id")
        org = await self._require(organization_id)
        teams = await self.storage.teams.list_teams(organization_id=organization_id, limit=MAX_LISTED)
        users = await self.storage.users.list_users(organization_id=organization_id, limit=MAX_SHOWN_MEMBERS)
        view = await self._view(org)
        view["teams"] = [team_view(t) for t in teams]
        view["members"] = [
            {"user_id": u.user_id, "user_role": "internal_user", "user": user_view(u)} for u in users
        ]
        send(req, view)

    async def list_all(self, req: Request, caller: Caller) -> None:
        caller.require_admin("listing organizations")
        found = await self.storage.organizations.list_organizations(limit=MAX_LISTED)
        send(req, [await self._view(o) for o in found])

    async def update(self, req: Request, caller: Caller) -> None:
        caller.require_admin("updating organizations")
        body = await read_body(req, UpdateOrganizationRequest)
        linking = None if body.budget_id is UNSET else body.budget_id
        limits = _budget_limits(body, self.storage.budgets.clock(), linking)
        await self._check_budget(linking)
        before_org = await self._require(body.organization_id)
        before = await self._view(before_org)
        changes = OrganizationUpdate(
            organization_alias=body.organization_alias,
            budget_id=body.budget_id,
            models=body.models,
            metadata=body.metadata,
            blocked=body.blocked,
        )
        if body.spend is not UNSET:
            changes.spend_micros = to_micros(body.spend, "spend") or 0
        if limits:
            if before_org.budget_id is not None:
                # the organization's budget may be shared (budget_id): its other holders change too
                await self.storage.budgets.update(before_org.budget_id, BudgetUpdate(**limits))
            elif any(value is not None for value in limits.values()):
                made = await self.storage.budgets.create(NewBudget(budget_id=str(uuid.uuid4()), **limits))
                changes.budget_id = made.budget_id
        try:
            org = await self.storage.organizations.update(body.organization_id, changes)
        except StorageConflict as exc:
            raise conflict(exc) from None
        if org is None:
            raise _not_found(body.organization_id)
        view = await self._view(org)
        await self.audit.record(
            req, caller, "updated", "organization", org.organization_id, before=before, after=view
        )
        send(req, view)

    async def delete(self, req: Request, caller: Caller) -> None:
        caller.require_admin("deleting organizations")
        body = await read_body(req, DeleteOrganizationsRequest)
        befores: dict[str, dict[str, Any]] = {}
        for organization_id in dict.fromkeys(body.organization_ids):
            befores[organization_id] = await self._view(await self._require(organization_id))
            teams = await self.storage.teams.list_teams(organization_id=organization_id, limit=1)
            if teams:
                raise BadRequestError(
                    f"organization {organization_id} still has teams (e.g. {teams[0].team_id}); "
                    "delete them or move them out with /team/update first",
                    param="organization_ids",
                    code="organization_has_teams",
                )
        gone = await self.storage.organizations.delete(list(befores))
        await self.audit.record_many(
            req, caller, "deleted", "organization", [(o, befores.get(o), None) for o in gone]
        )
        send(req, [befores[o] for o in gone])

    async def member_add(self, req: Request, caller: Caller) -> None:
        caller.require_admin("adding organization members")
        body = await read_body(req, OrganizationMemberAddRequest)
        members = body.member if isinstance(body.member, list) else [body.member]
        for member in members:
            if member.role not in MEMBER_ROLES:
                raise BadRequestError(
                    f"organization member role {member.role!r} is not supported: llmrelay has no "
                    f"per-organization roles; use one of {sorted(MEMBER_ROLES)}",
                    param="role",
                )
        await self._require(body.organization_id)
        added: list[dict[str, Any]] = []
        try:
            for member in members:
                user = await self.storage.users.get(member.user_id)
                if user is None:
                    user = await self.storage.users.create(
                        NewUser(user_id=member.user_id, organization_id=body.organization_id)
                    )
                    after = user_view(user)
                    await self.audit.record(req, caller, "created", "user", user.user_id, after=after)
                elif user.organization_id != body.organization_id:
                    if user.organization_id is not None:
                        raise BadRequestError(
                            f"user {member.user_id} already belongs to organization "
                            f"{user.organization_id}; a user belongs to one organization here",
                            param="user_id",
                            code="conflict",
                        )
                    before = user_view(user)
                    changed = await self.storage.users.update(
                        member.user_id, UserUpdate(organization_id=body.organization_id)
                    )
                    if changed is None:  # deleted meanwhile
                        raise NotFoundError(f"user {member.user_id} not found", param="user_id")
                    user = changed
                    await self.audit.record(
                        req, caller, "updated", "user", user.user_id, before=before, after=user_view(user)
                    )
                added.append(user_view(user))
        except StorageConflict as exc:
            raise conflict(exc) from None
        send(req, {"organization_id": body.organization_id, "updated_users": added})
