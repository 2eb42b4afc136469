"""A virtual key's rate limits for one call: the RPM / TPM / parallel limits of each of its scopes
(key, user, team, organization) and the per-model limits in the key's metadata (LiteLLM's
`model_rpm_limit` / `model_tpm_limit`), as `Limit`s the limiter reserves all at once; and the 429 a
refusal becomes, naming the limit that refused."""

from __future__ import annotations

from llmrelay.calls.key_principal import KeyPrincipal, ScopeLimits
from llmrelay.limits.base import Limit, Refusal
from llmrelay.types.errors import RateLimitError

_REASONS = {"rpm": "requests per minute", "tpm": "tokens per minute", "parallel": "parallel requests"}
# entries the per-key cache holds before it starts again (a bound, not a tuning knob)
MAX_ENTRIES = 100_000


class KeyLimits:
    """The key's limits for a model, built once per cached principal (a reload replaces the
    principal object, which invalidates the entry). Cached per model only for the models the key's
    metadata gives limits of: keyed by the client's model name, every made-up name a client sent
    (answered 404 later) kept an entry — memory that grew with every request."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], tuple[KeyPrincipal, list[Limit]]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def of(self, found: KeyPrincipal, model: str) -> list[Limit]:
        slot = model if _has_model_limit(found, model) else ""
        entry = self._entries.get((found.key_hash, slot))
        if entry is not None and entry[0] is found:
            return entry[1]
        limits = _limits(found, model)
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[(found.key_hash, slot)] = (found, limits)
        return limits


def scope_limit(scope: ScopeLimits) -> Limit:
    return Limit(
        f"{scope.scope}:{scope.ident}", scope.rpm_limit, scope.tpm_limit, scope.max_parallel_requests
    )


def _has_model_limit(found: KeyPrincipal, model: str) -> bool:
    """Whether the key's metadata sets an rpm or tpm limit for this model (admin-set names only)."""
    metadata = found.metadata
    if not metadata:
        return False
    return any(
        isinstance(per_model, dict) and model in per_model
        for per_model in (metadata.get("model_rpm_limit"), metadata.get("model_tpm_limit"))
    )


def _limits(found: KeyPrincipal, model: str) -> list[Limit]:
    limits = [
        scope_limit(s)
        for s in found.limits
        if s.rpm_limit is not None or s.tpm_limit is not None or s.max_parallel_requests is not None
    ]
    model_rpm = found.metadata.get("model_rpm_limit")
    model_tpm = found.metadata.get("model_tpm_limit")
    rpm = model_rpm.get(model) if isinstance(model_rpm, dict) else None
    tpm = model_tpm.get(model) if isinstance(model_tpm, dict) else None
    if isinstance(rpm, int) or isinstance(tpm, int):
        limits.append(
            Limit(
                f"key-model:{found.key_hash}:{model}",
                rpm if isinstance(rpm, int) else None,
                tpm if isinstance(tpm, int) else None,
            )
        )
    return limits


def rate_limited(refusal: Refusal, limits: list[Limit], found: KeyPrincipal | None) -> RateLimitError:
    """The 429 for a refused reservation: which scope, which limit, its value, when to retry."""
    limit = next(item for item in limits if item.key == refusal.key)
    scope, _, ident = refusal.key.partition(":")
    value = {"rpm": limit.rpm, "tpm": limit.tpm, "parallel": limit.max_parallel}[refusal.reason]
    if scope == "key":
        who = f"key {found.key_alias or found.key_name}" if found is not None else "key"
    elif scope == "key-model":
        who = f"key model {ident.rpartition(':')[2]}"
    else:
        who = f"{scope.replace('_', ' ')} {ident}"
    return RateLimitError(
        f"Rate limit reached for {who}: {_REASONS[refusal.reason]} limit {value}",
        retry_after=refusal.retry_after,
        code="429",
    )
