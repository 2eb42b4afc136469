"""OCI Generative AI answers → canonical responses.

`ChatResult`: `{"modelId", "modelVersion", "chatResponse": {...}}`, the chat response in the
request's format:

- GENERIC: `{"apiFormat": "GENERIC", "timeCreated", "choices": [{"index", "message": {"role":
  "ASSISTANT", "content": [{"type": "TEXT", "text"}], "toolCalls": [...]}, "finishReason"}],
  "usage": {"promptTokens", "completionTokens", "totalTokens", "completionTokensDetails":
  {"reasoningTokens"}, "promptTokensDetails": {"cachedTokens"}}}`;
- COHERE: `{"apiFormat": "COHERE", "text", "finishReason": "COMPLETE" | "MAX_TOKENS" | ...,
  "toolCalls": [{"name", "parameters"}], "usage": {...}}`.

Errors are `{"code", "message"}` (e.g. `NotAuthenticated`, `NotAuthorizedOrNotFound`,
`TooManyRequests`, `InvalidParameter`).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import msgspec

from llmrelay.providers.base import ErrorDetails
from llmrelay.types.chat import FunctionCall, ToolCall
from llmrelay.types.errors import InternalServerError
from llmrelay.types.response import (
    ChatResponse,
    Choice,
    CompletionTokensDetails,
    PromptTokensDetails,
    ResponseMessage,
    Usage,
)

PROVIDER = "oci"
_FINISH = {
    "stop": "stop",
    "complete": "stop",
    "end_turn": "stop",
    "length": "length",
    "max_tokens": "length",
    "error_limit": "length",
    "tool_calls": "tool_calls",
    "tool_call": "tool_calls",
    "content_filter": "content_filter",
    "error_toxic": "content_filter",
}


class Part(msgspec.Struct):
    type: str = "TEXT"
    text: str | None = None


class GenericToolCall(msgspec.Struct):
    id: str | None = None
    name: str | None = None
    arguments: str | None = None


class GenericMessage(msgspec.Struct):
    role: str | None = None
    content: list[Part] | None = None
    toolCalls: list[GenericToolCall] | None = None


class GenericChoice(msgspec.Struct):
    index: int = 0
    message: GenericMessage | None = None
    finishReason: str | None = None


class TokenDetails(msgspec.Struct):
    reasoningTokens: int | None = None
    cachedTokens: int | None = None


class WireUsage(msgspec.Struct):
    promptTokens: int = 0
    completionTokens: int | None = None
    totalTokens: int | None = None
    completionTokensDetails: TokenDetails | None = None
    promptTokensDetails: TokenDetails | None = None


class CohereToolCall(msgspec.Struct):
    name: str
    parameters: dict[str, Any] = msgspec.field(default_factory=dict)


class WireChatResponse(msgspec.Struct):
    apiFormat: str = "GENERIC"
    timeCreated: str | None = None
    choices: list[GenericChoice] = msgspec.field(default_factory=list)
    text: str | None = None
    finishReason: str | None = None
    toolCalls: list[CohereToolCall] | None = None
    usage: WireUsage | None = None


class ChatResult(msgspec.Struct):
    chatResponse: WireChatResponse
    modelId: str | None = None


class _Error(msgspec.Struct):
    code: str | None = None
    message: str | None = None


_result = msgspec.json.Decoder(ChatResult)
_error = msgspec.json.Decoder(_Error)


def new_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def finish_reason(raw: str | None) -> str | None:
    if raw is None:
        return None
    return _FINISH.get(raw.lower(), raw.lower())


def usage_of(wire: WireUsage) -> Usage:
    completion = wire.completionTokens or 0
    usage = Usage(
        prompt_tokens=wire.promptTokens,
        completion_tokens=completion,
        total_tokens=wire.totalTokens or wire.promptTokens + completion,
    )
    details = wire.completionTokensDetails
    if details is not None and details.reasoningTokens is not None:
        usage.completion_tokens_details = CompletionTokensDetails(reasoning_tokens=details.reasoningTokens)
    cached = wire.promptTokensDetails
    if cached is not None and cached.cachedTokens is not None:
        usage.prompt_tokens_details = PromptTokensDetails(cached_tokens=cached.cachedTokens)
    return usage


def text_of(parts: list[Part] | None) -> str | None:
    texts = [p.text for p in parts or () if p.type.upper() == "TEXT" and p.text is not None]
    return "".join(texts) if texts else None


def generic_calls(calls: list[GenericToolCall] | None) -> list[ToolCall] | None:
    if not calls:
        return None
    return [
        ToolCall(
            id=c.id or f"call_{uuid.uuid4().hex[:24]}",
            function=FunctionCall(name=c.name or "", arguments=c.arguments or "{}"),
        )
        for c in calls
    ]


def cohere_calls(calls: list[CohereToolCall] | None) -> list[ToolCall] | None:
    if not calls:
        return None
    return [
        ToolCall(
            id=f"call_{uuid.uuid4().hex[:24]}",
            function=FunctionCall(name=c.name, arguments=json.dumps(c.parameters)),
        )
        for c in calls
    ]


def created_of(time_created: str | None) -> int:
    if time_created:
        try:
            return int(dt.datetime.fromisoformat(time_created.replace("Z", "+00:00")).timestamp())
        except ValueError:
            pass  # an unreadable time is not worth failing the answer for: now is used
    return int(dt.datetime.now(dt.UTC).timestamp())


def to_chat_response(body: bytes, model: str) -> ChatResponse:
    try:
        result = _result.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InternalServerError(
            f"OCI answered an unreadable chat result: {exc}", provider=PROVIDER, model=model
        ) from exc
    answer = result.chatResponse
    usage = usage_of(answer.usage) if answer.usage is not None else None
    if answer.apiFormat == "COHERE":
        calls = cohere_calls(answer.toolCalls)
        reason = "tool_calls" if calls else finish_reason(answer.finishReason)
        choices = [
            Choice(
                index=0, message=ResponseMessage(content=answer.text, tool_calls=calls), finish_reason=reason
            )
        ]
    else:
        choices = []
        for choice in answer.choices:
            message = choice.message or GenericMessage()
            calls = generic_calls(message.toolCalls)
            reason = finish_reason(choice.finishReason)
            choices.append(
                Choice(
                    index=choice.index,
                    finish_reason=reason,
                    message=ResponseMessage(content=text_of(message.content), tool_calls=calls),
                )
            )
    return ChatResponse(
        id=new_id(),
        created=created_of(answer.timeCreated),
        model=result.modelId or model,
        choices=choices,
        usage=usage,
    )


def error_details(body: bytes) -> ErrorDetails | None:
    try:
        found = _error.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if found.code is None and found.message is None:
        return None
    return ErrorDetails(message=found.message, code=found.code)
