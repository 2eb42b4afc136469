"""Responses stream events as SSE bytes, and the error code a failed Response carries."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.types.errors import LLMError, RateLimitError
from llmrelay.wire.sse import frame

Event = dict[str, Any]
_encoder = msgspec.json.Encoder()


def encode_events(events: list[Event]) -> bytes:
    """Events as SSE frames: `event: <type>` and `data: <json>`, as OpenAI sends them."""
    return b"".join(frame(_encoder.encode(e), event=e["type"]) for e in events)


def failure_code(error: LLMError) -> str:
    """The Response's `error.code`, from OpenAI's documented values."""
    if isinstance(error, RateLimitError):
        return "rate_limit_exceeded"
    if error.status_code in (400, 413, 422):
        return "invalid_prompt"
    return "server_error"
