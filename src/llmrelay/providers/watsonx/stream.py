"""Decoders for watsonx.ai's event streams (/ml/v1/text/chat_stream, /ml/v1/text/generation_stream):
SSE events `id: n`, `event: message`, `data: {json}`, with no `[DONE]`: a stream is whole once an
answer reports why it stopped (a chat `finish_reason`, a generation `stop_reason` other than
`not_finished`). Usage rides on the last answer; it is emitted as a usage-only chunk after it. An
event in watsonx's error shape, or an `event: error`, raises the error it stands for."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import msgspec

from llmrelay.providers.sse_decoder import SseChunkDecoder
from llmrelay.providers.watsonx.response import (
    GenerationWire,
    chunk_decoder,
    finish_reason,
    generation_decoder,
    generation_usage,
    new_id,
)
from llmrelay.types.errors import InternalServerError
from llmrelay.types.response import ChatChunk, ChunkChoice, Delta, Usage

if TYPE_CHECKING:
    from llmrelay.providers.base import Provider


class WatsonxStreamDecoder(SseChunkDecoder):
    _model: str  # always given here
    _cut_message = "watsonx stream ended before its last answer: the connection was cut"

    def __init__(self, provider: Provider, model: str) -> None:
        super().__init__(provider, model)
        self._id = new_id()
        self._created = int(time.time())
        self._started = False

    def _events(self, events: list[Any], *, at_end: bool) -> list[ChatChunk]:
        out: list[ChatChunk] = []
        for event in events:
            if not event.data or event.event == "close":
                continue
            raw = event.data.encode()
            if event.event == "error" or raw.startswith(b'{"errors"'):
                raise self._provider.classify_error(500, {}, raw)
            try:
                out.extend(self._decode(raw))
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                if at_end and not self._ended:
                    raise self._cut() from exc
                raise InternalServerError(
                    f"malformed stream event from watsonx: {exc}",
                    provider=self._provider.name,
                    model=self._model,
                ) from exc
        return out

    def _decode(self, raw: bytes) -> list[ChatChunk]:
        raise NotImplementedError

    def chunk(self, choices: list[ChunkChoice], usage: Usage | None = None) -> ChatChunk:
        return ChatChunk(id=self._id, created=self._created, model=self._model, choices=choices, usage=usage)


class WatsonxChatStreamDecoder(WatsonxStreamDecoder):
    def _decode(self, raw: bytes) -> list[ChatChunk]:
        wire = chunk_decoder.decode(raw)
        if not self._started:
            # one answer, one id and time: the first event's
            self._id, self._created = wire.id or self._id, wire.created or self._created
            self._model = wire.model or wire.model_id or self._model
            self._started = True
        for choice in wire.choices:
            choice.finish_reason = finish_reason(choice.finish_reason, self._provider.name, self._model)
            self._ended = self._ended or choice.finish_reason is not None
        out = [self.chunk(wire.choices)] if wire.choices else []
        if wire.usage is not None:
            out.append(self.chunk([], wire.usage))
        return out


class WatsonxGenerationStreamDecoder(WatsonxStreamDecoder):
    def __init__(self, provider: Provider, model: str) -> None:
        super().__init__(provider, model)
        self._usage = Usage()

    def _decode(self, raw: bytes) -> list[ChatChunk]:
        wire: GenerationWire = generation_decoder.decode(raw)
        out: list[ChatChunk] = []
        for result in wire.results[:1]:
            usage = generation_usage(result)
            # counts may come on any event: keep the largest seen (they are running totals)
            self._usage = Usage(
                prompt_tokens=max(usage.prompt_tokens, self._usage.prompt_tokens),
                completion_tokens=max(usage.completion_tokens, self._usage.completion_tokens),
            )
            delta = Delta(content=result.generated_text or None)
            if not self._started:
                delta.role, self._started = "assistant", True
            reason = finish_reason(result.stop_reason, self._provider.name, self._model)
            if delta.content or delta.role or reason:
                out.append(self.chunk([ChunkChoice(index=0, delta=delta, finish_reason=reason)]))
            if reason is not None:
                self._ended = True
                u = self._usage
                u.total_tokens = u.prompt_tokens + u.completion_tokens
                out.append(self.chunk([], u))
        return out
