"""Cost of a call from its usage and the model's prices, in integers: pico-USD per token in, micro-USD
(rounded half up) out, so sums of many calls never drift."""

from __future__ import annotations

from llmrelay.cost.catalog import ModelInfo
from llmrelay.types.response import Usage

PICOS_PER_MICRO = 1_000_000


def cost_picos(usage: Usage, info: ModelInfo) -> int:
    """Price a usage block. prompt_tokens includes cached reads and cache writes (OpenAI's convention);
    each is priced at its own rate when the model has one, else at the input rate. Reasoning tokens are
    part of completion_tokens and use the reasoning rate when the model has one."""
    above = info.tier_threshold is not None and usage.prompt_tokens > info.tier_threshold
    input_price = (info.input_above if above and info.input_above is not None else info.input) or 0
    output_price = (info.output_above if above and info.output_above is not None else info.output) or 0
    cache_read_price = (
        info.cache_read_above if above and info.cache_read_above is not None else info.cache_read
    )
    if cache_read_price is None:
        cache_read_price = input_price
    cache_write_price = info.cache_write if info.cache_write is not None else input_price

    cached = usage.cached_tokens
    written = usage.cache_creation_tokens
    uncached = max(0, usage.prompt_tokens - cached - written)
    reasoning = usage.reasoning_tokens if info.reasoning is not None else 0
    plain_output = max(0, usage.completion_tokens - reasoning)
    return (
        uncached * input_price
        + cached * cache_read_price
        + written * cache_write_price
        + plain_output * output_price
        + reasoning * (info.reasoning or 0)
    )


def cost_micros(usage: Usage, info: ModelInfo) -> int:
    return (cost_picos(usage, info) + PICOS_PER_MICRO // 2) // PICOS_PER_MICRO
