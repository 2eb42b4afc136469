"""The decoder of OCI Generative AI's chat streams (`"isStream": true`): server-sent events whose data
is one JSON object each, with no `[DONE]`; the answer is whole once an event carries `finishReason`.

- GENERIC events: `{"index", "message": {"role", "content": [{"type": "TEXT", "text"}],
  "toolCalls": [{"id", "type", "name", "arguments"}]}, "finishReason"?, "pad"}` — text and tool-call
  arguments arrive in pieces (a call's first piece has its id and name); with
  `streamOptions.isIncludeUsage` an event carries `usage`, emitted as a usage-only chunk;
- COHERE events: `{"apiFormat": "COHERE", "text"}` pieces, then one with `finishReason` that repeats
  the whole text (not emitted again) and the `toolCalls` (`{"name", "parameters"}`).

An event in OCI's error shape (`{"code", "message"}`) raises the error it stands for.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

import msgspec

from llmrelay.providers.oci.response import (
    CohereToolCall,
    GenericMessage,
    WireUsage,
    finish_reason,
    new_id,
    text_of,
    usage_of,
)
from llmrelay.providers.sse_decoder import SseChunkDecoder
from llmrelay.types.errors import InternalServerError
from llmrelay.types.response import ChatChunk, ChunkChoice, Delta, ToolCallDelta, ToolCallDeltaFunction
from llmrelay.wire.sse import SSEEvent

if TYPE_CHECKING:
    from llmrelay.providers.base import Provider


class _Event(msgspec.Struct):
    apiFormat: str | None = None
    index: int = 0
    # a piece of the answer; a string in an error event (`{"code", "message"}`)
    message: GenericMessage | str | None = None
    text: str | None = None
    finishReason: str | None = None
    toolCalls: list[CohereToolCall] | None = None
    usage: WireUsage | None = None
    code: str | None = None


_event = msgspec.json.Decoder(_Event)


class OciStreamDecoder(SseChunkDecoder):
    _model: str
    _cut_message = "OCI stream ended before its last event: the connection was cut"

    def __init__(self, provider: Provider, model: str) -> None:
        super().__init__(provider, model)
        self._id = new_id()
        self._created = int(time.time())
        self._roles: set[int] = set()
        self._text_sent = False
        # per choice: the tool calls seen, by id (the index each was given)
        self._calls: dict[int, dict[str, int]] = {}

    def _events(self, events: list[SSEEvent], *, at_end: bool) -> list[ChatChunk]:
        out: list[ChatChunk] = []
        for event in events:
            if not event.data or event.data == "[DONE]":
                continue
            raw = event.data.encode()
            try:
                decoded = _event.decode(raw)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                if at_end:
                    # the last event, cut short (after the finish, the usage event may still be due)
                    raise self._cut() from exc
                raise InternalServerError(
                    f"malformed stream event from OCI: {exc}", provider=self._provider.name, model=self._model
                ) from exc
            if decoded.code is not None:
                raise self._provider.classify_error(500, {}, raw)
            out.extend(self._decode(decoded))
        return out

    def _decode(self, event: _Event) -> list[ChatChunk]:
        out: list[ChatChunk] = []
        reason = finish_reason(event.finishReason)
        if event.apiFormat == "COHERE":
            delta = self._delta(0)
            if event.text and (reason is None or not self._text_sent):
                delta.content, self._text_sent = event.text, True
            if reason is not None and event.toolCalls:
                delta.tool_calls = [
                    ToolCallDelta(
                        index=i,
                        id=f"call_{uuid.uuid4().hex[:24]}",
                        type="function",
                        function=ToolCallDeltaFunction(name=c.name, arguments=json.dumps(c.parameters)),
                    )
                    for i, c in enumerate(event.toolCalls)
                ]
                reason = "tool_calls"
            if delta.content or delta.role or delta.tool_calls or reason:
                out.append(self.chunk([ChunkChoice(index=0, delta=delta, finish_reason=reason)]))
        elif event.message is not None or reason is not None:
            message = event.message if isinstance(event.message, GenericMessage) else GenericMessage()
            delta = self._delta(event.index)
            delta.content = text_of(message.content)
            delta.tool_calls = self._tool_deltas(event.index, message) or None
            if delta.content or delta.role or delta.tool_calls or reason:
                out.append(self.chunk([ChunkChoice(index=event.index, delta=delta, finish_reason=reason)]))
        self._ended = self._ended or reason is not None
        if event.usage is not None:
            out.append(self.chunk([], usage_of(event.usage)))
        return out

    def _delta(self, index: int) -> Delta:
        if index in self._roles:
            return Delta()
        self._roles.add(index)
        return Delta(role="assistant")

    def _tool_deltas(self, choice: int, message: GenericMessage) -> list[ToolCallDelta]:
        seen = self._calls.setdefault(choice, {})
        deltas: list[ToolCallDelta] = []
        for call in message.toolCalls or ():
            if call.id and call.id not in seen:
                seen[call.id] = len(seen)
                deltas.append(
                    ToolCallDelta(
                        index=seen[call.id],
                        id=call.id,
                        type="function",
                        function=ToolCallDeltaFunction(name=call.name or "", arguments=call.arguments or ""),
                    )
                )
            elif seen:
                # a later piece of a call: its arguments (OCI may repeat the id, or leave it out)
                index = seen[call.id] if call.id in seen else len(seen) - 1
                if call.arguments:
                    deltas.append(
                        ToolCallDelta(index=index, function=ToolCallDeltaFunction(arguments=call.arguments))
                    )
        return deltas

    def chunk(self, choices: list[ChunkChoice], usage: Any = None) -> ChatChunk:
        return ChatChunk(id=self._id, created=self._created, model=self._model, choices=choices, usage=usage)
