"""Budgets of end users (the `user` field of a request), cached in memory.

An end user is loaded on first sight (one awaited read, then served from memory) and reloaded when
the spend writer has counted their calls or when their row or budget changes. Their budget is the
one their row names (`budget_id`) — its max budget, budget period and rpm/tpm/parallel limits — else
the gateway-wide default (`litellm_settings.max_end_user_budget`, a max budget only).

An end user with an `allowed_model_region` also carries their routing (region and default model),
built once per load and handed to the router with each of their calls.
"""

from __future__ import annotations

import logging

import msgspec
from sqlalchemy.exc import SQLAlchemyError

from llmrelay.auth.principal import scope_limits
from llmrelay.calls.context import REGIONS, EndUserRouting
from llmrelay.calls.key_principal import ScopeLimits
from llmrelay.storage.records import AuthChange, EndUserRecord, LimitFields
from llmrelay.storage.storage import Storage

log = logging.getLogger("llmrelay.auth")


class EndUserBudget(msgspec.Struct, frozen=True, kw_only=True):
    end_user_id: str
    # spend as of the last load, and the limits of the end user's budget (scope "end_user")
    limits: ScopeLimits
    budget_id: str | None = None
    blocked: bool = False
    routing: EndUserRouting | None = None  # set when the end user is limited to a region

    @property
    def has_rate_limits(self) -> bool:
        limits = self.limits
        return not (
            limits.rpm_limit is None and limits.tpm_limit is None and limits.max_parallel_requests is None
        )


class EndUserBudgets:
    def __init__(
        self, storage: Storage, *, default_max_budget_micros: int | None, max_entries: int = 100_000
    ) -> None:
        self.storage = storage
        self.default_max_budget_micros = default_max_budget_micros
        self.max_entries = max_entries
        self._cache: dict[str, EndUserBudget] = {}

    def cached(self, end_user_id: str) -> EndUserBudget | None:
        return self._cache.get(end_user_id)

    async def get(self, end_user_id: str) -> EndUserBudget:
        found = self._cache.get(end_user_id)
        if found is not None:
            return found
        return await self.load(end_user_id)

    async def load(self, end_user_id: str) -> EndUserBudget:
        """Read the end user (and their budget) now. A database that cannot answer leaves the end user
        with no recorded spend and the default budget, uncached, so the next request asks again."""
        try:
            return await self._read(end_user_id)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("end user load failed (%s); default budget applies", type(exc).__name__)
            return EndUserBudget(end_user_id=end_user_id, limits=self._default_limits(end_user_id, 0))

    def _default_limits(self, end_user_id: str, spend_micros: int) -> ScopeLimits:
        return ScopeLimits(
            scope="end_user",
            ident=end_user_id,
            spend_micros=spend_micros,
            max_budget_micros=self.default_max_budget_micros,
        )

    async def _read(self, end_user_id: str) -> EndUserBudget:
        row = await self.storage.budgets.get_end_user(end_user_id)
        spend = row.spend_micros if row is not None else 0
        budget: LimitFields | None = None
        if row is not None and row.budget_id is not None:
            budget = await self.storage.budgets.get(row.budget_id)
        limits = (
            scope_limits("end_user", end_user_id, budget, spend)
            if budget is not None
            else self._default_limits(end_user_id, spend)
        )
        entry = EndUserBudget(
            end_user_id=end_user_id,
            limits=limits,
            budget_id=row.budget_id if row is not None else None,
            blocked=row.blocked if row is not None else False,
            routing=_routing(row) if row is not None else None,
        )
        if end_user_id not in self._cache and len(self._cache) >= self.max_entries:
            del self._cache[next(iter(self._cache))]  # the oldest entry
        self._cache[end_user_id] = entry
        return entry

    async def refresh(self, end_user_ids: list[str]) -> None:
        """Reload those already cached (others are loaded when they are next seen). Raises when the
        database cannot answer, so the caller can try again."""
        for end_user_id in end_user_ids:
            if end_user_id in self._cache:
                await self._read(end_user_id)

    async def on_changes(self, changes: list[AuthChange]) -> None:
        """A PrincipalSync listener: an end user's row or a budget changed."""
        ids = [c.ident for c in changes if c.kind == "end_user"]
        budgets = {c.ident for c in changes if c.kind == "budget"}
        if budgets:
            ids += [e.end_user_id for e in self._cache.values() if e.budget_id in budgets]
        await self.refresh(list(dict.fromkeys(ids)))


def _routing(row: EndUserRecord) -> EndUserRouting | None:
    """The end user's region limit; their default model applies only with one (LiteLLM: "if no
    equivalent model in the allowed region, default all requests to this model")."""
    if row.allowed_model_region not in REGIONS:
        return None
    return EndUserRouting(row.end_user_id, row.allowed_model_region, row.default_model)
