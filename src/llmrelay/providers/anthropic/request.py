"""ChatRequest → the body of an Anthropic Messages API request (POST /v1/messages).

Mapping decisions (documented in docs/providers/anthropic.md):
- system/developer messages → top-level `system` (a string, or text blocks when any carries
  cache_control);
- role "tool" messages → user turns of tool_result blocks; consecutive same-role turns are merged,
  because Anthropic requires user/assistant alternation;
- safety_identifier (else user) → metadata.user_id; service_tier auto/default → auto/standard_only;
- max_tokens defaults to DEFAULT_MAX_TOKENS (Anthropic requires it), raised above a thinking budget;
- reasoning_effort → a thinking budget (REASONING_BUDGETS); an explicit `thinking` wins;
- response_format json_object/json_schema → a tool named JSON_TOOL_NAME whose input is the answer,
  forced unless the caller has tools of its own or thinking is on (forced tool use is not allowed
  with extended thinking).
"""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.providers.anthropic.content import Block, content_blocks, with_cache
from llmrelay.types.chat import ChatRequest, Message, NamedToolChoice, ResponseFormat
from llmrelay.types.errors import BadRequestError

DEFAULT_MAX_TOKENS = 4096
# thinking budget_tokens per reasoning_effort ("none" sends no thinking); Anthropic's minimum is 1024
REASONING_BUDGETS = {"minimal": 1024, "low": 2048, "medium": 4096, "high": 8192, "xhigh": 16384}
JSON_TOOL_NAME = "json_response"
# OpenAI's service_tier values with an Anthropic equivalent: "auto" may use Priority Tier capacity,
# "default" is standard capacity only. Others ("flex", "priority", "scale") are removed by the adapter.
SERVICE_TIERS = {"auto": "auto", "default": "standard_only"}

_json_decode = msgspec.json.Decoder()


def build_body(request: ChatRequest, model: str) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model}
    system = _system(request.messages)
    messages = _turns(request.messages)
    if not messages:
        raise BadRequestError("messages: Anthropic needs at least one user or assistant message")
    body["messages"] = messages
    if system is not None:
        body["system"] = system
    thinking = _thinking(request)
    body["max_tokens"] = _max_tokens(request, thinking)
    if request.stop is not None:
        body["stop_sequences"] = [request.stop] if isinstance(request.stop, str) else list(request.stop)
    for field in ("temperature", "top_p", "top_k"):
        value = getattr(request, field)
        if value is not None:
            body[field] = value
    # OpenAI's safety_identifier (its abuse-monitoring id) and the older `user` are what Anthropic's
    # metadata.user_id is for
    user_id = request.safety_identifier or request.user
    if user_id:
        body["metadata"] = {"user_id": user_id}
    if request.service_tier is not None:
        body["service_tier"] = SERVICE_TIERS[request.service_tier]
    if thinking is not None:
        body["thinking"] = thinking
    tools = _tools(request)
    if tools:
        body["tools"] = tools
    tool_choice = _tool_choice(request, thinking)
    if tool_choice is not None:
        body["tool_choice"] = tool_choice
    if request.stream:
        body["stream"] = True
    if request.extra_body:
        body.update(request.extra_body)
    return body


# ---- system and messages


def _system(messages: list[Message]) -> str | list[Block] | None:
    blocks: list[Block] = []
    for i, m in enumerate(messages):
        if m.role in ("system", "developer"):
            blocks.extend(_with_message_cache(content_blocks(m.content, f"messages[{i}].content"), m))
    if not blocks:
        return None
    if any(b["type"] != "text" for b in blocks):
        raise BadRequestError("system messages may only contain text", param="messages")
    if any("cache_control" in b for b in blocks):
        return blocks
    return "\n\n".join(b["text"] for b in blocks)


def _turns(messages: list[Message]) -> list[dict[str, Any]]:
    """Non-system messages as alternating user/assistant turns."""
    turns: list[dict[str, Any]] = []
    for i, m in enumerate(messages):
        if m.role in ("system", "developer"):
            continue
        role, content = _turn(m, i)
        if isinstance(content, list) and not content:
            continue  # nothing to send (e.g. an empty assistant message)
        if turns and turns[-1]["role"] == role:
            previous = turns[-1]
            previous["content"] = _as_blocks(previous["content"]) + _as_blocks(content)
        else:
            turns.append({"role": role, "content": content})
    return turns


def _as_blocks(content: str | list[Block]) -> list[Block]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


