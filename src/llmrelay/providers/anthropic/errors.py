"""Anthropic error bodies ({"type": "error", "error": {"type", "message"}}) → the error hierarchy.

The HTTP status decides the class when there is one; errors inside a 200 stream (`event: error`)
have only the body's `error.type`, so that decides instead. 529 overloaded_error is a
ServiceUnavailableError (retryable), keeping status 529.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from llmrelay.types.errors import (
    AuthenticationError,
    BadRequestError,
    ContentPolicyViolationError,
    InternalServerError,
    LLMError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLargeError,
    ServiceUnavailableError,
    Timeout,
    error_class_for_status,
    parse_retry_after,
    refine_bad_request,
)
from llmrelay.wire.anthropic.message import error_decoder

OVERLOADED_STATUS = 529
# Anthropic has no error type for content refusals (a refused answer stops with "refusal"); its
# output filter answers this invalid_request_error, the one 400 that is about content
OUTPUT_BLOCKED = "output blocked by content filtering policy"

# Anthropic error.type → (class, the status Anthropic uses for it)
_BY_TYPE: dict[str, tuple[type[LLMError], int]] = {
    "invalid_request_error": (BadRequestError, 400),
    "authentication_error": (AuthenticationError, 401),
    "billing_error": (BadRequestError, 402),
    "permission_error": (PermissionDeniedError, 403),
    "not_found_error": (NotFoundError, 404),
    "request_too_large": (RequestTooLargeError, 413),
    "rate_limit_error": (RateLimitError, 429),
    "api_error": (InternalServerError, 500),
    "timeout_error": (Timeout, 504),
    "overloaded_error": (ServiceUnavailableError, OVERLOADED_STATUS),
}


def read_error(body: bytes) -> tuple[str | None, str | None]:
    """(error.type, error.message) of an Anthropic error body; (None, raw text) if it is not one."""
    try:
        env = error_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        text = body.decode("utf-8", errors="replace").strip()
        return None, text[:500] or None
    if env.error is None:
        return None, None
    return env.error.type, env.error.message


def classify(provider: str, status: int | None, headers: Mapping[str, str], body: bytes) -> LLMError:
    """`status` None means an error event inside a stream."""
    error_type, message = read_error(body)
    message = message or (f"HTTP {status}" if status else "error event in stream")
    by_type = _BY_TYPE.get(error_type or "")
    cls: type[LLMError]
    if status is None:
        cls, status = by_type if by_type else (InternalServerError, 500)
    elif status == OVERLOADED_STATUS or error_type == "overloaded_error":
        cls = ServiceUnavailableError
    else:
        cls = error_class_for_status(status)
    if cls is BadRequestError:
        cls = refine_bad_request(message)
        if error_type == "invalid_request_error" and message.lower().startswith(OUTPUT_BLOCKED):
            cls = ContentPolicyViolationError
    return cls(
        message,
        provider=provider,
        status_code=status,
        retry_after=parse_retry_after(headers),
        code=error_type,
    )
