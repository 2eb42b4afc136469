"""The top-level `mcp_servers:` section (LiteLLM's spelling): the MCP servers the gateway serves at
/mcp, each a Streamable HTTP (or SSE) URL or a stdio command it spawns. The fields llmrelay
implements are typed here; LiteLLM's others are refused at startup naming the field, never ignored."""

from __future__ import annotations

import base64
import re
from typing import Annotated, Any, Literal

import msgspec

# LiteLLM fields llmrelay does not implement, each with why (a config naming one does not start)
REFUSED_FIELDS = {
    "spec_path": "no OpenAPI-to-MCP servers",
    "access_groups": "no MCP access groups: grant servers by name in a key's or team's object_permission",
    "extra_headers": "client headers are never forwarded to MCP servers",
    "allowed_params": "no per-tool parameter filters",
    "pinned_tools": "no pinned tools",
    "env_vars": "no per-user environment variables",
    "client_id": "no OAuth2 to MCP servers",
    "client_secret": "no OAuth2 to MCP servers",
    "scopes": "no OAuth2 to MCP servers",
    "authorization_url": "no OAuth2 to MCP servers",
    "token_url": "no OAuth2 to MCP servers",
    "registration_url": "no OAuth2 to MCP servers",
    "oauth2_flow": "no OAuth2 to MCP servers",
    "issuer": "no OAuth2 to MCP servers",
    "token_exchange_endpoint": "no OAuth2 token exchange",
    "delegate_auth_to_upstream": "the gateway's key is never handed to an MCP server",
    "oauth_passthrough": "the gateway's key is never handed to an MCP server",
    "available_on_public_internet": "no per-server network policy",
    "aws_access_key_id": "no SigV4-signed MCP servers",
    "aws_secret_access_key": "no SigV4-signed MCP servers",
    "aws_region_name": "no SigV4-signed MCP servers",
    "allow_sampling": "MCP servers may not ask the gateway for sampling",
    "protocol_version": "the protocol version is negotiated",
    "server_id": "servers are named by their key in mcp_servers",
    "instructions": "no server instructions",
}
# auth_type → how authentication_token goes into the Authorization header (LiteLLM's mapping)
AUTH_TYPES = ("none", "bearer_token", "api_key", "basic", "token", "authorization")
# a server's name prefixes its tools' names with "-" (LiteLLM's separator), so it may hold no "-"
NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
MAX_SERVERS = 64


