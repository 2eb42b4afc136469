"""Per-call SDK options (the keyword arguments that steer a call rather than go to the model)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmrelay.calls.context import StreamTimeouts
from llmrelay.providers.registry import declared_names
from llmrelay.types import errors
from llmrelay.types.errors import LLMError


@dataclass(slots=True, kw_only=True)
class CallOptions:
    """Where and how to send one call. None means "use the client's (or provider's) default"."""

    api_key: str | None = None
    api_base: str | None = None
    api_version: str | None = None
    timeout: float | None = None
    num_retries: int | None = None
    extra_headers: dict[str, str] | None = None
    organization: str | None = None
    drop_params: bool | None = None
    custom_llm_provider: str | None = None
    metadata: dict[str, Any] | None = None
    mock_response: Any = None
    stream_timeouts: StreamTimeouts | None = None


def call_options(
    *,
    api_key: str | None = None,
    api_base: str | None = None,
    base_url: str | None = None,
    api_version: str | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
    num_retries: int | None = None,
    extra_headers: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    organization: str | None = None,
    drop_params: bool | None = None,
    custom_llm_provider: str | None = None,
    metadata: dict[str, Any] | None = None,
    mock_response: Any = None,
    stream_timeouts: StreamTimeouts | None = None,
) -> CallOptions:
    """Fold LiteLLM's and the OpenAI SDK's spellings into one CallOptions: `base_url` is `api_base`,
    `max_retries` is `num_retries`, `headers` merge under `extra_headers`."""
    merged_headers = {**headers, **(extra_headers or {})} if headers else extra_headers
    return CallOptions(
        api_key=api_key,
        api_base=api_base or base_url,
        api_version=api_version,
        timeout=timeout,
        num_retries=num_retries if num_retries is not None else max_retries,
        extra_headers=merged_headers,
        organization=organization,
        drop_params=drop_params,
        custom_llm_provider=custom_llm_provider,
        metadata=metadata,
        mock_response=mock_response,
        stream_timeouts=stream_timeouts,
    )


# the deployment parameters the providers declare (credentials, and what places a call: a region, a
# project, an endpoint), which a call may carry as keywords (LiteLLM's names): they go to the
# deployment, like api_key, never into the request body (which callbacks see)
CREDENTIAL_PARAMS = declared_names()


def take_credentials(params: dict[str, Any]) -> dict[str, Any] | None:
    """Remove the provider credentials from a call's keywords; what was given, or None."""
    found = {name: params.pop(name) for name in CREDENTIAL_PARAMS if name in params}
    given = {name: value for name, value in found.items() if value is not None}
    return given or None


# mock_response="litellm.RateLimitError" (LiteLLM's spelling) raises that error, for fallback tests
_MOCK_ERROR_PREFIXES = ("litellm.", "llmrelay.")


def mock_error(mock: Any, model: str) -> BaseException | None:
    """The exception a mock_response asks to raise, or None when it is an answer."""
    if isinstance(mock, BaseException):
        return mock
    if isinstance(mock, str) and mock.startswith(_MOCK_ERROR_PREFIXES):
        cls = getattr(errors, mock.partition(".")[2], None)
        if isinstance(cls, type) and issubclass(cls, LLMError):
            return cls(f"mock_response asked for {cls.__name__}", model=model, provider="mock")
    return None
