"""A deployment's default call parameters (LiteLLM's `temperature`, `max_tokens`, `seed`... in
`litellm_params`): sent with every call to that deployment unless the request sets the field itself."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

import msgspec

from llmrelay.types.base import Model
from llmrelay.types.chat import NamedToolChoice, ResponseFormat


class CallDefaults(Model):
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    n: int | None = None
    stop: str | list[str] | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logit_bias: dict[str, float] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    seed: int | None = None
    user: str | None = None
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh"] | None = None
    thinking: dict[str, Any] | None = None
    modalities: list[str] | None = None
    service_tier: str | None = None
    store: bool | None = None
    extra_body: dict[str, Any] | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__struct_fields__)


DEFAULT_FIELDS: frozenset[str] = frozenset(CallDefaults.__struct_fields__)

_OUTPUT_LIMITS = ("max_tokens", "max_completion_tokens")
R = TypeVar("R", bound=msgspec.Struct)


def with_defaults(request: R, defaults: CallDefaults | None) -> R:
    """`request` with each default the request left unset (and whose field it has, with the same
    meaning); the request's own values always win. `extra_body` merges, the request's keys winning."""
    if defaults is None:
        return request
    fields = request.__struct_fields__
    changes: dict[str, Any] = {}
    for name in DEFAULT_FIELDS:
        value = getattr(defaults, name)
        if value is None or name not in fields:
            continue
        current = getattr(request, name)
        if name == "extra_body" and current is not None:
            changes[name] = {**value, **current}
        elif current is None:
            changes[name] = value
    # one output limit: a request that sets either spelling is not given the other as a default
    if any(getattr(request, n, None) is not None for n in _OUTPUT_LIMITS):
        for n in _OUTPUT_LIMITS:
            changes.pop(n, None)
    # a text-completions request's `logprobs` is a count, not the chat flag: never defaulted there
    if "logprobs" in changes and "messages" not in fields:
        del changes["logprobs"]
    return msgspec.structs.replace(request, **changes) if changes else request
