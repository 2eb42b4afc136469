"""Budget checks before a call: no budget on the call's way is used up — the key's, its user's,
team's and organization's, and the end user's — counting the spend this process recorded that the
database has not counted yet (PendingSpend), so a burst cannot overrun a budget between two flushes."""

from __future__ import annotations

from llmrelay.auth.end_users import EndUserBudget, EndUserBudgets
from llmrelay.calls.key_principal import ScopeLimits
from llmrelay.spend.ledger import PendingSpend
from llmrelay.types.errors import BudgetExceededError


def _usd(micros: int) -> str:
    return f"{micros / 1_000_000:.6f}".rstrip("0").rstrip(".")


def _who(scope: ScopeLimits) -> str:
    if scope.scope == "key":
        return "key"
    if scope.scope == "key_model":
        # ident: "<key hash> <model>"; the hash is not shown
        return f"key's budget for model={scope.ident.partition(' ')[2]}"
    return f"{scope.scope}={scope.ident}"


class Budgets:
    __slots__ = ("end_users", "pending")

    def __init__(self, pending: PendingSpend, end_users: EndUserBudgets | None) -> None:
        self.pending = pending
        self.end_users = end_users

    def spent(self, scope: ScopeLimits, now: float) -> int:
        """Spend in the scope's current budget period, counting calls not yet written."""
        # a period that ended before the periodic reset ran starts from zero
        ended = scope.budget_reset_at is not None and now >= scope.budget_reset_at
        return (0 if ended else scope.spend_micros) + self.pending.pending(scope.scope, scope.ident)

    def check(self, scope: ScopeLimits, now: float) -> None:
        """BudgetExceededError (400) when the scope's budget is used up."""
        if scope.max_budget_micros is None:
            return
        spent = self.spent(scope, now)
        if spent >= scope.max_budget_micros:
            who = _who(scope)
            raise BudgetExceededError(
                f"Budget has been exceeded! {who} Current cost: {_usd(spent)}, "
                f"Max budget: {_usd(scope.max_budget_micros)}",
                code="400",
            )

    async def check_end_user(self, end_user: str, now: float) -> EndUserBudget:
        """The end user's row (loaded on first sight), or BudgetExceededError when the end user is
        blocked or over budget. Only called with end-user budgets on (`end_users` set)."""
        assert self.end_users is not None
        budget = self.end_users.cached(end_user) or await self.end_users.get(end_user)
        if budget.blocked:
            raise BudgetExceededError(f"End User={end_user} is blocked", code="400")
        limits = budget.limits
        if limits.max_budget_micros is None:
            return budget
        spent = self.spent(limits, now)
        if spent >= limits.max_budget_micros:
            raise BudgetExceededError(
                f"ExceededBudget: End User={end_user} over budget. Spend={_usd(spent)}, "
                f"Budget={_usd(limits.max_budget_micros)}",
                code="400",
            )
        return budget
