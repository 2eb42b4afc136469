"""Stored records as LiteLLM shows them: USD floats, ISO-8601 times, `token` for the key hash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from llmrelay.proxy.admin.io import to_usd
from llmrelay.proxy.admin.key_budgets import model_budgets_view
from llmrelay.storage.records import (
    BudgetRecord,
    EndUserRecord,
    KeyRecord,
    OrganizationRecord,
    SpendLogRecord,
    TeamMember,
    TeamRecord,
    UserRecord,
)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _limits(record: KeyRecord | UserRecord | TeamRecord) -> dict[str, Any]:
    return {
        "max_budget": to_usd(record.max_budget_micros),
        "soft_budget": to_usd(record.soft_budget_micros),
        "budget_duration": record.budget_duration,
        "budget_reset_at": _iso(record.budget_reset_at),
        "rpm_limit": record.rpm_limit,
        "tpm_limit": record.tpm_limit,
        "max_parallel_requests": record.max_parallel_requests,
        "spend": to_usd(record.spend_micros),
        "models": record.models,
        "metadata": record.metadata,
        "blocked": record.blocked,
        "created_at": _iso(record.created_at),
        "updated_at": _iso(record.updated_at),
    }


def key_view(key: KeyRecord) -> dict[str, Any]:
    return {
        "token": key.key_hash,
        "key_name": key.key_name,
        "key_alias": key.key_alias,
        "user_id": key.user_id,
        "team_id": key.team_id,
        "organization_id": key.organization_id,
        "expires": _iso(key.expires),
        "tags": key.tags,
        "allowed_routes": key.allowed_routes or [],
        "object_permission": key.object_permission,
        "budget_id": key.budget_id,
        "model_max_budget": model_budgets_view(key.model_max_budget),
        "created_by": key.created_by,
        **_limits(key),
    }


def user_view(user: UserRecord) -> dict[str, Any]:
    return {
        "user_id": user.user_id,
        "user_alias": user.user_alias,
        "user_email": user.user_email,
        "user_role": user.user_role,
        "organization_id": user.organization_id,
        **_limits(user),
    }


def team_view(team: TeamRecord, members: list[TeamMember] | None = None) -> dict[str, Any]:
    view = {
        "team_id": team.team_id,
        "team_alias": team.team_alias,
        "organization_id": team.organization_id,
        "object_permission": team.object_permission,
        **_limits(team),
    }
    if members is not None:
        view["members_with_roles"] = [{"user_id": m.user_id, "role": m.role} for m in members]
    return view


def budget_view(budget: BudgetRecord) -> dict[str, Any]:
    """LiteLLM's `litellm_budget_table`."""
    return {
        "budget_id": budget.budget_id,
        "max_budget": to_usd(budget.max_budget_micros),
        # what the keys naming it spent in the current period (a shared budget)
        "spend": to_usd(budget.spend_micros),
        "soft_budget": to_usd(budget.soft_budget_micros),
        "max_parallel_requests": budget.max_parallel_requests,
        "tpm_limit": budget.tpm_limit,
        "rpm_limit": budget.rpm_limit,
        "budget_duration": budget.budget_duration,
        "budget_reset_at": _iso(budget.budget_reset_at),
        "created_at": _iso(budget.created_at),
    }


def end_user_view(end_user: EndUserRecord, budget: BudgetRecord | None) -> dict[str, Any]:
    """LiteLLM's customer object."""
    return {
        "user_id": end_user.end_user_id,
        "alias": end_user.alias,
        "spend": to_usd(end_user.spend_micros),
        "blocked": end_user.blocked,
        "budget_id": end_user.budget_id,
        "allowed_model_region": end_user.allowed_model_region,
        "default_model": end_user.default_model,
        "metadata": end_user.metadata,
        "litellm_budget_table": None if budget is None else budget_view(budget),
        "created_at": _iso(end_user.created_at),
        "updated_at": _iso(end_user.updated_at),
    }


def spend_log_view(log: SpendLogRecord) -> dict[str, Any]:
    return {
        "request_id": log.request_id,
        "call_type": log.call_type,
        "api_key": log.key_hash,
        "spend": to_usd(log.cost_micros),
        "total_tokens": log.total_tokens,
        "prompt_tokens": log.prompt_tokens,
        "completion_tokens": log.completion_tokens,
        "startTime": _iso(log.start_time),
        "endTime": _iso(log.end_time),
        "model": log.model,
        "model_group": log.model_group,
        "model_id": log.deployment,
        "custom_llm_provider": log.provider,
        "user": log.user_id,
        "team_id": log.team_id,
        "organization_id": log.organization_id,
        "end_user": log.end_user,
        "status": log.status,
        "error": log.error,
    }


def organization_view(org: OrganizationRecord, budget: BudgetRecord | None) -> dict[str, Any]:
    """LiteLLM's organization object: its limits live in its budget (`litellm_budget_table`)."""
    return {
        "organization_id": org.organization_id,
        "organization_alias": org.organization_alias,
        "budget_id": org.budget_id,
        "models": org.models,
        "spend": to_usd(org.spend_micros),
        "metadata": org.metadata,
        "blocked": org.blocked,
        "litellm_budget_table": None if budget is None else budget_view(budget),
        "created_at": _iso(org.created_at),
        "updated_at": _iso(org.updated_at),
    }
