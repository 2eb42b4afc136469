"""The world the permission-table tests run in: a real gateway (build_app, Granian on its own thread)
over its own database, with one user per role, a team with an admin, an organization with an org
admin; and, per admin route, a request aimed at something inside a given scope, so that a caller the
table lets in gets 200 and one it keeps out gets 403.

Requests go over HTTP with urllib (plain blocking calls: the gateway runs on its own thread)."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent.parent / "keys"))
from keys_helpers import MASTER_KEY, GatewayThread, gateway_document

from llmrelay.proxy.admin.permission_table import (
    ALL,
    INTERNAL_USER,
    INTERNAL_USER_VIEWER,
    ORG,
    ORG_ADMIN,
    OWN,
    PROXY_ADMIN,
    PROXY_ADMIN_VIEWER,
    TEAM,
    TEAM_ADMIN,
    Scope,
)

__all__ = ["GatewayThread", "gateway_document"]

ORG_ID = "acme"
TEAM_ID = "core"

# the test caller of each column: (their user id, the roles they hold). A team's admin is an internal
# user besides; an org admin is too.
CALLERS: dict[str, tuple[str, frozenset[str]]] = {
    PROXY_ADMIN: ("padmin", frozenset({PROXY_ADMIN})),
    PROXY_ADMIN_VIEWER: ("pviewer", frozenset({PROXY_ADMIN_VIEWER})),
    INTERNAL_USER: ("iu", frozenset({INTERNAL_USER})),
    INTERNAL_USER_VIEWER: ("iuv", frozenset({INTERNAL_USER_VIEWER})),
    TEAM_ADMIN: ("lead", frozenset({INTERNAL_USER, TEAM_ADMIN})),
    ORG_ADMIN: ("oa", frozenset({ORG_ADMIN, INTERNAL_USER})),
}
_STORED_ROLE = {"lead": INTERNAL_USER}
# which granted scope a request exercises when a caller holds several: the narrowest that reaches
# past their own things first (a team admin makes a team key, not a personal one)
PREFERENCE = (ALL, TEAM, ORG, OWN)


def http(
    gw: GatewayThread, method: str, path: str, body: Any = None, *, key: str = MASTER_KEY
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(gw.base_url + path, data=data, method=method)
    request.add_header("authorization", f"Bearer {key}")
    if data is not None:
        request.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=20) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def ok(gw: GatewayThread, method: str, path: str, body: Any = None) -> Any:
    status, answer = http(gw, method, path, body)
    assert status == 200, (method, path, answer)
    return answer


def seed_world(gw: GatewayThread) -> dict[str, str]:
    """The users, team and organization; returns each caller's key by user id."""
    ok(gw, "POST", "/organization/new", {"organization_id": ORG_ID})
    keys: dict[str, str] = {}
    for role, (user_id, _) in CALLERS.items():
        body: dict[str, Any] = {"user_id": user_id, "user_role": _STORED_ROLE.get(user_id, role)}
        if role == ORG_ADMIN:
            body["organization_id"] = ORG_ID
        keys[user_id] = ok(gw, "POST", "/user/new", body)["key"]
    ok(gw, "POST", "/team/new", {
        "team_id": TEAM_ID, "organization_id": ORG_ID,
        "members_with_roles": [{"user_id": "lead", "role": "admin"}, {"user_id": "iu", "role": "user"},
                               {"user_id": "iuv", "role": "user"}],
    })  # fmt: skip
    ok(gw, "POST", "/user/new", {"user_id": "orgmember", "organization_id": ORG_ID})
    return keys


