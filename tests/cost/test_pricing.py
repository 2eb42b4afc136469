"""Pricing math in integers: cached, cache-write and reasoning tokens at their own rates, tiers,
rounding, custom prices, and the LiteLLM-named helpers."""

from __future__ import annotations

import pytest

from llmrelay.cost import api
from llmrelay.cost.catalog import Catalog, CatalogFile, ModelInfo
from llmrelay.cost.pricing import cost_micros, cost_picos, picos_to_micros
from llmrelay.types import errors
from llmrelay.types.response import ChatResponse, Choice, ResponseMessage, Usage

# prices in pico-USD per token: 2.5 USD / M input = 2_500_000 pico per token
MODEL = ModelInfo(
    provider="openai",
    input=2_500_000,
    output=10_000_000,
    cache_read=1_250_000,
    cache_write=3_125_000,
    reasoning=12_000_000,
)


def usage(prompt: int, completion: int, cached: int = 0, written: int = 0, reasoning: int = 0) -> Usage:
    return api.usage_of(
        prompt, completion, cached_tokens=cached, cache_creation_tokens=written, reasoning_tokens=reasoning
    )


def test_plain_input_and_output() -> None:
    assert cost_picos(usage(1000, 200), MODEL) == 1000 * 2_500_000 + 200 * 10_000_000
    assert cost_micros(usage(1000, 200), MODEL) == 4_500  # 0.0045 USD


def test_cached_and_written_tokens_are_part_of_prompt_at_their_rates() -> None:
    got = cost_picos(usage(1000, 0, cached=600, written=100), MODEL)
    assert got == 300 * 2_500_000 + 600 * 1_250_000 + 100 * 3_125_000


def test_reasoning_tokens_are_part_of_completion_at_their_rate() -> None:
    got = cost_picos(usage(0, 500, reasoning=400), MODEL)
    assert got == 100 * 10_000_000 + 400 * 12_000_000
    no_reasoning_rate = ModelInfo(provider="openai", input=1, output=10)
    assert cost_picos(usage(0, 500, reasoning=400), no_reasoning_rate) == 5000


def test_missing_cache_rates_fall_back_to_input() -> None:
    plain = ModelInfo(provider="x", input=7, output=0)
    assert cost_picos(usage(10, 0, cached=4, written=3), plain) == 70


def test_tier_applies_to_the_whole_call_above_the_threshold() -> None:
    tiered = ModelInfo(
        provider="gemini",
        input=1_250_000,
        output=10_000_000,
        cache_read=310_000,
        tier_threshold=200_000,
        input_above=2_500_000,
        output_above=15_000_000,
        cache_read_above=625_000,
    )
    at = cost_picos(usage(200_000, 1000, cached=1000), tiered)
    assert at == 199_000 * 1_250_000 + 1000 * 310_000 + 1000 * 10_000_000
    above = cost_picos(usage(200_001, 1000, cached=1000), tiered)
    assert above == 199_001 * 2_500_000 + 1000 * 625_000 + 1000 * 15_000_000


def test_rounding_is_half_up_to_micros() -> None:
    assert picos_to_micros(499_999) == 0
    assert picos_to_micros(500_000) == 1
    assert picos_to_micros(1_499_999) == 1
    # a thousand tiny calls sum exactly in picos
    cheap = ModelInfo(provider="x", input=37, output=0)
    assert sum(cost_picos(usage(3, 0), cheap) for _ in range(1000)) == 111_000


def test_catalog_rates_for_a_known_model() -> None:
    info = Catalog().get("gpt-4o", "openai")
    assert info is not None
    # gpt-4o: 2.5 / 10 USD per million tokens, cached reads half price (list release 1.110.2)
    assert (info.input, info.output, info.cache_read) == (2_500_000, 10_000_000, 1_250_000)
    assert info.max_input_tokens == 128_000 and info.supports("function_calling")


