"""Legacy text-completion types (OpenAI /v1/completions shape)."""

from __future__ import annotations

from typing import Any

from llmrelay.types.base import Model, always_encoded
from llmrelay.types.chat import StreamOptions
from llmrelay.types.response import Usage

_TEXT_COMPLETION = always_encoded("text_completion")


class TextCompletionRequest(Model):
    model: str
    prompt: str | list[str | int | list[int]]  # msgspec allows one array type per union
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    n: int | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    logprobs: int | None = None
    echo: bool | None = None
    stop: str | list[str] | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    best_of: int | None = None
    logit_bias: dict[str, float] | None = None
    user: str | None = None
    seed: int | None = None
    suffix: str | None = None
    # response cache controls, as on ChatRequest; never sent to a provider
    cache: dict[str, Any] | None = None
    extra_body: dict[str, Any] | None = None


class TextChoice(Model):
    index: int
    text: str
    finish_reason: str | None
    logprobs: dict[str, Any] | None = None


class TextCompletionResponse(Model, dict=True):
    id: str
    created: int
    model: str
    choices: list[TextChoice]
    usage: Usage | None = None
    object: str = "text_completion"
    system_fingerprint: str | None = None

    def __post_init__(self) -> None:
        if self.object == "text_completion":
            self.object = _TEXT_COMPLETION
