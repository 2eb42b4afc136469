"""LiteLLM's per-call controls that a client of the gateway puts in a chat request's body
(`extra_body={"fallbacks": [...], "mock_testing_fallbacks": true}`), as LiteLLM's proxy reads them.
Unknown body fields go to the provider; these must not (core/controls.py): they are taken out of
`extra_body` here and acted on, or refused by name."""

from __future__ import annotations

from typing import Any, Protocol

from llmrelay.core.controls import Controls, take_controls
from llmrelay.types.chat import CALL_FIELDS, ChatRequest
from llmrelay.types.errors import BadRequestError

# per-call retry and timeout settings: the gateway's own (router_settings, request_timeout) govern
ROUTER_SETTINGS = ("num_retries", "max_retries", "timeout", "request_timeout", "stream_timeout")


class _HasExtraBody(Protocol):
    extra_body: dict[str, Any] | None


def take_drop_params(request: _HasExtraBody) -> bool | None:
    """LiteLLM's per-request `drop_params` (any call type's body): taken out of `extra_body` so it
    never reaches the provider, and returned for the call's context (None: the gateway's setting)."""
    extra = request.extra_body
    if not extra or "drop_params" not in extra:
        return None
    rest = dict(extra)
    value = rest.pop("drop_params")
    if not isinstance(value, bool):
        raise BadRequestError("drop_params must be true or false", param="drop_params")
    request.extra_body = rest or None
    return value


def take_body_controls(request: ChatRequest) -> Controls:
    """Remove the controls from `request.extra_body` (and the fields `additional_drop_params` names
    from the request); callback metadata (`litellm_metadata`, `tags`) joins `request.metadata`."""
    if not request.extra_body:
        return Controls()
    extra = dict(request.extra_body)
    refused = [name for name in ROUTER_SETTINGS if name in extra]
    if refused:
        raise BadRequestError(
            f"{refused[0]}: retries and timeouts are the gateway's (router_settings), not set per request",
            param=refused[0],
        )
    controls = take_controls(extra)
    for i, fallback in enumerate(controls.fallbacks):
        if isinstance(fallback, dict) and set(fallback) - {"model"}:
            raise BadRequestError(
                f'fallbacks[{i}]: the gateway takes model group names (or {{"model": name}}), not '
                f"other fields ({', '.join(sorted(set(fallback) - {'model'}))})",
                param="fallbacks",
            )
    if controls.mock_timeout:
        raise BadRequestError("mock_timeout is not served by the gateway", param="mock_timeout")
    metadata = extra.pop("metadata", None)
    if metadata is not None:
        request.metadata = {**metadata, **(request.metadata or {})}
    for name in controls.drop:
        if name in ChatRequest.__struct_fields__ and name not in CALL_FIELDS:
            setattr(request, name, None)
    request.extra_body = extra or None
    return controls
