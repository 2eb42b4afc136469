"""Bedrock Runtime's response shapes (Converse, ConverseStream events), as far as llmrelay reads them.

Field names follow the service model (botocore's bedrock-runtime 2023-09-30): camelCase JSON, content
blocks as objects keyed by their kind.
"""

from __future__ import annotations

from typing import Any

import msgspec


class _Wire(msgspec.Struct, rename="camel", omit_defaults=True):
    pass


class ToolUseBlock(_Wire):
    tool_use_id: str
    name: str
    input: Any = None


class ReasoningText(_Wire):
    text: str = ""
    signature: str | None = None


class ReasoningContent(_Wire):
    reasoning_text: ReasoningText | None = None
    redacted_content: str | None = None  # base64 (a blob in JSON)


class ContentBlock(_Wire):
    text: str | None = None
    tool_use: ToolUseBlock | None = None
    reasoning_content: ReasoningContent | None = None


class Message(_Wire):
    role: str
    content: list[ContentBlock] = []


class ConverseOutput(_Wire):
    message: Message | None = None


class TokenUsage(_Wire):
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cache_read_input_tokens: int | None = None
    cache_write_input_tokens: int | None = None


class ConverseResponse(_Wire):
    output: ConverseOutput
    stop_reason: str
    usage: TokenUsage | None = None
    metrics: dict[str, Any] | None = None
    additional_model_response_fields: Any = None
    trace: Any = None


# ---- stream events (each event's JSON payload; the event type is in its `:event-type` header)
class MessageStartEvent(_Wire):
    role: str = "assistant"


class ToolUseStart(_Wire):
    tool_use_id: str
    name: str


class ContentBlockStart(_Wire):
    tool_use: ToolUseStart | None = None


class ContentBlockStartEvent(_Wire):
    start: ContentBlockStart
    content_block_index: int = 0


class ToolUseDelta(_Wire):
    input: str = ""


class ReasoningDelta(_Wire):
    text: str | None = None
    signature: str | None = None
    redacted_content: str | None = None


class ContentBlockDelta(_Wire):
    text: str | None = None
    tool_use: ToolUseDelta | None = None
    reasoning_content: ReasoningDelta | None = None


class ContentBlockDeltaEvent(_Wire):
    delta: ContentBlockDelta
    content_block_index: int = 0


class MessageStopEvent(_Wire):
    stop_reason: str
    additional_model_response_fields: Any = None


class MetadataEvent(_Wire):
    usage: TokenUsage | None = None
    metrics: dict[str, Any] | None = None


class ErrorPayload(msgspec.Struct):
    message: str | None = None
    Message: str | None = None
    original_status_code: int | None = msgspec.field(default=None, name="originalStatusCode")
    original_message: str | None = msgspec.field(default=None, name="originalMessage")
    type: str | None = msgspec.field(default=None, name="__type")

    def text(self) -> str | None:
        return self.message or self.Message or self.original_message


response_decoder = msgspec.json.Decoder(ConverseResponse)
error_decoder = msgspec.json.Decoder(ErrorPayload)
EVENT_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    "messageStart": msgspec.json.Decoder(MessageStartEvent),
    "contentBlockStart": msgspec.json.Decoder(ContentBlockStartEvent),
    "contentBlockDelta": msgspec.json.Decoder(ContentBlockDeltaEvent),
    "contentBlockStop": msgspec.json.Decoder(dict[str, Any]),
    "messageStop": msgspec.json.Decoder(MessageStopEvent),
    "metadata": msgspec.json.Decoder(MetadataEvent),
}
