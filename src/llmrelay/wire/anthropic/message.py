"""msgspec shapes of an Anthropic Message (a response body), its stream events, its error bodies and
a token count:
one set for both directions. The Anthropic adapter (llmrelay.providers.anthropic) decodes upstream
answers into them; the gateway's /v1/messages dialect (response.py, stream.py, errors.py here) encodes
its answers from them. (The request side is schema.py.)

Decoding is lenient — a block or event type added later reads as its `type` only — and encoding
writes exactly the fields Anthropic's API writes: structs with `omit_defaults` leave out what is not
set, and a field Anthropic writes as null when empty (`stop_sequence`) defaults to UNSET instead, so
an explicit None is written.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType


class Usage(msgspec.Struct, omit_defaults=True):
    # input_tokens excludes cache reads and writes (OpenAI's prompt_tokens includes them)
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None


class ContentBlock(msgspec.Struct, omit_defaults=True):
    """Any content block of an answer: text, tool_use, thinking, redacted_thinking, and server-tool
    blocks (read as their type only). Fields a block's type does not use stay None."""

    type: str
    text: str | None = None
    id: str | None = None
    name: str | None = None
    input: Any = None
    thinking: str | None = None
    signature: str | None = None
    data: str | None = None


class Message(msgspec.Struct, kw_only=True):
    id: str
    type: str = "message"
    role: str = "assistant"
    model: str
    content: list[ContentBlock]
    stop_reason: str | None = None
    stop_sequence: str | None = None
    usage: Usage = msgspec.field(default_factory=Usage)


class EventDelta(msgspec.Struct, omit_defaults=True):
    """A content_block_delta's delta (text_delta, input_json_delta, thinking_delta, signature_delta)
    or a message_delta's (stop_reason, stop_sequence)."""

    type: str | None = None
    text: str | None = None
    partial_json: str | None = None
    thinking: str | None = None
    signature: str | None = None
    stop_reason: str | None = None
    stop_sequence: str | UnsetType | None = UNSET


class StreamEvent(msgspec.Struct, omit_defaults=True):
    """One event of a stream: message_start (message), content_block_start (index, content_block),
    content_block_delta (index, delta), content_block_stop (index), message_delta (delta, usage),
    message_stop, ping, error."""

    type: str
    index: int | None = None
    message: Message | None = None
    content_block: ContentBlock | None = None
    delta: EventDelta | None = None
    usage: Usage | None = None


class ErrorDetail(msgspec.Struct):
    type: str | None = None
    message: str | None = None


class ErrorBody(msgspec.Struct):
    """{"type": "error", "error": {"type", "message"}}: an error response's body, or the data of a
    stream's `event: error`."""

    type: str = "error"
    error: ErrorDetail | None = None


# the answer of POST /v1/messages/count_tokens
class TokenCount(msgspec.Struct):
    input_tokens: int


message_decoder = msgspec.json.Decoder(Message)
event_decoder = msgspec.json.Decoder(StreamEvent)
error_decoder = msgspec.json.Decoder(ErrorBody)
token_count_decoder = msgspec.json.Decoder(TokenCount)
