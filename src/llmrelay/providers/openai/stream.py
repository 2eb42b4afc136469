"""Decoders for OpenAI's SSE streams (`data: {chunk}` ... `data: [DONE]`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

import msgspec

from llmrelay.types.completion import TextCompletionResponse
from llmrelay.types.errors import APIConnectionError, InternalServerError
from llmrelay.types.response import ChatChunk, Delta, ResponseMessage
from llmrelay.wire.sse import SSEEvent, SSEParser

if TYPE_CHECKING:
    from llmrelay.providers.base import Provider

T = TypeVar("T")


_chunk_decoder = msgspec.json.Decoder(ChatChunk)
_text_chunk_decoder = msgspec.json.Decoder(TextCompletionResponse)


class _SSEJsonDecoder(Generic[T]):
    def __init__(self, provider: Provider, decoder: msgspec.json.Decoder[T]) -> None:
        self._provider = provider
        self._decoder = decoder
        self._sse = SSEParser()
        self._done = False

    def feed(self, data: bytes) -> list[T]:
        return self._decode(self._sse.feed(data))

    def end(self) -> list[T]:
        out = self._decode(self._sse.end(), at_end=True)
        if not self._done:
            # a stream must end with [DONE]; anything else means the connection was cut
            raise self._cut()
        return out

    def _cut(self) -> APIConnectionError:
        return APIConnectionError(
            "stream ended before [DONE]: the connection was cut", provider=self._provider.name
        )

    def _decode(self, events: list[SSEEvent], at_end: bool = False) -> list[T]:
        out: list[T] = []
        for ev in events:
            data = ev.data
            if data == "[DONE]":
                self._done = True
                continue
            if not data:
                continue
            raw = data.encode()
            if ev.event == "error" or raw.startswith(b'{"error"'):
                raise self._provider.classify_error(500, {}, raw)
            if b'"choices":null' in raw or b'"choices": null' in raw:
                # some servers (vLLM) send the usage-only last chunk with null choices
                raw = raw.replace(b'"choices":null', b'"choices":[]').replace(
                    b'"choices": null', b'"choices": []'
                )
            try:
                out.append(self._decoder.decode(raw))
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                if at_end and not self._done:
                    # a half-received last event: the connection was cut mid-chunk
                    raise self._cut() from exc
                raise InternalServerError(
                    f"malformed stream chunk from provider: {exc}", provider=self._provider.name
                ) from exc
        return out


def adopt_reasoning_spelling(part: ResponseMessage | Delta) -> None:
    """Move `reasoning` (OpenRouter's, Groq's and newer vLLM's spelling) into reasoning_content."""
    if part.reasoning is not None:
        part.reasoning_content = part.reasoning_content or part.reasoning
        part.reasoning = None


class OpenAIChatStreamDecoder(_SSEJsonDecoder[ChatChunk]):
    # the bytes are OpenAI chat-completion SSE: a gateway may relay them to OpenAI clients unchanged
    wire_dialect = "openai"

    def __init__(self, provider: Provider) -> None:
        super().__init__(provider, _chunk_decoder)

    def _decode(self, events: list[SSEEvent], at_end: bool = False) -> list[ChatChunk]:
        chunks = super()._decode(events, at_end)
        for chunk in chunks:
            for choice in chunk.choices:
                adopt_reasoning_spelling(choice.delta)
        return chunks


class OpenAITextStreamDecoder(_SSEJsonDecoder[TextCompletionResponse]):
    def __init__(self, provider: Provider) -> None:
        super().__init__(provider, _text_chunk_decoder)
