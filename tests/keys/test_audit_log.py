"""The audit log of admin changes (LiteLLM's `store_audit_logs`, GET /audit and /audit/{id}) on the
whole gateway: each change leaves one entry saying who did what to which object, with the values
before and after — and never a key itself."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from keys_helpers import MASTER_KEY, GatewayThread, admin, gateway_document
from sqlalchemy.exc import OperationalError

from llmrelay.gate.runtime import KeysRuntime
from llmrelay.storage import Storage
from llmrelay.testing import RunningSimulator


def document(database_url: str, sim: RunningSimulator, tmp_path: Path, **litellm: Any) -> dict[str, Any]:
    doc = gateway_document(database_url, sim.api_base, sim.api_key, spend_spool_dir=str(tmp_path / "spool"))
    if litellm:
        doc["litellm_settings"] = litellm
    return doc


@pytest.fixture
def gateway(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> Iterator[GatewayThread]:
    gw = GatewayThread(document(database_url, openai_sim, tmp_path)).start()
    try:
        yield gw
    finally:
        gw.stop()


async def get(gw: GatewayThread, path: str, *, key: str = MASTER_KEY) -> tuple[int, Any]:
    headers = {"authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(gw.base_url) as http, http.get(path, headers=headers) as reply:
        return reply.status, await reply.json()


async def post(gw: GatewayThread, path: str, body: Any, headers: dict[str, str]) -> Any:
    async with (
        aiohttp.ClientSession(gw.base_url) as http,
        http.post(path, json=body, headers=headers) as reply,
    ):
        assert reply.status == 200, await reply.text()
        return await reply.json()


async def entries(gw: GatewayThread, query: str = "") -> list[dict[str, Any]]:
    status, body = await get(gw, f"/audit?page_size=100{query}")
    assert status == 200, body
    return list(body["audit_logs"])


async def test_key_changes_are_audited_without_the_key(gateway: GatewayThread) -> None:
    made = await admin(gateway, "/key/generate", {"key_alias": "ci", "max_budget": 5})
    secret, token = made["key"], made["token"]
    await admin(gateway, "/key/update", {"key": secret, "max_budget": 7})
    await admin(gateway, "/key/block", {"key": token})
    renewed = await admin(gateway, "/key/regenerate", {"key": token})
    await admin(gateway, "/key/delete", {"keys": [renewed["token"]]})

    log = await entries(gateway, "&table_name=LiteLLM_VerificationToken&sort_order=asc")
    assert [e["action"] for e in log] == ["created", "updated", "blocked", "regenerated", "deleted"]
    created, updated, blocked, regenerated, deleted = log
    assert created["object_id"] == token and created["before_value"] is None
    assert created["updated_values"]["key_alias"] == "ci"
    assert (updated["before_value"]["max_budget"], updated["updated_values"]["max_budget"]) == (5, 7)
    assert (blocked["before_value"]["blocked"], blocked["updated_values"]["blocked"]) == (False, True)
    assert regenerated["object_id"] == renewed["token"] and regenerated["before_value"]["token"] == token
    assert deleted["object_id"] == renewed["token"] and deleted["updated_values"] is None
    for entry in log:
        assert entry["changed_by"] == "proxy_admin" and entry["changed_by_api_key"] == "master_key"
    text = json.dumps(log)
    assert secret not in text and renewed["key"] not in text and MASTER_KEY not in text


async def test_people_and_end_users_are_audited(gateway: GatewayThread) -> None:
    user = await admin(gateway, "/user/new", {"user_id": "ann", "user_role": "proxy_admin"})
    await admin(gateway, "/team/new", {"team_id": "red"})
    await admin(gateway, "/team/member_add", {"team_id": "red", "member": {"user_id": "ann"}})
    await admin(gateway, "/user/update", {"user_id": "ann", "user_alias": "Ann"})
    await admin(gateway, "/end_user/new", {"user_id": "cust-1"})
    await admin(gateway, "/customer/block", {"user_ids": ["cust-1"]})
    await admin(gateway, "/end_user/unblock", {"user_ids": ["cust-1"]})
    await admin(gateway, "/team/delete", {"team_ids": ["red"]})

    log = await entries(gateway, "&sort_order=asc")
    assert [(e["table_name"], e["action"], e["object_id"]) for e in log] == [
        ("LiteLLM_UserTable", "created", "ann"),
        ("LiteLLM_VerificationToken", "created", user["token"]),  # the user's automatic key
        ("LiteLLM_TeamTable", "created", "red"),
        ("LiteLLM_TeamTable", "updated", "red"),
        ("LiteLLM_UserTable", "updated", "ann"),
        ("LiteLLM_EndUserTable", "created", "cust-1"),
        ("LiteLLM_EndUserTable", "blocked", "cust-1"),
        ("LiteLLM_EndUserTable", "unblocked", "cust-1"),
        ("LiteLLM_TeamTable", "deleted", "red"),
    ]
    member_added = log[3]
    assert member_added["before_value"]["members_with_roles"] == []
    assert [m["user_id"] for m in member_added["updated_values"]["members_with_roles"]] == ["ann"]
    assert user["key"] not in json.dumps(log)

    # an admin's own key is named by its hash, and an admin may note on whose behalf it acts
    headers = {"authorization": f"Bearer {user['key']}", "litellm-changed-by": "ops@example.com"}
    await post(gateway, "/end_user/update", {"user_id": "cust-1", "alias": "Acme"}, headers)
    (latest,) = await entries(gateway, "&object_id=cust-1&action=updated")
    assert latest["changed_by"] == "ann" and latest["changed_by_note"] == "ops@example.com"
    assert latest["changed_by_api_key"] == user["token"]
    assert (latest["before_value"]["alias"], latest["updated_values"]["alias"]) == (None, "Acme")

    status, one = await get(gateway, f"/audit/{latest['id']}")
    assert status == 200 and one == latest


async def test_end_user_routing_fields_are_audited(gateway: GatewayThread) -> None:
    await admin(
        gateway,
        "/end_user/new",
        {"user_id": "cust-eu", "allowed_model_region": "eu", "default_model": "gpt-4o-mini",
         "metadata": {"tier": "gold"}},
    )  # fmt: skip
    await admin(
        gateway,
        "/customer/update",
        {"user_id": "cust-eu", "allowed_model_region": "us", "default_model": None, "metadata": {}},
    )
    created, updated = await entries(gateway, "&object_id=cust-eu&sort_order=asc")
    assert created["action"] == "created" and created["before_value"] is None
    made = created["updated_values"]
    assert (made["allowed_model_region"], made["default_model"]) == ("eu", "gpt-4o-mini")
    assert made["metadata"] == {"tier": "gold"}
    before, after = updated["before_value"], updated["updated_values"]
    assert (before["allowed_model_region"], after["allowed_model_region"]) == ("eu", "us")
    assert (before["default_model"], after["default_model"]) == ("gpt-4o-mini", None)
    assert (before["metadata"], after["metadata"]) == ({"tier": "gold"}, {})


async def test_paging_filters_and_errors(gateway: GatewayThread) -> None:
    for n in range(5):
        await admin(gateway, "/end_user/new", {"user_id": f"c{n}"})
    status, page = await get(gateway, "/audit?page=2&page_size=2")
    assert status == 200
    assert (page["total"], page["page"], page["page_size"], page["total_pages"]) == (5, 2, 2, 3)
    assert [e["object_id"] for e in page["audit_logs"]] == ["c2", "c1"]  # newest first
    status, dated = await get(gateway, "/audit?start_date=2000-01-01&end_date=2000-01-02")
    assert status == 200 and dated["total"] == 0

    for path, param in (
        ("/audit?page_size=101", "page_size"),
        ("/audit?sort_order=up", "sort_order"),
        ("/audit?start_date=yesterday", "start_date"),
    ):
        status, body = await get(gateway, path)
        assert status == 400 and body["error"]["param"] == param, path
    status, body = await get(gateway, "/audit/no-such-entry")
    assert status == 404 and body["error"]["code"] == "not_found"

    plain = await admin(gateway, "/key/generate", {"user_id": "bob"})
    for path in ("/audit", "/audit/anything"):
        status, body = await get(gateway, path, key=plain["key"])
        assert status == 403, path


async def test_store_audit_logs_false_keeps_none(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> None:
    gw = GatewayThread(document(database_url, openai_sim, tmp_path, store_audit_logs=False)).start()
    try:
        await admin(gw, "/end_user/new", {"user_id": "quiet"})
        assert await entries(gw) == []
    finally:
        gw.stop()


async def test_a_lost_entry_never_loses_the_change(
    gateway: GatewayThread, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = gateway.app.state.services[0]
    assert isinstance(runtime, KeysRuntime)

    async def refuse(entries: object) -> None:
        raise OperationalError("INSERT INTO audit_logs", {}, Exception("disk full"))

    runtime.storage.audit.add = refuse  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="llmrelay.audit"):
        made = await admin(gateway, "/end_user/new", {"user_id": "kept"})
    assert made["user_id"] == "kept"
    assert (await admin(gateway, "/end_user/info?end_user_id=kept"))["user_id"] == "kept"
    assert "audit entry lost (OperationalError): created end_user kept" in caplog.text
