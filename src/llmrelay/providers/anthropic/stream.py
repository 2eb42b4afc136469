"""Anthropic's SSE stream → canonical chunks.

Event flow: message_start, then per content block content_block_start / content_block_delta... /
content_block_stop, then message_delta (stop_reason, cumulative usage) and message_stop; `ping` may
appear anywhere and `error` ends the stream with an error. Tool-use blocks become tool-call deltas
(index counts tool calls, not blocks); thinking blocks stream as reasoning_content and, when the block
stops, as one thinking_blocks entry carrying the signature. After message_stop a usage-only chunk
(choices=[]) reports the combined usage.
"""

from __future__ import annotations

import time

import msgspec

from llmrelay.providers.anthropic.errors import classify
from llmrelay.providers.anthropic.request import JSON_TOOL_NAME
from llmrelay.providers.anthropic.response import finish_reason, thinking_block, to_usage
from llmrelay.types.errors import APIConnectionError, InternalServerError
from llmrelay.types.response import (
    ChatChunk,
    ChunkChoice,
    Delta,
    ToolCallDelta,
    ToolCallDeltaFunction,
)
from llmrelay.wire.anthropic.message import ContentBlock, EventDelta, StreamEvent, Usage, event_decoder
from llmrelay.wire.sse import SSEEvent, SSEParser


class _Block:
    """What the decoder remembers about one open content block."""

    __slots__ = ("kind", "pieces", "saw_arguments", "signature", "source", "tool_index")

    def __init__(self, kind: str, source: ContentBlock, tool_index: int = -1) -> None:
        self.kind = kind  # "text" | "tool" | "json" | "thinking" | "redacted" | "other"
        self.source = source
        self.tool_index = tool_index
        self.pieces: list[str] = []
        self.signature = ""
        self.saw_arguments = False


class _MalformedEvent(InternalServerError):
    """An event whose data is not one of Anthropic's stream events."""


