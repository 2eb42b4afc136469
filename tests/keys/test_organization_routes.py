"""LiteLLM's /organization/* admin routes on the whole gateway (build_app from a config, Granian, the
OpenAI simulator upstream), on SQLite and PostgreSQL: what they answer and refuse, who may call
them, the audit log, teams placed in an organization, and the organization's limits enforced."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest
from keys_helpers import MASTER_KEY, GatewayThread, admin, gateway_document

from llmrelay.storage import Storage
from llmrelay.testing import RunningSimulator

HELLO = [{"role": "user", "content": "say hello"}]


@pytest.fixture
def gateway(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> Iterator[GatewayThread]:
    document = gateway_document(
        database_url, openai_sim.api_base, openai_sim.api_key, spend_spool_dir=str(tmp_path / "spool")
    )
    gw = GatewayThread(document).start()
    try:
        yield gw
    finally:
        gw.stop()


async def call(
    gw: GatewayThread, method: str, path: str, body: Any = None, *, key: str = MASTER_KEY
) -> tuple[int, Any]:
    async with aiohttp.ClientSession(gw.base_url) as http:
        headers = {"authorization": f"Bearer {key}"}
        async with http.request(method, path, json=body, headers=headers) as reply:
            return reply.status, await reply.json()


async def ok(gw: GatewayThread, method: str, path: str, body: Any = None) -> Any:
    status, answer = await call(gw, method, path, body)
    assert status == 200, answer
    return answer


async def test_lifecycle(gateway: GatewayThread) -> None:
    made = await ok(
        gateway, "POST", "/organization/new",
        {"organization_id": "acme", "organization_alias": "Acme", "models": ["gpt-4o-mini"],
         "max_budget": 10, "budget_duration": "30d", "tpm_limit": 1000, "rpm_limit": 5,
         "metadata": {"tier": "gold"}},
    )  # fmt: skip
    assert made["organization_id"] == "acme" and made["organization_alias"] == "Acme"
    assert made["models"] == ["gpt-4o-mini"] and made["metadata"] == {"tier": "gold"}
    assert made["spend"] == 0 and made["blocked"] is False
    budget = made["litellm_budget_table"]
    assert (budget["max_budget"], budget["budget_duration"]) == (10, "30d")
    assert (budget["tpm_limit"], budget["rpm_limit"]) == (1000, 5)
    assert budget["budget_reset_at"] is not None and made["budget_id"] == budget["budget_id"]

    info = await ok(gateway, "GET", "/organization/info?organization_id=acme")
    assert {k: v for k, v in info.items() if k not in ("teams", "members")} == made
    assert info["teams"] == [] and info["members"] == []

    # LiteLLM's PATCH; the organization's own budget is changed, not replaced
    changed = await ok(
        gateway, "PATCH", "/organization/update",
        {"organization_id": "acme", "organization_alias": "Acme Inc", "max_budget": 20},
    )  # fmt: skip
    assert changed["organization_alias"] == "Acme Inc" and changed["budget_id"] == made["budget_id"]
    assert changed["litellm_budget_table"]["max_budget"] == 20
    assert changed["litellm_budget_table"]["budget_duration"] == "30d"
    posted = await ok(gateway, "POST", "/organization/update", {"organization_id": "acme", "blocked": True})
    assert posted["blocked"] is True

    await ok(gateway, "POST", "/organization/new", {"organization_id": "beta"})
    listed = await ok(gateway, "GET", "/organization/list")
    assert [(o["organization_id"], o["litellm_budget_table"] is None) for o in listed] == [
        ("acme", False),
        ("beta", True),
    ]
    gone = await ok(gateway, "DELETE", "/organization/delete", {"organization_ids": ["acme", "beta"]})
    assert [o["organization_id"] for o in gone] == ["acme", "beta"]
    assert await ok(gateway, "GET", "/organization/list") == []
    status, body = await call(gateway, "GET", "/organization/info?organization_id=acme")
    assert status == 404 and body["error"]["code"] == "organization_not_found"


async def test_update_without_a_budget_makes_one(gateway: GatewayThread) -> None:
    await ok(gateway, "POST", "/organization/new", {"organization_id": "o"})
    changed = await ok(gateway, "PATCH", "/organization/update", {"organization_id": "o", "rpm_limit": 3})
    assert changed["budget_id"] is not None and changed["litellm_budget_table"]["rpm_limit"] == 3


async def test_teams_in_an_organization(gateway: GatewayThread) -> None:
    await ok(gateway, "POST", "/organization/new", {"organization_id": "acme", "models": ["gpt-4o-mini"]})
    team = await ok(
        gateway, "POST", "/team/new", {"team_id": "red", "organization_id": "acme", "models": ["gpt-4o-mini"]}
    )
    assert team["organization_id"] == "acme"

    status, body = await call(gateway, "POST", "/team/new", {"team_id": "x", "organization_id": "nope"})
    assert status == 400 and body["error"]["param"] == "organization_id"
    assert "nope" in body["error"]["message"]
    status, body = await call(
        gateway, "POST", "/team/new", {"team_id": "y", "organization_id": "acme", "models": ["gpt-4o"]}
    )
    assert status == 400 and body["error"]["param"] == "models" and "gpt-4o" in body["error"]["message"]
    status, body = await call(gateway, "POST", "/team/update", {"team_id": "red", "models": ["gpt-4o"]})
    assert status == 400 and body["error"]["param"] == "models"
    await ok(gateway, "POST", "/team/new", {"team_id": "blue", "models": ["gpt-4o"]})
    status, body = await call(gateway, "POST", "/team/update", {"team_id": "blue", "organization_id": "acme"})
    assert status == 400 and body["error"]["param"] == "models"
    for team_id in ("x", "y"):
        status, _ = await call(gateway, "GET", f"/team/info?team_id={team_id}")
        assert status == 404  # nothing was created

    info = await ok(gateway, "GET", "/organization/info?organization_id=acme")
    assert [t["team_id"] for t in info["teams"]] == ["red"]

    # refused while a team belongs to it, untouched; deleted once the team is gone
    status, body = await call(gateway, "DELETE", "/organization/delete", {"organization_ids": ["acme"]})
    assert status == 400 and body["error"]["code"] == "organization_has_teams"
    assert "red" in body["error"]["message"]
    await ok(gateway, "POST", "/team/delete", {"team_ids": ["red"]})
    await ok(gateway, "DELETE", "/organization/delete", {"organization_ids": ["acme"]})


async def test_organization_models_and_block_enforced(gateway: GatewayThread) -> None:
    await ok(gateway, "POST", "/organization/new", {"organization_id": "acme", "models": ["gpt-4o"]})
    await ok(gateway, "POST", "/team/new", {"team_id": "red", "organization_id": "acme"})
    key = (await admin(gateway, "/key/generate", {"team_id": "red"}))["key"]
    async with openai.AsyncOpenAI(base_url=gateway.base_url + "/v1", api_key=key, max_retries=0) as client:
        answer = await client.chat.completions.create(model="gpt-4o", messages=HELLO)  # type: ignore[arg-type]
        assert answer.choices[0].message.content
        with pytest.raises(openai.AuthenticationError) as denied:
            await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)  # type: ignore[arg-type]
        assert "gpt-4o-mini" in denied.value.message
        await ok(gateway, "PATCH", "/organization/update", {"organization_id": "acme", "blocked": True})
        with pytest.raises(openai.APIStatusError) as blocked:
            await client.chat.completions.create(model="gpt-4o", messages=HELLO)  # type: ignore[arg-type]
        assert blocked.value.status_code == 401


async def test_member_add(gateway: GatewayThread) -> None:
    await ok(gateway, "POST", "/organization/new", {"organization_id": "acme"})
    await ok(gateway, "POST", "/organization/new", {"organization_id": "beta"})
    await admin(gateway, "/user/new", {"user_id": "ann", "auto_create_key": False})
    added = await ok(
        gateway, "POST", "/organization/member_add",
        {"organization_id": "acme",
         "member": [{"user_id": "ann", "role": "internal_user"}, {"user_id": "bob"}]},
    )  # fmt: skip
    assert [(u["user_id"], u["organization_id"]) for u in added["updated_users"]] == [
        ("ann", "acme"),
        ("bob", "acme"),
    ]
    info = await ok(gateway, "GET", "/organization/info?organization_id=acme")
    assert sorted(m["user_id"] for m in info["members"]) == ["ann", "bob"]

    status, body = await call(
        gateway, "POST", "/organization/member_add", {"organization_id": "beta", "member": {"user_id": "ann"}}
    )
    assert status == 400 and body["error"]["param"] == "user_id" and "acme" in body["error"]["message"]
    status, body = await call(
        gateway, "POST", "/organization/member_add",
        {"organization_id": "acme", "member": {"user_id": "cid", "role": "org_admin"}},
    )  # fmt: skip
    assert status == 400 and body["error"]["param"] == "role"
    status, _ = await call(gateway, "GET", "/user/info?user_id=cid")
    assert status == 404  # nothing was created
    status, body = await call(
        gateway, "POST", "/organization/member_add", {"organization_id": "nope", "member": {"user_id": "dan"}}
    )
    assert status == 404 and body["error"]["code"] == "organization_not_found"


@pytest.mark.parametrize(
    ("method", "path", "body", "param"),
    [
        ("POST", "/organization/new", {"organization_id": ""}, "organization_id"),
        ("POST", "/organization/new", {"organization_id": "x" * 65}, "organization_id"),
        ("POST", "/organization/new", {"max_budget": -1}, "max_budget"),
        ("POST", "/organization/new", {"budget_duration": "soon"}, "budget_duration"),
        ("POST", "/organization/new", {"rpm_limit": 2**31}, "rpm_limit"),
        ("POST", "/organization/new", {"models": "gpt-4o"}, "models"),
        ("POST", "/organization/new", {"budget_id": "no-such-budget"}, "budget_id"),
        ("POST", "/organization/new", {"budget_id": "b", "max_budget": 1}, "max_budget"),
        # LiteLLM fields llmrelay does not implement are refused by name, never dropped
        ("POST", "/organization/new", {"model_max_budget": {"gpt-4o": 1}}, "model_max_budget"),
        ("POST", "/organization/new", {"object_permission": {}}, "object_permission"),
        ("PATCH", "/organization/update", {"organization_alias": "no id"}, "organization_id"),
        ("PATCH", "/organization/update", {"organization_id": "o", "spend": -1}, "spend"),
        ("PATCH", "/organization/update", {"organization_id": "o", "tags": ["a"]}, "tags"),
        ("DELETE", "/organization/delete", {"organization_ids": []}, "organization_ids"),
        ("POST", "/organization/member_add", {"organization_id": "o"}, "member"),
        ("POST", "/organization/member_add",
         {"organization_id": "o", "member": {"user_email": "a@b.c"}}, "member"),
        ("GET", "/organization/info", None, "organization_id"),
    ],
)  # fmt: skip
async def test_bad_input_names_the_field(
    gateway: GatewayThread, method: str, path: str, body: Any, param: str
) -> None:
    status, answer = await call(gateway, method, path, body)
    assert status == 400, answer
    assert answer["error"]["param"] == param


async def test_existing_id_and_unknown_org_refused(gateway: GatewayThread) -> None:
    first = await ok(gateway, "POST", "/organization/new", {"organization_id": "dup", "max_budget": 1})
    status, body = await call(gateway, "POST", "/organization/new", {"organization_id": "dup"})
    assert status == 400 and body["error"]["param"] == "organization_id"
    assert (await ok(gateway, "GET", "/organization/info?organization_id=dup"))["budget_id"] == first[
        "budget_id"
    ]
    for method, path, req in (
        ("PATCH", "/organization/update", {"organization_id": "nope", "organization_alias": "x"}),
        ("DELETE", "/organization/delete", {"organization_ids": ["dup", "nope"]}),
    ):
        status, body = await call(gateway, method, path, req)
        assert status == 404 and body["error"]["code"] == "organization_not_found", body
    assert (await ok(gateway, "GET", "/organization/info?organization_id=dup"))["organization_id"] == "dup"


@pytest.mark.parametrize("path", ["/key/generate", "/user/new"])
async def test_a_key_or_user_naming_an_unknown_org_is_refused_naming_the_field(
    gateway: GatewayThread, path: str
) -> None:
    """It was the database's reference conflict, a 400 that named no field."""
    status, body = await call(gateway, "POST", path, {"organization_id": "nope"})
    assert status == 400, body
    assert body["error"]["param"] == "organization_id" and "/organization/new" in body["error"]["message"]
    await ok(gateway, "POST", "/organization/new", {"organization_id": "real"})
    await ok(gateway, "POST", path, {"organization_id": "real"})


