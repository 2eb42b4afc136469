"""The MCP gateway behind virtual keys (whole gateway; the MCP test server upstream, spawned over
stdio and served over Streamable HTTP): the official `mcp` client at /mcp lists the allowed servers'
tools under their prefix and calls them; a key's and its team's object_permission bound what it sees
and calls; every call is a spend row (call_mcp_tool) and an audit entry; a crashed stdio server is
spawned again."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from keys_helpers import MASTER_KEY, GatewayThread, admin, gateway_document
from mcp.client.streamable_http import streamable_http_client

from llmrelay.gate.runtime import KeysRuntime
from llmrelay.proxy.mcp.audit import McpAudit
from llmrelay.storage import Storage
from llmrelay.storage.audit_records import AuditFilter
from llmrelay.storage.records import SpendLogFilter, SpendLogRecord
from llmrelay.testing import RunningSimulator
from llmrelay.testing.mcp_sim import McpHttpSim
from mcp import Client, MCPError

SRC = str(Path(__file__).resolve().parents[2] / "src")
TOKEN = "mcp-upstream-secret-token"


@pytest.fixture
def http_sim() -> Iterator[McpHttpSim]:
    sim = McpHttpSim(token=TOKEN).start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def gateway(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, http_sim: McpHttpSim, tmp_path: Path
) -> Iterator[GatewayThread]:
    document = gateway_document(
        database_url, openai_sim.api_base, openai_sim.api_key, spend_spool_dir=str(tmp_path / "spool")
    )
    document["mcp_servers"] = {
        "local": {"transport": "stdio", "command": sys.executable, "args": ["-m", "llmrelay.testing.mcp_sim"],
                  "env": {"PYTHONPATH": SRC}, "description": "spawned",
                  "mcp_info": {"mcp_server_cost_info": {"tool_name_to_cost_per_query": {"add": 0.25}}}},
        "remote": {"url": http_sim.url, "transport": "http", "auth_type": "bearer_token",
                   "authentication_token": TOKEN, "disallowed_tools": ["crash"]},
    }  # fmt: skip
    gw = GatewayThread(document).start()
    try:
        yield gw
    finally:
        gw.stop()


@asynccontextmanager
async def mcp_client(gw: GatewayThread, key: str, *, header: str = "authorization") -> AsyncIterator[Client]:
    value = f"Bearer {key}" if header == "authorization" else key
    # a generous timeout: the stdio server is spawned when the gateway starts, slowly on a busy machine
    async with (
        httpx2.AsyncClient(headers={header: value}, timeout=60) as http,
        Client(streamable_http_client(gw.base_url + "/mcp", http_client=http), cache=None) as client,
    ):
        yield client


async def tool_names(gw: GatewayThread, key: str) -> set[str]:
    async with mcp_client(gw, key) as client:
        return {tool.name for tool in (await client.list_tools()).tools}


async def spend_logs(gw: GatewayThread, storage: Storage) -> list[SpendLogRecord]:
    runtime = next(s for s in gw.app.state.services if isinstance(s, KeysRuntime))
    gw.run(runtime.writer.flush())  # type: ignore[union-attr]
    return await storage.spend.logs(SpendLogFilter())


async def audit_entries(gw: GatewayThread, storage: Storage) -> list[Any]:
    audit = next(s for s in gw.app.state.services if isinstance(s, McpAudit))
    gw.run(audit.flush())
    entries, _ = await storage.audit.page(AuditFilter(action="call_mcp_tool", limit=100))
    return entries


async def test_a_key_lists_and_calls_every_servers_tools(
    gateway: GatewayThread, storage: Storage, http_sim: McpHttpSim
) -> None:
    key = (await admin(gateway, "/key/generate", {}))["key"]
    names = await tool_names(gateway, key)
    assert {"local-echo", "local-add", "local-crash", "remote-echo", "remote-add"} <= names
    assert "remote-crash" not in names  # the server's disallowed_tools
    async with mcp_client(gateway, key) as client:
        added = await client.call_tool("local-add", {"a": 2, "b": 3})
        echoed = await client.call_tool("remote-echo", {"text": "hi"})
    assert added.structured_content == {"result": 5}
    assert echoed.content[0].text == "hi"  # type: ignore[union-attr]
    # the upstream got the configured credential, never the caller's key
    seen = [headers for _, _, headers in http_sim.seen]
    assert seen and all(h.get("authorization") == f"Bearer {TOKEN}" for h in seen)
    assert not any(key in str(h) for h in seen)


async def test_a_keys_object_permission_bounds_what_it_sees_and_calls(gateway: GatewayThread) -> None:
    key = (await admin(gateway, "/key/generate", {"object_permission": {
        "mcp_servers": ["local"], "mcp_tool_permissions": {"local": ["echo", "add"]}}}))["key"]  # fmt: skip
    assert await tool_names(gateway, key) == {"local-echo", "local-add"}
    async with mcp_client(gateway, key) as client:
        assert (await client.call_tool("local-echo", {"text": "ok"})).content[0].text == "ok"  # type: ignore[union-attr]
        for other in ("remote-echo", "local-whoami", "nowhere-echo", "echo"):
            with pytest.raises(MCPError) as refused:
                await client.call_tool(other, {"text": "x"})
            assert refused.value.code == -32602
            assert "not available to this key" in refused.value.message


async def test_a_teams_list_bounds_its_keys(gateway: GatewayThread) -> None:
    team = await admin(gateway, "/team/new", {"object_permission": {"mcp_servers": ["remote"]}})
    assert team["object_permission"] == {"mcp_servers": ["remote"]}
    key = (await admin(gateway, "/key/generate", {"team_id": team["team_id"]}))["key"]
    assert {n.split("-")[0] for n in await tool_names(gateway, key)} == {"remote"}
    # the key's own list intersects with the team's: nothing in common, nothing served
    narrow = (await admin(gateway, "/key/generate", {
        "team_id": team["team_id"], "object_permission": {"mcp_servers": ["local"]}}))["key"]  # fmt: skip
    assert await tool_names(gateway, narrow) == set()
    # changed on the team, seen by its key
    await admin(gateway, "/team/update", {"team_id": team["team_id"], "object_permission": None})
    await wait_for(lambda: tool_names(gateway, narrow), lambda names: "local-echo" in names)


async def wait_for(probe: Any, done: Any, timeout: float = 10.0) -> Any:
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if done(value) or time.monotonic() > deadline:
            assert done(value), value
            return value
        await asyncio.sleep(0.05)


async def test_object_permission_refuses_what_it_does_not_implement(gateway: GatewayThread) -> None:
    import aiohttp

    headers = {"authorization": f"Bearer {MASTER_KEY}"}
    async with aiohttp.ClientSession(gateway.base_url) as http:
        body = {"object_permission": {"vector_stores": ["vs_1"]}}
        async with http.post("/key/generate", json=body, headers=headers) as reply:
            assert reply.status == 400
            assert "vector_stores" in (await reply.json())["error"]["message"]
        body = {"object_permission": {"mcp_servers": ["bad-name"]}}
        async with http.post("/key/generate", json=body, headers=headers) as reply:
            assert reply.status == 400


async def test_every_call_is_billed_and_audited(gateway: GatewayThread, storage: Storage) -> None:
    made = await admin(gateway, "/key/generate", {"object_permission": {"mcp_servers": ["local"]}})
    key, key_hash = made["key"], made["token"]
    async with mcp_client(gateway, key) as client:
        await client.call_tool("local-add", {"a": 1, "b": 1})
        await client.call_tool("local-echo", {"text": "secret-argument-value"})
        with pytest.raises(MCPError):
            await client.call_tool("remote-echo", {"text": "x"})
    rows = [r for r in await spend_logs(gateway, storage) if r.call_type == "call_mcp_tool"]
    assert sorted((r.model, r.model_group, r.cost_micros, r.key_hash) for r in rows) == [
        ("local-add", "local", 250_000, key_hash), ("local-echo", "local", 0, key_hash)]  # fmt: skip
    info = await admin(gateway, f"/key/info?key={key}")
    assert info["info"]["spend"] == pytest.approx(0.25)
    entries = await audit_entries(gateway, storage)
    outcomes = sorted((e.object_id, e.updated_values["status"]) for e in entries)
    assert outcomes == [("local-add", "ok"), ("local-echo", "ok"), ("remote-echo", "refused")]
    assert all(e.changed_by_api_key == key_hash for e in entries)
    assert "secret-argument-value" not in str([e.updated_values for e in entries])


async def test_the_keys_rpm_limit_applies_to_tool_calls_and_listings(gateway: GatewayThread) -> None:
    key = (await admin(gateway, "/key/generate", {"rpm_limit": 2}))["key"]
    async with mcp_client(gateway, key) as client:
        await client.list_tools()
        await client.call_tool("local-echo", {"text": "x"})
        with pytest.raises(MCPError) as limited:
            await client.call_tool("local-echo", {"text": "x"})
    assert limited.value.data["status"] == 429


async def test_a_crashed_stdio_server_is_spawned_again(gateway: GatewayThread) -> None:
    key = (await admin(gateway, "/key/generate", {}))["key"]
    async with mcp_client(gateway, key) as client:
        first = (await client.call_tool("local-whoami", {})).content[0].text  # type: ignore[union-attr]
        with pytest.raises(MCPError) as lost:
            await client.call_tool("local-crash", {})
        assert lost.value.data["status"] == 503
        again = (await client.call_tool("local-whoami", {})).content[0].text  # type: ignore[union-attr]
    assert again != first
    servers = {s["server_name"]: s for s in await admin(gateway, "/v1/mcp/server")}
    assert servers["local"]["status"] == "ready" and servers["local"]["restarts"] == 1


async def test_the_litellm_key_header_and_refusals_at_the_door(gateway: GatewayThread) -> None:
    import aiohttp

    key = (await admin(gateway, "/key/generate", {"object_permission": {"mcp_servers": ["remote"]}}))["key"]
    async with mcp_client(gateway, key, header="x-litellm-api-key") as client:
        assert {t.name.split("-")[0] for t in (await client.list_tools()).tools} == {"remote"}
    async with aiohttp.ClientSession(gateway.base_url) as http:
        ping = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        async with http.post("/mcp", json=ping) as reply:
            assert reply.status == 401
        async with http.post("/mcp", json=ping, headers={"authorization": "Bearer sk-wrong"}) as reply:
            assert reply.status == 401
        both = {"authorization": f"Bearer {key}", "x-litellm-api-key": "sk-other"}
        async with http.post("/mcp", json=ping, headers=both) as reply:
            assert reply.status == 400
        arguments = {"text": "x", "deep": _nested(200)}
        deep = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {"name": "remote-echo", "arguments": arguments}}  # fmt: skip
        async with http.post("/mcp", json=deep, headers={"authorization": f"Bearer {key}"}) as reply:
            assert reply.status == 400


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


async def test_arguments_and_results_are_bounded(gateway: GatewayThread) -> None:
    key = (await admin(gateway, "/key/generate", {}))["key"]
    async with mcp_client(gateway, key) as client:
        with pytest.raises(MCPError) as big_arguments:
            await client.call_tool("local-echo", {"text": "x" * 300_000})
        assert big_arguments.value.code == -32602 and "larger than" in big_arguments.value.message
        with pytest.raises(MCPError) as big_result:
            await client.call_tool("local-repeat", {"text": "y" * 1000, "times": 2000})
        assert "larger than" in big_result.value.message


async def test_the_server_list_shows_only_the_keys_servers_and_no_secrets(gateway: GatewayThread) -> None:
    key = (await admin(gateway, "/key/generate", {"object_permission": {"mcp_servers": ["remote"]}}))["key"]
    import aiohttp

    headers = {"authorization": f"Bearer {key}"}
    async with (
        aiohttp.ClientSession(gateway.base_url) as http,
        http.get("/v1/mcp/server", headers=headers) as reply,
    ):
        assert reply.status == 200
        listed = await reply.json()
    assert [s["server_name"] for s in listed] == ["remote"]
    assert listed[0]["auth_type"] == "bearer_token"
    every = await admin(gateway, "/v1/mcp/server")
    assert {s["server_name"] for s in every} == {"local", "remote"}
    assert TOKEN not in str(every)


async def test_mcp_tools_in_the_responses_api_run_in_the_gateways_loop(
    gateway: GatewayThread, storage: Storage
) -> None:
    import openai

    made = await admin(gateway, "/key/generate", {"object_permission": {"mcp_servers": ["local"]}})
    client = openai.AsyncOpenAI(base_url=gateway.base_url + "/v1", api_key=made["key"], max_retries=0)
    mcp_tool: Any = {"type": "mcp", "server_label": "gateway", "server_url": "litellm_proxy/mcp/local",
                     "require_approval": "never", "allowed_tools": ["echo"]}  # fmt: skip
    response = await client.responses.create(model="gpt-4o-mini", input="echo mcp words", tools=[mcp_tool])
    # the simulated model called local-echo, saw its result, and answered from it
    assert "echo mcp words" in response.output_text
    rows = await spend_logs(gateway, storage)
    assert sorted(r.call_type for r in rows if r.key_hash == made["token"]) == [
        "call_mcp_tool", "completion", "completion"]  # fmt: skip
    # what the gateway cannot do is refused, naming the field
    for field, entry in (
        ("server_url", {**mcp_tool, "server_url": "https://elsewhere.example/mcp"}),
        ("require_approval", {**mcp_tool, "require_approval": "always"}),
        ("headers", {**mcp_tool, "headers": {"x": "y"}}),
    ):
        with pytest.raises(openai.BadRequestError) as refused:
            await client.responses.create(model="gpt-4o-mini", input="hi", tools=[entry])
        assert field in refused.value.message
    with pytest.raises(openai.BadRequestError):
        await client.responses.create(model="gpt-4o-mini", input="hi", tools=[mcp_tool], stream=True)
    # the loop's answer is not stored, so it can neither be stored nor chained onto
    assert response.store is False
    for extra in ({"store": True}, {"previous_response_id": response.id}):
        with pytest.raises(openai.BadRequestError) as refused:
            await client.responses.create(model="gpt-4o-mini", input="hi", tools=[mcp_tool], **extra)
        assert next(iter(extra)) in refused.value.message


async def test_the_servers_own_errors_come_back(gateway: GatewayThread) -> None:
    key = (await admin(gateway, "/key/generate", {}))["key"]
    async with mcp_client(gateway, key) as client:
        try:
            result = await client.call_tool("local-no_such_tool", {})
        except MCPError as error:  # the server's JSON-RPC error, with its own code
            assert error.code != -32603 and "no_such_tool" in error.message
        else:  # or its tool error, as a result
            assert result.is_error
        # a tool raising inside the server is a result with isError, which the model can read
        failed = await client.call_tool("local-add", {"a": "not a number", "b": 1})
    assert failed.is_error


async def test_a_keys_allowed_routes_cover_mcp_through_litellms_groups(gateway: GatewayThread) -> None:
    import aiohttp

    llm = (await admin(gateway, "/key/generate", {"allowed_routes": ["llm_api_routes"]}))["key"]
    assert "local-echo" in await tool_names(gateway, llm)
    chat_only = (await admin(gateway, "/key/generate", {"allowed_routes": ["openai_routes"]}))["key"]
    ping = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    async with aiohttp.ClientSession(gateway.base_url) as http:
        async with http.post("/mcp", json=ping, headers={"authorization": f"Bearer {chat_only}"}) as reply:
            assert reply.status == 403
        mcp_only = (await admin(gateway, "/key/generate", {"allowed_routes": ["mcp_routes"]}))["key"]
        headers = {"authorization": f"Bearer {mcp_only}"}
        async with http.get("/v1/mcp/server", headers=headers) as reply:
            assert reply.status == 200
        async with http.post("/v1/chat/completions", json={}, headers=headers) as reply:
            assert reply.status == 403


async def test_only_post_is_served_at_mcp(gateway: GatewayThread) -> None:
    import aiohttp

    key = (await admin(gateway, "/key/generate", {}))["key"]
    headers = {"authorization": f"Bearer {key}", "accept": "text/event-stream"}
    timeout = aiohttp.ClientTimeout(total=20)
    async with aiohttp.ClientSession(gateway.base_url, timeout=timeout) as http:
        # stateless: no standing event stream and no session to delete
        async with http.get("/mcp", headers=headers) as reply:
            assert reply.status == 405
        async with http.delete("/mcp", headers=headers) as reply:
            assert reply.status == 405
        async with http.put("/mcp", headers=headers) as reply:
            assert reply.status == 405 and reply.headers["allow"] == "POST"
