"""What to do after an error: how many retries its class gets, which fallback groups may answer,
and whether (and how long) the deployment cools down."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from llmrelay.types.errors import (
    AuthenticationError,
    BadRequestError,
    ContentPolicyViolationError,
    ContextWindowExceededError,
    InternalServerError,
    LLMError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    Timeout,
)

# LiteLLM's RetryPolicy field names, most specific class first
RETRY_POLICY_FIELDS: tuple[tuple[str, type[LLMError]], ...] = (
    ("ContentPolicyViolationErrorRetries", ContentPolicyViolationError),
    ("BadRequestErrorRetries", BadRequestError),
    ("AuthenticationErrorRetries", AuthenticationError),
    ("TimeoutErrorRetries", Timeout),
    ("RateLimitErrorRetries", RateLimitError),
    ("InternalServerErrorRetries", InternalServerError),
)

FallbackMap = Mapping[str, Sequence[str]]


def fallback_map(
    entries: Sequence[Mapping[str, Sequence[str]]] | Mapping[str, Sequence[str]] | None,
) -> FallbackMap:
    """LiteLLM writes fallbacks as a list of one-key dicts: [{"gpt": ["claude", "mistral"]}]."""
    if not entries:
        return {}
    if isinstance(entries, Mapping):
        return {k: list(v) for k, v in entries.items()}
    merged: dict[str, list[str]] = {}
    for entry in entries:
        for group, targets in entry.items():
            merged.setdefault(group, []).extend([targets] if isinstance(targets, str) else targets)
    return merged


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries per error class. Unlisted classes: `num_retries` when the error is retryable
    (408, 429, 5xx, connection errors), none otherwise (400, 401, 403, 404, context window)."""

    num_retries: int = 0
    per_class: Mapping[str, int] = field(default_factory=dict)

    def retries_for(self, error: LLMError, deployment_max: int | None = None) -> int:
        for name, cls in RETRY_POLICY_FIELDS:
            if isinstance(error, cls) and name in self.per_class:
                return self.per_class[name]
        if not error.retryable:
            return 0
        return self.num_retries if deployment_max is None else deployment_max


@dataclass(frozen=True, slots=True)
class FallbackPolicy:
    fallbacks: FallbackMap = field(default_factory=dict)
    context_window: FallbackMap = field(default_factory=dict)
    content_policy: FallbackMap = field(default_factory=dict)
    default: Sequence[str] = ()

    def groups_for(self, group: str, error: LLMError) -> list[str]:
        """Fallback groups to try, in order, after `group` failed with `error`."""
        if not error.fallback_ok:
            return []
        if isinstance(error, ContextWindowExceededError):
            specific = self._lookup(self.context_window, group)
        elif isinstance(error, ContentPolicyViolationError):
            specific = self._lookup(self.content_policy, group)
        else:
            specific = []
        general = self._lookup(self.fallbacks, group) or list(self.default)
        return _unique([*specific, *general], exclude=group)

    @staticmethod
    def _lookup(table: FallbackMap, group: str) -> list[str]:
        return list(table.get(group) or table.get("*") or ())


def _unique(groups: Sequence[str], exclude: str) -> list[str]:
    seen = {exclude}
    result = []
    for g in groups:
        if g not in seen:
            seen.add(g)
            result.append(g)
    return result


@dataclass(frozen=True, slots=True)
class CooldownAction:
    kind: str  # "none" | "count" | "cool"
    seconds: float = 0.0
    reason: str = ""


# default of router_settings.auth_cooldown_time: how long refused credentials keep a deployment out
DEFAULT_AUTH_COOLDOWN = 300.0


def cooldown_action(error: LLMError, auth_cooldown: float = DEFAULT_AUTH_COOLDOWN) -> CooldownAction:
    """Auth failures cool the deployment for `auth_cooldown` seconds (or until its config changes,
    if sooner), after which the next call probes it again: a key rotated or an upstream outage that
    answered 401 ends without a restart. A 429 with retry-after cools it that long; other
    provider-side failures count toward `allowed_fails`. Errors the caller caused (400, context
    window, content policy) say nothing about the deployment."""
    if isinstance(error, AuthenticationError | PermissionDeniedError):
        return CooldownAction("cool", auth_cooldown, "auth")
    if isinstance(error, RateLimitError) and error.retry_after is not None and error.retry_after > 0:
        return CooldownAction("cool", error.retry_after, "rate_limited")
    if isinstance(error, RateLimitError):
        # counted like other failures; a cooldown it starts says the deployment is rate limited
        return CooldownAction("count", reason="rate_limited")
    if error.retryable or isinstance(error, NotFoundError):
        return CooldownAction("count")
    return CooldownAction("none")
