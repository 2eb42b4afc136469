"""How an Operation row prices its answers: a rule over the prices of the deployment that served the
call (`Prices`, which the engine answers from the catalog or the deployment's own prices:
engine/pricing.py), the request and the answer.

A rule is part of its call type's row, so a new call type priced like an existing one (per token of
usage, per image, per character) names a rule here rather than adding a method to the engine. Every
price is integer micro-USD."""

from __future__ import annotations

from typing import Protocol

from llmrelay.cost.catalog import ModelInfo
from llmrelay.cost.pricing import cost_micros, picos_to_micros
from llmrelay.cost.tokens import count_text
from llmrelay.cost.units import rerank_cost_micros
from llmrelay.types.image import ImageResponse, ImageUsage
from llmrelay.types.response import Usage


class Prices(Protocol):
    """The prices of the deployment serving one call."""

    def info(self) -> ModelInfo | None:
        """The model's prices and facts (the deployment's own prices replace the catalog's), or None
        for a model the catalog does not know."""
        ...

    def tokens(self, usage: Usage | None) -> int:
        """`usage` at the model's token prices (0 for an unknown model or no usage)."""
        ...

    def per_image(self, size: str | None, quality: str | None) -> int | None:
        """pico-USD for one image at `size` and `quality`, or None when no such price is known."""
        ...


def by_text_tokens(prices: Prices, texts: list[str]) -> int:
    """The texts' tokens at the model's input price (0 for a model without one)."""
    info = prices.info()
    if info is None or not info.input:
        return 0
    tokens = sum(count_text(text) for text in texts)
    return cost_micros(Usage(prompt_tokens=tokens, total_tokens=tokens), info)


def by_search_units(prices: Prices, search_units: int, input_tokens: int) -> int:
    info = prices.info()
    return 0 if info is None else rerank_cost_micros(info, search_units, input_tokens)


def by_images(prices: Prices, response: ImageResponse, size: str | None, quality: str | None) -> int:
    """Per image at the call's size and quality; else the model's token prices on the reported
    usage (gpt-image models report one)."""
    each = prices.per_image(size, quality)
    if each is not None:
        return picos_to_micros(each * len(response.data))
    return prices.tokens(image_usage(response.usage)) if response.usage is not None else 0


def by_characters(prices: Prices, text: str, audio_seconds: float | None = None) -> int:
    """Per input character (tts-1, tts-1-hd); a model priced per token (gpt-4o-mini-tts) at its
    input price on the text's tokens, plus its price per second of the audio out when the answer's
    length is known (`audio_seconds`: pcm and wav answers, calls/audio_length.py)."""
    info = prices.info()
    if info is None:
        return 0
    if info.per_character is not None:
        return picos_to_micros(info.per_character * len(text))
    spoken = 0
    if audio_seconds is not None and info.output_per_second is not None:
        spoken = picos_to_micros(round(info.output_per_second * audio_seconds))
    return by_text_tokens(prices, [text]) + spoken


def image_usage(usage: ImageUsage | None) -> Usage:
    """An image answer's usage (gpt-image models report one) as token usage."""
    if usage is None:
        return Usage()
    return Usage(
        prompt_tokens=usage.input_tokens,
        completion_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
    )


def by_audio_seconds(prices: Prices, seconds: float | None, usage: Usage | None) -> int:
    """A transcription: per second of input audio when the upstream reported its length and the
    model has a per-second price (whisper-1, Groq's and Deepgram's models); else its reported token
    usage at the model's token prices (gpt-4o-transcribe); else 0 (see docs/gateway.md)."""
    info = prices.info()
    if info is None:
        return 0
    if seconds is not None and info.per_second is not None:
        return picos_to_micros(round(info.per_second * seconds))
    if usage is not None and usage.total_tokens:
        return prices.tokens(usage)
    return 0
