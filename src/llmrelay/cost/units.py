"""Prices of calls billed per unit rather than per token: rerank search units and generated images.

Integers throughout, as in pricing.py: pico-USD per unit in, micro-USD (rounded half up) out."""

from __future__ import annotations

from llmrelay.cost.catalog import Catalog, ModelInfo
from llmrelay.cost.pricing import picos_to_micros


def rerank_cost_micros(info: ModelInfo, search_units: int, input_tokens: int) -> int:
    """Cohere bills rerank per search unit (`per_query`); newer rerankers (Cohere v5, Jina, Voyage)
    per input token. A model with both prices is billed both."""
    picos = search_units * (info.per_query or 0) + input_tokens * (info.input or 0)
    return picos_to_micros(picos)


# the quality each model family is billed at when the call names none (or "auto")
_DEFAULT_QUALITY = (("dall-e-3", "standard"), ("gpt-image", "medium"))


def image_price_picos(
    catalog: Catalog, model: str, provider: str, size: str | None, quality: str | None
) -> int | None:
    """The price of one image of `model` at `size` ("1024x1024") and `quality`, or None when the
    catalog has none. The price list files per-image prices as `<quality>/<W>-x-<H>/<model>` (or
    `<W>-x-<H>/<model>`, dall-e-2), either per image or per pixel."""
    if quality in (None, "auto"):
        quality = next((q for prefix, q in _DEFAULT_QUALITY if model.startswith(prefix)), None)
    width, height = _dimensions(size or "1024x1024")
    keyed_size = f"{width}-x-{height}"
    names = [f"{keyed_size}/{model}", model]
    if quality:
        names.insert(0, f"{quality}/{keyed_size}/{model}")
    for name in names:
        info = catalog.get(name, provider)
        if info is None:
            continue
        if info.per_image is not None:
            return info.per_image
        if info.per_pixel is not None:
            return info.per_pixel * width * height
    return None


def _dimensions(size: str) -> tuple[int, int]:
    width, _, height = size.lower().partition("x")
    try:
        return int(width), int(height)
    except ValueError:
        return 1024, 1024  # "auto" and the like: the models' default square
