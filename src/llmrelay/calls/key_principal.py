"""What one virtual key may do: its scopes' budgets and rate limits, its model list, its expiry and
whether it is blocked — flattened from its key, user, team and organization rows into the shape the
request path reads (no database, no datetime arithmetic per request).

A seam value: auth/ builds it (auth/principal.py, from the stored rows) and caches it, the
authenticated `Principal` carries it to the key gate, which reads it without a second lookup. Kept
here, below both, so the gate and the call context can name it."""

from __future__ import annotations

from typing import Any

import msgspec


class ScopeLimits(msgspec.Struct, frozen=True, kw_only=True):
    """The budget and rate limits of one scope ("key", "user", "team", "organization", "end_user"), with its
    spend as of the last load (the spend writer announces a crossed budget, which triggers a reload)."""

    scope: str  # ... or "budget" (a shared budget the key names), "key_model" (a per-model budget)
    ident: str
    spend_micros: int = 0
    max_budget_micros: int | None = None
    soft_budget_micros: int | None = None
    budget_reset_at: float | None = None  # epoch seconds
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    max_parallel_requests: int | None = None

    @property
    def budget_exceeded(self) -> bool:
        return self.max_budget_micros is not None and self.spend_micros >= self.max_budget_micros


class KeyPrincipal(msgspec.Struct, frozen=True, kw_only=True):
    key_hash: str
    key_name: str
    key_alias: str | None = None
    user_id: str | None = None
    team_id: str | None = None
    organization_id: str | None = None
    user_role: str | None = None
    # the models this key may call: the intersection of the key's, team's, user's and organization's
    # non-empty lists; None = every model
    models: frozenset[str] | None = None
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    expires_at: float | None = None  # epoch seconds
    # why the key may not be used at all (a blocked key, user, team or organization); None = usable
    blocked_by: str | None = None
    # outermost last: key, user, team, organization
    limits: tuple[ScopeLimits, ...] = ()
    # the only routes the key may call (route entries: config/route_rules.py); empty = every route
    allowed_routes: tuple[str, ...] = ()
    # the MCP servers this key may use (its and its team's object_permission lists intersected);
    # None = every server
    mcp_servers: frozenset[str] | None = None
    # per server, the only tools this key may call (the key's and team's intersected)
    mcp_tools: dict[str, frozenset[str]] = msgspec.field(default_factory=dict)
    # the key's per-model budgets (LiteLLM's model_max_budget): model → its budget and spend
    model_budgets: dict[str, ScopeLimits] = msgspec.field(default_factory=dict)

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def may_use(self, model: str) -> bool:
        return self.models is None or model in self.models

    def exceeded_budget(self) -> ScopeLimits | None:
        """The first scope whose budget is used up, or None."""
        for scope in self.limits:
            if scope.budget_exceeded:
                return scope
        return None

    def spend_owners(self, model: str) -> tuple[tuple[str, str], ...]:
        """What a call to `model` spends from besides the owners a spend row names: the key's
        shared budget and its budget for that model (the pending ledger counts them too)."""
        owners = [(s.scope, s.ident) for s in self.limits if s.scope == "budget"]
        per_model = self.model_budgets.get(model) if self.model_budgets else None
        if per_model is not None:
            owners.append((per_model.scope, per_model.ident))
        return tuple(owners)

    def scope(self, name: str) -> ScopeLimits | None:
        for scope in self.limits:
            if scope.scope == name:
                return scope
        return None

    def __repr__(self) -> str:
        return f"KeyPrincipal({self.key_name}, user={self.user_id!r}, team={self.team_id!r})"
