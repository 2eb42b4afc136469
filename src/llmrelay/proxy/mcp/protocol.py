"""The MCP protocol at /mcp, spoken by the official `mcp` package's server: a low-level `Server`
whose tools/list and tools/call handlers are McpTools', behind its Streamable HTTP session manager
(stateless, JSON answers: any gateway worker answers any request, nothing is held between them).

The gateway authenticates the request before the manager sees it; the caller's Principal travels in
the ASGI scope the bridge (proxy/mcp/bridge.py) builds, and a handler reads it from the request the
mcp package hands it. An LLMError from McpTools becomes a JSON-RPC error: `invalid params` for a
tool the key may not call or bad arguments, else `internal error` with the gateway's status, type
and code in its data."""

from __future__ import annotations

import asyncio
from typing import Any

from llmrelay.calls.principal import Principal
from llmrelay.proxy.mcp.tools import McpTools, ToolRefused, UpstreamError
from llmrelay.types.errors import BadRequestError, LLMError

PRINCIPAL_SCOPE_KEY = "llmrelay.principal"
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603


def build_server(tools: McpTools, version: str) -> Any:
    from mcp.server.lowlevel import Server
    from mcp.types import CallToolRequestParams, ListToolsResult, PaginatedRequestParams

    async def list_tools(ctx: Any, params: PaginatedRequestParams | None) -> ListToolsResult:
        # one page: the aggregate is bounded (MAX_TOOLS per server), and cursors would have to
        # encode every server's own
        try:
            return ListToolsResult(tools=await tools.list_tools(_principal(ctx)))
        except LLMError as error:
            raise _rpc_error(error) from None

    async def call_tool(ctx: Any, params: CallToolRequestParams) -> Any:
        try:
            return await tools.call_tool(_principal(ctx), params.name, params.arguments)
        except LLMError as error:
            raise _rpc_error(error) from None

    return Server(
        "llmrelay",
        version=version,
        description="MCP servers shared through the llmrelay gateway",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        get_tool_input_schema=tools.input_schema,
    )


def _principal(ctx: Any) -> Principal:
    request = ctx.request
    principal = request.scope.get(PRINCIPAL_SCOPE_KEY) if request is not None else None
    if not isinstance(principal, Principal):
        # every request reaches the manager through the gateway's route, which sets it
        raise RuntimeError("an MCP request without the gateway's caller")
    return principal


def _rpc_error(error: LLMError) -> Exception:
    from mcp import MCPError

    if isinstance(error, UpstreamError):
        return MCPError(error.rpc_code, str(error))
    code = INVALID_PARAMS if isinstance(error, ToolRefused | BadRequestError) else INTERNAL_ERROR
    data = {"status": error.status_code, "type": error.error_type, "code": error.code}
    return MCPError(code, str(error), data)


class McpService:
    """The session manager, run for the worker's life: its task group is entered and left in one task
    of its own (anyio's rule), started and stopped with the worker's services."""

    def __init__(self, server: Any, body_limit: int) -> None:
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
        from mcp.server.transport_security import TransportSecuritySettings

        self.manager = StreamableHTTPSessionManager(
            server,
            json_response=True,
            stateless=True,
            # the gateway's key authenticates every request; Host/Origin checks are for servers
            # that trust whoever reaches them (a local server a web page could rebind to)
            security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
            max_request_body_size=body_limit,
        )
        self._stop = asyncio.Event()
        self._running = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mcp-sessions")
        running = asyncio.ensure_future(self._running.wait())
        await asyncio.wait({running, self._task}, return_when=asyncio.FIRST_COMPLETED)
        running.cancel()
        if self._task.done():
            await self._task  # raises what stopped it

    async def _run(self) -> None:
        async with self.manager.run():
            self._running.set()
            await self._stop.wait()

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
