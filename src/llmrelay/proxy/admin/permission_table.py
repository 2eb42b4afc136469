"""Who may call which admin route, as one table: for each route, the roles that may call it and
the scope each works in. The admin API's guard (api.py) consults it before a handler runs; the
handlers narrow what a scoped caller reaches (`Caller.may_reach`); docs/security.md shows it,
rendered by `markdown()` (tests/security/test_permission_table.py checks both).

Roles. A caller holds one *user role* (`users.user_role`, or what a JWT maps to):

- `proxy_admin` — the master key, a `proxy_admin` user's key, a JWT with the admin scope;
- `proxy_admin_viewer` — reads everything, changes nothing;
- `internal_user` — their own keys and spend, within the models and budgets an admin granted;
- `internal_user_viewer` — reads their own keys, user, teams and spend;
- `org_admin` — an internal user who also manages their organization's teams and members.

and may hold one *membership role* on top: `team_admin`, a member whose role in some team is
`admin`, manages that team's members and keys (within the team's limits: a team key is bound by its
team's models and budgets, which only a proxy admin sets).

Scopes: `all` (everything), `own` (what belongs to the caller's user), `team` (the teams the caller
is an admin of), `org` (the caller's organization). A caller holding several roles gets the widest
grant any of them gives. A route missing from the table is a proxy admin's alone (fail closed), and
tests/security/test_permission_table.py names it.

Adding a route: one `_row(...)` line below."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType

import msgspec


class Scope(StrEnum):
    ALL = "all"
    OWN = "own"
    TEAM = "team"
    ORG = "org"


PROXY_ADMIN = "proxy_admin"
PROXY_ADMIN_VIEWER = "proxy_admin_viewer"
INTERNAL_USER = "internal_user"
INTERNAL_USER_VIEWER = "internal_user_viewer"
ORG_ADMIN = "org_admin"
TEAM_ADMIN = "team_admin"

# the columns of the table, in the order the docs show them
ROLES: tuple[str, ...] = (
    PROXY_ADMIN,
    PROXY_ADMIN_VIEWER,
    INTERNAL_USER,
    INTERNAL_USER_VIEWER,
    TEAM_ADMIN,
    ORG_ADMIN,
)
# the roles a user row may hold (`user_role` on /user/new, /user/update)
USER_ROLES = frozenset({PROXY_ADMIN, PROXY_ADMIN_VIEWER, INTERNAL_USER, INTERNAL_USER_VIEWER, ORG_ADMIN})

ALL, OWN, TEAM, ORG = Scope.ALL, Scope.OWN, Scope.TEAM, Scope.ORG


class Rule(msgspec.Struct, frozen=True, kw_only=True):
    method: str
    path: str
    grants: Mapping[str, Scope]

    def scopes(self, roles: Iterable[str]) -> frozenset[Scope]:
        return frozenset(scope for role in roles if (scope := self.grants.get(role)) is not None)


def _row(method: str, path: str, **grants: Scope) -> Rule:
    unknown = set(grants) - set(ROLES)
    assert not unknown, f"permission table: {method} {path} names unknown roles {sorted(unknown)}"
    # a proxy admin may call every route
    return Rule(method=method, path=path, grants=MappingProxyType({PROXY_ADMIN: ALL, **grants}))


def _read(path: str, **grants: Scope) -> Rule:
    """A GET route: a proxy admin viewer reads everything."""
    return _row("GET", path, proxy_admin_viewer=ALL, **grants)


_V = INTERNAL_USER_VIEWER
_END_USER_PREFIXES = ("/end_user", "/customer")

RULES: tuple[Rule, ...] = (
    # ---- keys: one's own; a team admin's team keys ----
    _row("POST", "/key/generate", internal_user=OWN, team_admin=TEAM),
    _row("POST", "/key/update", internal_user=OWN, team_admin=TEAM),
    _read("/key/info", internal_user=OWN, internal_user_viewer=OWN, team_admin=TEAM),
    _read("/key/list", internal_user=OWN, internal_user_viewer=OWN, team_admin=TEAM),
    _row("POST", "/key/delete", internal_user=OWN, team_admin=TEAM),
    _row("POST", "/key/regenerate", internal_user=OWN, team_admin=TEAM),
    _row("POST", "/key/block", team_admin=TEAM),
    _row("POST", "/key/unblock", team_admin=TEAM),
    # ---- users ----
    _row("POST", "/user/new"),
    _read("/user/info", internal_user=OWN, internal_user_viewer=OWN, org_admin=ORG),
    _read("/user/list", org_admin=ORG),
    _row("POST", "/user/update", internal_user=OWN),
    _row("POST", "/user/delete"),
    # ---- teams: a team admin's team; an org admin's organization's teams ----
    _row("POST", "/team/new", org_admin=ORG),
    _read("/team/info", internal_user=OWN, internal_user_viewer=OWN, team_admin=TEAM, org_admin=ORG),
    _read("/team/list", internal_user=OWN, internal_user_viewer=OWN, org_admin=ORG),
    _row("POST", "/team/update", team_admin=TEAM, org_admin=ORG),
    _row("POST", "/team/delete", org_admin=ORG),
    _row("POST", "/team/member_add", team_admin=TEAM, org_admin=ORG),
    _row("POST", "/team/member_delete", team_admin=TEAM, org_admin=ORG),
    # ---- organizations ----
    _row("POST", "/organization/new"),
    _read("/organization/info", org_admin=ORG),
    _read("/organization/list", org_admin=ORG),
    _row("PATCH", "/organization/update"),
    _row("POST", "/organization/update"),
    _row("DELETE", "/organization/delete"),
    _row("POST", "/organization/member_add", org_admin=ORG),
    # ---- shared budgets ----
    _row("POST", "/budget/new"),
    _row("POST", "/budget/update"),
    _row("POST", "/budget/delete"),
    # a read LiteLLM serves as POST (the ids in the body)
    _row("POST", "/budget/info", proxy_admin_viewer=ALL),
    _read("/budget/list"),
    _read("/budget/settings"),
    # ---- spend and the audit log ----
    _read("/spend/logs", internal_user=OWN, internal_user_viewer=OWN),
    _read("/spend/daily", internal_user=OWN, internal_user_viewer=OWN),
    _read("/audit"),
    _read("/audit/{id}"),
    # ---- models and reusable credentials kept in the database (store_model_in_db) ----
    _row("POST", "/model/new"),
    _row("POST", "/model/update"),
    _row("POST", "/model/delete"),
    _row("PATCH", "/model/{id}"),  # LiteLLM's PATCH /model/{id}/update
    _row("POST", "/credentials"),
    # credential values are never shown (each reads ***), so a viewer may list them
    _read("/credentials"),
    _read("/credentials/{id}"),
    _row("PATCH", "/credentials/{id}"),
    _row("PUT", "/credentials/{id}"),
    _row("DELETE", "/credentials/{id}"),
    # ---- end users (LiteLLM's customers), under both names ----
    *(
        rule
        for prefix in _END_USER_PREFIXES
        for rule in (
            _row("POST", f"{prefix}/new"),
            _read(f"{prefix}/info"),
            _row("POST", f"{prefix}/update"),
            _row("POST", f"{prefix}/delete"),
            _read(f"{prefix}/list"),
            _row("POST", f"{prefix}/block"),
            _row("POST", f"{prefix}/unblock"),
        )
    ),
)

TABLE: Mapping[tuple[str, str], Rule] = MappingProxyType({(r.method, r.path): r for r in RULES})
assert len(TABLE) == len(RULES), "permission table: a route is listed twice"

# what a route missing from the table grants: a proxy admin only
ADMIN_ONLY = Rule(method="", path="", grants=MappingProxyType({PROXY_ADMIN: ALL}))


def rule_for(method: str, path: str) -> Rule:
    return TABLE.get((method, path), ADMIN_ONLY)


def markdown() -> str:
    """The table as docs/security.md shows it (between its BEGIN/END permission-table markers)."""
    lines = [
        "| route | " + " | ".join(f"`{role}`" for role in ROLES) + " |",
        "| --- | " + " | ".join("---" for _ in ROLES) + " |",
    ]
    for rule in RULES:
        cells = [str(rule.grants[role]) if role in rule.grants else "—" for role in ROLES]
        lines.append(f"| `{rule.method} {rule.path}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
