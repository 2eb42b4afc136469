"""A key's `model_max_budget` (LiteLLM's per-model budgets), checked and put in the form it is
stored in: model → {"max_budget_micros", "budget_duration"}. Each entry needs a max budget; per-model
rate limits belong in the key's metadata (`model_rpm_limit`, `model_tpm_limit`), so they are refused
here rather than stored and ignored."""

from __future__ import annotations

from typing import Any

from llmrelay.proxy.admin.io import checked_duration, to_micros
from llmrelay.proxy.admin.schemas import ModelBudgetIn
from llmrelay.types.errors import BadRequestError

PARAM = "model_max_budget"


def _one(model: str, entry: ModelBudgetIn) -> dict[str, Any]:
    if entry.max_budget is not None and entry.budget_limit is not None:
        raise BadRequestError(
            f"{PARAM}[{model!r}]: give max_budget or budget_limit (its older name), not both", param=PARAM
        )
    if entry.budget_duration is not None and entry.time_period is not None:
        raise BadRequestError(
            f"{PARAM}[{model!r}]: give budget_duration or time_period (its older name), not both", param=PARAM
        )
    for name, metadata_name in (("rpm_limit", "model_rpm_limit"), ("tpm_limit", "model_tpm_limit")):
        if getattr(entry, name) is not None:
            raise BadRequestError(
                f"{PARAM}[{model!r}].{name} is not kept here: set metadata.{metadata_name} on the key",
                param=PARAM,
            )
    usd = entry.max_budget if entry.max_budget is not None else entry.budget_limit
    if usd is None:
        raise BadRequestError(f"{PARAM}[{model!r}] needs max_budget (USD)", param=PARAM)
    duration = entry.budget_duration if entry.budget_duration is not None else entry.time_period
    return {"max_budget_micros": to_micros(usd, PARAM), "budget_duration": checked_duration(duration, PARAM)}


def checked_model_budgets(budgets: dict[str, ModelBudgetIn] | None) -> dict[str, dict[str, Any]] | None:
    """The stored form; None for none (an empty mapping clears them)."""
    if not budgets:
        return None
    return {model: _one(model, entry) for model, entry in budgets.items()}


def model_budgets_view(stored: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """As LiteLLM shows them: USD and the duration."""
    return {
        model: {
            "max_budget": entry["max_budget_micros"] / 1_000_000,
            "budget_duration": entry.get("budget_duration"),
        }
        for model, entry in (stored or {}).items()
    }
