"""A model's prices in integer pico-USD (1 USD = 10**12): per token, per unit, and above a prompt-size
tier. Shared by the catalog's entries (llmrelay.cost.catalog.ModelInfo) and by a deployment's own
prices from config (which replace the catalog's)."""

from __future__ import annotations

import msgspec


class Prices(msgspec.Struct, kw_only=True, omit_defaults=True):
    # per token; None = unknown
    input: int | None = None
    output: int | None = None
    cache_read: int | None = None
    cache_write: int | None = None
    reasoning: int | None = None
    # tiered pricing: above `tier_threshold` prompt tokens, these prices apply to the whole call
    tier_threshold: int | None = None
    input_above: int | None = None
    output_above: int | None = None
    cache_read_above: int | None = None
    cache_write_above: int | None = None
    # per unit: a rerank query (Cohere's search unit), an image, an image pixel, an input character
    # (text-to-speech), a second of input audio (speech-to-text), a second of output audio
    # (gpt-4o-mini-tts)
    per_query: int | None = None
    per_image: int | None = None
    per_pixel: int | None = None
    per_character: int | None = None
    per_second: int | None = None
    output_per_second: int | None = None
    # per token of a Batch API call (OpenAI's, Anthropic's... at about half price); None = the
    # provider's discount is applied to the prices above (docs/gateway.md, "Files and batches")
    input_batch: int | None = None
    output_batch: int | None = None
    # per audio / image token, where a usage counts them apart from text (the Realtime API's);
    # None: priced at the text rates
    input_audio: int | None = None
    output_audio: int | None = None
    cache_read_audio: int | None = None
    input_image: int | None = None


PRICE_FIELDS: tuple[str, ...] = Prices.__struct_fields__
