"""LLMError → Anthropic's error body {"type": "error", "error": {"type", "message"}}, as an HTTP
response body or as an `event: error` inside a stream."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.types.errors import (
    AuthenticationError,
    BadRequestError,
    LLMError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLargeError,
    ServiceUnavailableError,
    Timeout,
)
from llmrelay.wire.anthropic.message import ErrorBody, ErrorDetail
from llmrelay.wire.sse import frame

# most specific first: RequestTooLargeError is a BadRequestError
_TYPES: tuple[tuple[type[LLMError], str], ...] = (
    (RequestTooLargeError, "request_too_large"),
    (BadRequestError, "invalid_request_error"),
    (AuthenticationError, "authentication_error"),
    (PermissionDeniedError, "permission_error"),
    (NotFoundError, "not_found_error"),
    (RateLimitError, "rate_limit_error"),
    (Timeout, "timeout_error"),
    (ServiceUnavailableError, "overloaded_error"),
)

_encoder = msgspec.json.Encoder()


def error_type(err: LLMError) -> str:
    for cls, name in _TYPES:
        if isinstance(err, cls):
            return name
    return "api_error"


def error_message(err: LLMError) -> ErrorBody:
    return ErrorBody(error=ErrorDetail(type=error_type(err), message=err.message))


def error_body(err: LLMError) -> dict[str, Any]:
    """The body for an HTTP error response; the status is `err.status_code`."""
    body: dict[str, Any] = msgspec.to_builtins(error_message(err))
    return body


def encode_error_event(err: LLMError) -> bytes:
    return frame(_encoder.encode(error_message(err)), event="error")
