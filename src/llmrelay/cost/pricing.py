"""Cost of a call from its usage and the model's prices, in integers: pico-USD per token in, micro-USD
(rounded half up) out, so sums of many calls never drift."""

from __future__ import annotations

import msgspec

from llmrelay.cost.catalog import ModelInfo
from llmrelay.types.response import Usage

PICOS_PER_MICRO = 1_000_000


def _pick(above: bool, tiered: int | None, base: int | None) -> int | None:
    return tiered if above and tiered is not None else base


def cost_picos(usage: Usage, info: ModelInfo) -> int:
    """Price a usage block in pico-USD.

    prompt_tokens includes cached reads and cache writes (OpenAI's convention); each is priced at its
    own rate when the model has one, else at the input rate. completion_tokens includes reasoning
    tokens; they use the reasoning rate when the model has one, else the output rate. Above a model's
    tier threshold (prompt tokens), the tier's prices apply to the whole call, as providers bill it."""
    above = info.tier_threshold is not None and usage.prompt_tokens > info.tier_threshold
    input_price = _pick(above, info.input_above, info.input) or 0
    output_price = _pick(above, info.output_above, info.output) or 0
    cache_read_price = _pick(above, info.cache_read_above, info.cache_read)
    cache_write_price = _pick(above, info.cache_write_above, info.cache_write)

    cached = usage.cached_tokens
    written = usage.cache_creation_tokens
    uncached = max(0, usage.prompt_tokens - cached - written)
    reasoning = usage.reasoning_tokens if info.reasoning is not None else 0
    plain_output = max(0, usage.completion_tokens - reasoning)
    return (
        uncached * input_price
        + cached * (input_price if cache_read_price is None else cache_read_price)
        + written * (input_price if cache_write_price is None else cache_write_price)
        + plain_output * output_price
        + reasoning * (info.reasoning or 0)
    )


def picos_to_micros(picos: int) -> int:
    """Round pico-USD to micro-USD, half up."""
    return (picos + PICOS_PER_MICRO // 2) // PICOS_PER_MICRO


def cost_micros(usage: Usage, info: ModelInfo) -> int:
    return picos_to_micros(cost_picos(usage, info))


def _half(price: int | None) -> int | None:
    return None if price is None else (price + 1) // 2


def batch_prices(info: ModelInfo) -> ModelInfo:
    """The model's prices for a Batch API call: its batch prices per token where the catalog (or the
    deployment's config) has them, else half its prices — OpenAI's, Azure's and Anthropic's batch
    discount. Every other per-token price (cached reads, cache writes, reasoning, a tier's) is
    halved too, as those providers discount the whole call."""
    half = {
        name: _half(getattr(info, name))
        for name in ("cache_read", "cache_write", "reasoning", "input_above", "output_above",
                     "cache_read_above", "cache_write_above")
    }  # fmt: skip
    return msgspec.structs.replace(
        info,
        input=info.input_batch if info.input_batch is not None else _half(info.input),
        output=info.output_batch if info.output_batch is not None else _half(info.output),
        **half,
    )
