"""/end_user/* (served under /customer/* too, as LiteLLM does) — the end users a call names in its
`user` field: alias, budget, spend, block state, and where their calls may go (allowed_model_region,
default_model; see router/regions.py). Admin only.

LiteLLM's semantics kept here: limits given to /new make a budget for the end user (budget_id links
an existing one instead); /update changes the budget the end user is linked to; /block also blocks
ids not seen yet; /unblock answers the ids that stay blocked."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from msgspec import UNSET

from llmrelay.proxy.admin.access import Caller
from llmrelay.proxy.admin.audit import AuditTrail
from llmrelay.proxy.admin.io import conflict, limit_fields, query, read_body, send, to_micros
from llmrelay.proxy.admin.schemas import EndUserIds, LimitsIn, NewEndUserRequest, UpdateEndUserRequest
from llmrelay.proxy.admin.views import end_user_view
from llmrelay.proxy.http import Request
from llmrelay.storage.errors import StorageConflict
from llmrelay.storage.records import BudgetUpdate, EndUserRecord, EndUserUpdate, NewBudget, NewEndUser
from llmrelay.storage.storage import Storage
from llmrelay.types.errors import BadRequestError, NotFoundError

NOT_FOUND = "end_user_not_found"


def _request_name(limit: str) -> str:
    """The body field a LimitFields value came from (max_budget_micros → max_budget)."""
    return "budget_duration" if limit == "budget_reset_at" else limit.removesuffix("_micros")


class EndUserRoutes:
    def __init__(
        self, storage: Storage, audit: AuditTrail, model_names: Callable[[], list[str]] | None = None
    ) -> None:
        self.storage = storage
        self.budgets = storage.budgets
        self.audit = audit
        # the gateway's model names (groups and aliases), to check a default_model against
        self.model_names = model_names

    def _check_default_model(self, default_model: str | None) -> None:
        """As LiteLLM: a default model must be a model the gateway serves."""
        if default_model is None or self.model_names is None:
            return
        names = self.model_names()
        if default_model not in names:
            raise BadRequestError(
                f"default_model={default_model!r} is not a model on this gateway; "
                f"its models: {', '.join(sorted(names))}",
                param="default_model",
            )

    async def _views(self, records: list[EndUserRecord]) -> list[dict[str, Any]]:
        linked = await self.budgets.get_many(sorted({r.budget_id for r in records if r.budget_id}))
        return [end_user_view(r, linked.get(r.budget_id) if r.budget_id else None) for r in records]

    async def _view(self, record: EndUserRecord) -> dict[str, Any]:
        return (await self._views([record]))[0]

    async def _views_of(self, end_user_ids: list[str]) -> dict[str, dict[str, Any]]:
        views = await self._views(await self.budgets.list_end_users(end_user_ids))
        return {view["user_id"]: view for view in views}

    async def _view_of(self, end_user_id: str) -> dict[str, Any] | None:
        return (await self._views_of([end_user_id])).get(end_user_id)

    def _limits(self, body: LimitsIn, now: datetime, budget_id: str | None) -> dict[str, Any]:
        """The limits a body sets. They belong to a budget: with budget_id (an existing budget) they
        are refused, except nulls, which LiteLLM's clients send for fields left unset."""
        limits = limit_fields(body, now, creating=False)
        if budget_id is None:
            return limits
        given = [name for name, value in limits.items() if value is not None]
        if given:
            raise BadRequestError(
                f"set either budget_id (an existing budget) or {_request_name(given[0])}, not both",
                param=_request_name(given[0]),
            )
        return {}

    async def _check_budget_exists(self, budget_id: str | None) -> None:
        if budget_id is not None and await self.budgets.get(budget_id) is None:
            raise BadRequestError(f"budget_id={budget_id} does not exist", param="budget_id")

    async def _require_known(self, end_user_ids: list[str]) -> None:
        found = {r.end_user_id for r in await self.budgets.list_end_users(end_user_ids)}
        missing = [i for i in dict.fromkeys(end_user_ids) if i not in found]
        if missing:
            raise NotFoundError(
                f"End User Id(s)={', '.join(missing)} do not exist in db", param="user_ids", code=NOT_FOUND
            )

    async def new(self, req: Request, caller: Caller) -> None:
        caller.require_admin("creating end users")
        body = await read_body(req, NewEndUserRequest)
        limits = self._limits(body, self.budgets.clock(), body.budget_id)
        spend = to_micros(body.spend, "spend") or 0
        if await self.budgets.get_end_user(body.user_id) is not None:
            raise BadRequestError(
                f"Customer already exists, passed user_id={body.user_id}. Please pass a new user_id.",
                param="user_id",
                code="end_user_exists",
            )
        await self._check_budget_exists(body.budget_id)
        self._check_default_model(body.default_model)
        budget = None
        if any(value is not None for value in limits.values()):
            budget = NewBudget(budget_id=str(uuid.uuid4()), **limits)
        new = NewEndUser(
            end_user_id=body.user_id,
            alias=body.alias,
            budget_id=body.budget_id,
            spend_micros=spend,
            blocked=body.blocked,
            default_model=body.default_model,
            allowed_model_region=body.allowed_model_region,
            metadata=body.metadata,
        )
        try:
            record = await self.budgets.create_end_user(new, budget)
        except StorageConflict as exc:  # created (or its budget deleted) since the checks above
            raise conflict(exc) from None
        view = await self._view(record)
        await self.audit.record(req, caller, "created", "end_user", body.user_id, after=view)
        send(req, view)

    async def info(self, req: Request, caller: Caller) -> None:
        caller.require_admin("reading end users")
        end_user_id = query(req).get("end_user_id")
        if not end_user_id:
            raise BadRequestError("pass ?end_user_id=", param="end_user_id")
        record = await self.budgets.get_end_user(end_user_id)
        if record is None:
            raise NotFoundError(
                f"End User Id={end_user_id} does not exist in db", param="end_user_id", code=NOT_FOUND
            )
        send(req, await self._view(record))

    async def update(self, req: Request, caller: Caller) -> None:
        caller.require_admin("updating end users")
        body = await read_body(req, UpdateEndUserRequest)
        linking = None if body.budget_id is UNSET else body.budget_id
        limits = self._limits(body, self.budgets.clock(), linking)
        changes = EndUserUpdate(
            alias=body.alias,
            blocked=body.blocked,
            budget_id=body.budget_id,
            default_model=body.default_model,
            allowed_model_region=body.allowed_model_region,
            metadata=body.metadata,
        )
        if body.spend is not UNSET:
            changes.spend_micros = to_micros(body.spend, "spend") or 0
        await self._check_budget_exists(linking)
        if isinstance(body.default_model, str):
            self._check_default_model(body.default_model)
        before = await self._view_of(body.user_id) if self.audit.enabled else None
        try:
            record = await self.budgets.update_end_user(
                body.user_id, changes, BudgetUpdate(**limits) if limits else None
            )
        except StorageConflict as exc:
            raise conflict(exc) from None
        if record is None:
            raise NotFoundError(
                f"End User Id={body.user_id} does not exist in db", param="user_id", code=NOT_FOUND
            )
        view = await self._view(record)
        await self.audit.record(req, caller, "updated", "end_user", body.user_id, before=before, after=view)
        send(req, view)

    async def delete(self, req: Request, caller: Caller) -> None:
        caller.require_admin("deleting end users")
        body = await read_body(req, EndUserIds)
        await self._require_known(body.user_ids)
        befores = await self._views_of(body.user_ids) if self.audit.enabled else {}
        gone = await self.budgets.delete_end_users(body.user_ids)
        await self.audit.record_many(
            req, caller, "deleted", "end_user", [(u, befores.get(u), None) for u in gone]
        )
        send(
            req,
            {"deleted_customers": len(gone), "message": f"Successfully deleted customers with ids: {gone}"},
        )

    async def list_all(self, req: Request, caller: Caller) -> None:
        caller.require_admin("listing end users")
        send(req, await self._views(await self.budgets.list_end_users()))

    async def block(self, req: Request, caller: Caller) -> None:
        caller.require_admin("blocking end users")
        body = await read_body(req, EndUserIds)
        befores = await self._views_of(body.user_ids) if self.audit.enabled else {}
        # an id not seen yet gets a row, so its first call is refused too
        blocked = await self.budgets.set_end_users_blocked(body.user_ids, True, create_missing=True)
        views = await self._views(blocked)
        await self.audit.record_many(
            req, caller, "blocked", "end_user",
            [(v["user_id"], befores.get(v["user_id"]), v) for v in views],
        )  # fmt: skip
        send(req, {"blocked_users": views})

    async def unblock(self, req: Request, caller: Caller) -> None:
        caller.require_admin("unblocking end users")
        body = await read_body(req, EndUserIds)
        await self._require_known(body.user_ids)
        befores = await self._views_of(body.user_ids) if self.audit.enabled else {}
        await self.budgets.set_end_users_blocked(body.user_ids, False, create_missing=False)
        afters = await self._views_of(body.user_ids) if self.audit.enabled else {}
        await self.audit.record_many(
            req, caller, "unblocked", "end_user",
            [(u, befores.get(u), afters.get(u)) for u in dict.fromkeys(body.user_ids)],
        )  # fmt: skip
        still = await self.budgets.list_end_users(blocked=True)
        send(req, {"blocked_users": [r.end_user_id for r in still]})
