"""LiteLLM's route groups for JWT roles (`admin_allowed_routes`, `team_allowed_routes`...), as the
paths llmrelay serves, and the rule a JWT's Principal carries: the routes its role may call.

A route list holds group names or literal paths; a path ending in `*` is a prefix."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from llmrelay.calls.principal import RouteRule

# the OpenAI-compatible (and Anthropic) call routes, with or without /v1 (and /openai, Azure's spelling)
_OPENAI_PREFIXES = (
    "/chat/completions", "/completions", "/embeddings", "/images/", "/audio/", "/moderations",
    "/rerank", "/responses", "/messages", "/models", "/engines/", "/openai/deployments/",
)  # fmt: skip
_VERSIONS = ("", "/v1", "/v2", "/openai", "/openai/v1")

ROUTE_GROUPS: Mapping[str, RouteRule] = {
    "openai_routes": RouteRule(prefixes=tuple(v + p for v in _VERSIONS for p in _OPENAI_PREFIXES)),
    "info_routes": RouteRule(
        paths=frozenset(
            {
                "/key/info",
                "/key/list",
                "/team/info",
                "/team/list",
                "/user/info",
                "/user/list",
                "/model/info",
                "/v1/model/info",
                "/v2/model/info",
                "/model_group/info",
                "/health",
            }
        )
    ),
    "management_routes": RouteRule(
        prefixes=(
            "/key/",
            "/team/",
            "/user/",
            "/customer/",
            "/end_user/",
            "/organization/",
            "/budget/",
            "/model/",
            "/audit",
        )
    ),
    "spend_tracking_routes": RouteRule(prefixes=("/spend/",)),
    "global_spend_tracking_routes": RouteRule(prefixes=("/global/spend/",)),
    "public_routes": RouteRule(
        paths=frozenset({"/health/liveliness", "/health/liveness", "/health/readiness"})
    ),
}


def route_rule(entries: Iterable[str]) -> RouteRule:
    """The union of the groups and paths named (checked by JwtAuthSettings when the config loads)."""
    paths: set[str] = set()
    prefixes: list[str] = []
    for entry in entries:
        group = ROUTE_GROUPS.get(entry)
        if group is not None:
            paths |= group.paths
            prefixes.extend(group.prefixes)
        elif entry.endswith("*"):
            prefixes.append(entry[:-1])
        else:
            paths.add(entry)
    return RouteRule(paths=frozenset(paths), prefixes=tuple(dict.fromkeys(prefixes)))
