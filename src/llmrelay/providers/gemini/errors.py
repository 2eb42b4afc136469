"""Gemini error bodies (google.rpc.Status: {"error": {"code", "message", "status", "details"}}) →
llmrelay's error hierarchy."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from llmrelay.providers.gemini.wire import RpcStatus, error_decoder
from llmrelay.types.errors import (
    AuthenticationError,
    BadRequestError,
    LLMError,
    PermissionDeniedError,
    error_class_for_status,
    parse_retry_after,
    refine_bad_request,
)

PROVIDER = "gemini"
# Gemini answers a bad, expired or missing key with 400 INVALID_ARGUMENT, not 401
_BAD_KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_SERVICE_BLOCKED"})
_BAD_KEY_MARKERS = ("api key not valid", "api key expired", "api key not found", "api_key_invalid")
_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"


def parse_status(body: bytes) -> RpcStatus | None:
    try:
        envelope = error_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if isinstance(envelope, list):
        return envelope[0].error if envelope else None
    status: RpcStatus = envelope.error
    return status


def classify(status: int, headers: Mapping[str, str], body: bytes, provider: str = PROVIDER) -> LLMError:
    """`provider`: the adapter's name (Vertex AI's Gemini speaks the same errors as "vertex_ai")."""
    rpc = parse_status(body)
    if rpc is None:
        text = body.decode("utf-8", errors="replace").strip()[:500]
        return _build(
            error_class_for_status(status), text or f"HTTP {status}", status, None, headers, provider
        )
    return from_rpc_status(rpc, status, headers, provider)


def from_rpc_status(
    rpc: RpcStatus, status: int, headers: Mapping[str, str], provider: str = PROVIDER
) -> LLMError:
    message = rpc.message or rpc.status or f"HTTP {status}"
    cls: type[LLMError] = error_class_for_status(status)
    if status == 400:
        cls = _refine_400(rpc, message)
    return _build(cls, message, status, rpc, headers, provider)


def _refine_400(rpc: RpcStatus, message: str) -> type[LLMError]:
    reasons = {d.reason for d in rpc.details if d.reason}
    low = message.lower()
    if reasons & _BAD_KEY_REASONS or any(m in low for m in _BAD_KEY_MARKERS):
        return AuthenticationError
    if rpc.status == "FAILED_PRECONDITION" and any(m in low for m in ("location", "country", "region")):
        # "User location is not supported for the API use." — another region/provider may serve it
        return PermissionDeniedError
    return refine_bad_request(message) if rpc.status in ("", "INVALID_ARGUMENT") else BadRequestError


def _build(
    cls: type[LLMError],
    message: str,
    status: int,
    rpc: RpcStatus | None,
    headers: Mapping[str, str],
    provider: str,
) -> LLMError:
    retry_after = _retry_delay(rpc) if rpc is not None else None
    if retry_after is None:
        retry_after = parse_retry_after(headers)
    # a 400 refined into a key or permission error reports that class's own status (401 / 403),
    # which is what OpenAI-style clients expect; everything else keeps the upstream status
    keep_status = issubclass(cls, BadRequestError) or cls is error_class_for_status(status)
    return cls(
        message,
        provider=provider,
        status_code=status if keep_status else None,
        retry_after=retry_after,
        code=rpc.status if rpc is not None and rpc.status else None,
    )


def _retry_delay(rpc: RpcStatus) -> float | None:
    """Seconds from a google.rpc.RetryInfo detail: its retryDelay is a Duration string ("34s", "1.5s")."""
    for detail in rpc.details:
        if detail.type == _RETRY_INFO and detail.retry_delay:
            raw = detail.retry_delay.strip()
            if raw.endswith("s"):
                try:
                    return max(0.0, float(raw[:-1]))
                except ValueError:
                    return None
    return None
