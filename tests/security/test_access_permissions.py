"""Who may change what (hardening issue, "a user widens their own key"): an internal user may rename
what is theirs, but every field that limits a key, a user or a team is an admin's. Each widening
attempt is a 403 naming the field and leaves the stored row as it was; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from access_harness import MASTER_KEY, AdminClient

from llmrelay.auth import KeyAuthService
from llmrelay.calls.principal import MASTER, Principal
from llmrelay.proxy.admin import AdminApi
from llmrelay.proxy.admin.permissions import OWNER_MAY_SET
from llmrelay.storage import Storage
from llmrelay.storage.records import KeyUpdate


@pytest.fixture
async def client(storage: Storage) -> AsyncIterator[AdminClient]:
    service = KeyAuthService(storage, master_key=MASTER_KEY)
    await service.start()
    yield AdminClient(AdminApi(storage, service.authenticator), service)
    await service.stop()


async def _user(client: AdminClient, user_id: str, **fields: Any) -> Principal:
    status, made = await client.call("POST", "/user/new", MASTER, {"user_id": user_id, **fields})
    assert status == 200, made
    return client.principal(made["key"])


async def _limited_key(client: AdminClient, storage: Storage) -> str:
    """A key an admin made for alice, limited every way a key can be; already expired."""
    status, made = await client.call(
        "POST", "/key/generate", MASTER,
        {"user_id": "alice", "key_alias": "limited", "models": ["cheap"], "duration": "1h",
         "metadata": {"model_rpm_limit": {"cheap": 1}}, "tags": ["billing"], "max_budget": 1,
         "soft_budget": 0.5, "budget_duration": "1d", "rpm_limit": 2, "tpm_limit": 100,
         "max_parallel_requests": 1},
    )  # fmt: skip
    assert status == 200, made
    token: str = made["token"]
    record = await storage.keys.get(token)
    assert record is not None and record.expires is not None
    await storage.keys.update(token, KeyUpdate(expires=storage.keys.clock() - timedelta(days=1)))
    return token


KEY_WIDENINGS: list[dict[str, Any]] = [
    {"models": []},
    {"models": ["cheap", "expensive"]},
    {"duration": None},
    {"duration": "3650d"},
    {"metadata": {}},
    {"tags": []},
    {"max_budget": None},
    {"soft_budget": None},
    {"budget_duration": None},
    {"rpm_limit": None},
    {"tpm_limit": 10**9},
    {"max_parallel_requests": None},
    {"blocked": False},
    {"spend": 0},
    {"user_id": None},
    {"team_id": "other-team"},
]


async def test_an_owner_cannot_widen_their_own_key(client: AdminClient, storage: Storage) -> None:
    alice = await _user(client, "alice")
    token = await _limited_key(client, storage)
    before = await storage.keys.get(token)
    for change in KEY_WIDENINGS:
        status, answer = await client.call("POST", "/key/update", alice, {"key": token, **change})
        (field,) = change
        assert status == 403, (change, answer)
        assert answer["error"]["param"] == field and field in answer["error"]["message"]
        assert await storage.keys.get(token) == before, change
    # the alias is the owner's to change, and changes nothing else
    status, renamed = await client.call("POST", "/key/update", alice, {"key": token, "key_alias": "mine"})
    assert status == 200 and renamed["key_alias"] == "mine"
    after = await storage.keys.get(token)
    assert after is not None and before is not None
    assert (after.models, after.expires, after.metadata, after.tags, after.rpm_limit) == (
        before.models, before.expires, before.metadata, before.tags, before.rpm_limit,
    )  # fmt: skip


async def test_regenerating_keeps_every_limit(client: AdminClient, storage: Storage) -> None:
    alice = await _user(client, "alice")
    token = await _limited_key(client, storage)
    before = await storage.keys.get(token)
    status, answer = await client.call("POST", "/key/regenerate", alice, {"key": token})
    assert status == 200, answer
    renewed = await storage.keys.get(answer["token"])
    assert renewed is not None and before is not None
    assert (renewed.models, renewed.expires, renewed.metadata, renewed.tags, renewed.max_budget_micros) == (
        before.models, before.expires, before.metadata, before.tags, before.max_budget_micros,
    )  # fmt: skip


async def test_an_owner_makes_keys_only_within_their_limits(client: AdminClient, storage: Storage) -> None:
    alice = await _user(client, "alice", models=["cheap"])
    await _user(client, "bob")
    for field, value in [
        ("max_budget", 100), ("soft_budget", 1), ("budget_duration", "1d"), ("rpm_limit", 10**6),
        ("tpm_limit", 1), ("max_parallel_requests", 5), ("team_id", "core"),
        ("organization_id", "org"), ("blocked", True), ("user_id", "bob"),
    ]:  # fmt: skip
        status, answer = await client.call("POST", "/key/generate", alice, {field: value})
        assert status == 403 and answer["error"]["param"] == field, (field, answer)
    assert all(k.created_by != "alice" for k in await storage.keys.list_keys(user_id="bob"))
    # what the dashboard's form sends for fields left empty sets nothing
    status, made = await client.call(
        "POST", "/key/generate", alice,
        {"key_alias": "ci", "user_id": None, "team_id": None, "max_budget": None, "models": ["cheap"],
         "duration": "1d"},
    )  # fmt: skip
    assert status == 200 and made["user_id"] == "alice", made
    # a key's models only narrow its user's: asking for more gives no more
    status, wide = await client.call("POST", "/key/generate", alice, {"models": ["expensive"]})
    assert status == 200
    assert client.principal(wide["key"]).models == frozenset()


async def test_a_user_cannot_widen_themselves(client: AdminClient, storage: Storage) -> None:
    alice = await _user(client, "alice", models=["cheap"], max_budget=1, rpm_limit=2)
    await _user(client, "bob")
    before = await storage.users.get("alice")
    for change in [
        {"user_role": "proxy_admin"}, {"models": []}, {"max_budget": None}, {"rpm_limit": None},
        {"tpm_limit": None}, {"budget_duration": None}, {"spend": 0}, {"blocked": False},
        {"metadata": {}}, {"max_parallel_requests": None}, {"soft_budget": None},
    ]:  # fmt: skip
        status, answer = await client.call("POST", "/user/update", alice, {"user_id": "alice", **change})
        (field,) = change
        assert status == 403 and answer["error"]["param"] == field, (change, answer)
        assert await storage.users.get("alice") == before, change
    status, answer = await client.call("POST", "/user/update", alice, {"user_id": "bob", "user_alias": "x"})
    assert status == 403 and answer["error"]["param"] == "user_id"
    status, renamed = await client.call(
        "POST", "/user/update", alice, {"user_id": "alice", "user_alias": "Alice", "user_email": "a@x.org"}
    )
    assert status == 200 and (renamed["user_alias"], renamed["user_email"]) == ("Alice", "a@x.org")
    assert renamed["user_role"] == "internal_user" and renamed["models"] == ["cheap"]


async def test_team_admins_rename_their_team_only_proxy_admins_limit_it(
    client: AdminClient, storage: Storage
) -> None:
    lead, member = await _user(client, "lead"), await _user(client, "member")
    status, _ = await client.call(
        "POST", "/team/new", MASTER,
        {"team_id": "core", "models": ["cheap"], "max_budget": 5,
         "members_with_roles": [{"user_id": "lead", "role": "admin"}, {"user_id": "member"}]},
    )  # fmt: skip
    assert status == 200
    before = await storage.teams.get("core")
    for change in [{"models": []}, {"max_budget": None}, {"blocked": False}, {"spend": 0},
                   {"metadata": {}}, {"organization_id": "org"}, {"rpm_limit": None}]:  # fmt: skip
        status, answer = await client.call("POST", "/team/update", lead, {"team_id": "core", **change})
        (field,) = change
        assert status == 403 and answer["error"]["param"] == field, (change, answer)
        assert await storage.teams.get("core") == before, change
    status, answer = await client.call("POST", "/team/update", member, {"team_id": "core", "team_alias": "x"})
    assert status == 403 and answer["error"]["code"] == "role_not_allowed"
    status, renamed = await client.call(
        "POST", "/team/update", lead, {"team_id": "core", "team_alias": "Core"}
    )
    assert status == 200 and renamed["team_alias"] == "Core" and renamed["models"] == ["cheap"]


async def test_routes_the_table_gives_owners_nothing_are_admin_only(
    client: AdminClient, storage: Storage
) -> None:
    # a plain member (a team's admin has more: tests/security/test_permission_table.py)
    lead = await _user(client, "lead")
    await client.call(
        "POST",
        "/team/new",
        MASTER,
        {"team_id": "core", "members_with_roles": [{"user_id": "lead", "role": "user"}]},
    )
    own = (await client.call("POST", "/key/generate", lead, {}))[1]["token"]
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("/key/block", {"key": own}),
        ("/key/unblock", {"key": own}),
        ("/user/new", {"user_id": "mallory"}),
        ("/user/delete", {"user_ids": ["lead"]}),
        ("/team/new", {"team_id": "mine"}),
        ("/team/delete", {"team_ids": ["core"]}),
        ("/team/member_add", {"team_id": "core", "member": {"user_id": "mallory", "role": "admin"}}),
        ("/team/member_delete", {"team_id": "core", "user_id": "lead"}),
        ("/end_user/new", {"user_id": "customer"}),
        ("/end_user/update", {"user_id": "customer", "blocked": False}),
        ("/end_user/unblock", {"user_ids": ["customer"]}),
        ("/customer/delete", {"user_ids": ["customer"]}),
    ]
    for path, body in attempts:
        assert path not in OWNER_MAY_SET
        status, answer = await client.call("POST", path, lead, body)
        assert status == 403, (path, answer)
    assert await storage.users.get("mallory") is None
    assert [m.user_id for m in await storage.teams.members("core")] == ["lead"]
    assert await storage.budgets.get_end_user("customer") is None


async def test_the_table_names_real_routes_and_real_fields(client: AdminClient) -> None:
    """A typo in the table would silently make a route admin-only or a field unsettable."""
    from llmrelay.proxy.admin import schemas

    bodies = {
        "/key/generate": schemas.GenerateKeyRequest,
        "/key/update": schemas.UpdateKeyRequest,
        "/key/regenerate": schemas.RegenerateKeyRequest,
        "/key/delete": schemas.DeleteKeysRequest,
        "/user/update": schemas.UpdateUserRequest,
        "/team/update": schemas.UpdateTeamRequest,
    }
    assert set(OWNER_MAY_SET) == set(bodies)
    for route, fields in OWNER_MAY_SET.items():
        assert ("POST", route) in client.handlers
        assert fields <= set(bodies[route].__struct_fields__), route
