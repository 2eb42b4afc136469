"""A canonical ChatResponse → an Anthropic Messages response body.

Content order follows Anthropic's: thinking blocks, then text, then tool_use. Reasoning text without
signed thinking_blocks (from non-Anthropic models) becomes a thinking block with an empty signature.
Usage: Anthropic's input_tokens excludes cache reads and writes, so they are subtracted back out of
prompt_tokens.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from llmrelay.types.response import ChatResponse, ResponseMessage, Usage
from llmrelay.wire.anthropic.message import ContentBlock, Message
from llmrelay.wire.anthropic.message import Usage as AnthropicUsage

# OpenAI finish_reason → Anthropic stop_reason
STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}

_encoder = msgspec.json.Encoder()
_json_decode = msgspec.json.Decoder()


def message_id(source_id: str | None) -> str:
    """Anthropic ids start with msg_; keep one that does, prefix any other, invent one if missing."""
    if source_id and source_id.startswith("msg_"):
        return source_id
    return "msg_" + (source_id or uuid.uuid4().hex)


def stop_reason(finish_reason: str | None, has_tool_calls: bool) -> str:
    # clients such as agents run tools only on stop_reason tool_use, whatever the upstream said
    if has_tool_calls and finish_reason in (None, "stop", "tool_calls", "function_call"):
        return "tool_use"
    return STOP_REASONS.get(finish_reason or "stop", "end_turn")


def usage_body(usage: Usage | None, input_tokens_hint: int = 0) -> AnthropicUsage:
    if usage is None:
        return AnthropicUsage(
            input_tokens=input_tokens_hint,
            output_tokens=0,
            cache_creation_input_tokens=0,
            cache_read_input_tokens=0,
        )
    cached, created = usage.cached_tokens, usage.cache_creation_tokens
    return AnthropicUsage(
        input_tokens=max(0, usage.prompt_tokens - cached - created),
        output_tokens=usage.completion_tokens,
        cache_creation_input_tokens=created,
        cache_read_input_tokens=cached,
    )


def tool_input(arguments: str) -> Any:
    """Tool arguments as the JSON value Anthropic's `input` holds; models sometimes emit broken JSON,
    which is passed on wrapped as {"_raw_arguments": ...} rather than lost."""
    if not arguments.strip():
        return {}
    try:
        return _json_decode.decode(arguments)
    except msgspec.DecodeError:
        return {"_raw_arguments": arguments}


def thinking_block(block: dict[str, Any]) -> ContentBlock:
    """A canonical thinking_blocks entry (Anthropic's own shape, kept as a mapping) as a block."""
    if block.get("type") == "redacted_thinking":
        return ContentBlock(type="redacted_thinking", data=block.get("data"))
    return ContentBlock(
        type=str(block.get("type")), thinking=block.get("thinking"), signature=block.get("signature")
    )


def content_blocks(message: ResponseMessage) -> list[ContentBlock]:
    blocks: list[ContentBlock] = []
    if message.thinking_blocks:
        blocks.extend(thinking_block(tb) for tb in message.thinking_blocks)
    elif message.reasoning_content:
        blocks.append(ContentBlock(type="thinking", thinking=message.reasoning_content, signature=""))
    if message.content:
        blocks.append(ContentBlock(type="text", text=message.content))
    elif message.refusal:
        blocks.append(ContentBlock(type="text", text=message.refusal))
    for call in message.tool_calls or ():
        arguments = tool_input(call.function.arguments)
        blocks.append(ContentBlock(type="tool_use", id=call.id, name=call.function.name, input=arguments))
    return blocks


def encode_message(response: ChatResponse, model: str | None = None) -> Message:
    """`model`: the name the client asked for (defaults to the upstream's)."""
    choice = response.choices[0] if response.choices else None
    message = choice.message if choice else ResponseMessage(content=None)
    return Message(
        id=message_id(response.id),
        model=model or response.model,
        content=content_blocks(message),
        stop_reason=stop_reason(choice.finish_reason if choice else None, bool(message.tool_calls)),
        usage=usage_body(response.usage),
    )


def encode_response(response: ChatResponse, model: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = msgspec.to_builtins(encode_message(response, model))
    return result


def encode_response_bytes(response: ChatResponse, model: str | None = None) -> bytes:
    return _encoder.encode(encode_message(response, model))
