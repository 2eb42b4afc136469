"""Decoder for ConverseStream: a binary `application/vnd.amazon.eventstream` body whose messages carry
the event type in their `:event-type` header and the event as a JSON payload.

Framing and CRC checks are botocore's EventStreamBuffer (sans-IO: bytes in, complete messages out).
Events: messageStart → the role chunk; contentBlockStart (toolUse) → a tool call's id and name;
contentBlockDelta → text, tool-input JSON or reasoning; messageStop → the finish reason; metadata → the
final usage-only chunk. An exception event raises its error. A stream that ends without messageStop,
or inside a message, was cut.
"""

from __future__ import annotations

import time
from typing import Any, NoReturn

import msgspec

from llmrelay.providers.bedrock.errors import build_error, decode_payload
from llmrelay.providers.bedrock.optional import missing_botocore
from llmrelay.providers.bedrock.response import finish_reason, response_id, to_usage
from llmrelay.providers.bedrock.wire import (
    EVENT_DECODERS,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    MessageStopEvent,
    MetadataEvent,
)
from llmrelay.types.errors import APIConnectionError, InternalServerError
from llmrelay.types.response import ChatChunk, ChunkChoice, Delta, ToolCallDelta, ToolCallDeltaFunction

PROVIDER = "bedrock"
# HTTP statuses the service model gives the in-stream exceptions
_STREAM_STATUS = {
    "internalserverexception": 500,
    "modelstreamerrorexception": 424,
    "validationexception": 400,
    "throttlingexception": 429,
    "serviceunavailableexception": 503,
}


class BedrockStreamDecoder:
    def __init__(self, model: str, *, created: int | None = None, chunk_id: str | None = None) -> None:
        try:
            from botocore.eventstream import EventStreamBuffer
        except ImportError as exc:
            raise missing_botocore(exc) from exc

        self._model = model
        self._created = int(time.time()) if created is None else created
        # ConverseStream names no response id: one is made per stream (tests pin it)
        self._id = chunk_id or response_id(None)
        self._buffer = EventStreamBuffer()
        self._pending = 0  # bytes fed but not yet part of a complete message
        self._tool_index: dict[int, int] = {}  # contentBlockIndex → tool call index
        self._stopped = False

    def feed(self, data: bytes) -> list[ChatChunk]:
        from botocore.eventstream import ParserError

        self._buffer.add_data(data)
        self._pending += len(data)
        out: list[ChatChunk] = []
        try:
            for message in self._buffer:
                self._pending -= message.prelude.total_length
                chunk = self._event(message.headers, message.payload)
                if chunk is not None:
                    out.append(chunk)
        except ParserError as exc:
            raise InternalServerError(
                f"malformed Bedrock event stream: {type(exc).__name__}: {exc}",
                provider=PROVIDER,
                model=self._model,
            ) from exc
        return out

    def end(self) -> list[ChatChunk]:
        if self._pending:
            raise APIConnectionError(
                "Bedrock stream cut in the middle of an event", provider=PROVIDER, model=self._model
            )
        if not self._stopped:
            raise APIConnectionError(
                "Bedrock stream ended before messageStop: the connection was cut",
                provider=PROVIDER,
                model=self._model,
            )
        return []

    def on_event(self, name: str, payload: bytes) -> ChatChunk | None:
        """One event given by name and JSON payload rather than framed (Nova's InvokeModel stream
        carries ConverseStream's events inside its chunks)."""
        return self._event({":event-type": name}, payload)

    # ---- events
    def _event(self, headers: dict[str, Any], payload: bytes) -> ChatChunk | None:
        kind = headers.get(":message-type", "event")
        if kind == "exception":
            self._raise(str(headers.get(":exception-type") or ""), payload)
        if kind == "error":
            message = str(headers.get(":error-message") or headers.get(":error-code") or "stream error")
            raise build_error(str(headers.get(":error-code") or ""), message, 500)
        name = str(headers.get(":event-type") or "")
        decoder = EVENT_DECODERS.get(name)
        if decoder is None:
            return None  # an event this decoder does not know (newer API): nothing to relay
        try:
            event = decoder.decode(payload)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise InternalServerError(
                f"malformed Bedrock {name} event: {exc}", provider=PROVIDER, model=self._model
            ) from exc
        if name == "messageStart":
            return self._chunk(Delta(role="assistant", content=""))
        if isinstance(event, ContentBlockStartEvent):
            return self._block_start(event)
        if isinstance(event, ContentBlockDeltaEvent):
            return self._block_delta(event)
        if isinstance(event, MessageStopEvent):
            self._stopped = True
            return self._chunk(Delta(), finish=finish_reason(event.stop_reason))
        if isinstance(event, MetadataEvent) and event.usage is not None:
            return ChatChunk(
                id=self._id, created=self._created, model=self._model, choices=[], usage=to_usage(event.usage)
            )
        return None

    def _raise(self, name: str, payload: bytes) -> NoReturn:
        decoded = decode_payload(payload)
        message = (decoded.text() if decoded else None) or name or "stream exception"
        status = _STREAM_STATUS.get(name.lower())
        if (
            decoded is not None
            and decoded.original_status_code
            and name.lower() == "modelstreamerrorexception"
        ):
            message = f"{message} (model status {decoded.original_status_code})"
        raise build_error(name, message, status)

    def _block_start(self, event: ContentBlockStartEvent) -> ChatChunk | None:
        use = event.start.tool_use
        if use is None:
            return None
        index = self._tool_index[event.content_block_index] = len(self._tool_index)
        call = ToolCallDelta(
            index=index,
            id=use.tool_use_id,
            type="function",
            function=ToolCallDeltaFunction(name=use.name, arguments=""),
        )
        return self._chunk(Delta(tool_calls=[call]))

    def _block_delta(self, event: ContentBlockDeltaEvent) -> ChatChunk | None:
        delta = event.delta
        if delta.text is not None:
            return self._chunk(Delta(content=delta.text))
        if delta.tool_use is not None:
            index = self._tool_index.get(event.content_block_index)
            if index is None:
                raise InternalServerError(
                    "Bedrock sent tool input for a block it never started",
                    provider=PROVIDER,
                    model=self._model,
                )
            call = ToolCallDelta(index=index, function=ToolCallDeltaFunction(arguments=delta.tool_use.input))
            return self._chunk(Delta(tool_calls=[call]))
        reasoning = delta.reasoning_content
        if reasoning is not None:
            if reasoning.text is not None:
                return self._chunk(Delta(reasoning_content=reasoning.text))
            if reasoning.signature is not None:
                block = {"type": "thinking", "thinking": "", "signature": reasoning.signature}
                return self._chunk(Delta(thinking_blocks=[block]))
            if reasoning.redacted_content is not None:
                redacted = {"type": "redacted_thinking", "data": reasoning.redacted_content}
                return self._chunk(Delta(thinking_blocks=[redacted]))
        return None

    def _chunk(self, delta: Delta, finish: str | None = None) -> ChatChunk:
        return ChatChunk(
            id=self._id,
            created=self._created,
            model=self._model,
            choices=[ChunkChoice(index=0, delta=delta, finish_reason=finish)],
        )
