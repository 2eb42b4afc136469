"""The gateway's MCP routes: `/mcp` (the protocol, Streamable HTTP: each POST handed to the mcp
package's session manager once the caller is authenticated) and LiteLLM's read-only admin
list `GET /v1/mcp/server`.

/mcp takes the key as every route does (`Authorization: Bearer`) or in LiteLLM's
`x-litellm-api-key` (with or without "Bearer "), which MCP clients use when their Authorization
header is meant for something else; both present and different is a 400, not a guess."""

from __future__ import annotations

from typing import Any

from llmrelay.calls.principal import Principal
from llmrelay.proxy.admin.io import send
from llmrelay.proxy.http import Request
from llmrelay.proxy.mcp.bridge import call_asgi
from llmrelay.proxy.mcp.protocol import PRINCIPAL_SCOPE_KEY, McpService
from llmrelay.proxy.mcp.tools import McpTools
from llmrelay.proxy.nesting import check_nesting
from llmrelay.proxy.openapi import RouteDoc
from llmrelay.proxy.state import Authenticate
from llmrelay.types.errors import BadRequestError, LLMError

MCP_PATH = "/mcp"
LITELLM_KEY_HEADER = "x-litellm-api-key"
# stateless: the server never speaks first, so no standing GET stream, and there is no session for a
# DELETE to end; the protocol's answer to both is 405 (clients go on with POST alone)
METHODS = ("POST",)
SERVERS_PATH = "/v1/mcp/server"
SERVERS_DOC = RouteDoc(
    "The MCP servers this key may use (LiteLLM's list), with their state", "MCP", errors=(401,)
)


class _MethodNotAllowed(LLMError):
    status_code = 405
    error_type = "invalid_request_error"


class McpRoute:
    """A route the app matches by path and hands the authenticator (a ForwardRoute)."""

    def __init__(self, service: McpService, body_limit: int) -> None:
        self.service = service
        self.body_limit = body_limit

    def matches(self, path: str) -> bool:
        return path == MCP_PATH

    async def __call__(self, req: Request, authenticate: Authenticate) -> None:
        principal = await authenticate(_key_headers(req), False)
        method = req.scope.method
        if method not in METHODS:
            req.response_headers.append(("allow", ", ".join(METHODS)))
            raise _MethodNotAllowed(f"method {method} not allowed on {MCP_PATH}", code="method_not_allowed")
        body = await req.body(self.body_limit)
        if body:
            check_nesting(body)
        await call_asgi(self.service.manager.handle_request, req, body, {PRINCIPAL_SCOPE_KEY: principal})


def _key_headers(req: Request) -> Any:
    """The request's headers as the authenticator reads them, LiteLLM's key header taken as
    `Authorization: Bearer`."""
    litellm = req.header(LITELLM_KEY_HEADER)
    if not litellm:
        return req.header
    scheme, _, rest = litellm.strip().partition(" ")
    key = rest.strip() if scheme.lower() == "bearer" else litellm.strip()
    given = req.header("authorization")
    if given:
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != key:
            raise BadRequestError(
                f"ambiguous credentials: {LITELLM_KEY_HEADER} and Authorization carry different values; "
                "send the key in one of them",
                param=LITELLM_KEY_HEADER,
                code="ambiguous_credentials",
            )

    def header(name: str) -> str | None:
        return f"Bearer {key}" if name == "authorization" else req.header(name)

    return header


class McpServersRoute:
    """GET /v1/mcp/server: what LiteLLM's list says of each server (never its credential, headers
    or environment), and whether it is connected."""

    def __init__(self, tools: McpTools) -> None:
        self.tools = tools

    async def __call__(self, req: Request, principal: Principal) -> None:
        out = []
        for name in self.tools.access.servers_for(principal):
            upstream = self.tools.upstreams[name]
            config = upstream.config
            out.append(
                {
                    "server_id": name,
                    "server_name": name,
                    "alias": config.alias,
                    "description": config.description or config.mcp_info.get("description"),
                    "transport": config.transport,
                    # a URL's query may carry a token: only its origin and path are shown
                    "url": _shown_url(config.url),
                    "command": config.command if principal.is_admin else None,
                    "auth_type": config.auth_type or "none",
                    "allowed_tools": config.allowed_tools,
                    "disallowed_tools": config.disallowed_tools,
                    "allow_all_keys": config.allow_all_keys,
                    "mcp_info": {
                        k: v for k, v in config.mcp_info.items() if isinstance(v, str | int | float | dict)
                    },
                    "status": upstream.state,
                    "restarts": upstream.restarts,
                    "last_error": upstream.last_error if principal.is_admin else None,
                }
            )
        send(req, out)


def _shown_url(url: str | None) -> str | None:
    if url is None:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
