"""LiteLLM-named cost helpers over a Catalog: completion_cost, cost_per_token, register_model,
get_model_info."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from llmrelay.cost.catalog import PICO_PER_USD, Catalog, ModelInfo
from llmrelay.cost.litellm_format import model_info_fields
from llmrelay.cost.pricing import cost_micros, cost_picos
from llmrelay.types.errors import NotFoundError
from llmrelay.types.response import CompletionTokensDetails, PromptTokensDetails, Usage

MICROS_PER_USD = 1_000_000


def _split(model: str) -> tuple[str | None, str]:
    head, sep, rest = model.partition("/")
    return (head, rest) if sep else (None, model)


def lookup(catalog: Catalog, model: str, provider: str | None = None) -> ModelInfo:
    """The catalog entry for `provider/model`, a bare name, or a model under a given provider."""
    head, name = _split(model)
    info = catalog.get(model, provider) if provider else None
    if info is None and head:
        info = catalog.get(name, head)
    info = info or catalog.get(model)
    if info is None:
        raise NotFoundError(
            f"no price known for model {model!r}; register one with register_model()", model=model
        )
    return info


def usage_of(
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    *,
    cached_tokens: int = 0,
    cache_creation_tokens: int = 0,
    reasoning_tokens: int = 0,
) -> Usage:
    return Usage(
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        total_tokens=prompt_tokens + completion_tokens,
        prompt_tokens_details=PromptTokensDetails(
            cached_tokens=cached_tokens, cache_creation_tokens=cache_creation_tokens
        ),
        completion_tokens_details=CompletionTokensDetails(reasoning_tokens=reasoning_tokens),
    )


def _as_usage(usage: Any) -> Usage:
    if isinstance(usage, Usage):
        return usage
    if isinstance(usage, Mapping):
        return msgspec.convert(usage, Usage)
    # another library's usage object (e.g. the OpenAI SDK's): read the common fields
    return Usage(
        prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
        completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
        total_tokens=getattr(usage, "total_tokens", 0) or 0,
    )


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def completion_cost(
    catalog: Catalog,
    completion_response: Any = None,
    *,
    model: str | None = None,
    usage: Any = None,
    prompt: str = "",
    messages: Sequence[Any] | None = None,
    completion: str = "",
    prompt_tokens: int | None = None,
    completion_tokens: int | None = None,
    recorded_micros: int | None = None,
) -> float:
    """USD cost of a response (its recorded cost when it carries one), or of a model and either token
    counts or prompt/messages/completion text (counted with token_counter). `recorded_micros`: the
    response's cost as its Served record says (the SDK functions read it, a room above this one)."""
    if completion_response is not None:
        if recorded_micros is not None and model is None:
            return recorded_micros / MICROS_PER_USD
        # a response with no record (LiteLLM's own, or one built by hand) may carry LiteLLM's view
        hidden = getattr(completion_response, "_hidden_params", None) or {}
        if "cost_micros" in hidden and model is None:
            return float(hidden["cost_micros"]) / MICROS_PER_USD
        usage = usage if usage is not None else _field(completion_response, "usage")
        model = model or hidden.get("model") or _field(completion_response, "model")
    if not model:
        raise ValueError("completion_cost needs a response or a model")
    if usage is None:
        if prompt_tokens is None or completion_tokens is None:
            from llmrelay.cost.tokens import token_counter

            if prompt_tokens is None:
                prompt_tokens = (
                    token_counter(model, messages=messages) if messages else token_counter(model, text=prompt)
                )
            if completion_tokens is None:
                completion_tokens = token_counter(model, text=completion)
        usage = usage_of(prompt_tokens, completion_tokens)
    return cost_micros(_as_usage(usage), lookup(catalog, model)) / MICROS_PER_USD


def cost_per_token(
    catalog: Catalog,
    model: str,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    *,
    cache_read_input_tokens: int = 0,
    cache_creation_input_tokens: int = 0,
    reasoning_tokens: int = 0,
    custom_llm_provider: str | None = None,
) -> tuple[float, float]:
    """(prompt cost, completion cost) in USD, as LiteLLM's cost_per_token returns them. Cache tokens
    are part of prompt_tokens, reasoning tokens part of completion_tokens (OpenAI's convention)."""
    info = lookup(catalog, model, custom_llm_provider)
    prompt = cost_picos(
        usage_of(
            prompt_tokens,
            cached_tokens=cache_read_input_tokens,
            cache_creation_tokens=cache_creation_input_tokens,
        ),
        info,
    )
    # completion prices may be tiered on the prompt's size
    both = cost_picos(
        usage_of(
            prompt_tokens,
            completion_tokens,
            cached_tokens=cache_read_input_tokens,
            cache_creation_tokens=cache_creation_input_tokens,
            reasoning_tokens=reasoning_tokens,
        ),
        info,
    )
    return prompt / PICO_PER_USD, (both - prompt) / PICO_PER_USD


def register_model(catalog: Catalog, models: Mapping[str, Mapping[str, Any]]) -> None:
    """Register custom prices in LiteLLM's format, e.g.
    {"my-model": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6,
                  "litellm_provider": "openai", "max_input_tokens": 8192}}.
    Registered entries win over the shipped catalog, for this catalog (Client) only."""
    for name, spec in models.items():
        head, bare = _split(name)
        provider = spec.get("litellm_provider") or head or "custom"
        info = msgspec.convert(model_info_fields(spec, provider), ModelInfo)
        catalog.register(name, info)
        if bare != name:
            catalog.register(bare, info)


def get_model_info(catalog: Catalog, model: str, custom_llm_provider: str | None = None) -> dict[str, Any]:
    """A model's catalog facts in LiteLLM's field names (USD per token, context window, flags)."""
    info = lookup(catalog, model, custom_llm_provider)
    out: dict[str, Any] = {
        "key": model,
        "litellm_provider": info.provider,
        "mode": info.mode,
        "max_input_tokens": info.max_input_tokens,
        "max_output_tokens": info.max_output_tokens,
        "max_tokens": info.max_output_tokens,
        "input_cost_per_token": (info.input or 0) / PICO_PER_USD,
        "output_cost_per_token": (info.output or 0) / PICO_PER_USD,
    }
    if info.cache_read is not None:
        out["cache_read_input_token_cost"] = info.cache_read / PICO_PER_USD
    if info.cache_write is not None:
        out["cache_creation_input_token_cost"] = info.cache_write / PICO_PER_USD
    if info.reasoning is not None:
        out["output_cost_per_reasoning_token"] = info.reasoning / PICO_PER_USD
    for capability in sorted(info.capabilities):
        out[f"supports_{capability}"] = True
    return out
