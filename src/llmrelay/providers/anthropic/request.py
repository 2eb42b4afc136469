"""ChatRequest → the body of an Anthropic Messages API request (POST /v1/messages), built from the
request shapes of llmrelay.wire.anthropic.schema (the ones the gateway's /v1/messages reads).

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

from typing import Any, Literal, TypeVar

import msgspec

from llmrelay.providers.anthropic.content import PartBlock, content_blocks
from llmrelay.types.chat import ChatRequest, Message, NamedToolChoice, ResponseFormat
from llmrelay.types.errors import BadRequestError
from llmrelay.wire.anthropic.schema import (
    Block,
    InMessage,
    InMetadata,
    InToolChoice,
    MessagesRequest,
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
)

DEFAULT_MAX_TOKENS = 4096
# thinking budget_tokens per reasoning_effort ("none" sends no thinking); Anthropic's minimum is 1024
REASONING_BUDGETS = {"minimal": 1024, "low": 2048, "medium": 4096, "high": 8192, "xhigh": 16384}
JSON_TOOL_NAME = "json_response"
# OpenAI's service_tier values with an Anthropic equivalent: "auto" may use Priority Tier capacity,
# "default" is standard capacity only. Others ("flex", "priority", "scale") are removed by the adapter.
SERVICE_TIERS = {"auto": "auto", "default": "standard_only"}

_json_decode = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()

Role = Literal["user", "assistant"]


def build_request(request: ChatRequest, model: str) -> MessagesRequest:
    """The Messages request, without the caller's `extra_body` (see `encode_body`)."""
    system = _system(request.messages)
    messages = _turns(request.messages)
    if not messages:
        raise BadRequestError("messages: Anthropic needs at least one user or assistant message")
    thinking = _thinking(request)
    stop = request.stop
    # OpenAI's safety_identifier (its abuse-monitoring id) and the older `user` are what Anthropic's
    # metadata.user_id is for
    user_id = request.safety_identifier or request.user
    return MessagesRequest(
        model=model,
        messages=messages,
        system=system,
        max_tokens=_max_tokens(request, thinking),
        stop_sequences=None if stop is None else [stop] if isinstance(stop, str) else list(stop),
        temperature=request.temperature,
        top_p=request.top_p,
        top_k=request.top_k,
        metadata=InMetadata(user_id=user_id) if user_id else None,
        service_tier=None if request.service_tier is None else SERVICE_TIERS[request.service_tier],
        thinking=thinking,
        tools=_tools(request) or None,
        tool_choice=_tool_choice(request, thinking),
        stream=True if request.stream else None,
    )


def build_body(request: ChatRequest, model: str) -> dict[str, Any]:
    """The request as a JSON object, the caller's `extra_body` merged over it (for a caller that
    changes the body further: Vertex AI's)."""
    body: dict[str, Any] = msgspec.to_builtins(build_request(request, model))
    if request.extra_body:
        body.update(request.extra_body)
    return body


def encode_body(request: ChatRequest, model: str) -> bytes:
    if request.extra_body:
        return _encoder.encode(build_body(request, model))
    return _encoder.encode(build_request(request, model))


# ---- system and messages


def _system(messages: list[Message]) -> str | list[TextBlock] | None:
    blocks: list[PartBlock] = []
    for i, m in enumerate(messages):
        if m.role in ("system", "developer"):
            blocks.extend(_with_message_cache(content_blocks(m.content, f"messages[{i}].content"), m))
    if not blocks:
        return None
    texts = [b for b in blocks if isinstance(b, TextBlock)]
    if len(texts) != len(blocks):
        raise BadRequestError("system messages may only contain text", param="messages")
    if any(b.cache_control is not None for b in texts):
        return texts
    return "\n\n".join(b.text for b in texts)


def _turns(messages: list[Message]) -> list[InMessage]:
    """Non-system messages as alternating user/assistant turns."""
    turns: list[InMessage] = []
    for i, m in enumerate(messages):
        if m.role in ("system", "developer"):
            continue
        role, content = _turn(m, i)
        if isinstance(content, list) and not content:
            continue  # nothing to send (e.g. an empty assistant message)
        if turns and turns[-1].role == role:
            previous = turns[-1]
            previous.content = _as_blocks(previous.content) + _as_blocks(content)
        else:
            turns.append(InMessage(role=role, content=content))
    return turns


