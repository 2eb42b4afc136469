"""Decoder for Cohere v2 chat streams (`"stream": true` on /v2/chat).

Each SSE event (`event: <type>` + `data: {"type": <type>, ...}`) is one step of the answer:
message-start (the id), content-start / content-delta / content-end (text, or `thinking` for
reasoning models), tool-plan-delta (the plan written before tool calls, relayed as content, as the
unstreamed answer has it), tool-call-start / tool-call-delta / tool-call-end (a call's id and name,
then its arguments in pieces), citation-start / citation-end (not relayed), and message-end with the
finish_reason and usage. A stream that ends before message-end was cut.
"""

from __future__ import annotations

import time

import msgspec

from llmrelay.providers.cohere.errors import stream_error
from llmrelay.providers.cohere.response import finish_reason, response_id, to_usage, tool_call_id
from llmrelay.providers.cohere.wire import (
    DeltaContent,
    EventDelta,
    StreamEventWire,
    ToolCallWire,
    UsageWire,
    event_decoder,
)
from llmrelay.types.errors import APIConnectionError, InternalServerError
from llmrelay.types.response import ChatChunk, ChunkChoice, Delta, ToolCallDelta, ToolCallDeltaFunction
from llmrelay.wire.sse import SSEEvent, SSEParser


class _MalformedEvent(InternalServerError):
    """An event whose data is not a Cohere stream event."""


class CohereStreamDecoder:
    def __init__(self, provider: str, model: str, *, created: int | None = None) -> None:
        self._provider = provider
        self._model = model
        self._created = int(time.time()) if created is None else created
        self._sse = SSEParser()
        self._id: str | None = None
        self._started = False
        self._finished = False
        # Cohere's tool-call event index → the OpenAI tool_calls index, in order of appearance
        self._calls: dict[int, int] = {}
        self._last_call: int | None = None

    def feed(self, data: bytes) -> list[ChatChunk]:
        return self._decode(self._sse.feed(data))

    def end(self) -> list[ChatChunk]:
        try:
            out = self._decode(self._sse.end())
        except _MalformedEvent as exc:
            raise APIConnectionError(
                "Cohere stream cut in the middle of an event", provider=self._provider, model=self._model
            ) from exc
        if not self._finished:
            raise APIConnectionError(
                "Cohere stream ended before message-end: the connection was cut",
                provider=self._provider,
                model=self._model,
            )
        return out

    def _decode(self, events: list[SSEEvent]) -> list[ChatChunk]:
        out: list[ChatChunk] = []
        for event in events:
            raw = event.data.encode()
            if not raw.strip():
                continue
            try:
                parsed = event_decoder.decode(raw)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                raise _MalformedEvent(
                    f"malformed stream event from Cohere: {exc}", provider=self._provider, model=self._model
                ) from exc
            out.extend(self._convert(parsed))
        return out

    def _convert(self, event: StreamEventWire) -> list[ChatChunk]:
        kind = event.type
        delta = event.delta
        message = delta.message if delta is not None else None
        if kind == "message-start":
            self._id = event.id or self._id
            return []
        if kind in ("content-start", "content-delta"):
            content = message.content if message is not None else None
            if not isinstance(content, DeltaContent):
                return []
            text, thinking = content.text or None, content.thinking or None
            return self._delta(Delta(content=text, reasoning_content=thinking))
        if kind == "tool-plan-delta":
            plan = message.tool_plan if message is not None else None
            return self._delta(Delta(content=plan or None))
        if kind in ("tool-call-start", "tool-call-delta"):
            call = message.tool_calls if message is not None else None
            if not isinstance(call, ToolCallWire):
                return []
            return self._delta(Delta(tool_calls=[self._tool_call(kind, event.index, call)]))
        if kind == "message-end":
            return self._end(delta)
        # content-end, tool-call-end, citation-start/-end, debug: nothing to relay
        return []

    def _tool_call(self, kind: str, index: int | None, call: ToolCallWire) -> ToolCallDelta:
        function = call.function
        if kind == "tool-call-start":
            position = len(self._calls)
            self._calls[index if index is not None else position] = position
            self._last_call = position
            return ToolCallDelta(
                index=position,
                id=tool_call_id(call.id, position),
                type="function",
                function=ToolCallDeltaFunction(
                    name=function.name if function else None,
                    arguments=(function.arguments if function else None) or "",
                ),
            )
        known = self._calls.get(index, self._last_call) if index is not None else self._last_call
        if known is None:
            raise _MalformedEvent(
                "Cohere sent tool-call-delta before any tool-call-start",
                provider=self._provider,
                model=self._model,
            )
        return ToolCallDelta(
            index=known, function=ToolCallDeltaFunction(arguments=function.arguments if function else None)
        )

    def _end(self, delta: EventDelta | None) -> list[ChatChunk]:
        reason = delta.finish_reason if delta is not None else None
        usage = delta.usage if delta is not None else None
        error = delta.error if delta is not None else None
        if error or reason == "ERROR":
            raise stream_error(self._provider, self._model, error or "Cohere ended the stream with an error")
        self._finished = True
        out = self._delta(Delta(), finish=finish_reason(reason, bool(self._calls)))
        if usage is not None:
            out.append(self._chunk([], usage))
        return out

    def _delta(self, delta: Delta, finish: str | None = None) -> list[ChatChunk]:
        if finish is None and not (delta.content or delta.reasoning_content or delta.tool_calls):
            return []
        if not self._started:
            delta.role = "assistant"
            self._started = True
        return [self._chunk([ChunkChoice(index=0, delta=delta, finish_reason=finish)])]

    def _chunk(self, choices: list[ChunkChoice], usage: UsageWire | None = None) -> ChatChunk:
        return ChatChunk(
            id=response_id(self._id) if self._id else self._fallback_id(),
            created=self._created,
            model=self._model,
            choices=choices,
            usage=to_usage(usage) if usage is not None else None,
        )

    def _fallback_id(self) -> str:
        # a stream without message-start: one made-up id for all its chunks
        self._id = response_id(None)
        return self._id
