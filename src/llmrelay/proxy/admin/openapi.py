"""The admin API's part of the gateway's OpenAPI document. Request bodies are the very msgspec Structs
the handlers decode, and query parameters carry the bounds the handlers check, so the document cannot
drift from what is accepted."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from llmrelay.proxy.admin import schemas as s
from llmrelay.proxy.admin.api import END_USER_PREFIXES
from llmrelay.proxy.openapi import Param, RouteDoc
from llmrelay.storage.repos.spend import DailyGroup

_LIMITS = "max_budget (USD), soft_budget, budget_duration (30s, 15m, 1h, 1d, 4w, 1mo), rpm_limit, " \
    "tpm_limit, max_parallel_requests"  # fmt: skip


def _page(name: str, high: int, low: int = 1) -> Param:
    """A paging parameter, with the bounds its handler's int_param checks."""
    return Param(name, Annotated[int, msgspec.Meta(ge=low, le=high)], f"from {low} to {high}")


def _text(*names: str) -> tuple[Param, ...]:
    return tuple(Param(name) for name in names)


def _required(name: str) -> tuple[Param, ...]:
    """A parameter the handler answers 400 without (or empty)."""
    return (Param(name, Annotated[str, msgspec.Meta(min_length=1)], required=True),)


_DAY = "a date like 2026-01-31 (inclusive)"
_SPEND_FILTERS = (
    *_text("api_key", "user_id", "team_id", "model", "request_id"),
    Param("start_date", date, _DAY),
    Param("end_date", date, _DAY),
    _page("limit", 1000),
    _page("offset", 10**9, low=0),
)
_DAILY_FILTERS = (
    Param("group_by", DailyGroup, "what the totals are grouped by (default: model)"),
    *_text("api_key", "user_id", "team_id", "organization_id"),
    Param("start_date", date, _DAY),
    Param("end_date", date, _DAY),
)
_AUDIT_FILTERS = (
    _page("page", 10**6),
    _page("page_size", 100),
    *_text("changed_by", "changed_by_api_key", "action", "table_name", "object_id"),
    Param("start_date", datetime, "an ISO date-time, or a date (from its start)"),
    Param("end_date", datetime, "an ISO date-time, or a date (to its end)"),
    Param("sort_by", Literal["updated_at"]),
    Param("sort_order", Literal["asc", "desc"]),
)
# the statuses every admin route may answer besides 401 and 403
_ERRORS = (400, 404)


def _doc(summary: str, body: type[msgspec.Struct] | None = None, params: tuple[Param, ...] = ()) -> RouteDoc:
    # read_body takes a missing body for `{}`: a body may be left out when no field is required
    optional = body is not None and not any(f.required for f in msgspec.structs.fields(body))
    return RouteDoc(summary, "Admin", body=body, params=params, errors=_ERRORS, body_optional=optional)