async def test_only_admins(gateway: GatewayThread) -> None:
    await ok(gateway, "POST", "/organization/new", {"organization_id": "acme"})
    user = await admin(gateway, "/user/new", {"user_id": "ann"})
    boss = await admin(gateway, "/user/new", {"user_id": "boss", "user_role": "proxy_admin"})
    for method, path, body in (
        ("POST", "/organization/new", {"organization_id": "mine"}),
        ("GET", "/organization/info?organization_id=acme", None),
        ("GET", "/organization/list", None),
        ("PATCH", "/organization/update", {"organization_id": "acme", "organization_alias": "x"}),
        ("POST", "/organization/update", {"organization_id": "acme", "organization_alias": "x"}),
        ("DELETE", "/organization/delete", {"organization_ids": ["acme"]}),
        ("POST", "/organization/member_add", {"organization_id": "acme", "member": {"user_id": "ann"}}),
    ):
        status, answer = await call(gateway, method, path, body, key=user["key"])
        assert status == 403, (path, answer)
    assert (await ok(gateway, "GET", "/organization/info?organization_id=acme"))["organization_alias"] is None
    status, made = await call(gateway, "POST", "/organization/new", {"organization_id": "b"}, key=boss["key"])
    assert status == 200 and made["organization_id"] == "b"


async def test_changes_are_audited(gateway: GatewayThread) -> None:
    await ok(gateway, "POST", "/organization/new", {"organization_id": "acme"})
    await ok(gateway, "PATCH", "/organization/update", {"organization_id": "acme", "organization_alias": "A"})
    await ok(
        gateway, "POST", "/organization/member_add", {"organization_id": "acme", "member": {"user_id": "u"}}
    )
    await ok(gateway, "DELETE", "/organization/delete", {"organization_ids": ["acme"]})
    log = (await ok(gateway, "GET", "/audit?page_size=100&sort_order=asc"))["audit_logs"]
    assert [(e["table_name"], e["action"], e["object_id"]) for e in log] == [
        ("LiteLLM_OrganizationTable", "created", "acme"),
        ("LiteLLM_OrganizationTable", "updated", "acme"),
        ("LiteLLM_UserTable", "created", "u"),
        ("LiteLLM_OrganizationTable", "deleted", "acme"),
    ]
    assert (log[1]["before_value"]["organization_alias"], log[1]["updated_values"]["organization_alias"]) == (
        None,
        "A",
    )
    assert log[3]["before_value"]["organization_alias"] == "A"
