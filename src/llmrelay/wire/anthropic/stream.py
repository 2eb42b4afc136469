"""Canonical ChatChunks → Anthropic Messages SSE events, incrementally.

One encoder per response: `feed(chunk)` returns the bytes to relay now (message_start comes with the
first chunk), `finish()` closes the open block and writes message_delta (stop_reason, usage) and
message_stop. Content blocks open and close as the kind of delta changes — thinking, text, each tool
call — so block indexes follow the order in which things arrived. Only choice 0 is encoded: the
Messages API has no `n`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.types.response import ChatChunk, Delta, ToolCallDelta, Usage
from llmrelay.wire.anthropic.message import ContentBlock, EventDelta, Message, StreamEvent
from llmrelay.wire.anthropic.message import Usage as AnthropicUsage
from llmrelay.wire.anthropic.response import message_id, stop_reason, usage_body
from llmrelay.wire.sse import frame

_encoder = msgspec.json.Encoder()


class AnthropicStreamEncoder:
    def __init__(
        self, model: str | None = None, message_id: str | None = None, input_tokens: int = 0
    ) -> None:
        """`model`: the name the client asked for; `input_tokens`: an estimate for message_start,
        whose real value only arrives with the final usage."""
        self._model = model
        self._message_id = message_id
        self._input_tokens = input_tokens
        self._started = False
        self._finished = False
        self._next_index = 0
        self._open: int | None = None  # index of the open block
        self._open_kind = ""  # "text" | "thinking" | "tool"
        self._thinking_streamed = False
        self._tool_blocks: dict[int, int] = {}  # tool-call index → block index
        self._finish_reason: str | None = None
        self._saw_tool_calls = False
        self._usage: Usage | None = None

    def feed(self, chunk: ChatChunk) -> bytes:
        out: list[bytes] = []
        if not self._started:
            out.append(self._message_start(chunk))
        if chunk.usage is not None:
            self._usage = chunk.usage
        for choice in chunk.choices:
            if choice.index != 0:
                continue
            self._delta(choice.delta, out)
            if choice.finish_reason:
                self._finish_reason = choice.finish_reason
        return b"".join(out)

    def finish(self) -> bytes:
        """The closing events; call once, after the last chunk."""
        if self._finished:
            return b""
        self._finished = True
        out: list[bytes] = []
        if not self._started:
            out.append(self._message_start(None))
        self._close(out)
        delta = EventDelta(
            stop_reason=stop_reason(self._finish_reason, self._saw_tool_calls), stop_sequence=None
        )
        usage = usage_body(self._usage, self._input_tokens)
        out.append(self._event(StreamEvent(type="message_delta", delta=delta, usage=usage)))
        out.append(self._event(StreamEvent(type="message_stop")))
        return b"".join(out)

    # ---- blocks

    def _delta(self, d: Delta, out: list[bytes]) -> None:
        if d.reasoning_content:
            if self._open_kind != "thinking":
                self._start(out, "thinking", ContentBlock(type="thinking", thinking="", signature=""))
            self._thinking_streamed = True
            self._block_delta(out, EventDelta(type="thinking_delta", thinking=d.reasoning_content))
        for tb in d.thinking_blocks or ():
            self._thinking_block(tb, out)
        text = d.content or d.refusal
        if text:
            if self._open_kind != "text":
                self._start(out, "text", ContentBlock(type="text", text=""))
            self._block_delta(out, EventDelta(type="text_delta", text=text))
        for call in d.tool_calls or ():
            self._tool_delta(call, out)

    def _thinking_block(self, tb: dict[str, Any], out: list[bytes]) -> None:
        """A complete thinking block; its text may already have streamed as reasoning_content."""
        if tb.get("type") == "redacted_thinking":
            self._start(out, "redacted", ContentBlock(type="redacted_thinking", data=tb.get("data", "")))
            self._close(out)
            return
        if self._open_kind != "thinking":
            self._start(out, "thinking", ContentBlock(type="thinking", thinking="", signature=""))
        if not self._thinking_streamed and tb.get("thinking"):
            self._block_delta(out, EventDelta(type="thinking_delta", thinking=tb["thinking"]))
        if tb.get("signature"):
            self._block_delta(out, EventDelta(type="signature_delta", signature=tb["signature"]))
        self._close(out)

    def _tool_delta(self, call: ToolCallDelta, out: list[bytes]) -> None:
        self._saw_tool_calls = True
        block = self._tool_blocks.get(call.index)
        fn = call.function
        if block is None:
            tool_id = call.id or f"toolu_{self._message_id or 'x'}_{call.index}"
            name = (fn.name if fn else None) or ""
            start = ContentBlock(type="tool_use", id=tool_id, name=name, input={})
            block = self._tool_blocks[call.index] = self._start(out, "tool", start)
        if fn is not None and fn.arguments:
            # a late piece for an earlier tool call still goes to that call's block: clients
            # accumulate input_json_delta by block index
            delta = EventDelta(type="input_json_delta", partial_json=fn.arguments)
            out.append(self._event(StreamEvent(type="content_block_delta", index=block, delta=delta)))

    def _start(self, out: list[bytes], kind: str, content_block: ContentBlock) -> int:
        self._close(out)
        index = self._next_index
        self._next_index += 1
        self._open, self._open_kind = index, kind
        self._thinking_streamed = False
        out.append(
            self._event(StreamEvent(type="content_block_start", index=index, content_block=content_block))
        )
        return index

    def _block_delta(self, out: list[bytes], delta: EventDelta) -> None:
        out.append(self._event(StreamEvent(type="content_block_delta", index=self._open, delta=delta)))

    def _close(self, out: list[bytes]) -> None:
        if self._open is not None:
            out.append(self._event(StreamEvent(type="content_block_stop", index=self._open)))
        self._open, self._open_kind = None, ""

    # ---- message

    def _message_start(self, chunk: ChatChunk | None) -> bytes:
        self._started = True
        self._message_id = message_id(self._message_id or (chunk.id if chunk else None))
        message = Message(
            id=self._message_id,
            model=self._model or (chunk.model if chunk else ""),
            content=[],
            usage=AnthropicUsage(input_tokens=self._input_tokens, output_tokens=0),
        )
        return self._event(StreamEvent(type="message_start", message=message))

    @staticmethod
    def _event(event: StreamEvent) -> bytes:
        return frame(_encoder.encode(event), event=event.type)