class Case:
    """Builds one route's request for a caller working in `scope`, seeding what it acts on (with the
    master key) under fresh ids."""

    def __init__(self, gw: GatewayThread, scope: Scope | None, me: str, uid: str) -> None:
        self.gw, self.scope, self.me, self.uid = gw, scope, me, uid

    def _key(self) -> str:
        """A key the caller reaches: their own (own), the team's (team), anyone's (all)."""
        if self.scope == TEAM:
            body = {"team_id": TEAM_ID, "user_id": "iu"}
        elif self.scope == OWN:
            body = {"user_id": self.me}
        else:
            body = {"user_id": f"u-{self.uid}"}
        token: str = ok(self.gw, "POST", "/key/generate", body)["token"]
        return token

    def _user(self) -> str:
        body: dict[str, Any] = {"user_id": f"u-{self.uid}"}
        if self.scope == ORG:
            body["organization_id"] = ORG_ID
        ok(self.gw, "POST", "/user/new", body)
        return body["user_id"]

    def _team(self) -> str:
        body: dict[str, Any] = {"team_id": f"t-{self.uid}"}
        if self.scope == ORG:
            body["organization_id"] = ORG_ID
        ok(self.gw, "POST", "/team/new", body)
        return body["team_id"]

    def _budget(self) -> str:
        ok(self.gw, "POST", "/budget/new", {"budget_id": f"b-{self.uid}", "max_budget": 1})
        return f"b-{self.uid}"

    def _end_user(self) -> str:
        ok(self.gw, "POST", "/customer/new", {"user_id": f"e-{self.uid}"})
        return f"e-{self.uid}"

    def _org(self) -> str:
        ok(self.gw, "POST", "/organization/new", {"organization_id": f"o-{self.uid}"})
        return f"o-{self.uid}"

    def _managed_team(self) -> str:
        return TEAM_ID if self.scope in (TEAM, OWN) else self._team()

    def _model(self) -> str:
        """A model kept in the database (store_model_in_db), by its id."""
        body = {"model_name": f"m-{self.uid}", "model_info": {"id": f"m-{self.uid}"},
                "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": "sk-unused",
                                   "api_base": "http://127.0.0.1:9/v1"}}  # fmt: skip
        ok(self.gw, "POST", "/model/new", body)
        return f"m-{self.uid}"

    def _credential(self) -> str:
        body = {"credential_name": f"c-{self.uid}", "credential_values": {"api_key": "sk-unused"}}
        ok(self.gw, "POST", "/credentials", body)
        return f"c-{self.uid}"

    def _audit_id(self) -> str:
        self._org()  # one change, so there is an entry
        entries = ok(self.gw, "GET", "/audit?page_size=1")
        return str(entries["audit_logs"][0]["id"]) if isinstance(entries, dict) else str(entries[0]["id"])

    # ---- per route: (path with query, body) ----

    def request(self, method: str, path: str) -> tuple[str, Any]:
        builder = BUILDERS.get((method, path))
        assert builder is not None, f"no request written for {method} {path}: add one to BUILDERS"
        return builder(self)


def _end_user_builders(prefix: str) -> dict[tuple[str, str], Callable[[Case], tuple[str, Any]]]:
    return {
        ("POST", f"{prefix}/new"): lambda c: (f"{prefix}/new", {"user_id": f"e-{c.uid}"}),
        ("GET", f"{prefix}/info"): lambda c: (f"{prefix}/info?end_user_id={c._end_user()}", None),
        ("POST", f"{prefix}/update"): lambda c: (
            f"{prefix}/update",
            {"user_id": c._end_user(), "alias": "x"},
        ),
        ("POST", f"{prefix}/delete"): lambda c: (f"{prefix}/delete", {"user_ids": [c._end_user()]}),
        ("GET", f"{prefix}/list"): lambda c: (f"{prefix}/list", None),
        ("POST", f"{prefix}/block"): lambda c: (f"{prefix}/block", {"user_ids": [f"e-{c.uid}"]}),
        ("POST", f"{prefix}/unblock"): lambda c: (f"{prefix}/unblock", {"user_ids": [c._end_user()]}),
    }


def _member_add(c: Case) -> tuple[str, Any]:
    team = c._managed_team()
    user = c._user()  # an existing user: only a proxy admin creates users
    return "/team/member_add", {"team_id": team, "member": {"user_id": user, "role": "user"}}


def _member_delete(c: Case) -> tuple[str, Any]:
    team = c._managed_team()
    user = c._user()
    ok(c.gw, "POST", "/team/member_add", {"team_id": team, "member": {"user_id": user, "role": "user"}})
    return "/team/member_delete", {"team_id": team, "user_id": user}


def _team_update(c: Case) -> tuple[str, Any]:
    if c.scope == TEAM:
        return "/team/update", {"team_id": TEAM_ID, "team_alias": f"a-{c.uid}"}
    return "/team/update", {"team_id": c._team(), "max_budget": 2}


def _key_generate(c: Case) -> tuple[str, Any]:
    if c.scope == TEAM:
        return "/key/generate", {"team_id": TEAM_ID}
    if c.scope == OWN:
        return "/key/generate", {}
    return "/key/generate", {"user_id": f"u-{c.uid}"}


