"""A streamed legacy text completion (`/v1/completions` with `stream: true`).

A TextStream is a view over a ChatStream, which does the bookkeeping (prefetch, usage, cost, time to
first token, one report at the end, releasing the connection). Two sources feed that ChatStream:
- a provider with a completions endpoint: its text-completion chunks, each carried as a chat chunk
  (the text as the delta's content) — the round trip keeps text, index, finish reason, logprobs,
  usage, id and fingerprint;
- a chat-only provider: its own chat stream.
Either way the reader gets OpenAI text-completion chunks (`object: "text_completion"`,
`choices[].text`), and the final usage-only chunk only when `stream_options.include_usage` was asked.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import msgspec

from llmrelay.calls.served import attach_served, served_of
from llmrelay.core.stream_view import ChatStreamView
from llmrelay.core.streaming import ChatStream
from llmrelay.core.sync_stream import SyncStream
from llmrelay.core.text_via_chat import chat_to_text_response
from llmrelay.providers.base import TextStreamDecoder
from llmrelay.types.chat import ChatRequest, Message
from llmrelay.types.completion import TextChoice, TextCompletionRequest, TextCompletionResponse
from llmrelay.types.errors import LLMError
from llmrelay.types.response import ChatChunk, ChunkChoice, Delta

TextStreamFinished = Callable[["TextStream", "LLMError | None"], None]


def chat_chunk_of_text(chunk: TextCompletionResponse) -> ChatChunk:
    """A text-completion chunk carried as a chat chunk (for the ChatStream's bookkeeping)."""
    return ChatChunk(
        id=chunk.id,
        created=chunk.created,
        model=chunk.model,
        choices=[
            ChunkChoice(
                index=c.index, delta=Delta(content=c.text), finish_reason=c.finish_reason, logprobs=c.logprobs
            )
            for c in chunk.choices
        ],
        usage=chunk.usage,
        system_fingerprint=chunk.system_fingerprint,
    )


def text_chunk_of_chat(chunk: ChatChunk) -> TextCompletionResponse | None:
    """A chat chunk as a text-completion chunk; None when it holds nothing a text client can take
    (a role-only opening, tool-call or reasoning deltas)."""
    choices = [
        TextChoice(
            index=c.index, text=c.delta.content or "", finish_reason=c.finish_reason, logprobs=c.logprobs
        )
        for c in chunk.choices
        if c.delta.content or c.finish_reason is not None
    ]
    if not choices and (chunk.choices or chunk.usage is None):
        return None
    text = TextCompletionResponse(
        id=chunk.id,
        created=chunk.created,
        model=chunk.model,
        choices=choices,
        usage=chunk.usage,
        system_fingerprint=chunk.system_fingerprint,
    )
    params = getattr(chunk, "_hidden_params", None)
    if params is not None:
        text._hidden_params = params  # type: ignore[attr-defined]
    return text


async def decode_text_stream(
    chunks: AsyncIterator[bytes], decoder: TextStreamDecoder, provider: str, model: str
) -> AsyncIterator[ChatChunk]:
    """Text-completion SSE bytes → chat chunks. Errors carry the provider and model they came from."""
    try:
        async for data in chunks:
            for chunk in decoder.feed(data):
                yield chat_chunk_of_text(chunk)
        for chunk in decoder.end():
            yield chat_chunk_of_text(chunk)
    except LLMError as exc:
        exc.provider = exc.provider or provider
        exc.model = exc.model or model
        raise


def bookkeeping_request(request: TextCompletionRequest) -> ChatRequest:
    """The ChatRequest a ChatStream over text chunks keeps: it decides whether the usage chunk is
    passed on, and its prompt text is what an early close counts as prompt tokens. (Not sent
    anywhere; the TextStream keeps the real request.)"""
    prompt = request.prompt
    texts = [prompt] if isinstance(prompt, str) else [p for p in prompt if isinstance(p, str)]
    messages = [Message(role="user", content=text) for text in texts]
    return ChatRequest(
        model=request.model, messages=messages, stream=True, stream_options=request.stream_options
    )


class TextStream(ChatStreamView):
    """Iterate with `async for` to get TextCompletionResponse chunks. Usage and cost are known once
    the stream ends, whether or not the usage chunk was asked for."""

    def __init__(self, chat: ChatStream, request: TextCompletionRequest) -> None:
        self._chat = chat
        self.request = request

    @classmethod
    async def of_response(
        cls, response: TextCompletionResponse, request: TextCompletionRequest
    ) -> TextStream:
        """A whole answer as a stream of one chunk (and its usage chunk, if asked for)."""

        async def chunks() -> AsyncIterator[ChatChunk]:
            yield chat_chunk_of_text(msgspec.structs.replace(response, usage=None))
            if response.usage is not None:
                yield ChatChunk(id=response.id, created=response.created, model=response.model,
                                choices=[], usage=response.usage)  # fmt: skip

        # what served the answer (a cached one's record, cache/) serves the stream, at its cost
        served = served_of(response)
        cost = served.cost_micros
        chat = ChatStream(
            chunks(), bookkeeping_request(request), started=time.monotonic(), price=lambda _: cost
        )
        attach_served(chat, served)
        await chat.prefetch()
        return cls(chat, request)

    @property
    def chat_stream(self) -> ChatStream:
        """The stream of chat chunks underneath (what a gateway relays, with a text encoder)."""
        return self._chat

    def with_chat_stream(self, chat: ChatStream) -> TextStream:
        """The same text stream read through `chat` (a wrapper of the stream underneath)."""
        return TextStream(chat, self.request)

    def __aiter__(self) -> TextStream:
        return self

    async def __anext__(self) -> TextCompletionResponse:
        while True:
            text = text_chunk_of_chat(await self._chat.__anext__())
            if text is not None:
                return text

    def set_on_finish(self, callback: TextStreamFinished) -> None:
        """Report the stream's end to `callback` (now, if it already ended)."""
        self._chat.set_on_finish(lambda _chat, error: callback(self, error))

    def response(self) -> TextCompletionResponse:
        """Everything streamed so far, as one TextCompletionResponse."""
        return chat_to_text_response(self._chat.response())

    async def aclose(self) -> None:
        """Stop early: release the upstream connection (a stream closed early is not reported)."""
        await self._chat.aclose()

    async def __aenter__(self) -> TextStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class SyncTextStream(SyncStream[TextCompletionResponse, TextCompletionResponse]):
    """The sync face of a TextStream: each step runs on the client's loop thread."""
