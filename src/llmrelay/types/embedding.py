"""Embedding request and response types (OpenAI shape)."""

from __future__ import annotations

from typing import Any

from llmrelay.types.base import Model, always_encoded
from llmrelay.types.response import Usage

_EMBEDDING = always_encoded("embedding")
_LIST = always_encoded("list")


class EmbeddingRequest(Model):
    model: str
    input: str | list[str | int | list[int]]  # msgspec allows one array type per union
    encoding_format: str | None = None
    dimensions: int | None = None
    user: str | None = None
    # provider-specific hint, e.g. Gemini's task_type
    task_type: str | None = None
    # response cache controls, as on ChatRequest; never sent to a provider
    cache: dict[str, Any] | None = None
    extra_body: dict[str, Any] | None = None

    def texts(self) -> list[str]:
        """The inputs as strings; token-id inputs are only valid for OpenAI-style providers."""
        if isinstance(self.input, str):
            return [self.input]
        return [x for x in self.input if isinstance(x, str)]


class EmbeddingData(Model):
    index: int
    embedding: list[float] | str
    object: str = "embedding"

    def __post_init__(self) -> None:
        if self.object == "embedding":
            self.object = _EMBEDDING


class EmbeddingUsage(Model):
    prompt_tokens: int = 0
    total_tokens: int = 0

    def as_usage(self) -> Usage:
        """The chat-shaped Usage that pricing, limits and call records take."""
        return Usage(prompt_tokens=self.prompt_tokens, total_tokens=self.total_tokens)


class EmbeddingResponse(Model, dict=True):
    data: list[EmbeddingData]
    model: str
    usage: EmbeddingUsage
    object: str = "list"

    def __post_init__(self) -> None:
        if self.object == "list":
            self.object = _LIST
