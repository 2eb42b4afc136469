"""msgspec shapes of an Anthropic Messages request (POST /v1/messages, /v1/messages/count_tokens):
one set for both directions. The gateway's /v1/messages dialect decodes clients' requests into them
(request.py); the Anthropic adapter (llmrelay.providers.anthropic) builds the requests it sends
upstream from them. (The answer's side is message.py.)

Only what llmrelay maps onto or from the canonical request is modelled; fields not listed here are
ignored on the way in, as they cannot be served through other providers anyway, and reach the
upstream through a request's `extra_body` on the way out. Block and source unions are tagged by
`type`, so a wrong type names its JSON path in the validation error. Encoding leaves out what is not
set (`omit_defaults`), and fields are declared in the order Anthropic's documentation writes them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

CacheControl = dict[str, Any] | None


class _Tagged(msgspec.Struct, tag_field="type", kw_only=True, omit_defaults=True):
    pass


class Base64Source(_Tagged, tag="base64"):
    media_type: str
    data: str


class UrlSource(_Tagged, tag="url"):
    url: str


class PlainTextSource(_Tagged, tag="text", kw_only=True, omit_defaults=False):
    # always written: Anthropic requires it, though a client may leave it out
    media_type: str = "text/plain"
    data: str


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


class ThinkingBlock(_Tagged, tag="thinking", omit_defaults=False):
    # the signature is written even when empty (a reasoning text from another provider has none)
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


# the In- names date from when these shapes were read only; they stay, as the gateway's OpenAPI
# document names its schema components after them


class InMessage(msgspec.Struct, kw_only=True):
    role: Literal["user", "assistant"]
    content: str | list[Block]


class InTool(msgspec.Struct, kw_only=True, omit_defaults=True):
    name: str
    description: str | None = None
    input_schema: dict[str, Any] | None = None
    cache_control: CacheControl = None
    # "custom" (or absent) for client tools; server tools carry a versioned type such as web_search_...
    type: str | None = None


class InToolChoice(msgspec.Struct, kw_only=True, omit_defaults=True):
    type: Literal["auto", "any", "tool", "none"]
    name: str | None = None
    disable_parallel_tool_use: bool | None = None


class InMetadata(msgspec.Struct, kw_only=True, omit_defaults=True):
    user_id: str | None = None


class MessagesRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    model: str
    messages: list[InMessage]
    system: str | list[TextBlock] | None = None
    # required by /v1/messages, absent from /v1/messages/count_tokens: checked by the decoder
    max_tokens: int | None = None
    stop_sequences: list[str] | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    metadata: InMetadata | None = None
    # "auto" | "standard_only", written by the adapter (from OpenAI's service_tier); a client's is
    # accepted whatever it holds, as before it was modelled, and not read: it has no meaning for the
    # other providers a /v1/messages call may go to
    service_tier: Annotated[
        str | None, msgspec.Meta(description="Anthropic's; accepted but not read by the gateway")
    ] = None
    thinking: dict[str, Any] | None = None
    # raw: a client tool is read as an InTool; a server tool (web_search_..., code_execution_...) has
    # fields of its own and is kept as written
    tools: list[dict[str, Any]] | None = None
    tool_choice: InToolChoice | None = None
    stream: bool | None = None
