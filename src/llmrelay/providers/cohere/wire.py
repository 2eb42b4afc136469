"""Cohere v2 response bodies and stream events as msgspec Structs.

Only the fields the adapter reads are declared; msgspec ignores the rest, so fields Cohere adds never
break decoding. Names follow the v2 API reference (docs.cohere.com/reference/chat, /chat-stream,
/embed): a chat response is {id, finish_reason, message: {role, content[], tool_plan, tool_calls[],
citations[]}, usage: {billed_units, tokens}}; a stream is SSE events whose data names its `type`.
"""

from __future__ import annotations

from typing import Any

import msgspec


class UsageUnits(msgspec.Struct, omit_defaults=True):
    input_tokens: float | None = None
    output_tokens: float | None = None


class UsageWire(msgspec.Struct, omit_defaults=True):
    # billed_units: what Cohere charges for; tokens: what the model processed (the prompt Cohere
    # wraps around the messages included)
    billed_units: UsageUnits | None = None
    tokens: UsageUnits | None = None
    cached_tokens: float | None = None


class FunctionWire(msgspec.Struct, omit_defaults=True):
    name: str | None = None
    arguments: str | None = None


class ToolCallWire(msgspec.Struct, omit_defaults=True):
    id: str | None = None
    type: str | None = None
    function: FunctionWire | None = None


class ContentItem(msgspec.Struct, omit_defaults=True):
    """One assistant content block: {"type": "text", "text"} or {"type": "thinking", "thinking"}."""

    type: str = "text"
    text: str | None = None
    thinking: str | None = None


class AssistantMessageWire(msgspec.Struct, omit_defaults=True):
    role: str = "assistant"
    content: list[ContentItem] | None = None
    tool_plan: str | None = None
    tool_calls: list[ToolCallWire] | None = None
    citations: list[dict[str, Any]] | None = None


class ChatResponseWire(msgspec.Struct, omit_defaults=True):
    id: str | None = None
    finish_reason: str | None = None
    message: AssistantMessageWire | None = None
    usage: UsageWire | None = None


# ---- stream events: {"type": ..., "index"?, "id"?, "delta": {...}}
class DeltaContent(msgspec.Struct, omit_defaults=True):
    type: str | None = None
    text: str | None = None
    thinking: str | None = None


class DeltaMessage(msgspec.Struct, omit_defaults=True):
    # one block per content event; message-start sends the empty message, where these are lists
    content: DeltaContent | list[Any] | None = None
    tool_plan: str | None = None
    # one call per event in tool-call-start / tool-call-delta (an object, not a list)
    tool_calls: ToolCallWire | list[Any] | None = None


class EventDelta(msgspec.Struct, omit_defaults=True):
    message: DeltaMessage | None = None
    finish_reason: str | None = None
    usage: UsageWire | None = None
    error: str | None = None


class StreamEventWire(msgspec.Struct, omit_defaults=True):
    type: str = ""
    id: str | None = None
    index: int | None = None
    delta: EventDelta | None = None


# ---- embeddings: {"id", "embeddings": {"float": [[...]]}, "texts", "meta": {"billed_units"}}
class EmbeddingsByType(msgspec.Struct, omit_defaults=True):
    # named `float` on the wire; renamed here so the builtin stays visible to annotations
    floats: list[list[float]] | None = msgspec.field(default=None, name="float")


class EmbedMeta(msgspec.Struct, omit_defaults=True):
    billed_units: UsageUnits | None = None


class EmbedResponseWire(msgspec.Struct, omit_defaults=True):
    id: str | None = None
    embeddings: EmbeddingsByType | None = None
    meta: EmbedMeta | None = None


chat_decoder = msgspec.json.Decoder(ChatResponseWire)
event_decoder = msgspec.json.Decoder(StreamEventWire)
embed_decoder = msgspec.json.Decoder(EmbedResponseWire)
