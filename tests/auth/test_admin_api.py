"""The admin API handlers (llmrelay.proxy.admin) over a real database, driven through a stand-in for
the gateway's Request; the gateway wires the same handlers into its route table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from sqlalchemy import select

from llmrelay.auth import KeyAuthService, hash_key
from llmrelay.calls.principal import ANONYMOUS, MASTER, Principal
from llmrelay.proxy.admin import AdminApi
from llmrelay.storage import Database, Storage
from llmrelay.storage.records import SpendLogRecord
from llmrelay.storage.schema import virtual_keys
from llmrelay.types.errors import LLMError


class FakeScope:
    def __init__(self, query_string: str) -> None:
        self.query_string = query_string


class FakeRequest:
    def __init__(self, body: bytes, query_string: str) -> None:
        self.scope = FakeScope(query_string)
        self._body = body
        self.status: int | None = None
        self.payload: Any = None

    async def body(self, limit: int) -> bytes:
        return self._body

    def header(self, name: str) -> str | None:
        return None

    def send_json(self, status: int, body: bytes, extra: object = None) -> None:
        self.status, self.payload = status, msgspec.json.decode(body)


class Client:
    """Calls admin routes as a given principal; returns (status, json) like an HTTP client would."""

    def __init__(self, api: AdminApi, keys: KeyAuthService) -> None:
        self.handlers = {(m, p): h for m, p, h in api.routes()}
        self.keys = keys

    def principal(self, key: str) -> Principal:
        return self.keys.authenticator.authenticate(key)

    async def call(
        self, method: str, path: str, as_: Principal, body: Any = None, query: str = ""
    ) -> tuple[int, Any]:
        req = FakeRequest(b"" if body is None else msgspec.json.encode(body), query)
        try:
            await self.handlers[(method, path)](req, as_)  # type: ignore[arg-type]
        except LLMError as error:
            return error.status_code, error.to_openai_body()
        assert req.status is not None
        return req.status, req.payload


@pytest.fixture
async def client(storage: Storage) -> AsyncIterator[Client]:
    service = KeyAuthService(storage, master_key="sk-master-admin-tests")
    await service.start()
    yield Client(AdminApi(storage, service.authenticator), service)
    await service.stop()


async def test_key_lifecycle_as_master(client: Client, db: Database) -> None:
    status, made = await client.call(
        "POST",
        "/key/generate",
        MASTER,
        {
            "key_alias": "ci", "models": ["gpt-4o"], "max_budget": 1.5, "budget_duration": "30d",
            "rpm_limit": 10, "tpm_limit": 1000, "max_parallel_requests": 2, "duration": "1h",
            "metadata": {"env": "ci"}, "user_id": "alice", "tags": ["t"],
        },
    )  # fmt: skip
    assert status == 200
    key, token = made["key"], made["token"]
    assert key.startswith("sk-") and token == hash_key(key)
    assert made["max_budget"] == 1.5 and made["user_id"] == "alice" and made["expires"] is not None
    # stored only as a hash: the clear key appears in no column
    async with db.connect() as conn:
        row = (await conn.execute(select(virtual_keys))).one()
    assert key not in repr(tuple(row)) and key[-20:] not in repr(tuple(row))
    # usable at once through the authenticator
    assert client.principal(key).models == frozenset({"gpt-4o"})

    status, info = await client.call("GET", "/key/info", MASTER, query=f"key={key}")
    assert status == 200 and info["info"]["key_alias"] == "ci" and "key" not in info["info"]
    assert (await client.call("GET", "/key/info", MASTER, query=f"key={token}"))[1]["key"] == token

    status, updated = await client.call(
        "POST", "/key/update", MASTER, {"key": token, "rpm_limit": None, "max_budget": 2}
    )
    assert status == 200 and updated["rpm_limit"] is None and updated["max_budget"] == 2.0

    assert (await client.call("POST", "/key/block", MASTER, {"key": key}))[1]["blocked"] is True
    with pytest.raises(LLMError, match="blocked"):
        client.principal(key)
    await client.call("POST", "/key/unblock", MASTER, {"key": key})

    status, renewed = await client.call("POST", "/key/regenerate", MASTER, {"key": key})
    assert status == 200 and renewed["key"] != key and renewed["key_alias"] == "ci"
    with pytest.raises(LLMError):
        client.principal(key)
    assert client.principal(renewed["key"]).key_hash == renewed["token"]

    listed = (await client.call("GET", "/key/list", MASTER, query="user_id=alice"))[1]
    assert listed["keys"] == [renewed["token"]]
    status, deleted = await client.call("POST", "/key/delete", MASTER, {"key_aliases": ["ci"]})
    assert status == 200 and deleted["deleted_keys"] == [renewed["token"]]
    with pytest.raises(LLMError):
        client.principal(renewed["key"])


async def test_internal_users_manage_only_their_own_keys(client: Client) -> None:
    _, alice = await client.call("POST", "/user/new", MASTER, {"user_id": "alice"})
    _, bob = await client.call("POST", "/user/new", MASTER, {"user_id": "bob"})
    as_alice, as_bob = client.principal(alice["key"]), client.principal(bob["key"])

    # a key an internal user makes is theirs: naming another user is refused, naming none is them
    assert (await client.call("POST", "/key/generate", as_alice, {"user_id": "bob"}))[0] == 403
    status, own = await client.call("POST", "/key/generate", as_alice, {"key_alias": "mine"})
    assert status == 200 and own["user_id"] == "alice"
    assert (await client.call("POST", "/key/generate", as_alice, {"max_budget": 100}))[0] == 403
    assert (await client.call("POST", "/key/generate", as_alice, {"team_id": "t"}))[0] == 403
    assert (await client.call("GET", "/key/info", as_bob, query=f"key={own['token']}"))[0] == 404
    assert (await client.call("POST", "/key/delete", as_bob, {"keys": [own["token"]]}))[0] == 404
    assert (await client.call("POST", "/key/update", as_alice, {"key": own["token"], "rpm_limit": 5}))[
        0
    ] == 403
    status, renamed = await client.call(
        "POST", "/key/update", as_alice, {"key": own["token"], "key_alias": "x"}
    )
    assert status == 200 and renamed["key_alias"] == "x"
    listed = (await client.call("GET", "/key/list", as_alice, query="user_id=bob&return_full_object=true"))[1]
    assert {k["user_id"] for k in listed["keys"]} == {"alice"}
    assert (await client.call("POST", "/user/new", as_alice, {"user_id": "mallory"}))[0] == 403
    assert (await client.call("POST", "/key/block", as_alice, {"key": own["token"]}))[0] == 403
    assert (await client.call("GET", "/user/info", as_alice, query="user_id=bob"))[0] == 404
    assert (await client.call("GET", "/user/info", as_alice))[1]["user_id"] == "alice"

    # a proxy_admin user's key is an admin key
    await client.call("POST", "/user/update", MASTER, {"user_id": "bob", "user_role": "proxy_admin"})
    assert (await client.call("GET", "/key/info", as_bob, query=f"key={own['token']}"))[0] == 200
    assert (await client.call("POST", "/key/generate", ANONYMOUS, {}))[0] == 401


async def test_users_and_teams(client: Client) -> None:
    status, team = await client.call(
        "POST", "/team/new", MASTER,
        {"team_id": "core", "team_alias": "Core", "members_with_roles": [{"user_id": "ann", "role": "admin"}],
         "models": ["gpt-4o"], "tpm_limit": 500},
    )  # fmt: skip
    assert status == 200 and team["members_with_roles"] == [{"user_id": "ann", "role": "admin"}]
    await client.call("POST", "/team/member_add", MASTER, {"team_id": "core", "member": [{"user_id": "ben"}]})
    _, made = await client.call("POST", "/key/generate", MASTER, {"team_id": "core"})
    info = (await client.call("GET", "/team/info", MASTER, query="team_id=core"))[1]
    assert {m["user_id"] for m in info["team_info"]["members_with_roles"]} == {"ann", "ben"}
    assert [k["token"] for k in info["keys"]] == [made["token"]]
    assert (await client.call("POST", "/team/member_delete", MASTER, {"team_id": "core", "user_id": "ben"}))[
        0
    ] == 200
    assert (await client.call("POST", "/team/member_delete", MASTER, {"team_id": "core", "user_id": "ben"}))[
        0
    ] == 404
    assert (
        await client.call(
            "POST",
            "/team/member_add",
            MASTER,
            {"team_id": "core", "member": {"user_id": "x", "role": "owner"}},
        )
    )[0] == 400

    await client.call("POST", "/team/update", MASTER, {"team_id": "core", "blocked": True})
    with pytest.raises(LLMError, match="team is blocked"):
        client.principal(made["key"])
    assert (await client.call("POST", "/team/delete", MASTER, {"team_ids": ["core"]}))[1] == {
        "deleted_teams": ["core"]
    }
    with pytest.raises(LLMError, match="invalid"):
        client.principal(made["key"])

    _, user = await client.call("POST", "/user/new", MASTER, {"user_email": "c@example.com", "max_budget": 3})
    assert (
        user["user_email"] == "c@example.com" and user["max_budget"] == 3.0 and user["key"].startswith("sk-")
    )
    assert (await client.call("POST", "/user/delete", MASTER, {"user_ids": [user["user_id"]]}))[0] == 200
    with pytest.raises(LLMError):
        client.principal(user["key"])


async def test_spend_logs_and_daily_report(client: Client, storage: Storage) -> None:
    _, alice = await client.call("POST", "/user/new", MASTER, {"user_id": "alice"})
    _, bob = await client.call("POST", "/user/new", MASTER, {"user_id": "bob"})
    day = datetime(2026, 2, 3, 12, tzinfo=UTC)

    def log(rid: str, owner: dict[str, Any], model: str, micros: int) -> SpendLogRecord:
        return SpendLogRecord(
            request_id=rid, call_type="completion", start_time=day, end_time=day, model=model,
            cost_micros=micros, key_hash=owner["token"], user_id=owner["user_id"], total_tokens=3,
        )  # fmt: skip

    await storage.spend.apply(
        [
            log("a1", alice, "gpt-4o", 1_500_000),
            log("a2", alice, "claude", 250_000),
            log("b1", bob, "gpt-4o", 1),
        ]
    )
    logs = (await client.call("GET", "/spend/logs", MASTER, query=f"api_key={alice['key']}"))[1]
    assert {x["request_id"] for x in logs} == {"a1", "a2"} and {x["spend"] for x in logs} == {1.5, 0.25}
    assert [
        x["request_id"] for x in (await client.call("GET", "/spend/logs", MASTER, query="model=claude"))[1]
    ] == ["a2"]
    window = "start_date=2026-02-03&end_date=2026-02-03"
    assert len((await client.call("GET", "/spend/logs", MASTER, query=window))[1]) == 3
    assert (await client.call("GET", "/spend/logs", MASTER, query="start_date=2026-02-04"))[1] == []
    # an internal user sees only their own spend
    as_bob = client.principal(bob["key"])
    assert [
        x["request_id"] for x in (await client.call("GET", "/spend/logs", as_bob, query="user_id=alice"))[1]
    ] == ["b1"]
    assert (await client.call("GET", "/spend/logs", as_bob, query="request_id=a1"))[1] == []

    report = (await client.call("GET", "/spend/daily", MASTER, query="group_by=user_id&" + window))[1]
    assert {(r["user_id"], r["spend"]) for r in report["data"]} == {("alice", 1.75), ("bob", 0.000001)}
    assert (await client.call("GET", "/spend/daily", MASTER, query="group_by=password"))[0] == 400
    assert (await client.call("GET", "/spend/logs", MASTER, query="start_date=yesterday"))[0] == 400


async def test_bad_input_is_a_400(client: Client) -> None:
    assert (await client.call("POST", "/key/generate", MASTER, {"duration": "forever"}))[0] == 400
    assert (await client.call("POST", "/key/generate", MASTER, {"budget_duration": "1y"}))[0] == 400
    assert (await client.call("POST", "/key/generate", MASTER, {"max_budget": -1}))[0] == 400
    assert (await client.call("POST", "/key/generate", MASTER, {"rpm_limit": "ten"}))[0] == 400
    assert (await client.call("POST", "/key/generate", MASTER, {"key": "sk-short"}))[0] == 400
    assert (await client.call("POST", "/user/new", MASTER, {"user_role": "god"}))[0] == 400
    await client.call("POST", "/key/generate", MASTER, {"key_alias": "dup"})
    status, body = await client.call("POST", "/key/generate", MASTER, {"key_alias": "dup"})
    assert status == 400 and "already" in body["error"]["message"]
    req = FakeRequest(b"{not json", "")
    with pytest.raises(LLMError, match="not valid JSON"):
        await client.handlers[("POST", "/key/generate")](req, MASTER)  # type: ignore[arg-type]


async def test_team_list_and_user_list(client: Client) -> None:
    for team_id in ("red", "blue"):
        lead = {"user_id": f"{team_id}-lead", "role": "admin"}
        await client.call("POST", "/team/new", MASTER, {"team_id": team_id, "members_with_roles": [lead]})
    _, member = await client.call("POST", "/user/new", MASTER, {"user_id": "amy", "teams": ["blue"]})
    status, teams = await client.call("GET", "/team/list", MASTER)
    assert status == 200
    assert [t["team_id"] for t in teams] == ["blue", "red"]
    assert {m["user_id"] for m in teams[0]["members_with_roles"]} == {"blue-lead", "amy"}
    # an internal user sees only the teams they belong to
    status, own = await client.call("GET", "/team/list", client.principal(member["key"]))
    assert status == 200 and [t["team_id"] for t in own] == ["blue"]

    # users: paged, admin only; the team leads were made by /team/new
    status, first = await client.call("GET", "/user/list", MASTER, query="page_size=2")
    assert status == 200
    assert [u["user_id"] for u in first["users"]] == ["amy", "blue-lead"]
    assert first["page"] == 1 and first["page_size"] == 2 and first["has_more"] is True
    _, second = await client.call("GET", "/user/list", MASTER, query="page=2&page_size=2")
    assert [u["user_id"] for u in second["users"]] == ["red-lead"] and second["has_more"] is False
    assert second["users"][0]["user_role"] == "internal_user"
    assert (await client.call("GET", "/user/list", client.principal(member["key"])))[0] == 403
    assert (await client.call("GET", "/user/list", MASTER, query="page_size=0"))[0] == 400
    assert (await client.call("GET", "/team/list", ANONYMOUS))[0] == 401
