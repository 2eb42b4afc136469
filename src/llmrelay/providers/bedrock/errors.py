"""Bedrock errors → llmrelay's error hierarchy.

An HTTP error names its exception in the `x-amzn-ErrorType` header (`ValidationException:<namespace>`)
and/or the body's `__type` (`<namespace>#UnrecognizedClientException`); the body says `message`. In a
stream, an exception event names it in `:exception-type` (camelCase: `throttlingException`).
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from llmrelay.providers.aws.exceptions import ERROR_TYPE_HEADER, exception_name
from llmrelay.providers.bedrock.wire import ErrorPayload, error_decoder
from llmrelay.types.errors import (
    AuthenticationError,
    BadRequestError,
    ContextWindowExceededError,
    InternalServerError,
    LLMError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    Timeout,
    error_class_for_status,
    parse_retry_after,
    refine_bad_request,
)

PROVIDER = "bedrock"
# exception name (lower-cased) → class
_CLASSES: dict[str, type[LLMError]] = {
    "validationexception": BadRequestError,
    "throttlingexception": RateLimitError,
    "servicequotaexceededexception": RateLimitError,
    # the model is being loaded or scaled: the AWS SDKs retry it like a throttle
    "modelnotreadyexception": RateLimitError,
    "accessdeniedexception": PermissionDeniedError,
    "resourcenotfoundexception": NotFoundError,
    "modeltimeoutexception": Timeout,
    "serviceunavailableexception": ServiceUnavailableError,
    "internalserverexception": InternalServerError,
    "internalfailure": InternalServerError,
    "modelerrorexception": InternalServerError,
    "modelstreamerrorexception": InternalServerError,
    # SageMaker Runtime's names (its adapters read AWS errors with this table too)
    "validationerror": BadRequestError,
    "modelstreamerror": InternalServerError,
    "internalstreamfailure": InternalServerError,
    "internaldependencyexception": InternalServerError,
    "serviceunavailable": ServiceUnavailableError,
    # SigV4 / credential failures (AWS common errors)
    "invalidsignatureexception": AuthenticationError,
    "signaturedoesnotmatch": AuthenticationError,
    "incompletesignatureexception": AuthenticationError,
    "incompletesignature": AuthenticationError,
    "unrecognizedclientexception": AuthenticationError,
    "invalidclienttokenid": AuthenticationError,
    "expiredtokenexception": AuthenticationError,
    "missingauthenticationtokenexception": AuthenticationError,
    "missingauthenticationtoken": AuthenticationError,
}
# Bedrock's ways of saying the prompt does not fit (beyond the shared markers)
_CONTEXT_MARKERS = ("input is too long", "too many input tokens", "exceed context limit", "max_tokens exceed")


def error_name(headers: Mapping[str, str], payload: ErrorPayload | None) -> str | None:
    return exception_name(headers.get(ERROR_TYPE_HEADER) or (payload.type if payload is not None else None))


def decode_payload(body: bytes) -> ErrorPayload | None:
    try:
        return error_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def classify(status: int, headers: Mapping[str, str], body: bytes) -> LLMError:
    payload = decode_payload(body)
    message = payload.text() if payload is not None else None
    if not message:
        message = body.decode("utf-8", errors="replace").strip()[:500] or f"HTTP {status}"
    return build_error(error_name(headers, payload), message, status, parse_retry_after(headers))


def build_error(
    name: str | None, message: str, status: int | None, retry_after: float | None = None
) -> LLMError:
    """The error for an exception name (any case), else for the status."""
    cls = _CLASSES.get(name.lower()) if name else None
    if cls is None:
        cls = error_class_for_status(status or 500)
    if cls is BadRequestError:
        low = message.lower()
        cls = refine_bad_request(message)
        if cls is BadRequestError and any(m in low for m in _CONTEXT_MARKERS):
            cls = ContextWindowExceededError
    # the class's own status when it differs in kind (a 403 signature failure is an authentication
    # error, 401 to OpenAI clients); otherwise what Bedrock said
    keep = status is not None and (issubclass(cls, BadRequestError) or cls is error_class_for_status(status))
    return cls(
        message,
        provider=PROVIDER,
        status_code=status if keep else None,
        retry_after=retry_after,
        code=name,
    )
