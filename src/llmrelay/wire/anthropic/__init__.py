"""The Anthropic Messages dialect for the gateway: inbound requests → ChatRequest, ChatResponse and
ChatChunks → Anthropic responses and SSE events, errors, token counting. Pure functions, no I/O."""

from llmrelay.wire.anthropic.count_tokens import count_tokens
from llmrelay.wire.anthropic.errors import encode_error_event, error_body, error_type
from llmrelay.wire.anthropic.request import decode_request, parse_messages_request, to_chat_request
from llmrelay.wire.anthropic.response import encode_response, encode_response_bytes
from llmrelay.wire.anthropic.stream import AnthropicStreamEncoder

__all__ = [
    "AnthropicStreamEncoder",
    "count_tokens",
    "decode_request",
    "encode_error_event",
    "encode_response",
    "encode_response_bytes",
    "error_body",
    "error_type",
    "parse_messages_request",
    "to_chat_request",
]
