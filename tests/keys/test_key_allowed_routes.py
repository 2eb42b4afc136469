"""LiteLLM's `allowed_routes` on a virtual key (paths, `/prefix/*`, route groups), and the gateway-wide
route rules for keys: `admin_only_routes`, `allowed_routes` and `role_allowed_routes`, enforced on
every authenticated route of a whole gateway (build_app from a config, the OpenAI simulator upstream),
on SQLite and PostgreSQL. Refusals are 403s with an OpenAI error body naming the route."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from keys_helpers import MASTER_KEY, GatewayThread, admin, gateway_document

from llmrelay.storage import Storage
from llmrelay.testing import RunningSimulator

HELLO = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "say hello"}]}


def _serve(database_url: str, sim: RunningSimulator, tmp_path: Path, **general: Any) -> GatewayThread:
    document = gateway_document(
        database_url, sim.api_base, sim.api_key, spend_spool_dir=str(tmp_path / "spool"), **general
    )
    return GatewayThread(document).start()


@pytest.fixture
def gateway(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> Iterator[GatewayThread]:
    gw = _serve(database_url, openai_sim, tmp_path)
    try:
        yield gw
    finally:
        gw.stop()


async def _call(gw: GatewayThread, key: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    headers = {"authorization": f"Bearer {key}"}
    async with (
        aiohttp.ClientSession(gw.base_url) as http,
        http.request(method, path, json=body, headers=headers) as r,
    ):
        return r.status, await r.json(content_type=None)


async def test_a_keys_allowed_routes_are_the_only_routes_it_may_call(gateway: GatewayThread) -> None:
    made = await admin(gateway, "/key/generate", {"allowed_routes": ["/chat/completions", "/key/info"]})
    key = made["key"]
    assert made["allowed_routes"] == ["/chat/completions", "/key/info"]
    assert (await _call(gateway, key, "POST", "/v1/chat/completions", HELLO))[0] == 200
    assert (await _call(gateway, key, "POST", "/chat/completions", HELLO))[0] == 200
    for method, path, body in [
        ("POST", "/v1/embeddings", {"model": "gpt-4o-mini", "input": "x"}),
        ("GET", "/v1/models", None),
        ("GET", "/v1/models/gpt-4o-mini", None),  # a prefix route
        ("POST", "/v1/messages", {"model": "gpt-4o-mini", "max_tokens": 5, "messages": []}),
        ("GET", "/spend/logs", None),
    ]:
        status, answer = await _call(gateway, key, method, path, body)
        assert status == 403, (path, answer)
        assert path in answer["error"]["message"]
        # each route's own dialect: Anthropic's error body on /v1/messages, OpenAI's elsewhere
        if path == "/v1/messages":
            assert answer["type"] == "error" and answer["error"]["type"] == "permission_error"
        else:
            assert answer["error"]["code"] == "route_not_allowed"
    # an update widens it to a group, at once (the key cache is told)
    await admin(gateway, "/key/update", {"key": key, "allowed_routes": ["llm_api_routes"]})
    assert (await _call(gateway, key, "GET", "/v1/models"))[0] == 200
    assert (await _call(gateway, key, "GET", "/spend/logs"))[0] == 403
    # null clears it: every route again
    await admin(gateway, "/key/update", {"key": key, "allowed_routes": None})
    info = await admin(gateway, f"/key/info?key={key}")
    assert info["info"]["allowed_routes"] == []
    assert (await _call(gateway, key, "POST", "/v1/embeddings", {"model": "gpt-4o-mini", "input": "x"}))[
        0
    ] == 200


async def test_entries_the_gateway_cannot_match_are_a_400(gateway: GatewayThread) -> None:
    status, answer = await _call(gateway, MASTER_KEY, "POST", "/key/generate", {"allowed_routes": ["chat"]})
    assert status == 400 and answer["error"]["param"] == "allowed_routes"


async def test_an_owner_cannot_set_routes_on_a_key(gateway: GatewayThread) -> None:
    await admin(gateway, "/user/new", {"user_id": "owner-1"})
    own = (await admin(gateway, "/key/generate", {"user_id": "owner-1"}))["key"]
    status, answer = await _call(gateway, own, "POST", "/key/generate", {"allowed_routes": ["/key/*"]})
    assert status == 403 and answer["error"]["param"] == "allowed_routes"
    status, answer = await _call(gateway, own, "POST", "/key/update", {"key": own, "allowed_routes": None})
    assert status == 403 and answer["error"]["param"] == "allowed_routes"


async def test_gateway_wide_rules_and_roles(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> None:
    gw = _serve(
        database_url, openai_sim, tmp_path,
        admin_only_routes=["/v1/models"],
        allowed_routes=["llm_api_routes", "info_routes"],
        role_allowed_routes={"internal_user_viewer": ["info_routes"]},
    )  # fmt: skip
    try:
        await admin(gw, "/user/new", {"user_id": "viewer", "user_role": "internal_user_viewer"})
        await admin(gw, "/user/new", {"user_id": "boss", "user_role": "proxy_admin"})
        plain = (await admin(gw, "/key/generate", {}))["key"]
        viewer = (await admin(gw, "/key/generate", {"user_id": "viewer"}))["key"]
        boss = (await admin(gw, "/key/generate", {"user_id": "boss"}))["key"]
        assert (await _call(gw, plain, "POST", "/v1/chat/completions", HELLO))[0] == 200
        status, answer = await _call(gw, plain, "GET", "/models")
        assert status == 403 and "admin_only_routes" in answer["error"]["message"]
        status, answer = await _call(gw, plain, "GET", "/spend/logs")
        assert status == 403 and "general_settings.allowed_routes" in answer["error"]["message"]
        status, answer = await _call(gw, viewer, "POST", "/v1/chat/completions", HELLO)
        assert status == 403 and "internal_user_viewer" in answer["error"]["message"]
        assert (await _call(gw, viewer, "GET", f"/key/info?key={viewer}"))[0] == 200
        # admins pass every rule: the master key and a proxy_admin's key
        for key in (MASTER_KEY, boss):
            assert (await _call(gw, key, "GET", "/v1/models"))[0] == 200
            assert (await _call(gw, key, "GET", "/spend/logs"))[0] == 200
    finally:
        gw.stop()