class McpServer(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One entry of `mcp_servers` (its name is the entry's key)."""

    transport: Literal["http", "sse", "stdio"] = "http"
    url: str | None = None
    command: str | None = None
    args: list[str] = msgspec.field(default_factory=list)
    env: dict[str, str] = msgspec.field(default_factory=dict)
    auth_type: str | None = None
    authentication_token: str | None = None
    auth_value: str | None = None  # LiteLLM's older name for authentication_token
    # headers sent to the server on every request (values may be os.environ/NAME)
    static_headers: dict[str, str] = msgspec.field(default_factory=dict)
    description: str | None = None
    alias: str | None = None
    mcp_info: dict[str, Any] = msgspec.field(default_factory=dict)
    # the only tools of this server anyone may see and call (None: all), and tools no one may
    allowed_tools: list[str] | None = None
    disallowed_tools: list[str] = msgspec.field(default_factory=list)
    # every key may use this server, whatever its object_permission says
    allow_all_keys: bool = False
    # seconds for one tool call's answer (LiteLLM has none; the default bounds a hung server)
    timeout: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 60.0
    spec_path: Any = None
    access_groups: Any = None
    extra_headers: Any = None
    allowed_params: Any = None
    pinned_tools: Any = None
    env_vars: Any = None
    client_id: Any = None
    client_secret: Any = None
    scopes: Any = None
    authorization_url: Any = None
    token_url: Any = None
    registration_url: Any = None
    oauth2_flow: Any = None
    issuer: Any = None
    token_exchange_endpoint: Any = None
    delegate_auth_to_upstream: Any = None
    oauth_passthrough: Any = None
    available_on_public_internet: Any = None
    aws_access_key_id: Any = None
    aws_secret_access_key: Any = None
    aws_region_name: Any = None
    allow_sampling: Any = None
    protocol_version: Any = None
    server_id: Any = None
    instructions: Any = None

    def __post_init__(self) -> None:
        for name, why in REFUSED_FIELDS.items():
            value = getattr(self, name)
            if value is not None and value is not False and value != []:
                raise ValueError(f"{name}: not supported by llmrelay ({why})")
        if self.transport == "stdio":
            if not self.command:
                raise ValueError("command: a stdio server needs the command to run")
            if self.url is not None:
                raise ValueError("url: a stdio server is spawned, not reached at a URL")
        else:
            if not self.url or not self.url.startswith(("http://", "https://")):
                raise ValueError(f"url: a {self.transport} server needs an http(s) URL")
            if self.command is not None or self.args or self.env:
                raise ValueError("command: only a stdio server runs a command (args and env with it)")
        if self.auth_type is not None and self.auth_type not in AUTH_TYPES:
            raise ValueError(f"auth_type: expected one of {', '.join(AUTH_TYPES)}, got {self.auth_type!r}")
        if self.token is not None and self.auth_type in (None, "none"):
            raise ValueError("auth_type: authentication_token is set but auth_type says how to send it")
        if self.auth_type not in (None, "none") and self.token is None:
            raise ValueError(f"authentication_token: auth_type {self.auth_type} needs a token")
        if self.token is not None and self.transport == "stdio":
            raise ValueError("authentication_token: a stdio server takes its secrets in env")
        for header, value in self.static_headers.items():
            if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", header) or header.lower() == "host":
                raise ValueError(f"static_headers: {header!r} is not a header name to send")
            if not value.isprintable():  # a line break would smuggle another header in
                raise ValueError(f"static_headers.{header}: the value holds control characters")
        if self.token is not None and not self.token.isprintable():
            raise ValueError("authentication_token: the value holds control characters")
        _check_costs(self.mcp_info.get("mcp_server_cost_info"))
        if self.alias is not None and not NAME.match(self.alias):
            raise ValueError("alias: letters, digits and '_' only (it prefixes the tools' names)")

    def __repr__(self) -> str:
        # never the credential, the env or the header values
        where = self.url if self.transport != "stdio" else self.command
        return f"McpServer({self.transport}, {where!r})"

    @property
    def token(self) -> str | None:
        return self.authentication_token if self.authentication_token is not None else self.auth_value

    def headers(self) -> dict[str, str]:
        """What every request to the server carries: the static headers and the credential."""
        out = dict(self.static_headers)
        token = self.token
        if token is None or self.auth_type in (None, "none"):
            return out
        if self.auth_type == "bearer_token":
            out["Authorization"] = f"Bearer {_strip(token, 'Bearer')}"
        elif self.auth_type == "api_key":
            out["Authorization"] = f"ApiKey {_strip(token, 'ApiKey')}"
        elif self.auth_type == "token":
            out["Authorization"] = f"token {_strip(token, 'token')}"
        elif self.auth_type == "basic":
            out["Authorization"] = f"Basic {_basic(_strip(token, 'Basic'))}"
        else:  # authorization: the header's whole value
            out["Authorization"] = token
        return out

    def cost_micros(self, tool: str) -> int:
        """What one call of `tool` costs the caller (mcp_info.mcp_server_cost_info; none: 0)."""
        costs = self.mcp_info.get("mcp_server_cost_info") or {}
        per_tool = costs.get("tool_name_to_cost_per_query") or {}
        usd = per_tool.get(tool, costs.get("default_cost_per_query") or 0)
        return round(float(usd) * 1_000_000)

    def secrets(self) -> list[str]:
        """Values to keep out of every error and log: the credential, the env and header values."""
        values = [self.token, *self.env.values(), *self.static_headers.values()]
        return [v for v in values if v]


def _check_costs(costs: Any) -> None:
    """LiteLLM's mcp_info.mcp_server_cost_info: default_cost_per_query and tool_name_to_cost_per_query,
    in USD per call."""
    if costs is None:
        return
    where = "mcp_info.mcp_server_cost_info"
    if not isinstance(costs, dict):
        raise ValueError(f"{where}: expected a mapping")
    unknown = sorted(set(costs) - {"default_cost_per_query", "tool_name_to_cost_per_query"})
    if unknown:
        raise ValueError(f"{where}.{unknown[0]}: not supported by llmrelay")
    prices = [costs.get("default_cost_per_query")]
    per_tool = costs.get("tool_name_to_cost_per_query") or {}
    if not isinstance(per_tool, dict):
        raise ValueError(f"{where}.tool_name_to_cost_per_query: expected a mapping of tool names")
    prices += list(per_tool.values())
    for price in prices:
        if price is not None and (isinstance(price, bool) or not isinstance(price, int | float)
                                  or not 0 <= price <= 1000):  # fmt: skip
            raise ValueError(f"{where}: a cost is USD per call, from 0 to 1000, got {price!r}")


def _strip(token: str, scheme: str) -> str:
    return token[len(scheme) + 1 :].strip() if token.lower().startswith(scheme.lower() + " ") else token


def _basic(token: str) -> str:
    # "user:password" is encoded; a value without ':' is taken as already encoded (LiteLLM's rule)
    return base64.b64encode(token.encode()).decode() if ":" in token else token


def check_names(servers: dict[str, McpServer]) -> None:
    """Each server's prefix (its alias, else its name) must be a name tools can carry, and unique."""
    if len(servers) > MAX_SERVERS:
        raise ValueError(f"at most {MAX_SERVERS} servers")
    seen: dict[str, str] = {}
    for name, server in servers.items():
        if not NAME.match(name):
            raise ValueError(f"{name}: a server name holds letters, digits and '_' only (no '-')")
        prefix = server.alias or name
        if prefix in seen:
            raise ValueError(f"{name}: its tool prefix {prefix!r} is also {seen[prefix]}'s")
        seen[prefix] = name
