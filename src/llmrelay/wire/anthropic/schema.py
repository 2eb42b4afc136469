"""msgspec shapes of an inbound Anthropic Messages request (POST /v1/messages, /v1/messages/count_tokens).

Only what the gateway can map onto the canonical request is modelled; fields not listed here are
ignored, as they cannot be served through other providers anyway. Block and source unions are tagged
by `type`, so a wrong type names its JSON path in the validation error.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

CacheControl = dict[str, Any] | None


class _Tagged(msgspec.Struct, tag_field="type", kw_only=True):
    pass


class Base64Source(_Tagged, tag="base64"):
    media_type: str
    data: str


class UrlSource(_Tagged, tag="url"):
    url: str


class PlainTextSource(_Tagged, tag="text"):
    data: str
    media_type: str = "text/plain"


class FileSource(_Tagged, tag="file"):
    file_id: str


class TextBlock(_Tagged, tag="text"):
    text: str
    cache_control: CacheControl = None


class ImageBlock(_Tagged, tag="image"):
    source: Base64Source | UrlSource | FileSource
    cache_control: CacheControl = None


class DocumentBlock(_Tagged, tag="document"):
    source: Base64Source | UrlSource | PlainTextSource | FileSource
    title: str | None = None
    cache_control: CacheControl = None


class ToolUseBlock(_Tagged, tag="tool_use"):
    id: str
    name: str
    input: Any = None
    cache_control: CacheControl = None


class ToolResultBlock(_Tagged, tag="tool_result"):
    tool_use_id: str
    content: str | list[TextBlock | ImageBlock | DocumentBlock] | None = None
    is_error: bool | None = None
    cache_control: CacheControl = None


class ThinkingBlock(_Tagged, tag="thinking"):
    thinking: str
    signature: str = ""


class RedactedThinkingBlock(_Tagged, tag="redacted_thinking"):
    data: str


Block = (
    TextBlock
    | ImageBlock
    | DocumentBlock
    | ToolUseBlock
    | ToolResultBlock
    | ThinkingBlock
    | RedactedThinkingBlock
)


class InMessage(msgspec.Struct, kw_only=True):
    role: Literal["user", "assistant"]
    content: str | list[Block]


class InTool(msgspec.Struct, kw_only=True):
    name: str
    input_schema: dict[str, Any] | None = None
    description: str | None = None
    cache_control: CacheControl = None
    # "custom" (or absent) for client tools; server tools carry a versioned type such as web_search_...
    type: str | None = None


class InToolChoice(msgspec.Struct, kw_only=True):
    type: Literal["auto", "any", "tool", "none"]
    name: str | None = None
    disable_parallel_tool_use: bool | None = None


class InMetadata(msgspec.Struct, kw_only=True):
    user_id: str | None = None


class MessagesRequest(msgspec.Struct, kw_only=True):
    model: str
    messages: list[InMessage]
    # required by /v1/messages, absent from /v1/messages/count_tokens: checked by the decoder
    max_tokens: int | None = None
    system: str | list[TextBlock] | None = None
    stop_sequences: list[str] | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stream: bool | None = None
    # raw: a client tool is read as an InTool; a server tool (web_search_..., code_execution_...) has
    # fields of its own and is kept as written
    tools: list[dict[str, Any]] | None = None
    tool_choice: InToolChoice | None = None
    thinking: dict[str, Any] | None = None
    metadata: InMetadata | None = None
