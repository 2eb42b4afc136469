"""Cohere v2 chat response → OpenAI-shaped ChatResponse (and the pieces the stream decoder shares)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from llmrelay.providers.cohere.wire import ChatResponseWire, UsageUnits, UsageWire
from llmrelay.types.chat import FunctionCall, ToolCall
from llmrelay.types.response import ChatResponse, Choice, PromptTokensDetails, ResponseMessage, Usage

# Cohere finish_reason → OpenAI finish_reason. ERROR and TIMEOUT have no OpenAI counterpart: they read
# as "stop" and the raw value stays in the hidden params (`provider_finish_reason`).
_FINISH_REASONS = {
    "COMPLETE": "stop",
    "STOP_SEQUENCE": "stop",
    "MAX_TOKENS": "length",
    "TOOL_CALL": "tool_calls",
    "ERROR": "stop",
    "TIMEOUT": "stop",
}


def finish_reason(raw: str | None, has_tool_calls: bool) -> str:
    if has_tool_calls and raw in (None, "COMPLETE", "TOOL_CALL"):
        return "tool_calls"
    return _FINISH_REASONS.get(raw or "", "stop")


def to_usage(usage: UsageWire | None) -> Usage:
    """Billed units are what Cohere charges for, so they are the usage when present; `tokens` also
    counts the prompt Cohere wraps around the messages, and stands in only when no bill is given."""
    if usage is None:
        return Usage()
    prompt = _pick(usage.billed_units, usage.tokens, "input_tokens")
    completion = _pick(usage.billed_units, usage.tokens, "output_tokens")
    details = None
    if usage.cached_tokens:
        details = PromptTokensDetails(cached_tokens=int(usage.cached_tokens))
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion,
        prompt_tokens_details=details,
    )


def _pick(billed: UsageUnits | None, tokens: UsageUnits | None, name: str) -> int:
    for units in (billed, tokens):
        value = getattr(units, name) if units is not None else None
        if value is not None:
            return int(value)
    return 0


def response_id(raw: str | None) -> str:
    return raw or f"chatcmpl-{uuid.uuid4().hex}"


def tool_call_id(raw: str | None, index: int) -> str:
    return raw or f"call_{index}"


def to_chat_response(response: ChatResponseWire, model: str) -> ChatResponse:
    message = response.message
    text: list[str] = []
    reasoning: list[str] = []
    calls: list[ToolCall] = []
    if message is not None:
        for item in message.content or ():
            if item.type == "thinking" and item.thinking:
                reasoning.append(item.thinking)
            elif item.text is not None:
                text.append(item.text)
        for i, call in enumerate(message.tool_calls or ()):
            function = call.function
            calls.append(
                ToolCall(
                    id=tool_call_id(call.id, i),
                    function=FunctionCall(
                        name=(function.name if function else None) or "",
                        arguments=(function.arguments if function else None) or "{}",
                    ),
                )
            )
        if message.tool_plan and not text:
            # the plan Cohere writes before its tool calls is the turn's text, as OpenAI's content
            # beside tool_calls; replaying the turn sends it back as tool_plan
            text.append(message.tool_plan)
    choice = Choice(
        index=0,
        message=ResponseMessage(
            content="".join(text) if text else None,
            tool_calls=calls or None,
            reasoning_content="".join(reasoning) or None,
        ),
        finish_reason=finish_reason(response.finish_reason, bool(calls)),
    )
    return ChatResponse(
        id=response_id(response.id),
        created=int(time.time()),
        model=model,
        choices=[choice],
        usage=to_usage(response.usage),
    )


def provider_details(response: ChatResponseWire) -> dict[str, Any]:
    """Cohere facts with no OpenAI field, for the response's hidden params."""
    details: dict[str, Any] = {"provider_finish_reason": response.finish_reason}
    if response.message is not None and response.message.citations:
        details["citations"] = response.message.citations
    return details