class AnthropicStreamDecoder:
    def __init__(self, provider: str, json_mode: bool = False, created: int | None = None) -> None:
        self._provider = provider
        self._json_mode = json_mode
        self._sse = SSEParser()
        self._created = int(time.time()) if created is None else created
        self._id = ""
        self._model = ""
        self._blocks: dict[int, _Block] = {}
        self._tool_count = 0
        self._json_answered = False
        self._usage = Usage()
        self._done = False

    def feed(self, data: bytes) -> list[ChatChunk]:
        return self._handle(self._sse.feed(data))

    def end(self) -> list[ChatChunk]:
        try:
            out = self._handle(self._sse.end())
        except _MalformedEvent as exc:
            # the last event had no closing blank line and does not parse: the stream was cut inside it
            raise APIConnectionError(
                "stream cut in the middle of an event: the connection was cut", provider=self._provider
            ) from exc
        if not self._done:
            raise APIConnectionError(
                "stream ended before message_stop: the connection was cut", provider=self._provider
            )
        return out

    # ---- events

    def _handle(self, events: list[SSEEvent]) -> list[ChatChunk]:
        out: list[ChatChunk] = []
        for ev in events:
            if not ev.data:
                continue
            raw = ev.data.encode()
            if ev.event == "error":
                raise classify(self._provider, None, {}, raw)
            try:
                event = event_decoder.decode(raw)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                raise _MalformedEvent(
                    f"malformed stream event from provider: {exc}", provider=self._provider
                ) from exc
            self._dispatch(event, raw, out)
        return out

    def _dispatch(self, event: StreamEvent, raw: bytes, out: list[ChatChunk]) -> None:
        kind = event.type
        if kind == "message_start" and event.message is not None:
            self._id, self._model = event.message.id, event.message.model
            self._merge_usage(event.message.usage)
            out.append(self._chunk(Delta(role="assistant", content="")))
        elif kind == "content_block_start" and event.content_block is not None and event.index is not None:
            self._start_block(event.index, event.content_block, out)
        elif kind == "content_block_delta" and event.delta is not None and event.index is not None:
            self._block_delta(event.index, event.delta, out)
        elif kind == "content_block_stop" and event.index is not None:
            self._stop_block(event.index, out)
        elif kind == "message_delta":
            if event.usage is not None:
                self._merge_usage(event.usage)
            reason = finish_reason(event.delta.stop_reason if event.delta else None)
            if reason is not None:
                if reason == "tool_calls" and self._json_answered and self._tool_count == 0:
                    reason = "stop"
                out.append(self._chunk(Delta(), finish=reason))
        elif kind == "message_stop":
            self._done = True
            u = self._usage
            usage = to_usage(
                u.input_tokens or 0,
                u.output_tokens or 0,
                u.cache_read_input_tokens,
                u.cache_creation_input_tokens,
            )
            out.append(
                ChatChunk(id=self._id, created=self._created, model=self._model, choices=[], usage=usage)
            )
        elif kind == "error":
            raise classify(self._provider, None, {}, raw)
        # ping and event types added later carry nothing to relay

    def _start_block(self, index: int, cb: ContentBlock, out: list[ChatChunk]) -> None:
        if cb.type == "text":
            block = _Block("text", cb)
            if cb.text:
                out.append(self._chunk(Delta(content=cb.text)))
        elif cb.type == "tool_use" and self._json_mode and cb.name == JSON_TOOL_NAME:
            block = _Block("json", cb)
            self._json_answered = True
        elif cb.type == "tool_use":
            block = _Block("tool", cb, self._tool_count)
            self._tool_count += 1
            fn = ToolCallDeltaFunction(name=cb.name or "", arguments="")
            call = ToolCallDelta(index=block.tool_index, id=cb.id, type="function", function=fn)
            out.append(self._chunk(Delta(tool_calls=[call])))
        elif cb.type == "thinking":
            block = _Block("thinking", cb)
            if cb.thinking:
                block.pieces.append(cb.thinking)
                out.append(self._chunk(Delta(reasoning_content=cb.thinking)))
            block.signature = cb.signature or ""
        elif cb.type == "redacted_thinking":
            block = _Block("redacted", cb)
        else:
            block = _Block("other", cb)
        self._blocks[index] = block

    def _block_delta(self, index: int, d: EventDelta, out: list[ChatChunk]) -> None:
        block = self._blocks.get(index)
        if block is None:
            raise InternalServerError(
                f"stream delta for content block {index} that never started", provider=self._provider
            )
        if d.type == "text_delta" and d.text:
            out.append(self._chunk(Delta(content=d.text)))
        elif d.type == "input_json_delta" and d.partial_json:
            if block.kind == "json":
                out.append(self._chunk(Delta(content=d.partial_json)))
            elif block.kind == "tool":
                block.saw_arguments = True
                fn = ToolCallDeltaFunction(arguments=d.partial_json)
                out.append(
                    self._chunk(Delta(tool_calls=[ToolCallDelta(index=block.tool_index, function=fn)]))
                )
        elif d.type == "thinking_delta" and d.thinking:
            block.pieces.append(d.thinking)
            out.append(self._chunk(Delta(reasoning_content=d.thinking)))
        elif d.type == "signature_delta" and d.signature:
            block.signature += d.signature

    def _stop_block(self, index: int, out: list[ChatChunk]) -> None:
        block = self._blocks.pop(index, None)
        if block is None:
            return
        if block.kind == "tool" and not block.saw_arguments:
            # a tool called without arguments streams no input; "{}" matches the non-streamed form
            fn = ToolCallDeltaFunction(arguments="{}")
            out.append(self._chunk(Delta(tool_calls=[ToolCallDelta(index=block.tool_index, function=fn)])))
        elif block.kind == "thinking":
            tb = {"type": "thinking", "thinking": "".join(block.pieces), "signature": block.signature}
            out.append(self._chunk(Delta(thinking_blocks=[tb])))
        elif block.kind == "redacted":
            redacted = thinking_block(block.source)
            out.append(self._chunk(Delta(thinking_blocks=[redacted] if redacted else None)))

    # ---- helpers

    def _merge_usage(self, u: Usage) -> None:
        # message_delta usage is cumulative: a value present there replaces the one from message_start
        mine = self._usage
        for field in (
            "input_tokens",
            "output_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
        ):
            value = getattr(u, field)
            if value is not None:
                setattr(mine, field, value)

    def _chunk(self, delta: Delta, finish: str | None = None) -> ChatChunk:
        choice = ChunkChoice(index=0, delta=delta, finish_reason=finish)
        return ChatChunk(id=self._id, created=self._created, model=self._model, choices=[choice])
