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
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client

from llmrelay.gate.runtime import KeysRuntime
from llmrelay.proxy.mcp.audit import McpAudit
from llmrelay.storage import Storage
from llmrelay.storage.records import AuditFilter, SpendLogFilter, SpendLogRecord
from llmrelay.testing import RunningSimulator
from llmrelay.testing.mcp_sim import McpHttpSim

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
    async with httpx2.AsyncClient(headers={header: value}) as http:
        async with Client(streamable_http_client(gw.base_url + "/mcp", http_client=http), cache=None) as client:
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
