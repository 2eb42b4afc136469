"""A deployment's own prices, written in LiteLLM's field names (USD per token or per unit) in its
`litellm_params` or `model_info`. They replace the catalog's prices for that deployment, so a model the
catalog does not know still costs what its owner pays, and budgets bind.

Every LiteLLM price field is classified here, once: priced (mapped to the catalog's integer fields),
or refused, because llmrelay meters no such unit (seconds, characters, audio, video...) or would bill
it at the wrong rate (service tiers). Refused fields stop the startup: a price that is silently not
applied is spend that is never counted."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llmrelay.cost.litellm_format import model_info_fields
from llmrelay.types.prices import PRICE_FIELDS, Prices

# LiteLLM field → what llmrelay does with it. "priced": part of the deployment's Prices.
PRICED = frozenset(
    {
        "input_cost_per_token",
        "output_cost_per_token",
        "cache_read_input_token_cost",
        "cache_creation_input_token_cost",
        "output_cost_per_reasoning_token",
        "input_cost_per_token_cache_hit",
        "input_cost_per_query",
        "input_cost_per_pixel",
        "input_cost_per_character",
        "input_cost_per_second",
        "output_cost_per_second",
        "input_cost_per_image",
        "output_cost_per_image",
        "input_cost_per_token_above_128k_tokens",
        "input_cost_per_token_above_200k_tokens",
        "output_cost_per_token_above_128k_tokens",
        "output_cost_per_token_above_200k_tokens",
        "cache_read_input_token_cost_above_200k_tokens",
        "cache_creation_input_token_cost_above_200k_tokens",
        "input_cost_per_token_batches",
        "output_cost_per_token_batches",
    }
)
# LiteLLM price fields llmrelay cannot apply, with the reason the startup error gives
REFUSED: dict[str, str] = {
    "output_cost_per_second_1080p": "llmrelay prices calls by token, not by second",
    "output_cost_per_character": "llmrelay prices calls by token, not by character",
    "input_cost_per_character_above_128k_tokens": "llmrelay prices calls by token, not by character",
    "output_cost_per_character_above_128k_tokens": "llmrelay prices calls by token, not by character",
    "input_cost_per_audio_token": "llmrelay does not meter audio tokens apart",
    "output_cost_per_audio_token": "llmrelay does not meter audio tokens apart",
    "cache_creation_input_audio_token_cost": "llmrelay does not meter audio tokens apart",
    "cache_read_input_audio_token_cost": "llmrelay does not meter audio tokens apart",
    "input_cost_per_audio_per_second": "llmrelay does not meter audio",
    "input_cost_per_audio_per_second_above_128k_tokens": "llmrelay does not meter audio",
    "output_cost_per_audio_per_second": "llmrelay does not meter audio",
    "input_cost_per_video_per_second": "llmrelay does not meter video",
    "input_cost_per_video_per_second_above_128k_tokens": "llmrelay does not meter video",
    "input_cost_per_video_per_second_above_8s_interval": "llmrelay does not meter video",
    "input_cost_per_video_per_second_above_15s_interval": "llmrelay does not meter video",
    "output_cost_per_video_per_second": "llmrelay does not meter video",
    "input_cost_per_image_above_128k_tokens": "llmrelay does not meter input images apart",
    "output_cost_per_pixel": "llmrelay prices generated images per image, not per pixel",
    "output_cost_per_image_token": "llmrelay does not meter image tokens apart",
    "input_cost_per_token_flex": "llmrelay does not track service tiers (flex)",
    "output_cost_per_token_flex": "llmrelay does not track service tiers (flex)",
    "cache_read_input_token_cost_flex": "llmrelay does not track service tiers (flex)",
    "input_cost_per_token_priority": "llmrelay does not track service tiers (priority)",
    "output_cost_per_token_priority": "llmrelay does not track service tiers (priority)",
    "cache_read_input_token_cost_priority": "llmrelay does not track service tiers (priority)",
    "cache_creation_input_token_cost_above_1hr": "llmrelay does not track cache lifetimes",
    "citation_cost_per_token": "llmrelay does not meter citation tokens",
    "search_context_cost_per_query": "llmrelay does not meter web-search queries",
    "tiered_pricing": "use the *_above_<N>k_tokens fields instead",
}
_TIER = re.compile(r"_above_(\d+)k_tokens$")
_PRICE_NAME = re.compile(r"(_cost_per_|_token_cost)")


def is_price_field(name: str) -> bool:
    """A key that reads as a LiteLLM price, known or not (a new one must not pass unnoticed)."""
    return name in PRICED or name in REFUSED or bool(_PRICE_NAME.search(name)) or name == "tiered_pricing"


@dataclass(frozen=True, slots=True)
class PriceProblem:
    field: str
    problem: str


def custom_prices(fields: Mapping[str, Any]) -> tuple[Prices | None, list[PriceProblem]]:
    """The Prices a deployment's price fields set (None when it sets none), and the fields that
    cannot be used: refused units, unknown price names, values that are no non-negative number."""
    problems: list[PriceProblem] = []
    given: dict[str, Any] = {}
    for name, value in fields.items():
        if not is_price_field(name) or value is None:
            continue
        if name in REFUSED:
            problems.append(PriceProblem(name, f"cannot be applied: {REFUSED[name]}"))
        elif name not in PRICED:
            problems.append(PriceProblem(name, "unknown price field; llmrelay cannot apply it"))
        elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            problems.append(PriceProblem(name, f"expected a non-negative number (USD), got {value!r}"))
        else:
            given[name] = value
    tiers = {name: m.group(1) for name in given if (m := _TIER.search(name))}
    if len(set(tiers.values())) > 1:
        highest = max(tiers, key=lambda name: int(tiers[name]))
        problems.append(
            PriceProblem(
                highest,
                f"prices for more than one prompt-size tier ({', '.join(sorted(set(tiers.values())))}k "
                "tokens); llmrelay applies one tier",
            )
        )
    if not given:
        return None, problems
    converted = model_info_fields(given, provider="custom")
    prices = Prices(**{k: v for k, v in converted.items() if k in PRICE_FIELDS})
    return prices, problems
