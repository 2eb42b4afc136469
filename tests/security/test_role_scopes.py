"""The edges of each scoped role (issue 16, "roles that mean something"): a team's admin manages that
team only, within its limits; an org admin their organization only; viewers change nothing. Each
attempt past an edge is refused (403 naming the field, or 404 for what the caller may not see) and
leaves the stored rows as they were; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from access_harness import MASTER_KEY, AdminClient

from llmrelay.auth import KeyAuthService
from llmrelay.calls.principal import MASTER, Principal
from llmrelay.proxy.admin import AdminApi
from llmrelay.storage import Storage


@pytest.fixture
async def client(storage: Storage) -> AsyncIterator[AdminClient]:
    service = KeyAuthService(storage, master_key=MASTER_KEY)
    await service.start()
    yield AdminClient(AdminApi(storage, service.authenticator), service)
    await service.stop()


async def ok(client: AdminClient, method: str, path: str, body: Any = None, query: str = "") -> Any:
    status, answer = await client.call(method, path, MASTER, body, query)
    assert status == 200, answer
    return answer


async def _user(client: AdminClient, user_id: str, **fields: Any) -> Principal:
    made = await ok(client, "POST", "/user/new", {"user_id": user_id, **fields})
    return client.principal(made["key"])


async def _two_teams(client: AdminClient) -> Principal:
    """Teams `core` (lead is its admin; max_budget 5, models [cheap]) and `other`; returns lead."""
    lead = await _user(client, "lead")
    await _user(client, "member")
    await _user(client, "stranger")
    await ok(client, "POST", "/team/new", {
        "team_id": "core", "models": ["cheap"], "max_budget": 5,
        "members_with_roles": [{"user_id": "lead", "role": "admin"}, {"user_id": "member"}],
    })  # fmt: skip
    await ok(
        client, "POST", "/team/new", {"team_id": "other", "members_with_roles": [{"user_id": "stranger"}]}
    )
    return lead


async def test_a_team_admin_manages_their_teams_keys_and_members(
    client: AdminClient, storage: Storage
) -> None:
    lead = await _two_teams(client)
    status, made = await client.call("POST", "/key/generate", lead, {"team_id": "core", "user_id": "member"})
    assert status == 200 and made["team_id"] == "core" and made["user_id"] == "member", made
    status, _ = await client.call("POST", "/key/block", lead, {"key": made["token"]})
    assert status == 200
    status, listed = await client.call("GET", "/key/list", lead, query="team_id=core")
    assert status == 200 and listed["keys"] == [made["token"]]
    status, _ = await client.call("POST", "/team/member_add", lead,
                                  {"team_id": "core", "member": {"user_id": "stranger"}})  # fmt: skip
    assert status == 200
    status, _ = await client.call(
        "POST", "/team/member_delete", lead, {"team_id": "core", "user_id": "stranger"}
    )
    assert status == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        # another team: 403 naming the team, or 404 for its keys (not theirs to see)
        ("POST", "/key/generate", {"team_id": "other"}, (403, "team_id")),
        ("POST", "/team/member_add", {"team_id": "other", "member": {"user_id": "member"}}, (403, "team_id")),
        ("POST", "/team/member_delete", {"team_id": "other", "user_id": "stranger"}, (403, "team_id")),
        ("POST", "/team/update", {"team_id": "other", "team_alias": "x"}, (403, "team_id")),
        # within the team's limits: a team key gets no budget, models or limits of a team admin's choosing
        ("POST", "/key/generate", {"team_id": "core", "max_budget": 100}, (403, "max_budget")),
        ("POST", "/key/generate", {"team_id": "core", "budget_id": "pool"}, (403, "budget_id")),
        ("POST", "/key/generate", {"team_id": "core", "rpm_limit": 10**6}, (403, "rpm_limit")),
        ("POST", "/key/generate", {"team_id": "core", "user_id": "stranger"}, (403, "user_id")),
        ("POST", "/team/update", {"team_id": "core", "max_budget": 100}, (403, "max_budget")),
        # only a proxy admin makes users
        ("POST", "/team/member_add", {"team_id": "core", "member": {"user_id": "newcomer"}},
         (404, "user_id")),
    ],
)  # fmt: skip
async def test_a_team_admin_stops_at_their_teams_edge(
    client: AdminClient, storage: Storage, method: str, path: str, body: Any, expected: tuple[int, str]
) -> None:
    lead = await _two_teams(client)
    await ok(client, "POST", "/budget/new", {"budget_id": "pool", "max_budget": 1000})
    before = (await storage.teams.get("core"), await storage.teams.members("other"))
    status, answer = await client.call(method, path, lead, body)
    assert (status, answer["error"]["param"]) == expected, answer
    assert (await storage.teams.get("core"), await storage.teams.members("other")) == before
    assert await storage.users.get("newcomer") is None
    assert await storage.keys.list_keys(team_id="other") == []


async def test_a_team_admin_does_not_reach_another_teams_keys(client: AdminClient, storage: Storage) -> None:
    lead = await _two_teams(client)
    theirs = (await ok(client, "POST", "/key/generate", {"team_id": "other", "user_id": "stranger"}))["token"]
    for method, path, body, query in [
        ("GET", "/key/info", None, f"key={theirs}"),
        ("POST", "/key/update", {"key": theirs, "key_alias": "mine"}, ""),
        ("POST", "/key/block", {"key": theirs}, ""),
        ("POST", "/key/delete", {"keys": [theirs]}, ""),
        ("POST", "/key/regenerate", {"key": theirs}, ""),
    ]:
        status, answer = await client.call(method, path, lead, body, query)
        assert status == 404, (path, answer)
    status, answer = await client.call("GET", "/key/list", lead, query="team_id=other")
    assert status == 200 and theirs not in answer["keys"]
    key = await storage.keys.get(theirs)
    assert key is not None and not key.blocked and key.key_alias is None


async def _two_organizations(client: AdminClient) -> Principal:
    for org in ("acme", "globex"):
        await ok(client, "POST", "/organization/new", {"organization_id": org, "models": ["cheap"]})
    boss = await _user(client, "boss", user_role="org_admin", organization_id="acme")
    await _user(client, "rival", organization_id="globex")
    await ok(client, "POST", "/team/new", {"team_id": "g-team", "organization_id": "globex"})
    await ok(client, "POST", "/team/new", {"team_id": "a-team", "organization_id": "acme"})
    return boss


async def test_an_org_admin_manages_their_organization(client: AdminClient, storage: Storage) -> None:
    boss = await _two_organizations(client)
    body = {"team_id": "new", "organization_id": "acme", "max_budget": 3}
    status, team = await client.call("POST", "/team/new", boss, body)
    assert status == 200 and team["max_budget"] == 3
    status, _ = await client.call("POST", "/team/update", boss, {"team_id": "a-team", "rpm_limit": 7})
    assert status == 200
    status, added = await client.call("POST", "/organization/member_add", boss,
                                      {"organization_id": "acme", "member": {"user_id": "hire"}})  # fmt: skip
    assert status == 200 and added["updated_users"][0]["organization_id"] == "acme"
    status, info = await client.call("GET", "/organization/info", boss, query="organization_id=acme")
    assert status == 200 and {t["team_id"] for t in info["teams"]} == {"a-team", "new"}
    assert {m["user_id"]: m["user_role"] for m in info["members"]}["boss"] == "org_admin"
    status, listed = await client.call("GET", "/organization/list", boss)
    assert [o["organization_id"] for o in listed] == ["acme"]
    status, users = await client.call("GET", "/user/list", boss)
    assert {u["user_id"] for u in users["users"]} == {"boss", "hire"}
    status, teams = await client.call("GET", "/team/list", boss)
    assert {t["team_id"] for t in teams} == {"a-team", "new"}
    status, _ = await client.call("POST", "/team/delete", boss, {"team_ids": ["new"]})
    assert status == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "query", "expected"),
    [
        ("POST", "/team/new", {"team_id": "x", "organization_id": "globex"}, "", (403, "organization_id")),
        ("POST", "/team/new", {"team_id": "x"}, "", (403, "organization_id")),
        ("POST", "/team/new", {"team_id": "x", "organization_id": "acme", "models": ["dear"]}, "",
         (400, "models")),
        ("POST", "/team/update", {"team_id": "g-team", "team_alias": "x"}, "", (403, "team_id")),
        ("POST", "/team/update", {"team_id": "a-team", "organization_id": "globex"}, "",
         (403, "organization_id")),
        ("POST", "/team/update", {"team_id": "a-team", "spend": 0}, "", (403, "spend")),
        ("POST", "/team/delete", {"team_ids": ["g-team"]}, "", (403, "team_id")),
        ("POST", "/team/member_add", {"team_id": "g-team", "member": {"user_id": "boss"}}, "",
         (403, "team_id")),
        ("POST", "/organization/member_add", {"organization_id": "globex", "member": {"user_id": "boss"}}, "",
         (403, "organization_id")),
        ("GET", "/organization/info", None, "organization_id=globex", (404, "organization_id")),
        ("GET", "/user/info", None, "user_id=rival", (404, None)),
        ("GET", "/team/info", None, "team_id=g-team", (404, None)),
    ],
)  # fmt: skip
async def test_an_org_admin_stops_at_their_organizations_edge(
    client: AdminClient, storage: Storage, method: str, path: str, body: Any, query: str,
    expected: tuple[int, str | None],
) -> None:  # fmt: skip
    boss = await _two_organizations(client)
    before = (await storage.teams.get("g-team"), await storage.teams.get("a-team"))
    status, answer = await client.call(method, path, boss, body, query)
    assert (status, answer["error"].get("param")) == expected, answer
    assert (await storage.teams.get("g-team"), await storage.teams.get("a-team")) == before
    assert await storage.teams.get("x") is None


async def test_viewers_change_nothing_and_read_as_far_as_their_scope(
    client: AdminClient, storage: Storage
) -> None:
    await _two_teams(client)
    auditor = await _user(client, "auditor", user_role="proxy_admin_viewer")
    reader = await _user(client, "reader", user_role="internal_user_viewer")
    theirs = (await ok(client, "POST", "/key/generate", {"user_id": "stranger"}))["token"]
    own = (await ok(client, "POST", "/key/generate", {"user_id": "reader"}))["token"]
    keys_before = await storage.keys.list_keys(user_id="reader")
    # the proxy admin viewer reads anyone's; the internal user viewer only their own
    assert (await client.call("GET", "/key/info", auditor, query=f"key={theirs}"))[0] == 200
    assert (await client.call("GET", "/key/info", reader, query=f"key={theirs}"))[0] == 404
    assert (await client.call("GET", "/key/info", reader, query=f"key={own}"))[0] == 200
    status, users = await client.call("GET", "/user/list", auditor)
    assert status == 200 and len(users["users"]) == 5
    assert (await client.call("GET", "/audit", auditor))[0] == 200
    for viewer in (auditor, reader):
        for path, body in [("/key/generate", {}), ("/key/update", {"key": own, "key_alias": "x"}),
                           ("/key/delete", {"keys": [own]}), ("/user/update", {"user_id": "reader"}),
                           ("/team/update", {"team_id": "core", "team_alias": "x"})]:  # fmt: skip
            status, answer = await client.call("POST", path, viewer, body)
            assert status == 403 and answer["error"]["code"] == "role_not_allowed", (path, answer)
    assert await storage.keys.list_keys(user_id="reader") == keys_before


async def test_org_admin_membership_sets_and_keeps_roles(client: AdminClient, storage: Storage) -> None:
    await ok(client, "POST", "/organization/new", {"organization_id": "acme"})
    await _user(client, "ops", user_role="proxy_admin_viewer")
    await _user(client, "dev")
    await ok(client, "POST", "/organization/member_add", {
        "organization_id": "acme", "member": [{"user_id": "dev", "role": "org_admin"},
                                              {"user_id": "ops", "role": "org_admin"}]})  # fmt: skip
    dev, ops = await storage.users.get("dev"), await storage.users.get("ops")
    assert dev is not None and dev.user_role == "org_admin" and dev.organization_id == "acme"
    # a wider role is never narrowed by an organization's membership
    assert ops is not None and ops.user_role == "proxy_admin_viewer"
