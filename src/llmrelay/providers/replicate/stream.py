"""Decoder for a prediction's stream URL (server-sent events): `output` events carry the next piece
of text as plain data, `logs` the model's logs (skipped), `error` a failure, and `done` the end (its
JSON data may give a `reason`: `canceled`, `error`).

The stream reports no token counts: the final usage chunk is counted from the prompt and the
streamed text with llmrelay's tokenizer.
"""

from __future__ import annotations

import time

import msgspec

from llmrelay.providers.replicate.errors import prediction_failed, stream_error
from llmrelay.providers.replicate.models import PROVIDER
from llmrelay.providers.replicate.response import usage_of
from llmrelay.types.errors import APIConnectionError
from llmrelay.types.response import ChatChunk, ChunkChoice, Delta
from llmrelay.wire.sse import SSEEvent, SSEParser


class _DoneData(msgspec.Struct):
    reason: str | None = None


_done_decoder = msgspec.json.Decoder(_DoneData)


class ReplicateStreamDecoder:
    def __init__(
        self, model: str, prompt: str, cap: int | None, *, prediction_id: str = "", created: int | None = None
    ) -> None:
        self._model = model
        self._prompt = prompt
        self._cap = cap
        self._id = prediction_id or "replicate-stream"
        self._created = int(time.time()) if created is None else created
        self._sse = SSEParser()
        self._pieces: list[str] = []
        self._started = False
        self._done = False

    def feed(self, data: bytes) -> list[ChatChunk]:
        return self._decode(self._sse.feed(data))

    def end(self) -> list[ChatChunk]:
        out = self._decode(self._sse.end())
        if not self._done:
            raise APIConnectionError(
                "Replicate stream ended before its done event: the connection was cut",
                provider=PROVIDER,
                model=self._model,
            )
        return out

    def _decode(self, events: list[SSEEvent]) -> list[ChatChunk]:
        out: list[ChatChunk] = []
        for event in events:
            if self._done:
                break
            if event.event == "output":
                if event.data:
                    self._pieces.append(event.data)
                    out.append(self._chunk(Delta(role=self._role(), content=event.data)))
            elif event.event == "error":
                raise stream_error(event.data, self._model)
            elif event.event == "done":
                self._done = True
                out.extend(self._finish(event.data))
        return out

    def _finish(self, data: str) -> list[ChatChunk]:
        reason = _done_reason(data)
        if reason in ("canceled", "error", "failed"):
            raise prediction_failed("canceled" if reason == "canceled" else "failed", None, self._model)
        usage, _ = usage_of(None, self._model, self._prompt, "".join(self._pieces))
        finish = "length" if self._cap is not None and usage.completion_tokens >= self._cap else "stop"
        last = self._chunk(Delta(role=self._role()), finish)
        usage_only = ChatChunk(id=self._id, created=self._created, model=self._model, choices=[], usage=usage)
        return [last, usage_only]

    def _role(self) -> str | None:
        if self._started:
            return None
        self._started = True
        return "assistant"

    def _chunk(self, delta: Delta, finish: str | None = None) -> ChatChunk:
        choice = ChunkChoice(index=0, delta=delta, finish_reason=finish)
        return ChatChunk(id=self._id, created=self._created, model=self._model, choices=[choice])


def _done_reason(data: str) -> str | None:
    if not data.strip():
        return None
    try:
        return _done_decoder.decode(data.encode()).reason
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