_DOCS: dict[tuple[str, str], RouteDoc] = {
    ("POST", "/key/generate"): _doc(f"Create a key (shown once, in `key`). {_LIMITS}", s.GenerateKeyRequest),
    ("POST", "/key/update"): _doc("Change a key's settings; `null` clears a limit", s.UpdateKeyRequest),
    ("GET", "/key/info"): _doc("One key (by key or hash)", params=_required("key")),
    ("GET", "/key/list"): _doc("Keys, filtered and paged", params=(
        *_text("user_id", "team_id", "organization_id", "key_alias"),
        _page("page", 10**6), _page("size", 1000), Param("return_full_object", bool))),
    ("POST", "/key/delete"): _doc("Delete keys by key, hash or alias", s.DeleteKeysRequest),
    ("POST", "/key/regenerate"): _doc("A new secret (or new_key); the old one stops", s.RegenerateKeyRequest),
    ("POST", "/key/block"): _doc("Refuse a key until unblocked", s.KeyRef),
    ("POST", "/key/unblock"): _doc("Accept a blocked key again", s.KeyRef),
    ("POST", "/user/new"): _doc("Create a user (and, by default, a key for them)", s.NewUserRequest),
    ("GET", "/user/info"): _doc("A user, their keys and teams", params=_text("user_id")),
    ("GET", "/user/list"): _doc("Users, paged (admin only)", params=(
        *_text("organization_id"), _page("page", 10**6), _page("page_size", 1000))),
    ("POST", "/user/update"): _doc("Change a user", s.UpdateUserRequest),
    ("POST", "/user/delete"): _doc("Delete users and their keys", s.DeleteUsersRequest),
    ("POST", "/team/new"): _doc("Create a team", s.NewTeamRequest),
    ("GET", "/team/info"): _doc("A team, its members and keys", params=_required("team_id")),
    ("GET", "/team/list"): _doc("Every team with its members (a non-admin: the caller's teams)",
                                params=_text("organization_id")),
    ("POST", "/team/update"): _doc("Change a team", s.UpdateTeamRequest),
    ("POST", "/team/delete"): _doc("Delete teams and their keys", s.DeleteTeamsRequest),
    ("POST", "/team/member_add"): _doc("Add members to a team", s.MemberAddRequest),
    ("POST", "/team/member_delete"): _doc("Remove a member from a team", s.MemberDeleteRequest),
    ("POST", "/organization/new"): _doc(f"Create an organization; limits make its budget ({_LIMITS}), "
                                        "budget_id links an existing one", s.NewOrganizationRequest),
    ("GET", "/organization/info"): _doc("An organization, its budget, teams and members",
                                        params=_required("organization_id")),
    ("GET", "/organization/list"): _doc("Every organization"),
    ("PATCH", "/organization/update"): _doc("Change an organization; limits change its budget",
                                            s.UpdateOrganizationRequest),
    ("POST", "/organization/update"): _doc("Change an organization (as PATCH)", s.UpdateOrganizationRequest),
    ("DELETE", "/organization/delete"): _doc("Delete organizations that have no team",
                                             s.DeleteOrganizationsRequest),
    ("POST", "/organization/member_add"): _doc("Place users in an organization (created if unknown)",
                                               s.OrganizationMemberAddRequest),
    ("POST", "/budget/new"): _doc(f"Create a shared budget ({_LIMITS}); keys name it with budget_id",
                                  s.BudgetNewRequest),
    ("POST", "/budget/update"): _doc("Change a shared budget's limits", s.BudgetUpdateRequest),
    ("POST", "/budget/delete"): _doc("Delete a budget no key, organization or end user names",
                                     s.BudgetDeleteRequest),
    ("POST", "/budget/info"): _doc("The budgets named in `budgets`", s.BudgetInfoRequest),
    ("GET", "/budget/list"): _doc("Every budget"),
    ("GET", "/budget/settings"): _doc("A budget's configurable fields with their values",
                                      params=_required("budget_id")),
    ("GET", "/spend/logs"): _doc("One row per call; dates inclusive (YYYY-MM-DD)", params=_SPEND_FILTERS),
    ("GET", "/spend/daily"): _doc("Daily totals grouped by model, key_hash, user_id, team_id, "
                                  "organization_id, end_user, deployment or provider", params=_DAILY_FILTERS),
    ("GET", "/audit"): _doc("Admin changes, newest first, filtered and paged", params=_AUDIT_FILTERS),
    ("GET", "/audit/{id}"): _doc("One audit log entry", params=(
        Param("id", description="the entry's id", where="path"),)),
}  # fmt: skip
for _prefix in END_USER_PREFIXES:  # the same routes under both names, as in LiteLLM
    _DOCS |= {
        ("POST", f"{_prefix}/new"): _doc("Create an end user (a call's `user`); limits make a budget for "
                                         "them, budget_id links an existing one", s.NewEndUserRequest),
        ("GET", f"{_prefix}/info"): _doc("An end user, their spend and budget",
                                         params=_required("end_user_id")),
        ("POST", f"{_prefix}/update"): _doc("Change an end user; limits change their budget",
                                            s.UpdateEndUserRequest),
        ("POST", f"{_prefix}/delete"): _doc("Delete end users (all must exist)", s.EndUserIds),
        ("GET", f"{_prefix}/list"): _doc("Every end user"),
        ("POST", f"{_prefix}/block"): _doc("Refuse calls naming these end users (ids not seen yet too)",
                                           s.EndUserIds),
        ("POST", f"{_prefix}/unblock"): _doc("Accept these end users again; answers the ids still blocked",
                                             s.EndUserIds),
    }  # fmt: skip


def admin_docs() -> dict[tuple[str, str], RouteDoc]:
    """(method, path) → the description of every admin route."""
    return dict(_DOCS)