BUILDERS: dict[tuple[str, str], Callable[[Case], tuple[str, Any]]] = {
    ("POST", "/key/generate"): _key_generate,
    ("POST", "/key/update"): lambda c: ("/key/update", {"key": c._key(), "key_alias": f"k-{c.uid}"}),
    ("GET", "/key/info"): lambda c: (f"/key/info?key={c._key()}", None),
    ("GET", "/key/list"): lambda c: ("/key/list" + (f"?team_id={TEAM_ID}" if c.scope == TEAM else ""), None),
    ("POST", "/key/delete"): lambda c: ("/key/delete", {"keys": [c._key()]}),
    ("POST", "/key/regenerate"): lambda c: ("/key/regenerate", {"key": c._key()}),
    ("POST", "/key/block"): lambda c: ("/key/block", {"key": c._key()}),
    ("POST", "/key/unblock"): lambda c: ("/key/unblock", {"key": c._key()}),
    ("POST", "/user/new"): lambda c: ("/user/new", {"user_id": f"u-{c.uid}"}),
    ("GET", "/user/info"): lambda c: (f"/user/info?user_id={c.me if c.scope == OWN else c._user()}", None),
    ("GET", "/user/list"): lambda c: ("/user/list", None),
    ("POST", "/user/update"): lambda c: (
        "/user/update", {"user_id": c.me if c.scope == OWN else c._user(), "user_alias": "x"}),
    ("POST", "/user/delete"): lambda c: ("/user/delete", {"user_ids": [c._user()]}),
    ("POST", "/team/new"): lambda c: (
        "/team/new", {"team_id": f"t-{c.uid}", **({"organization_id": ORG_ID} if c.scope == ORG else {})}),
    ("GET", "/team/info"): lambda c: (f"/team/info?team_id={c._managed_team()}", None),
    ("GET", "/team/list"): lambda c: ("/team/list", None),
    ("POST", "/team/update"): _team_update,
    ("POST", "/team/delete"): lambda c: ("/team/delete", {"team_ids": [c._team()]}),
    ("POST", "/team/member_add"): _member_add,
    ("POST", "/team/member_delete"): _member_delete,
    ("POST", "/organization/new"): lambda c: ("/organization/new", {"organization_id": f"o-{c.uid}"}),
    ("GET", "/organization/info"): lambda c: (
        f"/organization/info?organization_id={ORG_ID if c.scope == ORG else c._org()}", None),
    ("GET", "/organization/list"): lambda c: ("/organization/list", None),
    ("PATCH", "/organization/update"): lambda c: (
        "/organization/update", {"organization_id": c._org(), "organization_alias": "x"}),
    ("POST", "/organization/update"): lambda c: (
        "/organization/update", {"organization_id": c._org(), "organization_alias": "x"}),
    ("DELETE", "/organization/delete"): lambda c: ("/organization/delete", {"organization_ids": [c._org()]}),
    ("POST", "/organization/member_add"): lambda c: (
        "/organization/member_add",
        {"organization_id": ORG_ID if c.scope == ORG else c._org(), "member": {"user_id": f"m-{c.uid}"}}),
    ("POST", "/budget/new"): lambda c: ("/budget/new", {"budget_id": f"b-{c.uid}", "max_budget": 3}),
    ("POST", "/budget/update"): lambda c: ("/budget/update", {"budget_id": c._budget(), "max_budget": 4}),
    ("POST", "/budget/delete"): lambda c: ("/budget/delete", {"id": c._budget()}),
    ("POST", "/budget/info"): lambda c: ("/budget/info", {"budgets": [c._budget()]}),
    ("GET", "/budget/list"): lambda c: ("/budget/list", None),
    ("GET", "/budget/settings"): lambda c: (f"/budget/settings?budget_id={c._budget()}", None),
    ("GET", "/spend/logs"): lambda c: ("/spend/logs", None),
    ("GET", "/spend/daily"): lambda c: ("/spend/daily", None),
    ("GET", "/audit"): lambda c: ("/audit", None),
    ("GET", "/audit/{id}"): lambda c: (f"/audit/{c._audit_id()}", None),
    ("POST", "/model/new"): lambda c: ("/model/new", {
        "model_name": f"m-{c.uid}", "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": "sk-unused",
                                                      "api_base": "http://127.0.0.1:9/v1"}}),
    ("POST", "/model/update"): lambda c: (
        "/model/update", {"model_info": {"id": c._model()}, "model_name": f"m2-{c.uid}"}),
    ("POST", "/model/delete"): lambda c: ("/model/delete", {"id": c._model()}),
    ("PATCH", "/model/{id}"): lambda c: (f"/model/{c._model()}/update", {"model_name": f"m2-{c.uid}"}),
    ("POST", "/credentials"): lambda c: (
        "/credentials", {"credential_name": f"c-{c.uid}", "credential_values": {"api_key": "sk-unused"}}),
    ("GET", "/credentials"): lambda c: ("/credentials", None),
    ("GET", "/credentials/{id}"): lambda c: (f"/credentials/{c._credential()}", None),
    ("PATCH", "/credentials/{id}"): lambda c: (
        f"/credentials/{c._credential()}", {"credential_info": {"note": "x"}}),
    ("PUT", "/credentials/{id}"): lambda c: (
        f"/credentials/{c._credential()}", {"credential_info": {"note": "x"}}),
    ("DELETE", "/credentials/{id}"): lambda c: (f"/credentials/{c._credential()}", None),
    **_end_user_builders("/end_user"),
    **_end_user_builders("/customer"),
}  # fmt: skip
