"""Putting the MCP gateway into a worker: nothing without `mcp_servers` (the `mcp` package is not
even imported); with them, one supervised upstream per server, the /mcp route and GET /v1/mcp/server,
and the services that run them on the worker's loop. After the key runtime, whose gate meters the
tool calls and whose storage takes their audit entries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmrelay.config.loader import GatewayConfig
from llmrelay.proxy.state import GatewayState
from llmrelay.version import __version__

if TYPE_CHECKING:
    from llmrelay.gate.runtime import KeysRuntime


def install_mcp(state: GatewayState, config: GatewayConfig, runtime: KeysRuntime | None) -> None:
    if not config.mcp_servers:
        return
    from llmrelay.proxy.mcp.access import McpAccess
    from llmrelay.proxy.mcp.audit import McpAudit
    from llmrelay.proxy.mcp.protocol import McpService, build_server
    from llmrelay.proxy.mcp.responses import ResponsesMcp
    from llmrelay.proxy.mcp.routes import SERVERS_DOC, SERVERS_PATH, McpRoute, McpServersRoute
    from llmrelay.proxy.mcp.tools import McpBounds, McpTools
    from llmrelay.proxy.mcp.upstream import Upstream

    upstreams = {name: Upstream(name, server) for name, server in config.mcp_servers.items()}
    audit = None
    if runtime is not None and runtime.settings.audit_logs:
        audit = McpAudit(runtime.storage)
    tools = McpTools(upstreams, McpAccess(config.mcp_servers), state.call_gate, audit, McpBounds())
    service = McpService(build_server(tools, __version__), state.body_limit)
    state.services.extend(upstreams.values())
    if audit is not None:
        state.services.append(audit)
    state.services.append(service)
    state.forward_routes.insert(0, McpRoute(service, state.body_limit))
    state.extra_routes.append(("GET", SERVERS_PATH, McpServersRoute(tools)))
    state.extra_openapi[("GET", SERVERS_PATH)] = SERVERS_DOC
    state.responses_tools = ResponsesMcp(state, tools)
