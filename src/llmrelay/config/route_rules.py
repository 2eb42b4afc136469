"""Route rules, LiteLLM's spelling: what `allowed_routes` and `admin_only_routes` lists hold.

An entry is one of
- a path, `/chat/completions` — with or without `/v1` in front, the same route (the gateway serves
  both spellings, so a rule on one must hold the other); `{name}` stands for one path segment
  (`/team/{team_id}`);
- a path ending in `*`, `/key/*`: every path starting with what comes before the `*`;
- a name of one of LiteLLM's route groups (`llm_api_routes`, `openai_routes`, `anthropic_routes`,
  `info_routes`, `management_routes`, `key_management_routes`, `spend_tracking_routes`,
  `global_spend_tracking_routes`, `model_info_routes`, `public_routes`): every route in it.

In config/ because the config's lists are checked when it loads (an entry that is neither a path nor
a group stops the start), the key routes check a key's list when it is set, and the web server
matches requests against what they parse to. The groups are LiteLLM's lists, as far as llmrelay
serves those routes."""

from __future__ import annotations

import re
from collections.abc import Iterable

_LLM_PASS_THROUGH = ("/anthropic/*", "/openai/*", "/azure/*", "/bedrock/*", "/vertex_ai/*", "/vertex-ai/*",
                     "/gemini/*", "/cohere/*", "/mistral/*", "/vllm/*")  # fmt: skip
_OPENAI = ("/chat/completions", "/completions", "/embeddings", "/images/generations", "/images/edits",
           "/images/variations", "/audio/transcriptions", "/audio/translations", "/audio/speech",
           "/moderations", "/models", "/models/{model}", "/rerank", "/v2/rerank", "/responses",
           "/responses/{response_id}", "/responses/{response_id}/input_items",
           "/engines/{model}/chat/completions", "/engines/{model}/completions",
           "/engines/{model}/embeddings", "/openai/deployments/{model}/chat/completions",
           "/openai/deployments/{model}/completions", "/openai/deployments/{model}/embeddings",
           "/utils/token_counter")  # fmt: skip
_ANTHROPIC = ("/v1/messages", "/v1/messages/count_tokens")
_MODEL_INFO = ("/model/info", "/v2/model/info")
_KEY_MANAGEMENT = ("/key/generate", "/key/update", "/key/delete", "/key/info", "/key/regenerate",
                   "/key/list", "/key/block", "/key/unblock", "/spend/logs")  # fmt: skip
_INFO = ("/key/info", "/key/health", "/team/info", "/team/list", "/organization/list", "/user/info",
         "/model/info", "/v2/model/info", "/model_group/info", "/health", "/key/list", "/models")  # fmt: skip
_MANAGEMENT = ("/user/new", "/user/update", "/user/delete", "/user/info", "/user/list", "/team/new",
               "/team/update", "/team/delete", "/team/list", "/team/info", "/team/block", "/team/unblock",
               "/team/member_add", "/team/member_delete", "/model/new", "/model/update", "/model/delete",
               "/model/info", "/organization/new", "/organization/update", "/organization/delete",
               "/organization/member_add", "/organization/info", "/organization/list",
               *_KEY_MANAGEMENT)  # fmt: skip
_SPEND = ("/spend/keys", "/spend/users", "/spend/tags", "/spend/calculate", "/spend/logs",
          "/key/spend/report", "/user/spend/report", "/team/spend/report")  # fmt: skip
_GLOBAL_SPEND = ("/global/spend/logs", "/global/spend", "/global/spend/keys", "/global/spend/teams",
                 "/global/spend/end_users", "/global/spend/models", "/global/spend/report")  # fmt: skip
_PUBLIC = ("/", "/routes", "/health/liveliness", "/health/liveness")

ROUTE_GROUPS: dict[str, tuple[str, ...]] = {
    "openai_routes": _OPENAI,
    "anthropic_routes": _ANTHROPIC,
    "model_info_routes": _MODEL_INFO,
    "llm_api_routes": (*_OPENAI, *_ANTHROPIC, *_MODEL_INFO, *_LLM_PASS_THROUGH),
    "info_routes": _INFO,
    "key_management_routes": _KEY_MANAGEMENT,
    "management_routes": _MANAGEMENT,
    "spend_tracking_routes": _SPEND,
    "global_spend_tracking_routes": _GLOBAL_SPEND,
    "public_routes": _PUBLIC,
}


def _without_v1(path: str) -> str:
    return path[3:] if path.startswith("/v1/") else path


def _pattern(entry: str) -> str:
    """A route entry as a regular expression over paths without their `/v1`."""
    prefix = entry.endswith("*")
    body = _without_v1(entry[:-1] if prefix else entry)
    parts = re.split(r"\{[^/{}]*\}", body)
    regex = "[^/]+".join(re.escape(part) for part in parts)
    return regex + (".*" if prefix else "")


def check_entry(entry: str) -> None:
    """Raise ValueError unless `entry` is a path or a group name."""
    if entry in ROUTE_GROUPS:
        return
    if not entry.startswith("/"):
        raise ValueError(
            f"{entry!r} is neither a path (starting with /) nor a route group ({', '.join(ROUTE_GROUPS)})"
        )


# the roles whose routes role_allowed_routes may narrow (an admin's are never narrowed)
NARROWABLE_ROLES = ("proxy_admin_viewer", "internal_user", "internal_user_viewer")


def check_role(role: str) -> None:
    if role not in NARROWABLE_ROLES:
        raise ValueError(f"role_allowed_routes: {role!r} is not one of {', '.join(NARROWABLE_ROLES)}")


class RouteRules:
    """One list of route entries, compiled: `matches(path)` for a request's (canonical) path."""

    __slots__ = ("_regex", "entries")

    def __init__(self, entries: Iterable[str]) -> None:
        self.entries = tuple(entries)
        patterns: list[str] = []
        for entry in self.entries:
            check_entry(entry)
            patterns.extend(_pattern(route) for route in ROUTE_GROUPS.get(entry, (entry,)))
        self._regex = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None

    def matches(self, path: str) -> bool:
        return self._regex is not None and self._regex.fullmatch(_without_v1(path)) is not None

    def __bool__(self) -> bool:
        return bool(self.entries)
