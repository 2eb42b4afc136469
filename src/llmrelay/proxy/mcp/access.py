"""Which MCP servers and tools a caller may use.

A server's own `allowed_tools` / `disallowed_tools` bound everyone. A virtual key is bounded by its
and its team's `object_permission` (auth/principal.py flattens them into the KeyPrincipal): the
servers named by every level that names any (none named: every server, as an empty `models` list
means every model), and per server the tools every level that lists some allows. A server with
`allow_all_keys: true` is open to every key whatever its list says. The master key, an admin key and
an open gateway's caller may use every server. Servers are named by their name or their alias."""

from __future__ import annotations

from llmrelay.calls.principal import Principal
from llmrelay.config.mcp import McpServer


class McpAccess:
    def __init__(self, servers: dict[str, McpServer]) -> None:
        self._servers = servers

    def servers_for(self, principal: Principal) -> list[str]:
        """The names of the servers `principal` may use, in config order."""
        return [name for name in self._servers if self.may_use(principal, name)]

    def may_use(self, principal: Principal, name: str) -> bool:
        server = self._servers.get(name)
        if server is None:
            return False
        key = principal.key
        if key is None or principal.is_admin or server.allow_all_keys or key.mcp_servers is None:
            return True
        return name in key.mcp_servers or (server.alias is not None and server.alias in key.mcp_servers)

    def may_call(self, principal: Principal, name: str, tool: str) -> bool:
        """`tool` of server `name`: the server's bounds, then the key's."""
        server = self._servers[name]
        if server.allowed_tools is not None and tool not in server.allowed_tools:
            return False
        if tool in server.disallowed_tools:
            return False
        if not self.may_use(principal, name):
            return False
        key = principal.key
        if key is None or principal.is_admin:
            return True
        for ident in (name, server.alias):
            if ident is not None and ident in key.mcp_tools and tool not in key.mcp_tools[ident]:
                return False
        return True
