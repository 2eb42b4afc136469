"""A Converse response → ChatResponse: text, tool calls, reasoning, finish reason and usage."""

from __future__ import annotations

import time
import uuid
from typing import Any

import msgspec

from llmrelay.providers.bedrock.wire import ContentBlock, ConverseResponse, TokenUsage
from llmrelay.types.chat import FunctionCall, ToolCall
from llmrelay.types.response import (
    ChatResponse,
    Choice,
    PromptTokensDetails,
    ResponseMessage,
    Usage,
)

# Converse stopReason → OpenAI finish_reason
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
    "malformed_model_output": "stop",
    "malformed_tool_use": "stop",
}
_encoder = msgspec.json.Encoder()


def finish_reason(stop_reason: str | None) -> str | None:
    if stop_reason is None:
        return None
    return FINISH_REASONS.get(stop_reason, "stop")


def to_usage(usage: TokenUsage | None) -> Usage:
    """OpenAI counts cache reads and writes inside prompt_tokens; Bedrock reports them beside inputTokens."""
    if usage is None:
        return Usage()
    read = usage.cache_read_input_tokens or 0
    write = usage.cache_write_input_tokens or 0
    prompt = usage.input_tokens + read + write
    details = None
    if usage.cache_read_input_tokens is not None or usage.cache_write_input_tokens is not None:
        details = PromptTokensDetails(cached_tokens=read, cache_creation_tokens=write or None)
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=usage.output_tokens,
        total_tokens=prompt + usage.output_tokens,
        prompt_tokens_details=details,
    )


def response_id(request_id: str | None) -> str:
    return f"chatcmpl-{request_id or uuid.uuid4().hex}"


def to_chat_response(decoded: ConverseResponse, model: str, request_id: str | None) -> ChatResponse:
    blocks = decoded.output.message.content if decoded.output.message else []
    text, tool_calls, reasoning, thinking = read_blocks(blocks)
    message = ResponseMessage(
        content="".join(text) if text or not tool_calls else None,
        tool_calls=tool_calls or None,
        reasoning_content="".join(reasoning) if reasoning else None,
        thinking_blocks=thinking or None,
    )
    return ChatResponse(
        id=response_id(request_id),
        created=int(time.time()),
        model=model,
        choices=[Choice(index=0, message=message, finish_reason=finish_reason(decoded.stop_reason))],
        usage=to_usage(decoded.usage),
    )


def read_blocks(
    blocks: list[ContentBlock],
) -> tuple[list[str], list[ToolCall], list[str], list[dict[str, Any]]]:
    """(text pieces, tool calls, reasoning pieces, Anthropic-style thinking blocks)."""
    text: list[str] = []
    calls: list[ToolCall] = []
    reasoning: list[str] = []
    thinking: list[dict[str, Any]] = []
    for block in blocks:
        if block.text is not None:
            text.append(block.text)
        elif block.tool_use is not None:
            use = block.tool_use
            arguments = _encoder.encode(use.input if use.input is not None else {}).decode()
            calls.append(
                ToolCall(id=use.tool_use_id, function=FunctionCall(name=use.name, arguments=arguments))
            )
        elif block.reasoning_content is not None:
            content = block.reasoning_content
            if content.reasoning_text is not None:
                reasoning.append(content.reasoning_text.text)
                entry: dict[str, Any] = {"type": "thinking", "thinking": content.reasoning_text.text}
                if content.reasoning_text.signature:
                    entry["signature"] = content.reasoning_text.signature
                thinking.append(entry)
            elif content.redacted_content is not None:
                thinking.append({"type": "redacted_thinking", "data": content.redacted_content})
    return text, calls, reasoning, thinking
