"""Cloudflare Workers AI's answers (developers.cloudflare.com/workers-ai, "Execute AI model"): every
answer is the API's envelope `{"result", "success", "errors": [{"code", "message"}], "messages"}`;
text generation's `result` is `{"response", "usage"?}` (`response` an object in JSON mode), an
embedding model's `{"shape", "data": [[...]]}`. Streams are SSE `data: {"response": "...", "p"}`
events, then one with `usage`, then `data: [DONE]`."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import msgspec

from llmrelay.providers.sse_decoder import SseChunkDecoder
from llmrelay.types.errors import InternalServerError
from llmrelay.types.response import ChatChunk, ChunkChoice, Delta, Usage

if TYPE_CHECKING:
    from llmrelay.providers.base import Provider


class TextResultWire(msgspec.Struct):
    response: Any = None
    usage: Usage | None = None
    finish_reason: str | None = None


class EmbeddingResultWire(msgspec.Struct):
    data: list[list[float]] = msgspec.field(default_factory=list)
    shape: list[int] | None = None


class ErrorWire(msgspec.Struct):
    code: Any = None
    message: Any = None


class TextEnvelope(msgspec.Struct):
    result: TextResultWire | None = None
    success: bool = True
    errors: list[ErrorWire] = msgspec.field(default_factory=list)


class EmbeddingEnvelope(msgspec.Struct):
    result: EmbeddingResultWire | None = None
    success: bool = True
    errors: list[ErrorWire] = msgspec.field(default_factory=list)


class _ErrorsOnly(msgspec.Struct):
    errors: list[ErrorWire] | None = None


text_decoder = msgspec.json.Decoder(TextEnvelope)
embedding_decoder = msgspec.json.Decoder(EmbeddingEnvelope)
_chunk_decoder = msgspec.json.Decoder(TextResultWire)
_errors_decoder = msgspec.json.Decoder(_ErrorsOnly)


def first_error(body: bytes) -> ErrorWire | None:
    try:
        errors = _errors_decoder.decode(body).errors
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return errors[0] if errors else None


def response_text(value: Any) -> str:
    """`response` as text: a JSON-mode answer comes back parsed, and is sent on as JSON text."""
    if value is None:
        return ""
    return value if isinstance(value, str) else msgspec.json.encode(value).decode()


def new_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


class CloudflareStreamDecoder(SseChunkDecoder):
    """Text pieces become content deltas; `[DONE]` ends the answer (finish_reason "stop", unless an
    event said otherwise), after which the usage seen is emitted as a usage-only chunk."""

    _model: str  # always given here
    _cut_message = "Cloudflare stream ended before [DONE]: the connection was cut"

    def __init__(self, provider: Provider, model: str) -> None:
        super().__init__(provider, model)
        self._id = new_id()
        self._created = int(time.time())
        self._started = False
        self._finish: str | None = None
        self._usage: Usage | None = None

    def _events(self, events: list[Any], *, at_end: bool) -> list[ChatChunk]:
        out: list[ChatChunk] = []
        for event in events:
            if not event.data:
                continue
            if event.data == "[DONE]":
                self._ended = True
                out.append(
                    self._chunk(
                        [ChunkChoice(index=0, delta=self._delta(None), finish_reason=self._finish or "stop")]
                    )
                )
                if self._usage is not None:
                    out.append(self._chunk([], self._usage))
                continue
            raw = event.data.encode()
            if raw.startswith(b'{"errors"') or b'"success":false' in raw:
                raise self._provider.classify_error(500, {}, raw)
            try:
                piece = _chunk_decoder.decode(raw)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                if at_end:
                    raise self._cut() from exc
                raise InternalServerError(
                    f"malformed stream event from Cloudflare: {exc}",
                    provider=self._provider.name,
                    model=self._model,
                ) from exc
            self._usage = piece.usage or self._usage
            self._finish = piece.finish_reason or self._finish
            text = response_text(piece.response)
            if text:
                out.append(self._chunk([ChunkChoice(index=0, delta=self._delta(text))]))
        return out

    def _delta(self, text: str | None) -> Delta:
        delta = Delta(content=text)
        if not self._started:
            delta.role, self._started = "assistant", True
        return delta

    def _chunk(self, choices: list[ChunkChoice], usage: Usage | None = None) -> ChatChunk:
        return ChatChunk(id=self._id, created=self._created, model=self._model, choices=choices, usage=usage)