def _turn(m: Message, i: int) -> tuple[str, str | list[Block]]:
    where = f"messages[{i}]"
    if m.role == "user":
        if isinstance(m.content, str) and m.content and m.cache_control is None:
            return "user", m.content
        return "user", _with_message_cache(content_blocks(m.content, f"{where}.content"), m)
    if m.role == "assistant":
        plain = not (m.tool_calls or m.thinking_blocks or m.cache_control is not None)
        if plain and isinstance(m.content, str) and m.content:
            return "assistant", m.content
        return "assistant", _assistant_blocks(m, where)
    if m.role == "tool":
        if not m.tool_call_id:
            raise BadRequestError(f"{where}.tool_call_id: required on tool messages", param=where)
        result: Block = {"type": "tool_result", "tool_use_id": m.tool_call_id}
        parts = content_blocks(m.content, f"{where}.content")
        if isinstance(m.content, str):
            result["content"] = m.content
        elif parts:
            result["content"] = parts
        return "user", [with_cache(result, m.cache_control)]
    raise BadRequestError(
        f"{where}.role: {m.role!r} messages are not supported by Anthropic; use tool messages",
        param=f"{where}.role",
    )


def _assistant_blocks(m: Message, where: str) -> list[Block]:
    blocks: list[Block] = []
    for tb in m.thinking_blocks or ():
        if tb.get("type") in ("thinking", "redacted_thinking"):
            blocks.append(dict(tb))
    blocks.extend(content_blocks(m.content, f"{where}.content"))
    for j, call in enumerate(m.tool_calls or ()):
        blocks.append(
            {
                "type": "tool_use",
                "id": call.id,
                "name": call.function.name,
                "input": _arguments(call.function.arguments, f"{where}.tool_calls[{j}].function.arguments"),
            }
        )
    return _with_message_cache(blocks, m)


def _arguments(raw: str, where: str) -> Any:
    if not raw.strip():
        return {}
    try:
        return _json_decode.decode(raw)
    except msgspec.DecodeError as exc:
        raise BadRequestError(f"{where}: not valid JSON ({exc})", param=where) from exc


def _with_message_cache(blocks: list[Block], m: Message) -> list[Block]:
    # a message-level marker applies to the message's last block, as Anthropic caches up to a block
    if m.cache_control is not None and blocks:
        blocks[-1] = {**blocks[-1], "cache_control": m.cache_control}
    return blocks


# ---- generation settings


def _thinking(request: ChatRequest) -> dict[str, Any] | None:
    if request.thinking is not None:
        return request.thinking
    budget = REASONING_BUDGETS.get(request.reasoning_effort or "none")
    return {"type": "enabled", "budget_tokens": budget} if budget else None


def _max_tokens(request: ChatRequest, thinking: dict[str, Any] | None) -> int:
    asked = request.max_output_tokens()
    if asked is not None:
        return asked
    budget = thinking.get("budget_tokens") if thinking and thinking.get("type") == "enabled" else None
    # budget_tokens must be below max_tokens: leave the default room for the answer itself
    return DEFAULT_MAX_TOKENS + budget if isinstance(budget, int) else DEFAULT_MAX_TOKENS


# ---- tools


def wants_json(fmt: ResponseFormat | None) -> bool:
    """Whether the caller asked for a JSON answer (served as a forced tool call)."""
    return fmt is not None and fmt.type != "text"


def json_schema_of(fmt: ResponseFormat | None) -> dict[str, Any] | None:
    """The schema of the JSON answer the caller asked for, or None when it asked for none."""
    if fmt is None or not wants_json(fmt):
        return None
    if fmt.type == "json_schema" and fmt.json_schema is not None and fmt.json_schema.schema:
        return fmt.json_schema.schema
    # a fresh dict per body: nothing shared between requests can be changed through one of them
    return {"type": "object", "additionalProperties": True}


def _tools(request: ChatRequest) -> list[Block]:
    tools: list[Block] = []
    for tool in request.tools or ():
        fn = tool.function
        spec: Block = {"name": fn.name}
        if fn.description:
            spec["description"] = fn.description
        spec["input_schema"] = fn.parameters or {"type": "object", "properties": {}}
        tools.append(with_cache(spec, tool.cache_control))
    # server tools (web search, code execution...) go as the client wrote them: Anthropic runs them
    tools.extend(request.server_tools or ())
    schema = json_schema_of(request.response_format)
    if schema is not None:
        tools.append(
            {
                "name": JSON_TOOL_NAME,
                "description": "Give the answer as this tool's input.",
                "input_schema": schema,
            }
        )
    return tools


def _tool_choice(request: ChatRequest, thinking: dict[str, Any] | None) -> Block | None:
    choice = request.tool_choice
    json_mode = wants_json(request.response_format)
    thinking_on = thinking is not None and thinking.get("type") == "enabled"
    result: Block | None
    if isinstance(choice, NamedToolChoice):
        result = {"type": "tool", "name": choice.function.name}
    elif choice == "required":
        result = {"type": "any"}
    elif choice == "none":
        return {"type": "none"}
    elif choice == "auto":
        result = {"type": "auto"}
    elif json_mode and not request.tools and not thinking_on:
        result = {"type": "tool", "name": JSON_TOOL_NAME}
    else:
        result = None
    if request.parallel_tool_calls is False and (request.tools or json_mode):
        result = {**(result or {"type": "auto"}), "disable_parallel_tool_use": True}
    return result
