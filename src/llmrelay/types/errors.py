"""One error hierarchy for every provider, with OpenAI's class names.

Each error carries what the router and the gateway need: HTTP status, OpenAI error `type`, provider,
model, whether a retry may help (`retryable`), how long to wait (`retry_after`, seconds) and whether
another model may answer instead (`fallback_ok`).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any, ClassVar


class LLMError(Exception):
    """Base of every error llmrelay raises for a call."""

    status_code: ClassVar[int] = 500
    error_type: ClassVar[str] = "api_error"
    retryable: ClassVar[bool] = False
    fallback_ok: ClassVar[bool] = True

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        model: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
        code: str | None = None,
        param: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.model = model
        if status_code is not None:
            self.status_code = status_code  # type: ignore[misc]
        self.retry_after = retry_after
        self.code = code
        self.param = param
        self.body = body

    @property
    def status(self) -> int:
        return self.status_code

    @property
    def llm_provider(self) -> str | None:
        """LiteLLM's name for `provider`."""
        return self.provider

    @property
    def type(self) -> str:
        """OpenAI's error `type` (as the OpenAI SDK's exceptions expose it)."""
        return self.error_type

    def __str__(self) -> str:
        where = "/".join(x for x in (self.provider, self.model) if x)
        prefix = f"{type(self).__name__}"
        return f"{prefix} ({where}): {self.message}" if where else f"{prefix}: {self.message}"

    def to_openai_body(self) -> dict[str, Any]:
        """The error as OpenAI's error body: {"error": {"message", "type", "param", "code"}}."""
        return {
            "error": {
                "message": str(self),
                "type": self.error_type,
                "param": self.param,
                "code": self.code if self.code is not None else str(self.status_code),
            }
        }


class BadRequestError(LLMError):
    status_code = 400
    error_type = "invalid_request_error"
    fallback_ok = False


class UnsupportedParamsError(BadRequestError):
    """The provider cannot take a parameter the caller set (and drop_params is off)."""


class ContextWindowExceededError(BadRequestError):
    """The prompt (plus max tokens) does not fit the model's context window."""

    fallback_ok = True


class ContentPolicyViolationError(BadRequestError):
    """The provider refused the input or output on content-safety grounds."""

    fallback_ok = True


class RequestTooLargeError(BadRequestError):
    status_code = 413
    error_type = "request_too_large"


class UnprocessableEntityError(BadRequestError):
    status_code = 422


class AuthenticationError(LLMError):
    status_code = 401
    error_type = "authentication_error"


class PermissionDeniedError(LLMError):
    status_code = 403
    error_type = "permission_error"


class NotFoundError(LLMError):
    status_code = 404
    error_type = "not_found_error"


class Timeout(LLMError):
    status_code = 408
    error_type = "timeout"
    retryable = True


class RateLimitError(LLMError):
    status_code = 429
    error_type = "rate_limit_error"
    retryable = True


class BudgetExceededError(LLMError):
    status_code = 400
    error_type = "budget_exceeded"
    fallback_ok = False


class InternalServerError(LLMError):
    status_code = 500
    error_type = "api_error"
    retryable = True


class APIConnectionError(InternalServerError):
    """The provider could not be reached, or the connection broke before an answer."""


class ServiceUnavailableError(InternalServerError):
    status_code = 503
    error_type = "service_unavailable"


class BadGatewayError(InternalServerError):
    status_code = 502


class StreamClosedEarly(LLMError):
    """A stream its reader stopped before the end (a gateway client that disconnected, an SDK caller
    that closed it or stopped iterating on an error). Not the provider's fault: it only ends the
    stream's report, which carries the usage so far (the upstream's, or an estimate)."""

    status_code = 499  # nginx's "client closed request"
    error_type = "client_closed_request"
    fallback_ok = False


# OpenAI SDK aliases, so `except llmrelay.APITimeoutError` reads as it does with openai.
APITimeoutError = Timeout
APIError = LLMError

_BY_STATUS: dict[int, type[LLMError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: Timeout,
    413: RequestTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    500: InternalServerError,
    502: BadGatewayError,
    503: ServiceUnavailableError,
    504: Timeout,
}


def error_class_for_status(status: int) -> type[LLMError]:
    """The error class for an HTTP status (unknown 4xx → BadRequestError, unknown 5xx → server error)."""
    cls = _BY_STATUS.get(status)
    if cls is not None:
        return cls
    if 400 <= status < 500:
        return BadRequestError
    return InternalServerError


_CONTEXT_WINDOW_MARKERS = (
    "context length",
    "context_length_exceeded",
    "context window",
    "maximum context",
    "prompt is too long",
    "too many tokens",
    "input is too long",
    "exceeds the maximum number of tokens",
    "input token count",
)
# Error codes by which providers say a request was refused for its content: OpenAI's
# `content_policy_violation`, Azure OpenAI's `content_filter`. Only a code counts, never words in a
# message ("safety_settings", "safety_identifier" name fields of ordinary bad requests).
CONTENT_POLICY_CODES = frozenset({"content_policy_violation", "content_filter"})


def refine_bad_request(message: str, code: str | None = None) -> type[BadRequestError]:
    """Tell a content-policy 400 (by its error `code`) or a context-window one (by its code or
    message, as providers report it as a generic invalid-request error) from a plain one."""
    if code is not None and code.lower() in CONTENT_POLICY_CODES:
        return ContentPolicyViolationError
    low = f"{code or ''} {message}".lower()
    if any(m in low for m in _CONTEXT_WINDOW_MARKERS):
        return ContextWindowExceededError
    return BadRequestError


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from `retry-after-ms` / `retry-after` headers (lower-cased mapping)."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass  # a malformed retry-after-ms: the plain retry-after header may still be usable
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return _http_date_delay(raw)


def _http_date_delay(raw: str) -> float | None:
    from datetime import datetime
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
