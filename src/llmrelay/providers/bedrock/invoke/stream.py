"""InvokeModelWithResponseStream: AWS event-stream messages whose `chunk` events carry
`{"bytes": <base64>}`, each the JSON of one of the model's own stream chunks. The chunks are read as
their family writes them: Anthropic's stream events, Nova's ConverseStream-shaped events (one key per
chunk: `messageStart`, `contentBlockDelta`, `messageStop`, `metadata`...), or a text-prompt family's
chunks (prompts.py)."""

from __future__ import annotations

import base64
import binascii
import time
import uuid

import msgspec

from llmrelay.providers.anthropic.stream import AnthropicStreamDecoder
from llmrelay.providers.aws.eventstream import EventMessages
from llmrelay.providers.bedrock.invoke.prompts import text_answer
from llmrelay.providers.bedrock.stream import BedrockStreamDecoder
from llmrelay.types.errors import APIConnectionError, InternalServerError
from llmrelay.types.response import ChatChunk, ChunkChoice, Delta, Usage

PROVIDER = "bedrock"


class _Chunk(msgspec.Struct):
    bytes: str


_chunk = msgspec.json.Decoder(_Chunk)
_event_keys = msgspec.json.Decoder(dict[str, msgspec.Raw])


class InvokeStreamDecoder:
    """The chunks of an InvokeModel stream, each handed as JSON bytes to the family's reader."""

    def __init__(self, model: str) -> None:
        self._model = model
        self._messages = EventMessages(PROVIDER, model)

    def feed(self, data: bytes) -> list[ChatChunk]:
        out: list[ChatChunk] = []
        for kind, payload in self._messages.feed(data):
            if kind != "chunk":
                continue  # an event this decoder does not know (newer API): nothing to relay
            try:
                raw = base64.b64decode(_chunk.decode(payload).bytes, validate=True)
            except (msgspec.DecodeError, msgspec.ValidationError, binascii.Error, ValueError) as exc:
                raise InternalServerError(
                    f"malformed Bedrock chunk event: {exc}", provider=PROVIDER, model=self._model
                ) from exc
            out.extend(self.read(raw))
        return out

    def end(self) -> list[ChatChunk]:
        self._messages.end()
        return self.finish()

    def read(self, chunk: bytes) -> list[ChatChunk]:
        raise NotImplementedError

    def finish(self) -> list[ChatChunk]:
        raise NotImplementedError


class AnthropicInvokeStream(InvokeStreamDecoder):
    """Each chunk is one of Anthropic's stream events, as its SSE `data:` would carry it."""

    def __init__(self, model: str, json_mode: bool) -> None:
        super().__init__(model)
        self._inner = AnthropicStreamDecoder(PROVIDER, json_mode=json_mode)

    def read(self, chunk: bytes) -> list[ChatChunk]:
        return self._inner.feed(b"data: " + chunk + b"\n\n")

    def finish(self) -> list[ChatChunk]:
        return self._inner.end()


class NovaInvokeStream(InvokeStreamDecoder):
    """Each chunk is `{"<ConverseStream event name>": {...}}`."""

    def __init__(self, model: str) -> None:
        super().__init__(model)
        self._inner = BedrockStreamDecoder(model)

    def read(self, chunk: bytes) -> list[ChatChunk]:
        try:
            events = _event_keys.decode(chunk)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise InternalServerError(
                f"malformed Nova chunk: {exc}", provider=PROVIDER, model=self._model
            ) from exc
        out = []
        for name, payload in events.items():
            found = self._inner.on_event(name, bytes(payload))
            if found is not None:
                out.append(found)
        return out

    def finish(self) -> list[ChatChunk]:
        return self._inner.end()


class TextInvokeStream(InvokeStreamDecoder):
    """A text-prompt family's chunks: text, then a finish reason, then the invocation metrics."""

    def __init__(self, model: str, *, created: int | None = None, chunk_id: str | None = None) -> None:
        super().__init__(model)
        self._created = int(time.time()) if created is None else created
        self._id = chunk_id or f"chatcmpl-{uuid.uuid4().hex}"
        self._started = False
        self._finished = False
        self._usage: Usage | None = None

    def read(self, chunk: bytes) -> list[ChatChunk]:
        try:
            answer = text_answer.decode(chunk)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise InternalServerError(
                f"malformed Bedrock chunk: {exc}", provider=PROVIDER, model=self._model
            ) from exc
        out = []
        if not self._started:
            self._started = True
            out.append(self._chunk(Delta(role="assistant", content="")))
        text, reason = answer.read()
        if text:
            out.append(self._chunk(Delta(content=text)))
        if reason is not None and not self._finished:
            self._finished = True
            out.append(self._chunk(Delta(), reason))
        if answer.metrics is not None:
            counted = answer.usage()
            if counted is not None:
                prompt, completion = counted
                self._usage = Usage(
                    prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
                )
        return out

    def finish(self) -> list[ChatChunk]:
        if not self._finished:
            raise APIConnectionError(
                "Bedrock stream ended before its finish reason: the connection was cut",
                provider=PROVIDER,
                model=self._model,
            )
        if self._usage is None:
            return []
        return [
            ChatChunk(id=self._id, created=self._created, model=self._model, choices=[], usage=self._usage)
        ]

    def _chunk(self, delta: Delta, finish: str | None = None) -> ChatChunk:
        choice = ChunkChoice(index=0, delta=delta, finish_reason=finish)
        return ChatChunk(id=self._id, created=self._created, model=self._model, choices=[choice])
