"""An Anthropic Message (response body, decoded into llmrelay.wire.anthropic.message's shapes) →
ChatResponse, and the mappings shared with the stream decoder: stop_reason → finish_reason and
Anthropic usage → canonical Usage."""

from __future__ import annotations

import time
from typing import Any

import msgspec

from llmrelay.providers.anthropic.request import JSON_TOOL_NAME
from llmrelay.types.chat import FunctionCall, ToolCall
from llmrelay.types.response import ChatResponse, Choice, PromptTokensDetails, ResponseMessage, Usage
from llmrelay.wire.anthropic.message import ContentBlock, Message

# Anthropic stop_reason → OpenAI finish_reason. pause_turn (a server-tool loop paused; send the turn
# back to continue) has no OpenAI equivalent and reads as "stop"; unknown values also read as "stop".
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def finish_reason(stop_reason: str | None) -> str | None:
    if stop_reason is None:
        return None
    return FINISH_REASONS.get(stop_reason, "stop")


def to_usage(
    input_tokens: int, output_tokens: int, cache_read: int | None, cache_creation: int | None
) -> Usage:
    """Anthropic counts cached input apart from input_tokens; OpenAI's prompt_tokens includes it."""
    prompt = input_tokens + (cache_read or 0) + (cache_creation or 0)
    details = None
    if cache_read is not None or cache_creation is not None:
        details = PromptTokensDetails(
            cached_tokens=cache_read or 0, cache_creation_tokens=cache_creation or 0
        )
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=output_tokens,
        total_tokens=prompt + output_tokens,
        prompt_tokens_details=details,
    )


_json_encode = msgspec.json.Encoder()


def thinking_block(block: ContentBlock) -> dict[str, Any] | None:
    if block.type == "thinking":
        return {"type": "thinking", "thinking": block.thinking or "", "signature": block.signature or ""}
    if block.type == "redacted_thinking":
        return {"type": "redacted_thinking", "data": block.data or ""}
    return None


def to_chat_response(msg: Message, json_mode: bool) -> ChatResponse:
    """`json_mode`: the request asked for JSON, so the JSON tool's input is the answer's content."""
    texts: list[str] = []
    reasoning: list[str] = []
    thinking: list[dict[str, Any]] = []
    calls: list[ToolCall] = []
    answered_by_json_tool = False
    for block in msg.content:
        if block.type == "text":
            texts.append(block.text or "")
        elif block.type == "tool_use" and json_mode and block.name == JSON_TOOL_NAME:
            texts.append(_json_encode.encode(block.input).decode())
            answered_by_json_tool = True
        elif block.type == "tool_use":
            arguments = _json_encode.encode(block.input if block.input is not None else {}).decode()
            calls.append(
                ToolCall(id=block.id or "", function=FunctionCall(name=block.name or "", arguments=arguments))
            )
        elif (tb := thinking_block(block)) is not None:
            thinking.append(tb)
            if block.type == "thinking" and block.thinking:
                reasoning.append(block.thinking)
        # server-tool and other block types have no canonical form and are left out
    reason = finish_reason(msg.stop_reason)
    if answered_by_json_tool and not calls and reason == "tool_calls":
        reason = "stop"
    message = ResponseMessage(
        content="".join(texts) if texts or not calls else None,
        tool_calls=calls or None,
        reasoning_content="".join(reasoning) or None,
        thinking_blocks=thinking or None,
    )
    u = msg.usage
    usage = to_usage(
        u.input_tokens or 0, u.output_tokens or 0, u.cache_read_input_tokens, u.cache_creation_input_tokens
    )
    return ChatResponse(
        id=msg.id,
        created=int(time.time()),
        model=msg.model,
        choices=[Choice(index=0, message=message, finish_reason=reason)],
        usage=usage,
    )
