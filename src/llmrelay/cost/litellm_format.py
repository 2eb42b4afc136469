"""Read one model entry of LiteLLM's price-list format (the community `model_prices.json`, and what
users pass to `register_model`) into the catalog's own fields: integer pico-USD per token.

Used by scripts/build_catalog.py (for the shipped catalog) and by register_model (for custom prices),
so both read prices the same way."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

PICO_PER_USD = 1_000_000_000_000

MODES = frozenset(
    {
        "chat", "completion", "embedding", "responses", "rerank", "moderation", "image_generation",
        "audio_speech", "audio_transcription", "realtime",
    }
)  # fmt: skip

# catalog field → LiteLLM field, both in USD per token on the LiteLLM side
PRICE_FIELDS = {
    "input": "input_cost_per_token",
    "output": "output_cost_per_token",
    "cache_read": "cache_read_input_token_cost",
    "cache_write": "cache_creation_input_token_cost",
    "reasoning": "output_cost_per_reasoning_token",
    # per call rather than per token: a rerank search unit, an image, an image's pixel, a character
    # of a text-to-speech input, a second of a transcription's input audio, a second of speech out
    "per_query": "input_cost_per_query",
    "per_pixel": "input_cost_per_pixel",
    "per_character": "input_cost_per_character",
    "per_second": "input_cost_per_second",
    "output_per_second": "output_cost_per_second",
    # per token of a Batch API call
    "input_batch": "input_cost_per_token_batches",
    "output_batch": "output_cost_per_token_batches",
    # audio and image tokens apart from text: only the Realtime API's usage reports them so
    # (proxy/realtime/; cost/realtime.py prices them); a chat answer's tokens are priced as text
    "input_audio": "input_cost_per_audio_token",
    "output_audio": "output_cost_per_audio_token",
    "cache_read_audio": "cache_read_input_audio_token_cost",
    "input_image": "input_cost_per_image_token",
}
# an image's price: the list files it under either name (output for some makers, input for OpenAI's
# quality/size entries)
IMAGE_PRICE_FIELDS = ("output_cost_per_image", "input_cost_per_image")
# catalog field → LiteLLM field prefix of a tiered price ("<prefix>_above_<N>k_tokens")
TIER_FIELDS = {
    "input_above": "input_cost_per_token",
    "output_above": "output_cost_per_token",
    "cache_read_above": "cache_read_input_token_cost",
    "cache_write_above": "cache_creation_input_token_cost",
}
_TIER_KEY = re.compile(r"^(?P<prefix>[a-z_]+)_above_(?P<k>\d+)k_tokens$")
CAPABILITIES = (
    "function_calling", "parallel_function_calling", "vision", "response_schema", "reasoning",
    "prompt_caching", "audio_input", "pdf_input", "tool_choice", "system_messages",
)  # fmt: skip


def to_picos(usd_per_token: Any) -> int | None:
    """USD per token → integer pico-USD per token; None for anything that is not a number."""
    if isinstance(usd_per_token, bool) or not isinstance(usd_per_token, int | float):
        return None
    return round(usd_per_token * PICO_PER_USD)


def _tier(entry: Mapping[str, Any]) -> dict[str, int]:
    """The lowest price tier the entry declares (e.g. Gemini's "above 200k prompt tokens")."""
    thresholds: dict[int, dict[str, int]] = {}
    prefixes = {prefix: field for field, prefix in TIER_FIELDS.items()}
    for key, value in entry.items():
        match = _TIER_KEY.match(key)
        if match is None or match["prefix"] not in prefixes:
            continue
        price = to_picos(value)
        if price is not None:
            thresholds.setdefault(int(match["k"]) * 1000, {})[prefixes[match["prefix"]]] = price
    if not thresholds:
        return {}
    lowest = min(thresholds)
    return {"tier_threshold": lowest, **thresholds[lowest]}


def model_info_fields(entry: Mapping[str, Any], provider: str) -> dict[str, Any]:
    """The catalog fields (ModelInfo keyword arguments) for one LiteLLM-format entry."""
    out: dict[str, Any] = {"provider": provider, "mode": entry.get("mode") or "chat"}
    for field in ("max_input_tokens", "max_output_tokens"):
        value = entry.get(field)
        if isinstance(value, int) and not isinstance(value, bool):
            out[field] = value
    if "max_output_tokens" not in out and isinstance(entry.get("max_tokens"), int):
        out["max_output_tokens"] = entry["max_tokens"]
    for field, source in PRICE_FIELDS.items():
        price = to_picos(entry.get(source))
        if price is not None:
            out[field] = price
    for source in IMAGE_PRICE_FIELDS:
        price = to_picos(entry.get(source))
        if price is not None:
            out["per_image"] = price
            break
    if "cache_read" not in out:
        # DeepSeek's list entries name the cached-read price this way
        hit = to_picos(entry.get("input_cost_per_token_cache_hit"))
        if hit is not None:
            out["cache_read"] = hit
    out.update(_tier(entry))
    caps = sorted(c for c in CAPABILITIES if entry.get(f"supports_{c}") is True)
    if caps:
        out["capabilities"] = caps
    return out
