"""Builds a `KeyPrincipal` (calls/key_principal.py: what one virtual key may do) from its key,
user, team and organization rows as storage loads them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from llmrelay.calls.key_principal import KeyPrincipal, ScopeLimits
from llmrelay.storage.records import LimitFields, PrincipalRecord

ALL_MODELS = "all-proxy-models"  # LiteLLM's spelling of "no model restriction"


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def scope_limits(scope: str, ident: str, fields: LimitFields, spend: int) -> ScopeLimits:
    return ScopeLimits(
        scope=scope,
        ident=ident,
        spend_micros=spend,
        max_budget_micros=fields.max_budget_micros,
        soft_budget_micros=fields.soft_budget_micros,
        budget_reset_at=_epoch(fields.budget_reset_at),
        rpm_limit=fields.rpm_limit,
        tpm_limit=fields.tpm_limit,
        max_parallel_requests=fields.max_parallel_requests,
    )


def model_budgets(record: PrincipalRecord) -> dict[str, ScopeLimits]:
    """The key's per-model budgets (model_max_budget) with their spend this period."""
    key = record.key
    if not key.model_max_budget:
        return {}
    spends = {s.model: s for s in record.model_spend}
    out = {}
    for model, budget in key.model_max_budget.items():
        spent = spends.get(model)
        out[model] = ScopeLimits(
            scope="key_model",
            ident=f"{key.key_hash} {model}",
            spend_micros=spent.spend_micros if spent is not None else 0,
            max_budget_micros=budget.get("max_budget_micros"),
            budget_reset_at=_epoch(spent.budget_reset_at) if spent is not None else None,
        )
    return out


def allowed_models(lists: list[list[str]]) -> frozenset[str] | None:
    allowed: frozenset[str] | None = None
    for models in lists:
        if not models or ALL_MODELS in models:
            continue
        allowed = frozenset(models) if allowed is None else allowed & frozenset(models)
    return allowed


def principal_from_record(record: PrincipalRecord) -> KeyPrincipal:
    key, user, team, org, org_budget = (
        record.key,
        record.user,
        record.team,
        record.organization,
        record.organization_budget,
    )
    blocked_by = None
    for scope, row in (("key", key), ("user", user), ("team", team), ("organization", org)):
        if row is not None and row.blocked:
            blocked_by = scope
            break
    limits = [scope_limits("key", key.key_hash, key, key.spend_micros)]
    if record.key_budget is not None:
        # a shared budget: the spend of every key that names it
        shared = record.key_budget
        limits.append(scope_limits("budget", shared.budget_id, shared, shared.spend_micros))
    if user is not None:
        limits.append(scope_limits("user", user.user_id, user, user.spend_micros))
    if team is not None:
        limits.append(scope_limits("team", team.team_id, team, team.spend_micros))
    if org is not None:
        org_limits = org_budget if org_budget is not None else LimitFields()
        limits.append(scope_limits("organization", org.organization_id, org_limits, org.spend_micros))
    # a team key is governed by the team's model list; a personal key by its user's
    model_lists = [key.models]
    if team is not None:
        model_lists.append(team.models)
    elif user is not None:
        model_lists.append(user.models)
    if org is not None:
        model_lists.append(org.models)
    team_servers = [mcp_servers_of(team.object_permission)] if team is not None else []
    return KeyPrincipal(
        key_hash=key.key_hash,
        key_name=key.key_name,
        key_alias=key.key_alias,
        user_id=key.user_id,
        team_id=key.team_id,
        organization_id=org.organization_id if org is not None else key.organization_id,
        user_role=user.user_role if user is not None else None,
        models=allowed_models(model_lists),
        tags=tuple(key.tags),
        metadata=key.metadata,
        expires_at=_epoch(key.expires),
        blocked_by=blocked_by,
        limits=tuple(limits),
        allowed_routes=tuple(key.allowed_routes or ()),
        mcp_servers=allowed_models([mcp_servers_of(key.object_permission), *team_servers]),
        mcp_tools=mcp_tools_of([key.object_permission, team.object_permission if team is not None else None]),
        model_budgets=model_budgets(record),
    )


def mcp_servers_of(permission: dict[str, Any] | None) -> list[str]:
    servers = (permission or {}).get("mcp_servers") or []
    return [str(s) for s in servers]


def mcp_tools_of(permissions: list[dict[str, Any] | None]) -> dict[str, frozenset[str]]:
    """Per server, the tools every level that names the server allows (intersected)."""
    out: dict[str, frozenset[str]] = {}
    for permission in permissions:
        for server, tools in ((permission or {}).get("mcp_tool_permissions") or {}).items():
            allowed = frozenset(str(t) for t in tools)
            out[server] = out[server] & allowed if server in out else allowed
    return out
