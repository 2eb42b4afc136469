"""Replicate's errors: HTTP answers with {"detail", "status", "title"}, a prediction that ended
`failed` / `canceled` (its `error` says why), and a stream's `error` event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from llmrelay.providers.replicate.models import PROVIDER
from llmrelay.providers.replicate.wire import problem_decoder
from llmrelay.types.errors import (
    BadRequestError,
    ContentPolicyViolationError,
    InternalServerError,
    LLMError,
    error_class_for_status,
    parse_retry_after,
    refine_bad_request,
)


def error_message(body: bytes) -> str | None:
    try:
        problem = problem_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        text = body.decode("utf-8", errors="replace").strip()
        return text[:500] or None
    detail = _text(problem.detail)
    if detail and problem.title and problem.title.lower() not in detail.lower():
        return f"{problem.title}: {detail}"
    return detail or problem.title


# Replicate's errors carry no code: a prediction refused for its content fails with the model's
# safety checker's own words
_SAFETY_CHECKER = ("flagged by the safety checker", "nsfw content detected")


def _refine(message: str) -> type[BadRequestError]:
    if any(m in message.lower() for m in _SAFETY_CHECKER):
        return ContentPolicyViolationError
    return refine_bad_request(message)


def classify(status: int, headers: Mapping[str, str], body: bytes) -> LLMError:
    message = error_message(body) or f"HTTP {status}"
    cls = error_class_for_status(status)
    # 422 is Replicate's answer to input the model's schema rejects: the caller's request
    if status == 422 or cls is BadRequestError:
        cls = _refine(message)
    return cls(message, provider=PROVIDER, status_code=status, retry_after=parse_retry_after(headers))


def prediction_failed(status: str, error: Any, model: str | None) -> LLMError:
    """A prediction that ran and did not succeed. Its error is the model's (often the input: too
    long a prompt, flagged content), else a fault on Replicate's side, which a retry may cure."""
    message = _text(error) or f"the prediction ended {status}"
    refined = _refine(message)
    cls: type[LLMError] = refined if refined is not BadRequestError else InternalServerError
    return cls(f"Replicate prediction {status}: {message}", provider=PROVIDER, model=model)


def stream_error(data: str, model: str | None) -> LLMError:
    """A stream's `error` event: its data is the error's detail (JSON {"detail"} or plain text)."""
    return prediction_failed("failed", error_message(data.encode()) or data, model)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    return msgspec.json.encode(value).decode()
