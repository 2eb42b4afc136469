"""LiteLLM's per-call controls among an SDK call's keyword arguments.

Keywords the request types do not know go to the provider's body (`extra_body`), as in LiteLLM. The
keywords LiteLLM reads itself must never take that road: a provider would reject them (a 400) or,
worse, ignore a control the caller relies on. Each is taken out here and either acted on (fallbacks,
mock errors, callback metadata, timeouts, dropped params), or — when llmrelay does not implement it —
refused with an error that names it, never passed on and never silently ignored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from llmrelay.types.errors import (
    BadRequestError,
    ContextWindowExceededError,
    InternalServerError,
    LLMError,
)

# LiteLLM's own bookkeeping (call ids, its logging object, which entry point ran): nothing to act on
BOOKKEEPING = frozenset(
    {
        "litellm_call_id", "litellm_trace_id", "litellm_logging_obj", "litellm_parent_otel_span",
        "logger_fn", "verbose", "acompletion", "atext_completion", "aembedding", "use_client", "id",
        "proxy_server_request", "preset_cache_key",
    }
)  # fmt: skip

# LiteLLM controls llmrelay's SDK does not implement: refused by name
NOT_IMPLEMENTED = frozenset(
    {
        "caching", "cache_key", "ttl", "no-log", "input_cost_per_token", "output_cost_per_token",
        "input_cost_per_second", "output_cost_per_second", "model_list", "retry_policy",
        "retry_strategy", "max_parallel_requests", "rpm", "tpm", "cooldown_time", "custom_prompt_dict",
        "roles", "initial_prompt_value", "final_prompt_value", "bos_token", "eos_token", "base_model",
        "hf_model_name", "allowed_openai_params", "mock_tool_calls", "mock_delay", "fastest_response",
        "model_info", "complete_response", "force_timeout", "user_continue_message",
        "supports_system_message", "merge_reasoning_content_in_choices",
    }
)  # fmt: skip


@dataclass(slots=True)
class Controls:
    """The controls of one call, taken out of its keywords."""

    # models (or {"model": ..., other call keywords}) to try in order after the call fails
    fallbacks: list[str | dict[str, Any]] = field(default_factory=list)
    # {model: bigger-context model} tried when the call fails with ContextWindowExceededError
    context_window_fallbacks: dict[str, str] = field(default_factory=dict)
    # make the first model fail (a mock InternalServerError), to test the fallbacks
    mock_testing_fallbacks: bool = False
    # request fields removed before sending (LiteLLM's additional_drop_params)
    drop: tuple[str, ...] = ()
    # answer with a mock Timeout (LiteLLM's mock_timeout=True), chat completions only
    mock_timeout: bool = False
    # LiteLLM's stream_timeout: seconds to the first token of a stream (StreamTimeouts.first_token)
    stream_timeout: float | None = None

    def wants_fallbacks(self) -> bool:
        return bool(self.fallbacks or self.context_window_fallbacks or self.mock_testing_fallbacks)

    def refuse_fallbacks(self, call_type: str) -> None:
        """Calls other than chat completions take no per-call fallbacks or mock timeouts: say so
        rather than ignore them."""
        if self.mock_timeout:
            raise BadRequestError(f"mock_timeout is implemented for completion, not {call_type}")
        if self.wants_fallbacks():
            raise BadRequestError(
                f"per-call fallbacks are implemented for completion, not {call_type}: use a Router's "
                "fallbacks",
                param="fallbacks",
            )


def take_controls(params: dict[str, Any], *, tags_are_metadata: bool = True) -> Controls:
    """Remove LiteLLM's controls from a call's keywords and fold the aliases into llmrelay's own
    (request_timeout → timeout, litellm_metadata and tags → metadata for callbacks). `tags` stay
    where a Router routes by them (`tags_are_metadata=False`). Raises BadRequestError naming a
    control llmrelay does not implement."""
    refused = sorted(k for k in params if k in NOT_IMPLEMENTED)
    if refused:
        raise BadRequestError(
            f"llmrelay does not implement LiteLLM's {', '.join(refused)}: remove it (it is never sent "
            "to the provider)",
            param=refused[0],
        )
    for name in params.keys() & BOOKKEEPING:  # the call's few keywords, not every name
        del params[name]
    if "request_timeout" in params:
        timeout = params.pop("request_timeout")
        params.setdefault("timeout", timeout)
    _fold_metadata(params, tags_are_metadata)
    stream_timeout = params.pop("stream_timeout", None)
    controls = Controls(
        mock_timeout=bool(params.pop("mock_timeout", False)),
        stream_timeout=float(stream_timeout) if stream_timeout is not None else None,
        fallbacks=_list(params.pop("fallbacks", None), "fallbacks"),
        context_window_fallbacks=_mapping(
            params.pop("context_window_fallback_dict", None), "context_window_fallback_dict"
        ),
        mock_testing_fallbacks=bool(params.pop("mock_testing_fallbacks", False)),
        drop=tuple(_list(params.pop("additional_drop_params", None), "additional_drop_params")),
    )
    for name in controls.drop:
        if not isinstance(name, str):
            raise BadRequestError(
                "additional_drop_params: a list of field names", param="additional_drop_params"
            )
        params.pop(name, None)
    return controls


def _fold_metadata(params: dict[str, Any], tags_are_metadata: bool) -> None:
    extra = params.pop("litellm_metadata", None)
    tags = params.pop("tags", None) if tags_are_metadata else None
    if extra is None and tags is None:
        return
    metadata = dict(params.get("metadata") or {})
    if extra is not None:
        if not isinstance(extra, dict):
            raise BadRequestError("litellm_metadata: an object", param="litellm_metadata")
        metadata = {**extra, **metadata}
    if tags is not None:
        metadata["tags"] = list(tags)
    params["metadata"] = metadata


def _list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise BadRequestError(f"{name}: a list", param=name)
    return list(value)


def _mapping(value: Any, name: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequestError(f"{name}: an object mapping a model to its fallback", param=name)
    return {str(k): str(v) for k, v in value.items()}


T = TypeVar("T")


async def call_with_fallbacks(
    call: Callable[[str, dict[str, Any]], Awaitable[T]],
    model: str,
    kwargs: dict[str, Any],
    controls: Controls,
) -> T:
    """`call(model, kwargs)`, then each fallback in turn while calls fail, as LiteLLM's SDK does: a
    fallback is a model name, or {"model": ..., keywords that replace the call's}. A context-window
    error tries the model's `context_window_fallbacks` entry first."""
    plan: list[tuple[str, dict[str, Any]]] = [(model, kwargs)]
    for i, fallback in enumerate(controls.fallbacks):
        if isinstance(fallback, str):
            plan.append((fallback, kwargs))
        elif isinstance(fallback, dict) and isinstance(fallback.get("model"), str):
            overrides = {k: v for k, v in fallback.items() if k != "model"}
            plan.append((fallback["model"], {**kwargs, **overrides}))
        else:
            raise BadRequestError(
                f"fallbacks[{i}]: a model name or an object with `model`", param="fallbacks"
            )
    last: LLMError | None = None
    tried_bigger: set[str] = set()
    position = 0
    while position < len(plan):
        name, keywords = plan[position]
        position += 1
        try:
            if last is None and controls.mock_testing_fallbacks:
                raise InternalServerError(
                    "mock_testing_fallbacks: the first model fails on purpose", model=name, provider="mock"
                )
            return await call(name, keywords)
        except LLMError as exc:
            last = exc
            bigger = controls.context_window_fallbacks.get(name)
            if isinstance(exc, ContextWindowExceededError) and bigger and bigger not in tried_bigger:
                tried_bigger.add(bigger)
                plan.insert(position, (bigger, keywords))
    assert last is not None  # the plan holds at least the model itself
    raise last
