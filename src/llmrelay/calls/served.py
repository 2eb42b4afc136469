"""What served a call: the typed record that comes back with every answer.

The engine attaches it to every answer and stream it returns, the router adds what its route did
(attempts, the group fallen back from), the response cache makes one for a hit. Every reader inside
the package — the gateway's headers, the key gate's spend rows, the response cache, the cost API —
takes it with `served_of`. LiteLLM's `_hidden_params` dict is only a view of it, built for SDK
callers at the SDK edge (core/litellm_view.py)."""

from __future__ import annotations

import msgspec


class Served(msgspec.Struct, frozen=True):
    """A msgspec Struct rather than a dataclass: one is built per answer on the hottest path, and a
    frozen dataclass's __init__ (one object.__setattr__ per field) costs ~15x a Struct's."""

    provider: str | None = None  # "openai", "anthropic"...: a cached answer keeps its first one
    model: str | None = None  # the provider-qualified model that answered ("openai/gpt-4o")
    deployment_id: str | None = None
    model_group: str | None = None  # the group the router picked within
    api_base: str | None = None
    attempts: int = 1
    fallback_from: str | None = None  # the group first asked, when a fallback group answered
    cost_micros: int = 0
    mock: bool = False  # a `mock_response` answered (a deployment's, or an SDK call's)
    cache_hit: bool = False
    cache_key: str | None = None  # the response cache's key of a cached answer

    def with_routing(self, attempts: int, fallback_from: str | None) -> Served:
        return msgspec.structs.replace(self, attempts=attempts, fallback_from=fallback_from)

    def with_cost(self, cost_micros: int) -> Served:
        return msgspec.structs.replace(self, cost_micros=cost_micros)


NOT_SERVED = Served()


def served_of(answer: object) -> Served:
    """The record attached to an answer (a response, or a stream) by the engine and the router;
    an empty record for an answer nothing attached one to."""
    found = getattr(answer, "_served", None)
    return found if isinstance(found, Served) else NOT_SERVED


def attach_served(answer: object, served: Served) -> None:
    """Attach `served` to an answer. Responses are msgspec Structs that take undeclared attributes
    (as `_hidden_params` always was); the record is never serialized."""
    answer._served = served  # type: ignore[attr-defined]
