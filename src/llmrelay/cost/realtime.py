"""What one Realtime API response costs. Its usage counts text, audio and image tokens apart, in and
out, and the cached part of the input by kind too; each kind has its own price in the catalog
(`input_audio`, `output_audio`, `cache_read_audio`, `input_image`). A kind without its own price is
priced at the text rate of its side, so a model the catalog knows only by its text prices still
costs something rather than nothing."""

from __future__ import annotations

from dataclasses import dataclass

from llmrelay.cost.catalog import ModelInfo
from llmrelay.cost.pricing import picos_to_micros


@dataclass(frozen=True, slots=True)
class RealtimeTokens:
    """One response's tokens by kind. The cached counts are parts of the input counts of their kind
    (OpenAI's convention), never added on top."""

    input_text: int = 0
    input_audio: int = 0
    input_image: int = 0
    cached_text: int = 0
    cached_audio: int = 0
    cached_image: int = 0
    output_text: int = 0
    output_audio: int = 0

    @property
    def input_tokens(self) -> int:
        return self.input_text + self.input_audio + self.input_image

    @property
    def output_tokens(self) -> int:
        return self.output_text + self.output_audio

    @property
    def cached_tokens(self) -> int:
        return self.cached_text + self.cached_audio + self.cached_image


def realtime_cost_picos(tokens: RealtimeTokens, info: ModelInfo) -> int:
    text_in = info.input or 0
    text_out = info.output or 0
    audio_in = text_in if info.input_audio is None else info.input_audio
    image_in = text_in if info.input_image is None else info.input_image
    text_cached = text_in if info.cache_read is None else info.cache_read
    audio_cached = audio_in if info.cache_read_audio is None else info.cache_read_audio
    # no price of its own for a cached image token in the catalog: the text cache rate
    image_cached = text_cached
    # a cached count larger than its kind's input count (a provider's mistake) bills no negative
    cached_text = min(tokens.cached_text, tokens.input_text)
    cached_audio = min(tokens.cached_audio, tokens.input_audio)
    cached_image = min(tokens.cached_image, tokens.input_image)
    return (
        (tokens.input_text - cached_text) * text_in
        + cached_text * text_cached
        + (tokens.input_audio - cached_audio) * audio_in
        + cached_audio * audio_cached
        + (tokens.input_image - cached_image) * image_in
        + cached_image * image_cached
        + tokens.output_text * text_out
        + tokens.output_audio * (text_out if info.output_audio is None else info.output_audio)
    )


def realtime_cost_micros(tokens: RealtimeTokens, info: ModelInfo) -> int:
    return picos_to_micros(realtime_cost_picos(tokens, info))
