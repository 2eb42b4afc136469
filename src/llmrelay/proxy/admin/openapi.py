"""The admin API's part of the gateway's OpenAPI document. Request bodies are generated from the very
msgspec Structs the handlers decode, so the document cannot drift from what is accepted."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.proxy.admin import schemas as s
from llmrelay.proxy.admin.api import END_USER_PREFIXES

_LIMITS = "max_budget (USD), soft_budget, budget_duration (30s, 15m, 1h, 1d, 4w, 1mo), rpm_limit, " \
    "tpm_limit, max_parallel_requests"  # fmt: skip
_SPEND_FILTERS = ("api_key", "user_id", "team_id", "model", "request_id", "start_date", "end_date",
                  "limit", "offset")  # fmt: skip

# method, path, summary, body Struct or query parameters
_ROUTES: list[tuple[str, str, str, type[msgspec.Struct] | tuple[str, ...]]] = [
    ("post", "/key/generate", f"Create a key (shown once, in `key`). {_LIMITS}", s.GenerateKeyRequest),
    ("post", "/key/update", "Change a key's settings; `null` clears a limit", s.UpdateKeyRequest),
    ("get", "/key/info", "One key (by key or hash)", ("key",)),
    ("get", "/key/list", "Keys, filtered and paged",
     ("user_id", "team_id", "organization_id", "key_alias", "page", "size", "return_full_object")),
    ("post", "/key/delete", "Delete keys by key, hash or alias", s.DeleteKeysRequest),
    ("post", "/key/regenerate", "A new secret (or new_key); the old one stops", s.RegenerateKeyRequest),
    ("post", "/key/block", "Refuse a key until unblocked", s.KeyRef),
    ("post", "/key/unblock", "Accept a blocked key again", s.KeyRef),
    ("post", "/user/new", "Create a user (and, by default, a key for them)", s.NewUserRequest),
    ("get", "/user/info", "A user, their keys and teams", ("user_id",)),
    ("get", "/user/list", "Users, paged (admin only)", ("organization_id", "page", "page_size")),
    ("post", "/user/update", "Change a user", s.UpdateUserRequest),
    ("post", "/user/delete", "Delete users and their keys", s.DeleteUsersRequest),
    ("post", "/team/new", "Create a team", s.NewTeamRequest),
    ("get", "/team/info", "A team, its members and keys", ("team_id",)),
    ("get", "/team/list", "Every team with its members (a non-admin: the caller's teams)",
     ("organization_id",)),
    ("post", "/team/update", "Change a team", s.UpdateTeamRequest),
    ("post", "/team/delete", "Delete teams and their keys", s.DeleteTeamsRequest),
    ("post", "/team/member_add", "Add members to a team", s.MemberAddRequest),
    ("post", "/team/member_delete", "Remove a member from a team", s.MemberDeleteRequest),
    ("get", "/spend/logs", "One row per call; dates inclusive (YYYY-MM-DD)", _SPEND_FILTERS),
    ("get", "/spend/daily", "Daily totals grouped by model, key_hash, user_id, team_id, organization_id, "
     "end_user, deployment or provider", ("group_by", *_SPEND_FILTERS[:3], "start_date", "end_date")),
    ("get", "/audit", "Admin changes, newest first, filtered and paged",
     ("page", "page_size", "changed_by", "changed_by_api_key", "action", "table_name", "object_id",
      "start_date", "end_date", "sort_by", "sort_order")),
    ("get", "/audit/{id}", "One audit log entry", ()),
]  # fmt: skip
for _prefix in END_USER_PREFIXES:  # the same routes under both names, as in LiteLLM
    _ROUTES += [
        ("post", f"{_prefix}/new", "Create an end user (a call's `user`); limits make a budget for them, "
         "budget_id links an existing one", s.NewEndUserRequest),
        ("get", f"{_prefix}/info", "An end user, their spend and budget", ("end_user_id",)),
        ("post", f"{_prefix}/update", "Change an end user; limits change their budget",
         s.UpdateEndUserRequest),
        ("post", f"{_prefix}/delete", "Delete end users (all must exist)", s.EndUserIds),
        ("get", f"{_prefix}/list", "Every end user", ()),
        ("post", f"{_prefix}/block", "Refuse calls naming these end users (ids not seen yet too)",
         s.EndUserIds),
        ("post", f"{_prefix}/unblock", "Accept these end users again; answers the ids still blocked",
         s.EndUserIds),
    ]  # fmt: skip

_RESPONSES = {
    "200": {"description": "OK (JSON)"},
    "400": {"description": "invalid body or value (the error names the field)"},
    "401": {"description": "no master key configured or sent, or an invalid key"},
    "403": {"description": "the caller's key may not do this (not an admin)"},
    "404": {"description": "no such key, user, team or end user (or not the caller's)"},
}


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """Replace `$ref`s into `$defs` by the definitions (the structs here are not recursive)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.rsplit("/", 1)[1]], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    return node


def _body_schema(struct: type[msgspec.Struct]) -> dict[str, Any]:
    schema = msgspec.json.schema(struct)
    inlined: dict[str, Any] = _inline(schema, schema.get("$defs", {}))
    return inlined


def admin_operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, OpenAPI operation) for every admin route."""
    out = []
    for method, path, summary, spec in _ROUTES:
        op: dict[str, Any] = {
            "summary": summary,
            "tags": ["Admin: " + path.split("/")[1]],
            "security": [{"bearer": []}],
            "responses": _RESPONSES,
        }
        if isinstance(spec, tuple):
            op["parameters"] = [
                {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                for name in spec
            ]
        else:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _body_schema(spec)}},
            }
        out.append((method, path, op))
    return out
