"""Cohere error responses → llmrelay's error hierarchy.

Cohere answers errors with a status and a body {"id": ..., "message": ...} (docs.cohere.com/reference/
errors). The status decides the class: 401 (and Cohere's own 498 "invalid token") is a key problem,
404 an unknown model, 429 a rate limit; a 400 whose message starts "too many tokens" is a prompt
that does not fit the model's context window.
"""

from __future__ import annotations

from collections.abc import Mapping

from llmrelay.providers.base import openai_style_error_message
from llmrelay.types.errors import (
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    LLMError,
    error_class_for_status,
    parse_retry_after,
    refine_bad_request,
)

# Cohere-specific statuses (the v2 SDK's error table): 498 is an invalid or expired token
_STATUS_CLASSES: dict[int, type[LLMError]] = {498: AuthenticationError}
# "too many tokens: max tokens must be less than or equal to 4096, the maximum output for this model"
# is an out-of-range max_tokens, not a prompt that overflows the window
_MAX_TOKENS_MARKER = "max tokens must be"


def classify(provider: str, status: int, headers: Mapping[str, str], body: bytes) -> LLMError:
    message = openai_style_error_message(body) or f"HTTP {status}"
    cls = _STATUS_CLASSES.get(status) or error_class_for_status(status)
    if cls is BadRequestError:
        cls = BadRequestError if _MAX_TOKENS_MARKER in message.lower() else refine_bad_request(message)
    # a status with a class of its own keeps it; 498 reports as 401, what OpenAI-style clients expect
    keep_status = status not in _STATUS_CLASSES
    return cls(
        message,
        provider=provider,
        status_code=status if keep_status else None,
        retry_after=parse_retry_after(headers),
    )


def stream_error(provider: str, model: str | None, message: str) -> LLMError:
    """An error reported inside a stream (message-end with `error`, or finish_reason ERROR)."""
    cls = refine_bad_request(message)
    if cls is BadRequestError:
        # the request was accepted and generation began: a failure now is the server's
        return InternalServerError(message, provider=provider, model=model)
    return cls(message, provider=provider, model=model)
