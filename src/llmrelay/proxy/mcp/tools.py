"""What /mcp serves, whatever the protocol machinery around it: the tools of the servers a caller may
use, each named `<server>-<tool>` (LiteLLM's prefix and separator), and tool calls forwarded to their
server — admitted by the key gate first (budgets, rpm and parallel limits; no model to check), then
ended as a spend row of call type `call_mcp_tool` (cost from the server's mcp_server_cost_info, else
0) and an audit entry. Arguments and results are bounded in size."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from llmrelay.calls.principal import Principal
from llmrelay.calls.served import Served
from llmrelay.gate.admission import CallGate, CallInfo, Pass
from llmrelay.proxy.mcp.access import McpAccess
from llmrelay.proxy.mcp.audit import McpAudit
from llmrelay.proxy.mcp.upstream import Upstream
from llmrelay.proxy.nesting import check_nesting
from llmrelay.types.errors import BadRequestError, LLMError, Timeout

log = logging.getLogger("llmrelay.mcp")

CALL_TYPE = "call_mcp_tool"
LIST_TYPE = "list_mcp_tools"  # LiteLLM's call type of a listing
SEPARATOR = "-"
MAX_PAGES = 20  # pages of one server's tools/list
MAX_TOOLS = 1000  # tools taken from one server
# the mcp client's codes (mcp_types.jsonrpc): a session whose transport ended, a request not
# answered within the read timeout
_CONNECTION_CLOSED = -32000
_REQUEST_TIMEOUT = -32001


@dataclass(frozen=True, slots=True)
class McpBounds:
    max_argument_bytes: int = 256 * 1024
    max_result_bytes: int = 1024 * 1024


class ToolRefused(LLMError):
    """A tool this caller may not call, or no such tool: one answer for both (a key learns nothing
    about servers it may not use)."""

    status_code = 403
    error_type = "permission_error"


class McpTools:
    def __init__(
        self,
        upstreams: dict[str, Upstream],
        access: McpAccess,
        gate: CallGate | None,
        audit: McpAudit | None,
        bounds: McpBounds,
    ) -> None:
        self.upstreams = upstreams  # by server name
        self.access = access
        self.gate = gate
        self.audit = audit
        self.bounds = bounds
        # tool prefix (the alias, else the name) → server name
        self._by_prefix = {(u.config.alias or name): name for name, u in upstreams.items()}
        # prefixed tool name → its input schema, as last listed (for the protocol's header checks)
        self._schemas: dict[str, Any] = {}

    def prefix(self, name: str) -> str:
        return self.upstreams[name].config.alias or name

    async def list_tools(self, principal: Principal) -> list[Any]:
        """The tools of every server the caller may use, renamed with their prefix. A server that
        cannot answer is left out of the list (and logged), not the whole answer failed."""
        names = self.access.servers_for(principal)
        pass_ = None
        if self.gate is not None and names:
            # a listing asks every server: it counts against the key's rpm (and a key over budget or
            # blocked cannot list), without a spend row — it costs nothing
            pass_ = await self.gate.admit(principal, CallInfo(LIST_TYPE, LIST_TYPE, None, names_model=False))
        try:
            listed = await asyncio.gather(
                *(self._server_tools(name) for name in names), return_exceptions=True
            )
        finally:
            if pass_ is not None:
                pass_.abandoned(None, Served())
        tools: list[Any] = []
        for name, result in zip(names, listed, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                log.warning("MCP server %s: tools/list failed: %s", name, _short(result))
                continue
            prefix = self.prefix(name)
            for tool in result:
                full_name = f"{prefix}{SEPARATOR}{tool.name}"
                if len(self._schemas) >= MAX_TOOLS * len(self.upstreams):
                    self._schemas.clear()  # servers that renamed their tools: start over, bounded
                self._schemas[full_name] = tool.input_schema
                if self.access.may_call(principal, name, tool.name):
                    tools.append(tool.model_copy(update={"name": full_name}))
        return tools

    def input_schema(self, full_name: str) -> Any:
        """The tool's input schema as last listed, or None. The mcp server checks a call's
        `Mcp-Param-*` headers against it; without this it would list every server's tools before
        each call."""
        return self._schemas.get(full_name)

    async def _server_tools(self, name: str) -> list[Any]:
        upstream = self.upstreams[name]
        client = await upstream.session()
        tools: list[Any] = []
        cursor: str | None = None
        try:
            for _ in range(MAX_PAGES):
                page = await client.list_tools(cursor=cursor)
                tools.extend(page.tools)
                cursor = page.next_cursor
                if cursor is None or len(tools) >= MAX_TOOLS:
                    break
        except Exception as exc:
            self._note_broken(upstream, client, exc)
            raise
        return tools[:MAX_TOOLS]

    def resolve(self, principal: Principal, full_name: str) -> tuple[str, str]:
        """`<prefix>-<tool>` → (server name, tool), or a refusal naming the tool."""
        prefix, sep, tool = full_name.partition(SEPARATOR)
        name = self._by_prefix.get(prefix) if sep else None
        if name is None or not tool or not self.access.may_call(principal, name, tool):
            raise ToolRefused(
                f"tool {full_name[:200]!r} is not available to this key", code="mcp_tool_not_allowed"
            )
        return name, tool

    async def call_tool(
        self, principal: Principal, full_name: str, arguments: Mapping[str, Any] | None
    ) -> Any:
        """The server's CallToolResult. Raises an LLMError when the call is refused or fails."""
        encoded = msgspec.json.encode(arguments or {})
        try:
            name, tool = self.resolve(principal, full_name)
            if len(encoded) > self.bounds.max_argument_bytes:
                limit = self.bounds.max_argument_bytes
                raise BadRequestError(
                    f"arguments of {full_name[:200]!r} are larger than {limit} bytes",
                    param="arguments",
                    code="mcp_arguments_too_large",
                )
            check_nesting(encoded, "the tool's arguments")
            pass_ = None
            if self.gate is not None:
                info = CallInfo(CALL_TYPE, f"{self.prefix(name)}{SEPARATOR}{tool}", None, names_model=False)
                pass_ = await self.gate.admit(principal, info)
        except LLMError as refused:
            # refused before the server was asked: audited too (who tried what), never billed
            prefix, _, asked = full_name[:200].partition(SEPARATOR)
            server = self._by_prefix.get(prefix, prefix)
            self._audit(principal, server, asked, len(encoded), "refused", None, refused.code)
            raise
        upstream = self.upstreams[name]
        cost = upstream.config.cost_micros(tool)
        served = Served(provider="mcp", model=f"mcp/{name}/{tool}", deployment_id=name, model_group=name)
        try:
            result = await self._forward(upstream, tool, dict(arguments or {}))
            size = len(result.model_dump_json(by_alias=True, exclude_none=True))
            if size > self.bounds.max_result_bytes:
                raise LLMError(
                    f"the result of {full_name[:200]!r} is larger than {self.bounds.max_result_bytes} bytes",
                    code="mcp_result_too_large",
                )
        except LLMError as error:
            self._audit(principal, name, tool, len(encoded), "error", None, error.code)
            if pass_ is not None:
                await pass_.failed(error, None, served)
            raise
        except BaseException:
            # cancelled (the client went away): the limits are released, nothing billed
            if pass_ is not None:
                pass_.abandoned(None, served)
            raise
        is_error = bool(result.is_error)
        self._audit(principal, name, tool, len(encoded), "tool_error" if is_error else "ok", size, None)
        await self._succeeded(pass_, served.with_cost(cost))
        return result

    async def _forward(self, upstream: Upstream, tool: str, arguments: dict[str, Any]) -> Any:
        from mcp import MCPError

        client = await upstream.session()
        try:
            return await client.call_tool(tool, arguments)
        except MCPError as exc:
            self._note_broken(upstream, client, exc)
            if exc.error.code == _CONNECTION_CLOSED:
                raise upstream.unavailable(f"connection lost during the call: {exc.error.message}") from None
            if exc.error.code == _REQUEST_TIMEOUT:
                raise Timeout(
                    f"MCP server {upstream.name!r} did not answer within {upstream.config.timeout}s",
                    code="timeout",
                ) from None
            # the server's own JSON-RPC error: passed on with its code and message (bounded, without
            # the server's secrets should it echo them)
            raise UpstreamError(exc.error.code, upstream.scrub(exc.error.message[:1000])) from None
        except (OSError, TimeoutError) as exc:
            upstream.broken(client)
            raise upstream.unavailable(_short(exc)) from None

    @staticmethod
    def _note_broken(upstream: Upstream, client: Any, exc: BaseException) -> None:
        code = getattr(getattr(exc, "error", None), "code", None)
        if code == _CONNECTION_CLOSED or isinstance(exc, OSError):
            upstream.broken(client)

    async def _succeeded(self, pass_: Pass | None, served: Served) -> None:
        if pass_ is not None:
            await pass_.succeeded(None, served)

    def _audit(
        self, principal: Principal, name: str, tool: str, arg_bytes: int, status: str,
        result_bytes: int | None, code: str | None,
    ) -> None:  # fmt: skip
        if self.audit is None:
            return
        outcome: dict[str, Any] = {"status": status, "argument_bytes": arg_bytes}
        if result_bytes is not None:
            outcome["result_bytes"] = result_bytes
        if code is not None:
            outcome["error_code"] = code
        self.audit.record(principal, name, tool, outcome)


class UpstreamError(LLMError):
    """An MCP server's own JSON-RPC error for a tool call."""

    status_code = 502

    def __init__(self, rpc_code: int, message: str) -> None:
        super().__init__(message, code="mcp_server_error")
        self.rpc_code = rpc_code


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]
