"""MCP tools in /v1/responses, LiteLLM's convention: a `tools` entry `{"type": "mcp", "server_url":
"litellm_proxy", "require_approval": "never"}` (or `litellm_proxy/mcp/<server>` for one server,
`allowed_tools` to narrow it) gives the model the caller's MCP tools as function tools, and the
gateway runs the loop: each answer that calls only those tools has them called through McpTools
(gated, billed and audited as at /mcp), their results appended, and the model asked again — at most
MAX_ROUNDS times; the last answer is the response. Each model round is a chat call through the chain
(keyed, limited, billed like any other).

Not done (refused with a 400 naming the field, never ignored): streaming with MCP tools, storing
the response or chaining onto one (`store: true`, `previous_response_id`), another
server_url (the gateway does not connect to servers a request names), approval flows
(`require_approval` other than "never"), per-request `headers`. The response holds the final
message only, not OpenAI's `mcp_list_tools` / `mcp_call` output items."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.calls.call import Call
from llmrelay.calls.operation import CHAT
from llmrelay.calls.principal import Principal
from llmrelay.proxy.http import Request
from llmrelay.proxy.mcp.tools import SEPARATOR, McpTools, ToolRefused, UpstreamError
from llmrelay.proxy.mcp.upstream import UpstreamDown
from llmrelay.proxy.openai_routes import call_context
from llmrelay.proxy.responses_routes import ResponsesAnswerer
from llmrelay.proxy.state import GatewayState
from llmrelay.types.chat import ChatRequest, Message
from llmrelay.types.errors import BadRequestError, LLMError, Timeout
from llmrelay.types.response import ChatResponse
from llmrelay.wire import responses as wire

PROXY_URL = "litellm_proxy"
SERVER_PREFIX = "litellm_proxy/mcp/"
MAX_ROUNDS = 8
MAX_RESULT_CHARS = 100_000  # of one tool result handed back to the model
_SUPPORTED = frozenset(
    {"type", "server_label", "server_url", "require_approval", "allowed_tools", "server_description"}
)


class ResponsesMcp:
    def __init__(self, state: GatewayState, tools: McpTools) -> None:
        self.state = state
        self.tools = tools

    async def serve(self, req: Request, principal: Principal, body: bytes) -> bool:
        """Answer a /v1/responses body that has MCP tool entries; False when it has none."""
        if b'"mcp"' not in body:
            return False
        data = msgspec.json.decode(body)
        entries = data.get("tools") if isinstance(data, dict) else None
        if not isinstance(entries, list) or not any(
            isinstance(t, dict) and t.get("type") == "mcp" for t in entries
        ):
            return False
        if data.get("stream"):
            raise BadRequestError(
                "stream: MCP tools run in the gateway's loop, which answers whole (stream: false)",
                param="stream",
            )
        functions: list[dict[str, Any]] = []
        kept: list[Any] = []
        for i, entry in enumerate(entries):
            if isinstance(entry, dict) and entry.get("type") == "mcp":
                functions += await self._functions(principal, entry, i)
            else:
                kept.append(entry)
        data["tools"] = [*kept, *functions]
        if not data["tools"]:
            del data["tools"]
        parsed, request = wire.decode_request(data)
        # the gateway's tool loop answers whole and keeps nothing: a conversation cannot be chained
        # onto it or stored, and saying so beats answering as if it were
        if parsed.previous_response_id is not None:
            raise BadRequestError(
                "previous_response_id: not served with MCP tools (send the conversation in `input`)",
                param="previous_response_id",
            )
        if parsed.store:
            raise BadRequestError(
                "store: responses with MCP tools are not stored; send store: false (or leave it out)",
                param="store",
            )
        parsed.store = False  # what the Response says
        mcp_names = {f["name"] for f in functions}
        result = await self._loop(req, principal, request, parsed.metadata, mcp_names)
        ResponsesAnswerer(parsed, request.model).respond(req, result)
        return True

    async def _functions(self, principal: Principal, entry: dict[str, Any], i: int) -> list[dict[str, Any]]:
        where = f"tools[{i}]"
        unknown = sorted(set(entry) - _SUPPORTED)
        if unknown:
            raise BadRequestError(
                f"{where}.{unknown[0]}: not supported for MCP tools", param=f"{where}.{unknown[0]}"
            )
        url = entry.get("server_url")
        if url != PROXY_URL and not (isinstance(url, str) and url.startswith(SERVER_PREFIX)):
            raise BadRequestError(
                f"{where}.server_url: only the gateway's own MCP servers ({PROXY_URL!r} or "
                f"'{SERVER_PREFIX}<server>') can be used",
                param=f"{where}.server_url",
            )
        if entry.get("require_approval") != "never":
            raise BadRequestError(
                f'{where}.require_approval: the gateway calls MCP tools itself; set it to "never"',
                param=f"{where}.require_approval",
            )
        server = url[len(SERVER_PREFIX) :] if url != PROXY_URL else None
        allowed = entry.get("allowed_tools")
        if allowed is not None and (
            not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed)
        ):
            raise BadRequestError(
                f"{where}.allowed_tools: a list of tool names", param=f"{where}.allowed_tools"
            )
        out = []
        for tool in await self.tools.list_tools(principal):
            prefix, _, bare = tool.name.partition(SEPARATOR)
            if server is not None and prefix != server:
                continue
            if allowed is not None and tool.name not in allowed and bare not in allowed:
                continue
            out.append(
                {"type": "function", "name": tool.name, "description": tool.description,
                 "parameters": tool.input_schema}
            )  # fmt: skip
        return out

    async def _loop(
        self, req: Request, principal: Principal, request: ChatRequest, metadata: Any, mcp_names: set[str]
    ) -> ChatResponse:
        for _ in range(MAX_ROUNDS):
            call = Call(CHAT, request, call_context(req, principal, metadata))
            result = await self.state.within_deadline(self.state.call(call))
            if not isinstance(result, ChatResponse):
                raise LLMError("the router streamed an answer that was asked for whole")
            message = result.choices[0].message if result.choices else None
            calls = message.tool_calls if message is not None else None
            if not calls or any(c.function.name not in mcp_names for c in calls):
                return result  # text, or a function the client itself must run
            assert message is not None
            turn = [Message(role="assistant", content=message.content, tool_calls=calls)]
            for tool_call in calls:
                text = await self._run(principal, tool_call.function.name, tool_call.function.arguments)
                turn.append(Message(role="tool", tool_call_id=tool_call.id, content=text))
            request = msgspec.structs.replace(request, messages=[*request.messages, *turn])
        raise LLMError(
            f"the model still called MCP tools after {MAX_ROUNDS} rounds", code="mcp_too_many_rounds"
        )

    async def _run(self, principal: Principal, name: str, arguments: str) -> str:
        """A tool's result as text for the model; a failure the model can act on is told to it."""
        try:
            args = msgspec.json.decode(arguments or "{}")
        except msgspec.DecodeError:
            return "error: the tool's arguments are not valid JSON"
        if not isinstance(args, dict):
            return "error: the tool's arguments must be a JSON object"
        try:
            result = await self.tools.call_tool(principal, name, args)
        except (ToolRefused, UpstreamError, Timeout, UpstreamDown, BadRequestError) as error:
            return f"error: {error}"
        parts = [getattr(block, "text", None) for block in result.content]
        text = "\n".join(p for p in parts if p)
        if not text and result.structured_content is not None:
            text = msgspec.json.encode(result.structured_content).decode()
        if result.is_error:
            text = f"error: {text}"
        return text[:MAX_RESULT_CHARS]
