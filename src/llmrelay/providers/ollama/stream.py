"""Decoder for Ollama's streams: newline-delimited JSON, not SSE.

Each line is an answer object with what was generated since the last (`message.content` /
`message.thinking` on /api/chat, `response` / `thinking` on /api/generate, whole tool calls); the
last has `done: true`, `done_reason` and the token counts. A line `{"error": ...}` is an error after
the 200 began. A stream that ends before its `done` line was cut. JSON escapes line breaks inside
strings, so CR, LF and CRLF all end a line.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import msgspec

from llmrelay.providers.ollama.response import finish_reason, new_id, to_usage, tool_call
from llmrelay.providers.ollama.wire import AnswerWire, answer_decoder
from llmrelay.types.errors import APIConnectionError, InternalServerError
from llmrelay.types.response import (
    ChatChunk,
    ChunkChoice,
    Delta,
    ToolCallDelta,
    ToolCallDeltaFunction,
    Usage,
)

if TYPE_CHECKING:
    from llmrelay.providers.base import Provider

_LINE_END = re.compile(rb"\r\n|\r|\n")


class OllamaStreamDecoder:
    def __init__(self, provider: Provider, model: str) -> None:
        self._provider = provider
        self._model = model
        self._id = new_id()
        self._created = int(time.time())
        self._buffer = b""
        self._started = False
        self._done = False
        self._calls = 0

    def feed(self, data: bytes) -> list[ChatChunk]:
        self._buffer += data
        lines = _LINE_END.split(self._buffer)
        # the last piece is a line still being received (or b"" after a line end)
        self._buffer = lines.pop()
        return self._decode(lines, at_end=False)

    def end(self) -> list[ChatChunk]:
        rest, self._buffer = self._buffer, b""
        out = self._decode([rest], at_end=True)
        if not self._done:
            raise self._cut()
        return out

    def _cut(self) -> APIConnectionError:
        return APIConnectionError(
            "Ollama stream ended before its done line: the connection was cut",
            provider=self._provider.name,
            model=self._model,
        )

    def _decode(self, lines: list[bytes], *, at_end: bool) -> list[ChatChunk]:
        out: list[ChatChunk] = []
        for line in lines:
            if not line.strip():
                continue
            try:
                answer = answer_decoder.decode(line)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                if at_end and not self._done:
                    # a half-received last line: the connection was cut mid-line
                    raise self._cut() from exc
                raise InternalServerError(
                    f"malformed stream line from Ollama: {exc}",
                    provider=self._provider.name,
                    model=self._model,
                ) from exc
            if answer.error is not None:
                raise self._provider.classify_error(500, {}, line)
            out.extend(self._convert(answer))
        return out

    def _convert(self, answer: AnswerWire) -> list[ChatChunk]:
        message = answer.message
        if message is not None:
            text, thinking = message.content or None, message.thinking or None
            calls = message.tool_calls or []
        else:
            text, thinking, calls = answer.response or None, answer.thinking or None, []
        made = [tool_call(c, self._calls + i) for i, c in enumerate(calls)]
        deltas = [
            ToolCallDelta(
                index=self._calls + i,
                id=call.id,
                type="function",
                function=ToolCallDeltaFunction(name=call.function.name, arguments=call.function.arguments),
            )
            for i, call in enumerate(made)
        ]
        self._calls += len(deltas)
        out = self._delta(Delta(content=text, reasoning_content=thinking, tool_calls=deltas or None))
        if answer.done:
            self._done = True
            out.extend(self._delta(Delta(), finish_reason(answer.done_reason, self._calls > 0)))
            out.append(self._chunk([], to_usage(answer)))
        return out

    def _delta(self, delta: Delta, finish: str | None = None) -> list[ChatChunk]:
        if finish is None and not (delta.content or delta.reasoning_content or delta.tool_calls):
            return []
        if not self._started:
            delta.role = "assistant"
            self._started = True
        return [self._chunk([ChunkChoice(index=0, delta=delta, finish_reason=finish)])]

    def _chunk(self, choices: list[ChunkChoice], usage: Usage | None = None) -> ChatChunk:
        return ChatChunk(id=self._id, created=self._created, model=self._model, choices=choices, usage=usage)
