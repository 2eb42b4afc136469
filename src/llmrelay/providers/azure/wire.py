"""What Azure adds to OpenAI's bodies: content-filter annotations, and a stream that may open with an
annotation-only chunk.

A non-streamed chat completion keeps `prompt_filter_results` (top level) and each choice's
`content_filter_results`, as LiteLLM returns them. A decoded stream drops the chunk that carries only
`prompt_filter_results` (empty `choices`, no usage, no id): OpenAI never sends one, and callers index
`chunk.choices[0]`. A raw relay passes Azure's bytes on unchanged, that chunk included.
"""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.providers.openai.stream import OpenAIChatStreamDecoder, OpenAITextStreamDecoder
from llmrelay.types.completion import TextCompletionResponse
from llmrelay.types.response import ChatChunk, ChatResponse, Choice
from llmrelay.wire.sse import SSEEvent


class AzureChoice(Choice):
    content_filter_results: dict[str, Any] | None = None


class AzureChatResponse(ChatResponse):
    """An OpenAI chat completion plus Azure's content-filter annotations."""

    choices: list[AzureChoice]  # type: ignore[assignment]  # a Choice with one more field
    prompt_filter_results: list[dict[str, Any]] | None = None


azure_chat_decoder: msgspec.json.Decoder[ChatResponse] = msgspec.json.Decoder(AzureChatResponse)


def is_annotation_only(chunk: ChatChunk | TextCompletionResponse) -> bool:
    """Azure's prompt-filter chunk: no choices and no usage (the usage-only last chunk has usage)."""
    return not chunk.choices and chunk.usage is None


class AzureChatStreamDecoder(OpenAIChatStreamDecoder):
    """OpenAI's chat SSE decoder (same `wire_dialect`, so the bytes may be relayed raw), without the
    annotation-only chunk."""

    def _decode(self, events: list[SSEEvent], at_end: bool = False) -> list[ChatChunk]:
        return [c for c in super()._decode(events, at_end) if not is_annotation_only(c)]


class AzureTextStreamDecoder(OpenAITextStreamDecoder):
    def _decode(self, events: list[SSEEvent], at_end: bool = False) -> list[TextCompletionResponse]:
        return [c for c in super()._decode(events, at_end) if not is_annotation_only(c)]
