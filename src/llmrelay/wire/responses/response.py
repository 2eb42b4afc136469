"""A canonical ChatResponse → a Responses API Response.

Output order follows the model's: reasoning, then the message (output_text, or a refusal part), then
one function_call item per tool call. A finish by length becomes `status: "incomplete"` with
`incomplete_details.reason: "max_output_tokens"` (content_filter likewise). The request's settings
are echoed back as OpenAI's Response does (`tools`, `tool_choice`, `text`, `temperature`...).

Reasoning: the text goes into the item's `summary`. Signed thinking blocks (Anthropic, Bedrock) are
carried in `encrypted_content` as base64 JSON — not encrypted, only opaque to the client — so a
client that sends the item back (as OpenAI's clients do) gives the model its own signed thinking
back, which Anthropic requires when a tool call follows thinking.
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

import msgspec

from llmrelay.types.response import ChatResponse, ResponseMessage, Usage
from llmrelay.types.responses import (
    FunctionCallItem,
    IncompleteDetails,
    InputTokensDetails,
    OutputItem,
    OutputMessage,
    OutputRefusal,
    OutputText,
    OutputTokensDetails,
    ReasoningItem,
    Response,
    ResponseUsage,
    SummaryText,
)
from llmrelay.wire.responses.schema import ResponsesRequest

_encoder = msgspec.json.Encoder()
_INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def response_id(source_id: str | None) -> str:
    """Responses ids start with resp_; keep one that does, invent one otherwise (a chat completion's
    id is not a response id a client could use)."""
    if source_id and source_id.startswith("resp_"):
        return source_id
    return new_id("resp")


def incomplete_reason(finish_reason: str | None) -> str | None:
    return _INCOMPLETE.get(finish_reason or "")


def usage_of(usage: Usage | None) -> ResponseUsage:
    if usage is None:
        return ResponseUsage(input_tokens=0, output_tokens=0, total_tokens=0)
    return ResponseUsage(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens or usage.prompt_tokens + usage.completion_tokens,
        input_tokens_details=InputTokensDetails(
            cached_tokens=usage.cached_tokens, cache_write_tokens=usage.cache_creation_tokens
        ),
        output_tokens_details=OutputTokensDetails(reasoning_tokens=usage.reasoning_tokens),
    )


def encrypted_thinking(blocks: list[dict[str, Any]] | None) -> str | None:
    if not blocks:
        return None
    return base64.b64encode(_encoder.encode(blocks)).decode()


def output_items(message: ResponseMessage, status: str = "completed") -> list[OutputItem]:
    items: list[OutputItem] = []
    reasoning = message.reasoning_content or "".join(
        str(b.get("thinking", "")) for b in message.thinking_blocks or () if b.get("type") == "thinking"
    )
    encrypted = encrypted_thinking(message.thinking_blocks)
    if reasoning or encrypted:
        summary = [SummaryText(text=reasoning)] if reasoning else []
        items.append(ReasoningItem(id=new_id("rs"), summary=summary, encrypted_content=encrypted))
    parts: list[OutputText | OutputRefusal] = []
    if message.content:
        parts.append(OutputText(text=message.content, annotations=list(message.annotations or ())))
    if message.refusal:
        parts.append(OutputRefusal(refusal=message.refusal))
    if parts:
        items.append(OutputMessage(id=new_id("msg"), content=parts, status=status))  # type: ignore[arg-type]
    for call in message.tool_calls or ():
        items.append(
            FunctionCallItem(
                id=new_id("fc"), call_id=call.id, name=call.function.name, arguments=call.function.arguments
            )
        )
    return items


def echo_fields(request: ResponsesRequest | None) -> dict[str, Any]:
    """The request's settings as the Response object repeats them."""
    if request is None:
        return {}
    fields: dict[str, Any] = {
        "instructions": request.instructions,
        "max_output_tokens": request.max_output_tokens,
        "metadata": dict(request.metadata or {}),
        "parallel_tool_calls": request.parallel_tool_calls is not False,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "tools": list(request.tools or ()),
        "tool_choice": request.tool_choice if request.tool_choice is not None else "auto",
        "truncation": request.truncation or "disabled",
        "user": request.user,
        "store": bool(request.store),
        "previous_response_id": request.previous_response_id,
    }
    fmt = request.text.format if request.text else None
    fields["text"] = {"format": msgspec.to_builtins(fmt) if fmt else {"type": "text"}}
    reasoning = request.reasoning
    fields["reasoning"] = {
        "effort": reasoning.effort if reasoning else None,
        "summary": reasoning.summary if reasoning else None,
    }
    return fields


def encode_response(
    response: ChatResponse, request: ResponsesRequest | None = None, model: str | None = None
) -> Response:
    """`request`: the client's request, echoed back; `model`: the name the client asked for."""
    choice = response.choices[0] if response.choices else None
    message = choice.message if choice else ResponseMessage(content=None)
    reason = incomplete_reason(choice.finish_reason if choice else None)
    return Response(
        id=response_id(response.id),
        created_at=response.created or int(time.time()),
        model=model or response.model,
        output=output_items(message, "incomplete" if reason else "completed"),
        status="incomplete" if reason else "completed",
        incomplete_details=IncompleteDetails(reason=reason) if reason else None,  # type: ignore[arg-type]
        usage=usage_of(response.usage),
        **echo_fields(request),
    )


def encode_response_bytes(
    response: ChatResponse, request: ResponsesRequest | None = None, model: str | None = None
) -> bytes:
    return _encoder.encode(encode_response(response, request, model))
