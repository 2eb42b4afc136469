"""Module-level SDK functions (`llmrelay.completion(...)` & co.), each served by the default Client.

For callbacks, private price tables or separate pools, create a `llmrelay.Client` instead: the
default client is only a convenience and holds no callbacks."""

from __future__ import annotations

from typing import Any

from llmrelay.calls.served import NOT_SERVED, served_of
from llmrelay.client import default_client
from llmrelay.core.responses_api import ResponsesStream, SyncResponsesStream
from llmrelay.core.stream_view import ChatStreamView
from llmrelay.core.streaming import ChatStream, SyncChatStream
from llmrelay.core.text_stream import SyncTextStream, TextStream
from llmrelay.cost import api as cost_api
from llmrelay.types.completion import TextCompletionResponse
from llmrelay.types.embedding import EmbeddingResponse
from llmrelay.types.image import ImageResponse
from llmrelay.types.moderation import ModerationResponse
from llmrelay.types.rerank import RerankResponse
from llmrelay.types.response import ChatResponse
from llmrelay.types.responses import Response
from llmrelay.types.speech import SpeechResponse


def completion(model: str, messages: list[Any], **kwargs: Any) -> ChatResponse | SyncChatStream:
    return default_client().completion(model, messages, **kwargs)


async def acompletion(model: str, messages: list[Any], **kwargs: Any) -> ChatResponse | ChatStream:
    return await default_client().acompletion(model, messages, **kwargs)


def responses(model: str, input: str | list[Any], **kwargs: Any) -> Response | SyncResponsesStream:
    """OpenAI's Responses API over any provider (see Client.aresponses)."""
    return default_client().responses(model, input, **kwargs)


async def aresponses(model: str, input: str | list[Any], **kwargs: Any) -> Response | ResponsesStream:
    return await default_client().aresponses(model, input, **kwargs)


def embedding(model: str, input: str | list[Any], **kwargs: Any) -> EmbeddingResponse:
    return default_client().embedding(model, input, **kwargs)


async def aembedding(model: str, input: str | list[Any], **kwargs: Any) -> EmbeddingResponse:
    return await default_client().aembedding(model, input, **kwargs)


def rerank(model: str, query: str, documents: list[Any], **kwargs: Any) -> RerankResponse:
    return default_client().rerank(model, query, documents, **kwargs)


async def arerank(model: str, query: str, documents: list[Any], **kwargs: Any) -> RerankResponse:
    return await default_client().arerank(model, query, documents, **kwargs)


def moderation(input: str | list[Any], model: str | None = None, **kwargs: Any) -> ModerationResponse:
    return default_client().moderation(input, model, **kwargs)


async def amoderation(input: str | list[Any], model: str | None = None, **kwargs: Any) -> ModerationResponse:
    return await default_client().amoderation(input, model, **kwargs)


def image_generation(prompt: str, model: str, **kwargs: Any) -> ImageResponse:
    return default_client().image_generation(prompt, model, **kwargs)


async def aimage_generation(prompt: str, model: str, **kwargs: Any) -> ImageResponse:
    return await default_client().aimage_generation(prompt, model, **kwargs)


def speech(model: str, input: str, voice: str, **kwargs: Any) -> SpeechResponse:
    return default_client().speech(model, input, voice, **kwargs)


async def aspeech(model: str, input: str, voice: str, **kwargs: Any) -> SpeechResponse:
    return await default_client().aspeech(model, input, voice, **kwargs)


def text_completion(
    model: str, prompt: str | list[Any], **kwargs: Any
) -> TextCompletionResponse | SyncTextStream:
    return default_client().text_completion(model, prompt, **kwargs)


async def atext_completion(
    model: str, prompt: str | list[Any], **kwargs: Any
) -> TextCompletionResponse | TextStream:
    return await default_client().atext_completion(model, prompt, **kwargs)


def completion_cost(completion_response: Any = None, **kwargs: Any) -> float:
    """USD cost of a response, or of `model=` with token counts or prompt/messages/completion text.
    Keywords: model, usage, prompt, messages, completion, prompt_tokens, completion_tokens."""
    return cost_api.completion_cost(
        default_client().catalog, completion_response, recorded_micros=_recorded_cost(completion_response),
        **kwargs,
    )  # fmt: skip


def _recorded_cost(answer: Any) -> int | None:
    """What the answer's Served record says it cost; None for an answer with no record, and for a
    stream, whose record holds no cost (it is known at the end, as `stream.cost_micros`)."""
    served = served_of(answer)
    if served is NOT_SERVED or isinstance(answer, ChatStream | ChatStreamView):
        return None
    return served.cost_micros


def cost_per_token(
    model: str, prompt_tokens: int = 0, completion_tokens: int = 0, **kwargs: Any
) -> tuple[float, float]:
    """(prompt cost, completion cost) in USD. Keywords: cache_read_input_tokens,
    cache_creation_input_tokens, reasoning_tokens, custom_llm_provider."""
    return cost_api.cost_per_token(
        default_client().catalog, model, prompt_tokens, completion_tokens, **kwargs
    )


def register_model(models: dict[str, dict[str, Any]]) -> None:
    """Custom prices (LiteLLM's format) for the default client; a `Client` has its own catalog."""
    cost_api.register_model(default_client().catalog, models)


def get_model_info(model: str, custom_llm_provider: str | None = None) -> dict[str, Any]:
    """A model's prices, context window and capabilities, in LiteLLM's field names."""
    return cost_api.get_model_info(default_client().catalog, model, custom_llm_provider)
