"""What served a call: the typed record that comes back with every answer.

It replaces the `_hidden_params` dict read by string key across layers. LiteLLM's `_hidden_params`
is a view of this record, built at the SDK edge (`Served.hidden_params()`)."""

from __future__ import annotations

from typing import Any

import msgspec


class Served(msgspec.Struct, frozen=True):
    """A msgspec Struct rather than a dataclass: one is built per answer on the hottest path, and a
    frozen dataclass's __init__ (one object.__setattr__ per field) costs ~15x a Struct's."""

    provider: str | None = None  # "openai", "anthropic"...; "cache" for a cached answer
    model: str | None = None  # the provider-qualified model that answered ("openai/gpt-4o")
    deployment_id: str | None = None
    model_group: str | None = None  # the group the router picked within
    api_base: str | None = None
    attempts: int = 1
    fallback_from: str | None = None  # the group first asked, when a fallback group answered
    cost_micros: int = 0
    mock: bool = False  # a deployment's `mock_response` answered
    cache_hit: bool = False
    cache_key: str | None = None  # the response cache's key of a cached answer

    def with_routing(self, attempts: int, fallback_from: str | None) -> Served:
        return msgspec.structs.replace(self, attempts=attempts, fallback_from=fallback_from)

    def with_cost(self, cost_micros: int) -> Served:
        return msgspec.structs.replace(self, cost_micros=cost_micros)

    def hidden_params(self) -> dict[str, Any]:
        """LiteLLM's `_hidden_params` shape: what SDK users and the gateway's response headers read."""
        params: dict[str, Any] = {
            "provider": self.provider,
            "model": self.model,
            "deployment_id": self.deployment_id,
            "model_group": self.model_group,
            "api_base": self.api_base,
            "attempts": self.attempts,
            "fallback_from": self.fallback_from,
            "cost_micros": self.cost_micros,
            "response_cost": self.cost_micros / 1_000_000,
        }
        if self.mock:
            params["mock"] = True
        if self.cache_hit:
            params["cache_hit"] = True
        if self.cache_key is not None:
            params["cache_key"] = self.cache_key
        return params


NOT_SERVED = Served()


def served_of(answer: object) -> Served:
    """The record attached to an answer (a response, or a stream) by the engine and the router;
    an empty record for an answer nothing attached one to."""
    found = getattr(answer, "_served", None)
    return found if isinstance(found, Served) else NOT_SERVED


def served_view(answer: object) -> Served:  # transition
    """The answer's Served record, or (until the engine attaches one) a record read from its
    `hidden_params` dict: a response's `_hidden_params`, a stream's `hidden_params`. The lead removes
    this once the engine attaches Served everywhere: callers then use `served_of`."""
    found = getattr(answer, "_served", None)
    # a stream starts with NOT_SERVED: only a record someone attached wins over the dict
    if isinstance(found, Served) and found is not NOT_SERVED:
        return found
    params = getattr(answer, "_hidden_params", None)
    if params is None:
        params = getattr(answer, "hidden_params", None)
    if not isinstance(params, dict) or not params:
        return NOT_SERVED
    try:
        # in C, ignoring the dict's other keys; once per answer on the gateway's path
        return msgspec.convert(params, Served)
    except msgspec.ValidationError:
        return Served(
            provider=params.get("provider"),
            model=params.get("model"),
            deployment_id=params.get("deployment_id"),
            model_group=params.get("model_group"),
            api_base=params.get("api_base"),
            attempts=int(params.get("attempts") or 1),
            fallback_from=params.get("fallback_from"),
            cost_micros=int(params.get("cost_micros") or 0),
            mock=bool(params.get("mock")),
            cache_hit=bool(params.get("cache_hit")),
            cache_key=params.get("cache_key"),
        )


def attach_served(answer: object, served: Served) -> None:
    """Attach `served` to an answer. Responses are msgspec Structs that take undeclared attributes
    (as `_hidden_params` always was); the record is never serialized."""
    answer._served = served  # type: ignore[attr-defined]
