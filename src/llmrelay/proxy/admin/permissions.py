"""Who may change what through the admin API, as data: for each route a caller who is not an admin
may write through, the body fields they may set. Every other field, and every write route not listed,
is an admin's alone (403 naming the field).

The rule behind the table: what limits a key, a user or a team — its models, expiry, budgets, rate
limits, metadata (per-model limits), tags, owner, team, block state, spend — is set by an admin. An
owner may rename what is theirs, make keys for themselves (within what their user and team allow:
a key's models only narrow them) and drop their own keys.

Reads are not listed here: each read route shows a non-admin only what they own (keys.py,
people.py, spend.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

import msgspec
from msgspec import UNSET

from llmrelay.proxy.admin.access import Caller
from llmrelay.types.errors import PermissionDeniedError

# what a caller who is not a proxy admin (an internal user, a team's admin, an org admin) may set,
# per route; which objects they reach is the permission table's (permission_table.py): on
# /key/generate `user_id` may only name the caller (or, on a team key, a member of the team whose
# admin the caller is), on /user/update the user must be the caller, on /team/update the caller must
# be an admin of that team (its `admin` role). An org admin sets more on their organization's teams
# (ORG_ADMIN_MAY_NOT_SET).
OWNER_MAY_SET: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "/key/generate": frozenset(
            {"key", "key_alias", "duration", "models", "metadata", "tags", "user_id", "team_id"}
        ),
        "/key/update": frozenset({"key", "key_alias"}),
        "/key/regenerate": frozenset({"key", "new_key"}),
        "/key/delete": frozenset({"keys", "key_aliases"}),
        "/user/update": frozenset({"user_id", "user_alias", "user_email"}),
        "/team/update": frozenset({"team_id", "team_alias"}),
    }
)


# what an org admin may not set on their organization's teams: moving a team out, and its spend
ORG_ADMIN_MAY_NOT_SET = frozenset({"organization_id", "spend"})


def fields_set(body: msgspec.Struct, *, creating: bool) -> list[str]:
    """The body fields a request sets. In an update, every field present (`null` clears a value, so
    it changes one too). In a create, the fields given a value other than their default: a client
    that sends `"team_id": null` or `"tags": []` sets nothing."""
    out = []
    for field in msgspec.structs.fields(body):
        value = getattr(body, field.name)
        if value is UNSET:
            continue
        if creating:
            if value is None:
                continue
            if field.default is not msgspec.NODEFAULT and value == field.default:
                continue
            if field.default_factory is not msgspec.NODEFAULT and value == field.default_factory():
                continue
        out.append(field.name)
    return out


def check_owner_fields(caller: Caller, route: str, fields: Iterable[str]) -> None:
    """Refuse (403, naming the field) a non-admin's write that sets a field the table does not give
    owners; an admin may set everything."""
    if caller.is_admin:
        return
    allowed = OWNER_MAY_SET.get(route)
    if allowed is None:
        raise PermissionDeniedError(f"{route} needs the master key or an admin", code="not_admin")
    for name in fields:
        if name not in allowed:
            raise PermissionDeniedError(
                f"only an admin may set {name} on {route}; an owner may set {', '.join(sorted(allowed))}",
                param=name,
                code="admin_only_field",
            )


def check_fields_not(body: msgspec.Struct, refused: frozenset[str], who: str) -> None:
    """403 naming the first field of an update that `who` may not set."""
    for name in fields_set(body, creating=False):
        if name in refused:
            raise PermissionDeniedError(
                f"{who} may not set {name}; a proxy admin may", param=name, code="admin_only_field"
            )


def check_owner_body(caller: Caller, route: str, body: msgspec.Struct, *, creating: bool = False) -> None:
    if not caller.is_admin:
        check_owner_fields(caller, route, fields_set(body, creating=creating))