def _as_blocks(content: str | list[Block]) -> list[Block]:
    return [TextBlock(text=content)] if isinstance(content, str) else content


def _turn(m: Message, i: int) -> tuple[Role, str | list[Block]]:
    where = f"messages[{i}]"
    if m.role == "user":
        if isinstance(m.content, str) and m.content and m.cache_control is None:
            return "user", m.content
        blocks: list[Block] = [*content_blocks(m.content, f"{where}.content")]
        return "user", _with_message_cache(blocks, m)
    if m.role == "assistant":
        plain = not (m.tool_calls or m.thinking_blocks or m.cache_control is not None)
        if plain and isinstance(m.content, str) and m.content:
            return "assistant", m.content
        return "assistant", _assistant_blocks(m, where)
    if m.role == "tool":
        if not m.tool_call_id:
            raise BadRequestError(f"{where}.tool_call_id: required on tool messages", param=where)
        parts = content_blocks(m.content, f"{where}.content")
        content = m.content if isinstance(m.content, str) else parts or None
        result = ToolResultBlock(tool_use_id=m.tool_call_id, content=content, cache_control=m.cache_control)
        return "user", [result]
    raise BadRequestError(
        f"{where}.role: {m.role!r} messages are not supported by Anthropic; use tool messages",
        param=f"{where}.role",
    )


def _assistant_blocks(m: Message, where: str) -> list[Block]:
    blocks: list[Block] = []
    for tb in m.thinking_blocks or ():
        if tb.get("type") == "thinking":
            blocks.append(
                ThinkingBlock(
                    thinking=str(tb.get("thinking") or ""), signature=str(tb.get("signature") or "")
                )
            )
        elif tb.get("type") == "redacted_thinking":
            blocks.append(RedactedThinkingBlock(data=str(tb.get("data") or "")))
    blocks.extend(content_blocks(m.content, f"{where}.content"))
    for j, call in enumerate(m.tool_calls or ()):
        arguments = _arguments(call.function.arguments, f"{where}.tool_calls[{j}].function.arguments")
        blocks.append(ToolUseBlock(id=call.id, name=call.function.name, input=arguments))
    return _with_message_cache(blocks, m)


def _arguments(raw: str, where: str) -> Any:
    if not raw.strip():
        return {}
    try:
        return _json_decode.decode(raw)
    except msgspec.DecodeError as exc:
        raise BadRequestError(f"{where}: not valid JSON ({exc})", param=where) from exc


B = TypeVar("B", bound=msgspec.Struct)


def _with_message_cache(blocks: list[B], m: Message) -> list[B]:
    # a message-level marker applies to the message's last block, as Anthropic caches up to a block;
    # thinking blocks take none (Anthropic refuses cache_control on them)
    last = blocks[-1] if blocks else None
    if (
        m.cache_control is not None
        and last is not None
        and not isinstance(last, ThinkingBlock | RedactedThinkingBlock)
    ):
        blocks[-1] = msgspec.structs.replace(last, cache_control=m.cache_control)
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


def _tools(request: ChatRequest) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = []
    for tool in request.tools or ():
        fn = tool.function
        spec: dict[str, Any] = {"name": fn.name}
        if fn.description:
            spec["description"] = fn.description
        spec["input_schema"] = fn.parameters or {"type": "object", "properties": {}}
        if tool.cache_control is not None:
            spec["cache_control"] = tool.cache_control
        tools.append(spec)
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


def _tool_choice(request: ChatRequest, thinking: dict[str, Any] | None) -> InToolChoice | None:
    choice = request.tool_choice
    json_mode = wants_json(request.response_format)
    thinking_on = thinking is not None and thinking.get("type") == "enabled"
    result: InToolChoice | None
    if isinstance(choice, NamedToolChoice):
        result = InToolChoice(type="tool", name=choice.function.name)
    elif choice == "required":
        result = InToolChoice(type="any")
    elif choice == "none":
        return InToolChoice(type="none")
    elif choice == "auto":
        result = InToolChoice(type="auto")
    elif json_mode and not request.tools and not thinking_on:
        result = InToolChoice(type="tool", name=JSON_TOOL_NAME)
    else:
        result = None
    if request.parallel_tool_calls is False and (request.tools or json_mode):
        result = result or InToolChoice(type="auto")
        result.disable_parallel_tool_use = True
    return result
