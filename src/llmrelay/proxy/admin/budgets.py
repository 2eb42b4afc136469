"""/budget/* — LiteLLM's shared budgets: a row of limits (max_budget, soft_budget, budget_duration,
rpm/tpm limits, max_parallel_requests) that keys (`budget_id` on /key/generate and /key/update),
organizations and end users name. A key's budget is shared: every key naming it spends from one
counter (the budget's `spend`), enforced on each call. An organization or end user is held to its
budget's limits with its own spend, as in LiteLLM."""

from __future__ import annotations

import uuid
from typing import Any

from llmrelay.proxy.admin.access import Caller
from llmrelay.proxy.admin.audit import AuditTrail
from llmrelay.proxy.admin.io import conflict, limit_fields, query, read_body, send
from llmrelay.proxy.admin.schemas import (
    BudgetDeleteRequest,
    BudgetInfoRequest,
    BudgetNewRequest,
    BudgetUpdateRequest,
)
from llmrelay.proxy.admin.views import budget_view
from llmrelay.proxy.http import Request
from llmrelay.storage.errors import StorageConflict
from llmrelay.storage.records import BudgetUpdate, NewBudget
from llmrelay.storage.storage import Storage
from llmrelay.types.errors import BadRequestError, NotFoundError

MAX_LISTED = 1000  # /budget/list is not paged (as in LiteLLM)
# what /budget/settings describes (LiteLLM's list of a budget's configurable fields)
_SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("max_budget", "Float", "Requests fail once the budget's spend reaches this many USD."),
    ("soft_budget", "Float", "Above this many USD spent, alerts fire; requests still pass."),
    ("budget_duration", "String", "How often the spend resets to zero, e.g. 30s, 1h, 1d, 30d, 1mo."),
    ("rpm_limit", "Integer", "Requests per minute across every key of the budget."),
    ("tpm_limit", "Integer", "Tokens per minute across every key of the budget."),
    ("max_parallel_requests", "Integer", "Requests in flight across every key of the budget."),
)


def _refuse_unkept(body: BudgetNewRequest) -> None:
    for name in ("model_max_budget", "tpd_limit", "budget_reset_at"):
        value = getattr(body, name)
        if value is not None and value != {}:
            raise BadRequestError(
                f"{name} is not supported on a shared budget here; leave it out "
                "(set model_max_budget on a key instead)",
                param=name,
                code="unsupported_field",
            )


class BudgetRoutes:
    def __init__(self, storage: Storage, audit: AuditTrail) -> None:
        self.budgets = storage.budgets
        self.audit = audit

    def routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("POST", "/budget/new", self.new),
            ("POST", "/budget/update", self.update),
            ("POST", "/budget/delete", self.delete),
            ("POST", "/budget/info", self.info),
            ("GET", "/budget/list", self.list_all),
            ("GET", "/budget/settings", self.settings),
        ]

    async def new(self, req: Request, caller: Caller) -> None:
        body = await read_body(req, BudgetNewRequest)
        _refuse_unkept(body)
        limits = limit_fields(body, self.budgets.clock(), creating=True)
        budget_id = body.budget_id or str(uuid.uuid4())
        try:
            record = await self.budgets.create(NewBudget(budget_id=budget_id, **limits))
        except StorageConflict:
            raise BadRequestError(
                f"Budget with id '{budget_id}' already exists.", param="budget_id", code="conflict"
            ) from None
        view = budget_view(record)
        await self.audit.record(req, caller, "created", "budget", budget_id, after=view)
        send(req, view)

    async def update(self, req: Request, caller: Caller) -> None:
        body = await read_body(req, BudgetUpdateRequest)
        _refuse_unkept(body)
        if body.budget_id is None:
            raise BadRequestError("budget_id is required", param="budget_id")
        before = await self.budgets.get(body.budget_id)
        limits = limit_fields(body, self.budgets.clock(), creating=False)
        try:
            record = await self.budgets.update(body.budget_id, BudgetUpdate(**limits))
        except StorageConflict as exc:
            raise conflict(exc) from None
        if record is None:
            raise NotFoundError(
                f"budget {body.budget_id} not found", param="budget_id", code="budget_not_found"
            )
        view = budget_view(record)
        before_view = budget_view(before) if before is not None else None
        await self.audit.record(
            req, caller, "updated", "budget", record.budget_id, before=before_view, after=view
        )
        send(req, view)

    async def delete(self, req: Request, caller: Caller) -> None:
        body = await read_body(req, BudgetDeleteRequest)
        before = await self.budgets.get(body.id)
        if before is None:
            raise NotFoundError(f"budget {body.id} not found", param="id", code="budget_not_found")
        holders = await self.budgets.holders(body.id)
        if holders:
            # deleting it would silently lift the limit of everyone who names it
            named = ", ".join(f"{count} {kind}" for kind, count in holders.items())
            raise BadRequestError(
                f"budget {body.id} is in use ({named}); unlink them first", param="id", code="budget_in_use"
            )
        if not await self.budgets.delete(body.id):
            raise NotFoundError(f"budget {body.id} not found", param="id", code="budget_not_found")
        await self.audit.record(req, caller, "deleted", "budget", body.id, before=budget_view(before))
        send(req, budget_view(before))

    async def info(self, req: Request, caller: Caller) -> None:
        body = await read_body(req, BudgetInfoRequest)
        found = await self.budgets.get_many(sorted(set(body.budgets)))
        send(req, [budget_view(found[i]) for i in dict.fromkeys(body.budgets) if i in found])

    async def list_all(self, req: Request, caller: Caller) -> None:
        send(req, [budget_view(b) for b in await self.budgets.list_budgets(limit=MAX_LISTED)])

    async def settings(self, req: Request, caller: Caller) -> None:
        budget_id = query(req).get("budget_id")
        if not budget_id:
            raise BadRequestError("pass ?budget_id=", param="budget_id")
        record = await self.budgets.get(budget_id)
        current = budget_view(record) if record is not None else {}
        send(
            req,
            [
                {
                    "field_name": name,
                    "field_type": kind,
                    "field_description": description,
                    "field_value": current.get(name),
                    "stored_in_db": True,
                    "field_default_value": None,
                }
                for name, kind, description in _SETTINGS
            ],
        )
