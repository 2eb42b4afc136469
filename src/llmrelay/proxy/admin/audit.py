"""The audit trail of admin changes (LiteLLM's audit logs): `AuditTrail.record` after each change the
admin API makes, and the read routes `GET /audit` and `GET /audit/{id}` (admin only).

An entry is written after the change has committed, in its own transaction: a database that fails in
between loses the entry (logged as an error), never the change or the caller's answer."""

from __future__ import annotations

import logging
import math
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

import msgspec
from sqlalchemy.exc import SQLAlchemyError

from llmrelay.proxy.admin.access import Caller
from llmrelay.proxy.admin.io import int_param, query, send
from llmrelay.proxy.admin.schemas import ID_CHARS
from llmrelay.proxy.http import Request
from llmrelay.storage.audit_records import AuditFilter, AuditRecord
from llmrelay.storage.storage import Storage
from llmrelay.types.errors import BadRequestError, NotFoundError

log = logging.getLogger("llmrelay.audit")

# object kind → the table name LiteLLM's audit entries carry
TABLE_NAMES = {
    "key": "LiteLLM_VerificationToken",
    "user": "LiteLLM_UserTable",
    "team": "LiteLLM_TeamTable",
    "end_user": "LiteLLM_EndUserTable",
    "organization": "LiteLLM_OrganizationTable",
    "budget": "LiteLLM_BudgetTable",
    "model": "LiteLLM_ProxyModelTable",
    "credential": "LiteLLM_CredentialsTable",
}
# on whose behalf an admin acts (LiteLLM's header): kept as a note beside the authenticated caller,
# never as the actor; a non-admin sending it is refused (AdminApi)
CHANGED_BY_HEADER = "litellm-changed-by"
NOTE_CHARS = 255  # the column's length
MASTER_KEY_MARK = "master_key"
AUDIT_PREFIX = "/audit/"


class AuditTrail:
    def __init__(self, storage: Storage, *, enabled: bool) -> None:
        self.storage = storage
        self.enabled = enabled

    async def record(
        self,
        req: Request,
        caller: Caller,
        action: str,
        kind: str,
        object_id: str,
        *,
        before: Any = None,
        after: Any = None,
    ) -> None:
        """One entry for a committed change; `before`/`after` are views (never a key itself)."""
        if not self.enabled:
            return
        await self.record_many(req, caller, action, kind, [(object_id, before, after)])

    async def record_many(
        self, req: Request, caller: Caller, action: str, kind: str, changes: list[tuple[str, Any, Any]]
    ) -> None:
        if not self.enabled or not changes:
            return
        now = self.storage.audit.clock()
        actor = _changed_by(caller)
        note = _note(req, caller)
        api_key = caller.key_hash or (MASTER_KEY_MARK if caller.is_admin else "")
        entries = [
            AuditRecord(
                id=str(uuid.uuid4()),
                updated_at=now,
                changed_by=actor,
                changed_by_api_key=api_key,
                changed_by_note=note,
                action=action,
                table_name=TABLE_NAMES[kind],
                object_id=object_id,
                before_value=_plain(before),
                updated_values=_plain(after),
            )
            for object_id, before, after in changes
        ]
        try:
            await self.storage.audit.add(entries)
        except (SQLAlchemyError, OSError) as exc:
            ids = ", ".join(e.object_id for e in entries)
            log.error("audit entry lost (%s): %s %s %s", type(exc).__name__, action, kind, ids)


def _changed_by(caller: Caller) -> str:
    """The authenticated caller: their user id, or "proxy_admin" for the master key. Never what a
    request says about itself."""
    if caller.user_id is not None:
        return caller.user_id
    return "proxy_admin" if caller.is_admin else ""


def _note(req: Request, caller: Caller) -> str | None:
    """An admin's LiteLLM-Changed-By header, printable characters only (PostgreSQL refuses NUL),
    cut to the column's length."""
    said = req.header(CHANGED_BY_HEADER) if caller.is_admin else None
    if not said:
        return None
    printable = "".join(c for c in said if c.isprintable()).strip()
    return printable[:NOTE_CHARS] or None


def _plain(view: Any) -> dict[str, Any] | None:
    """A view as JSON-ready builtins (datetimes as ISO text) for the JSON column."""
    if view is None:
        return None
    plain = msgspec.to_builtins(view)
    return plain if isinstance(plain, dict) else {"value": plain}


def audit_view(entry: AuditRecord) -> dict[str, Any]:
    return msgspec.to_builtins(entry)  # type: ignore[no-any-return]


class AuditRoutes:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def list_entries(self, req: Request, caller: Caller) -> None:
        params = query(req)
        page = int_param(params, "page", 1, high=10**6)
        page_size = int_param(params, "page_size", 10, high=100)
        order = params.get("sort_order", "desc").lower()
        if order not in ("asc", "desc"):
            raise BadRequestError("sort_order must be asc or desc", param="sort_order")
        sort_by = params.get("sort_by", "updated_at")
        if sort_by != "updated_at":
            raise BadRequestError("sort_by: only updated_at is supported", param="sort_by")
        flt = AuditFilter(
            changed_by=params.get("changed_by"),
            changed_by_api_key=params.get("changed_by_api_key"),
            action=params.get("action"),
            table_name=params.get("table_name"),
            object_id=params.get("object_id"),
            start=_moment(params, "start_date", end=False),
            end=_moment(params, "end_date", end=True),
            newest_first=order == "desc",
            limit=page_size,
            offset=(page - 1) * page_size,
        )
        entries, total = await self.storage.audit.page(flt)
        send(
            req,
            {
                "audit_logs": [audit_view(e) for e in entries],
                "total": total,
                "page": page,
                "page_size": page_size,
                "total_pages": math.ceil(total / page_size),
            },
        )

    async def get_entry(self, req: Request, caller: Caller) -> None:
        entry_id = req.path.removeprefix(AUDIT_PREFIX)
        # an id is printable and short (a NUL byte would fail PostgreSQL's comparison, a 500)
        wellformed = 0 < len(entry_id) <= ID_CHARS and entry_id.isprintable() and "/" not in entry_id
        entry = await self.storage.audit.get(entry_id) if wellformed else None
        if entry is None:
            raise NotFoundError(f"audit log entry {entry_id!r} not found", code="not_found")
        send(req, audit_view(entry))


def _moment(params: dict[str, str], name: str, *, end: bool) -> datetime | None:
    """A date (an end date counts whole, as /spend/logs does) or an ISO date-time."""
    value = params.get(name)
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = datetime.combine(datetime.fromisoformat(value).date(), time(), UTC)
            return day + timedelta(days=1) if end else day
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError):  # OverflowError: the day after 9999-12-31
        raise BadRequestError(
            f"{name} must be a date like 2026-01-31 or a date-time like 2026-01-31T12:00:00Z", param=name
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
