"""Chat response and stream-chunk types, shaped like OpenAI's so clients read them unchanged."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.types.base import Model, always_encoded
from llmrelay.types.chat import ToolCall

_CHAT_COMPLETION = always_encoded("chat.completion")
_CHAT_COMPLETION_CHUNK = always_encoded("chat.completion.chunk")


_ASSISTANT_ROLE = "".join(list("assistant"))  # a distinct object equal to the default


class PromptTokensDetails(Model):
    cached_tokens: int | None = None
    audio_tokens: int | None = None
    # tokens written to a provider's prompt cache (Anthropic cache_creation_input_tokens)
    cache_creation_tokens: int | None = None


class CompletionTokensDetails(Model):
    reasoning_tokens: int | None = None
    audio_tokens: int | None = None
    accepted_prediction_tokens: int | None = None
    rejected_prediction_tokens: int | None = None


class Usage(Model):
    """Token counts. prompt_tokens includes cached and cache-write tokens, as in OpenAI's usage."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None

    @property
    def cached_tokens(self) -> int:
        d = self.prompt_tokens_details
        return (d.cached_tokens or 0) if d else 0

    @property
    def cache_creation_tokens(self) -> int:
        d = self.prompt_tokens_details
        return (d.cache_creation_tokens or 0) if d else 0

    @property
    def reasoning_tokens(self) -> int:
        d = self.completion_tokens_details
        return (d.reasoning_tokens or 0) if d else 0


class ResponseMessage(Model):
    content: str | None
    role: str = "assistant"
    tool_calls: list[ToolCall] | None = None
    reasoning_content: str | None = None
    thinking_blocks: list[dict[str, Any]] | None = None
    refusal: str | None = None
    annotations: list[dict[str, Any]] | None = None
    # what some OpenAI-compatible servers (OpenRouter, Groq, newer vLLM) call reasoning_content;
    # adapters move it to reasoning_content on input, so it is never set on output
    reasoning: str | None = None

    def __post_init__(self) -> None:
        # an equal copy of the default, so omit_defaults keeps `role` in to_dict() and encoded JSON
        # (without it, replaying the message or relaying it to an OpenAI client loses the role)
        if self.role == "assistant":
            self.role = _ASSISTANT_ROLE


class Choice(Model):
    index: int
    message: ResponseMessage
    finish_reason: str | None
    logprobs: dict[str, Any] | None = None


class ChatResponse(Model, dict=True):
    """A chat completion. SDK callers find what served it (provider, deployment, routing) and its cost
    in `_hidden_params` (not serialized): LiteLLM's view of the record the package keeps
    (calls/served.py), written at the SDK edge."""

    id: str
    created: int
    model: str
    choices: list[Choice]
    usage: Usage | None = None
    object: str = "chat.completion"
    system_fingerprint: str | None = None
    service_tier: str | None = None

    def __post_init__(self) -> None:
        if self.object == "chat.completion":
            self.object = _CHAT_COMPLETION


class ToolCallDeltaFunction(Model):
    name: str | None = None
    arguments: str | None = None


class ToolCallDelta(Model):
    index: int
    id: str | None = None
    type: str | None = None
    function: ToolCallDeltaFunction | None = None


class Delta(Model):
    role: str | None = None
    content: str | None = None
    tool_calls: list[ToolCallDelta] | None = None
    reasoning_content: str | None = None
    thinking_blocks: list[dict[str, Any]] | None = None
    refusal: str | None = None
    # input alias of reasoning_content (see ResponseMessage.reasoning)
    reasoning: str | None = None


class ChunkChoice(Model):
    index: int
    delta: Delta
    finish_reason: str | None = None
    logprobs: dict[str, Any] | None = None


class ChatChunk(Model, dict=True):
    """One streamed chunk, as OpenAI's chat.completion.chunk. The last may carry only usage."""

    id: str
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    object: str = "chat.completion.chunk"
    system_fingerprint: str | None = None

    def __post_init__(self) -> None:
        if self.object == "chat.completion.chunk":
            self.object = _CHAT_COMPLETION_CHUNK


def hidden_params(obj: msgspec.Struct) -> dict[str, Any]:
    """The unserialized `_hidden_params` dict of a response or chunk: what an adapter notes for SDK
    callers beyond OpenAI's fields (Gemini's safety ratings, Bedrock's metrics...), and, once the
    answer leaves the SDK, LiteLLM's view of what served it (provider, deployment, cost: written at
    the SDK edge, core/litellm_view.py). Nothing inside the package reads those from here."""
    params: dict[str, Any] | None = getattr(obj, "_hidden_params", None)
    if params is None:
        params = {}
        obj._hidden_params = params  # type: ignore[attr-defined]
    return params