def test_register_model_wins_and_stays_in_its_catalog() -> None:
    mine, other = Catalog(), Catalog()
    api.register_model(
        mine,
        {
            "openai/gpt-4o": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6},
            "my-llm": {
                "input_cost_per_token": 3e-7,
                "output_cost_per_token": 6e-7,
                "cache_read_input_token_cost": 1e-7,
                "litellm_provider": "hosted_vllm",
                "input_cost_per_token_above_128k_tokens": 6e-7,
                "max_input_tokens": 200_000,
            },
        },
    )
    info = mine.get("gpt-4o", "openai")
    assert info is not None and (info.input, info.output) == (1_000_000, 2_000_000)
    other_info = other.get("gpt-4o", "openai")
    assert other_info is not None and other_info.input == 2_500_000
    custom = mine.get("my-llm", "hosted_vllm")
    assert custom is not None and (
        custom.input,
        custom.cache_read,
        custom.tier_threshold,
        custom.input_above,
    ) == (
        300_000,
        100_000,
        128_000,
        600_000,
    )
    assert mine.provider_for("my-llm") == "hosted_vllm"


def test_cost_per_token_splits_prompt_and_completion() -> None:
    catalog = Catalog()
    api.register_model(
        catalog,
        {
            "x/m": {
                "input_cost_per_token": 2e-6,
                "output_cost_per_token": 8e-6,
                "cache_read_input_token_cost": 5e-7,
            }
        },
    )
    assert api.cost_per_token(catalog, "x/m", 1000, 10) == (pytest.approx(0.002), pytest.approx(0.00008))
    prompt, _ = api.cost_per_token(catalog, "x/m", 1000, 0, cache_read_input_tokens=1000)
    assert prompt == pytest.approx(0.0005)


def test_completion_cost_from_parts_text_and_responses() -> None:
    catalog = Catalog()
    api.register_model(catalog, {"x/m": {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6}})
    assert api.completion_cost(catalog, model="x/m", prompt_tokens=1000, completion_tokens=1000) == 0.002
    from_text = api.completion_cost(catalog, model="x/m", prompt="hello world", completion="hi")
    assert from_text == pytest.approx((2 + 1) * 1e-6)
    response = ChatResponse(
        id="r",
        created=0,
        model="x/m",
        choices=[Choice(index=0, message=ResponseMessage(content="a"), finish_reason="stop")],
        usage=Usage(prompt_tokens=500, completion_tokens=500, total_tokens=1000),
    )
    assert api.completion_cost(catalog, response) == 0.001
    assert api.completion_cost(catalog, response.to_dict()) == 0.001
    response._hidden_params = {"cost_micros": 42}  # type: ignore[attr-defined]
    assert api.completion_cost(catalog, response) == 0.000042


def test_unknown_model_is_not_found() -> None:
    with pytest.raises(errors.NotFoundError, match="register"):
        api.completion_cost(Catalog(), model="nobody/knows", prompt_tokens=1, completion_tokens=1)


def test_get_model_info_in_litellm_names() -> None:
    info = api.get_model_info(Catalog(), "gpt-4o")
    assert info["litellm_provider"] == "openai" and info["input_cost_per_token"] == pytest.approx(2.5e-6)
    assert info["supports_function_calling"] is True and info["max_input_tokens"] == 128_000


def test_catalog_file_is_not_read_until_needed() -> None:
    empty = CatalogFile(version=1, source="t", models={}, aliases={})
    catalog = Catalog(empty)
    assert catalog.get("gpt-4o") is None


def test_registering_after_a_lookup_takes_effect() -> None:
    catalog = Catalog()
    before = catalog.get("gpt-4o", "openai")
    assert before is not None and before.input == 2_500_000
    api.register_model(catalog, {"openai/gpt-4o": {"input_cost_per_token": 1e-6}})
    after = catalog.get("gpt-4o", "openai")
    assert after is not None and after.input == 1_000_000
