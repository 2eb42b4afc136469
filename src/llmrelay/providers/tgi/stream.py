"""TGI's generate_stream SSE: `data:{"token": {"text", "special"}, "generated_text", "details"}`
events; the last carries `generated_text` and `details` (`finish_reason`, `generated_tokens`). TGI
names no prompt-token count: it is counted locally."""

from __future__ import annotations

import time
import uuid

import msgspec

from llmrelay.cost.tokens import count_text
from llmrelay.providers.tgi.body import FINISH_REASONS, TgiStreamEvent
from llmrelay.types.errors import APIConnectionError, InternalServerError
from llmrelay.types.response import ChatChunk, ChunkChoice, Delta, Usage
from llmrelay.wire.sse import SSEParser

_tgi_event = msgspec.json.Decoder(TgiStreamEvent)


class TgiStreamDecoder:
    """TGI's generate_stream events → chat chunks; the final one → finish reason and usage."""

    def __init__(
        self,
        provider: str,
        model: str,
        prompt: str,
        *,
        created: int | None = None,
        chunk_id: str | None = None,
    ) -> None:
        self._provider = provider
        self._model = model
        self._prompt = prompt
        self._sse = SSEParser()
        self._created = int(time.time()) if created is None else created
        self._id = chunk_id or f"chatcmpl-{uuid.uuid4().hex}"  # TGI names no response id
        self._started = False
        self._finished = False
        self._text: list[str] = []

    def feed(self, data: bytes) -> list[ChatChunk]:
        out: list[ChatChunk] = []
        for event in self._sse.feed(data):
            out.extend(self._event(event.data))
        return out

    def end(self) -> list[ChatChunk]:
        out: list[ChatChunk] = []
        for event in self._sse.end():
            out.extend(self._event(event.data))
        if not self._finished:
            raise APIConnectionError(
                "SageMaker stream ended before its final event: the connection was cut",
                provider=self._provider,
                model=self._model,
            )
        return out

    def _event(self, data: str) -> list[ChatChunk]:
        if not data:
            return []
        try:
            event = _tgi_event.decode(data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise InternalServerError(
                f"malformed SageMaker stream event: {exc}", provider=self._provider, model=self._model
            ) from exc
        if event.error:
            raise InternalServerError(event.error[:500], provider=self._provider, model=self._model)
        out: list[ChatChunk] = []
        if not self._started:
            self._started = True
            out.append(self._chunk(Delta(role="assistant", content="")))
        token = event.token
        if token is not None and token.text and not token.special:
            self._text.append(token.text)
            out.append(self._chunk(Delta(content=token.text)))
        if event.details is not None or event.generated_text is not None:
            self._finished = True
            details = event.details
            reason = FINISH_REASONS.get(details.finish_reason if details else "", "stop")
            out.append(self._chunk(Delta(), finish_reason=reason))
            completion = (
                details.generated_tokens if details and details.generated_tokens is not None else None
            )
            if completion is None:
                completion = count_text("".join(self._text))
            prompt = count_text(self._prompt)
            usage = Usage(
                prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
            )
            out.append(
                ChatChunk(id=self._id, created=self._created, model=self._model, choices=[], usage=usage)
            )
        return out

    def _chunk(self, delta: Delta, finish_reason: str | None = None) -> ChatChunk:
        choice = ChunkChoice(index=0, delta=delta, finish_reason=finish_reason)
        return ChatChunk(id=self._id, created=self._created, model=self._model, choices=[choice])
