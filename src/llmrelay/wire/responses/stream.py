"""Canonical ChatChunks → Responses API stream events, incrementally.

One encoder per response. `feed(chunk)` returns the events the chunk completes (the first call also
returns response.created and response.in_progress), `finish()` closes what is open and ends with
response.completed (response.incomplete when the model stopped at max_output_tokens), `fail(error)`
ends with an `error` event and response.failed. Every event carries `sequence_number`, counted from 0.

Items open and close as the kind of delta changes, so output indexes follow the order things
arrived: a reasoning item (summary text), a message item (an output_text part, or a refusal part),
then function_call items. Function calls stay open until the end (or until text follows them): chat
streams may send a late argument piece to an earlier call, and its item must still take it.
Only choice 0 is encoded: the Responses API has no `n`.
"""

from __future__ import annotations

import time
from typing import Any

from llmrelay.types.errors import LLMError
from llmrelay.types.response import ChatChunk, Delta, ToolCallDelta, Usage
from llmrelay.types.responses import (
    FunctionCallItem,
    IncompleteDetails,
    OutputItem,
    OutputMessage,
    OutputRefusal,
    OutputText,
    ReasoningItem,
    Response,
    ResponseError,
    SummaryText,
)
from llmrelay.wire.responses.events import Event, failure_code
from llmrelay.wire.responses.response import (
    echo_fields,
    encrypted_thinking,
    incomplete_reason,
    new_id,
    response_id,
    usage_of,
)
from llmrelay.wire.responses.schema import ResponsesRequest


class _Call:
    __slots__ = ("arguments", "call_id", "id", "name", "output_index")

    def __init__(self, output_index: int, call_id: str, name: str) -> None:
        self.output_index = output_index
        self.id = new_id("fc")
        self.call_id = call_id
        self.name = name
        self.arguments: list[str] = []

    def item(self, status: str) -> FunctionCallItem:
        return FunctionCallItem(
            id=self.id,
            call_id=self.call_id,
            name=self.name,
            arguments="".join(self.arguments),
            status=status,  # type: ignore[arg-type]
        )


class ResponsesStreamEncoder:
    def __init__(
        self,
        request: ResponsesRequest | None = None,
        model: str | None = None,
        response_id: str | None = None,
    ) -> None:
        """`request`: echoed in each response snapshot; `model`: the name the client asked for."""
        self._request = request
        self._model = model
        self._id = response_id
        self._created_at = int(time.time())
        self._seq = 0
        self._started = False
        self._ended = False
        self._output: list[OutputItem | None] = []  # by output_index; None while open
        # the open reasoning or message item
        self._open_kind = ""  # "reasoning" | "message"
        self._open_index = -1
        self._open_id = ""
        self._summary: list[str] = []
        self._thinking: list[dict[str, Any]] = []
        self._parts: list[OutputText | OutputRefusal] = []
        self._part_kind = ""  # "output_text" | "refusal"
        self._part_text: list[str] = []
        self._calls: dict[int, _Call] = {}  # open function calls by tool-call index
        self._finish_reason: str | None = None
        self._usage: Usage | None = None
        # close_output(): the events closing the items, and the final Response, until the end
        self._closing: list[Event] = []
        self._final: Response | None = None

    # ---- public

    def feed(self, chunk: ChatChunk) -> list[Event]:
        out: list[Event] = []
        if not self._started:
            self._start(out, chunk)
        if chunk.usage is not None:
            self._usage = chunk.usage
        for choice in chunk.choices:
            if choice.index != 0:
                continue
            self._delta(choice.delta, out)
            if choice.finish_reason:
                self._finish_reason = choice.finish_reason
        return out

    def close_output(self) -> Response:
        """Close the open items (their events are held for `finish()` or `fail()`) and return the
        final Response `finish()` will send, so a caller can act on it (store it) before the client
        sees the end; after the last chunk, and at most once before the end."""
        if self._final is None:
            if not self._started:
                self._start(self._closing, None)
            reason = incomplete_reason(self._finish_reason)
            self._close_open(self._closing, "incomplete" if reason else "completed")
            self._close_calls(self._closing)
            response = self._snapshot("incomplete" if reason else "completed")
            response.usage = usage_of(self._usage)
            if reason:
                response.incomplete_details = IncompleteDetails(reason=reason)  # type: ignore[arg-type]
            self._final = response
        return self._final

    def finish(self) -> list[Event]:
        """The closing events; call once, after the last chunk."""
        if self._ended:
            return []
        response = self.close_output()
        self._ended = True
        out, self._closing = self._closing, []
        kind = "response.incomplete" if response.status == "incomplete" else "response.completed"
        self._emit(out, {"type": kind, "response": response})
        return out

    def fail(self, error: LLMError) -> list[Event]:
        """An `error` event, then response.failed with the items finished so far."""
        if self._ended:
            return []
        self._ended = True
        out, self._closing = self._closing, []  # items closed by close_output() stay closed
        if not self._started:
            self._start(out, None)
        code = error.code if isinstance(error.code, str) else None
        self._emit(out, {"type": "error", "code": code, "message": error.message, "param": error.param})
        response = self._snapshot("failed")
        response.error = ResponseError(code=failure_code(error), message=error.message)
        if self._usage is not None:
            response.usage = usage_of(self._usage)
        self._emit(out, {"type": "response.failed", "response": response})
        return out

    # ---- lifecycle

    def _start(self, out: list[Event], chunk: ChatChunk | None) -> None:
        self._started = True
        self._id = response_id(self._id)
        if self._model is None:
            self._model = chunk.model if chunk is not None else ""
        snapshot = self._snapshot("in_progress")
        self._emit(out, {"type": "response.created", "response": snapshot})
        self._emit(out, {"type": "response.in_progress", "response": snapshot})

    def _snapshot(self, status: str) -> Response:
        return Response(
            id=self._id or "",
            created_at=self._created_at,
            model=self._model or "",
            output=[item for item in self._output if item is not None],
            status=status,  # type: ignore[arg-type]
            **echo_fields(self._request),
        )

    def _emit(self, out: list[Event], event: Event) -> None:
        event["sequence_number"] = self._seq
        self._seq += 1
        out.append(event)

    # ---- deltas

    def _delta(self, d: Delta, out: list[Event]) -> None:
        reasoning = d.reasoning_content or d.reasoning
        if reasoning:
            self._reasoning_text(reasoning, out)
        if d.thinking_blocks:
            if self._open_kind != "reasoning":
                self._open(out, "reasoning")
            self._thinking.extend(d.thinking_blocks)
            if not self._summary:
                # thinking that did not stream as text (a whole block at once)
                text = "".join(
                    str(b.get("thinking", "")) for b in d.thinking_blocks if b.get("type") == "thinking"
                )
                if text:
                    self._reasoning_text(text, out)
        if d.content:
            self._text("output_text", d.content, out)
        if d.refusal:
            self._text("refusal", d.refusal, out)
        for call in d.tool_calls or ():
            self._tool_delta(call, out)

    def _reasoning_text(self, text: str, out: list[Event]) -> None:
        if self._open_kind != "reasoning":
            self._open(out, "reasoning")
        if not self._summary:
            part = {"type": "summary_text", "text": ""}
            self._emit(
                out,
                self._at({"type": "response.reasoning_summary_part.added", "summary_index": 0, "part": part}),
            )
        self._summary.append(text)
        self._emit(
            out,
            self._at({"type": "response.reasoning_summary_text.delta", "summary_index": 0, "delta": text}),
        )

    def _text(self, kind: str, text: str, out: list[Event]) -> None:
        if self._open_kind != "message":
            self._open(out, "message")
        if self._part_kind != kind:
            self._close_part(out)
            self._part_kind = kind
            part: Event = (
                {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
                if kind == "output_text"
                else {"type": "refusal", "refusal": ""}
            )
            self._emit(
                out,
                self._at(
                    {"type": "response.content_part.added", "content_index": len(self._parts), "part": part}
                ),
            )
        self._part_text.append(text)
        name = "response.output_text.delta" if kind == "output_text" else "response.refusal.delta"
        event: Event = {"type": name, "content_index": len(self._parts), "delta": text}
        if kind == "output_text":
            event["logprobs"] = []
        self._emit(out, self._at(event))

    def _tool_delta(self, delta: ToolCallDelta, out: list[Event]) -> None:
        call = self._calls.get(delta.index)
        fn = delta.function
        if call is None:
            self._close_open(out, "completed")
            call_id = delta.id or new_id("call")
            call = self._calls[delta.index] = _Call(
                len(self._output), call_id, (fn.name if fn else None) or ""
            )
            self._output.append(None)
            self._emit(
                out,
                {
                    "type": "response.output_item.added",
                    "output_index": call.output_index,
                    "item": call.item("in_progress"),
                },
            )
        elif fn is not None and fn.name and not call.name:
            call.name = fn.name
        if fn is not None and fn.arguments:
            call.arguments.append(fn.arguments)
            self._emit(
                out,
                {
                    "type": "response.function_call_arguments.delta",
                    "item_id": call.id,
                    "output_index": call.output_index,
                    "delta": fn.arguments,
                },
            )

    # ---- items

    def _at(self, event: Event) -> Event:
        """An event about the open item: its item_id and output_index, after `type`."""
        return {
            "type": event.pop("type"),
            "item_id": self._open_id,
            "output_index": self._open_index,
            **event,
        }

    def _open(self, out: list[Event], kind: str) -> None:
        self._close_open(out, "completed")
        if self._calls:
            # text or reasoning after tool calls: those calls are complete
            self._close_calls(out)
        self._open_kind = kind
        self._open_index = len(self._output)
        self._output.append(None)
        self._open_id = new_id("rs" if kind == "reasoning" else "msg")
        item: OutputItem
        if kind == "reasoning":
            item = ReasoningItem(id=self._open_id, summary=[])
        else:
            item = OutputMessage(id=self._open_id, content=[], status="in_progress")
        self._emit(
            out, {"type": "response.output_item.added", "output_index": self._open_index, "item": item}
        )

    def _close_part(self, out: list[Event]) -> None:
        if not self._part_kind:
            return
        text = "".join(self._part_text)
        index = len(self._parts)
        part: OutputText | OutputRefusal
        if self._part_kind == "output_text":
            part = OutputText(text=text)
            self._emit(
                out,
                self._at(
                    {
                        "type": "response.output_text.done",
                        "content_index": index,
                        "text": text,
                        "logprobs": [],
                    }
                ),
            )
        else:
            part = OutputRefusal(refusal=text)
            self._emit(
                out, self._at({"type": "response.refusal.done", "content_index": index, "refusal": text})
            )
        self._emit(
            out, self._at({"type": "response.content_part.done", "content_index": index, "part": part})
        )
        self._parts.append(part)
        self._part_kind, self._part_text = "", []

    def _close_open(self, out: list[Event], status: str) -> None:
        if not self._open_kind:
            return
        item: OutputItem
        if self._open_kind == "reasoning":
            summary = [SummaryText(text="".join(self._summary))] if self._summary else []
            if summary:
                text = summary[0].text
                self._emit(
                    out,
                    self._at(
                        {"type": "response.reasoning_summary_text.done", "summary_index": 0, "text": text}
                    ),
                )
                self._emit(
                    out,
                    self._at(
                        {
                            "type": "response.reasoning_summary_part.done",
                            "summary_index": 0,
                            "part": summary[0],
                        }
                    ),
                )
            item = ReasoningItem(
                id=self._open_id, summary=summary, encrypted_content=encrypted_thinking(self._thinking)
            )
            self._summary, self._thinking = [], []
        else:
            self._close_part(out)
            item = OutputMessage(id=self._open_id, content=self._parts, status=status)  # type: ignore[arg-type]
            self._parts = []
        self._output[self._open_index] = item
        self._emit(out, {"type": "response.output_item.done", "output_index": self._open_index, "item": item})
        self._open_kind, self._open_index, self._open_id = "", -1, ""

    def _close_calls(self, out: list[Event]) -> None:
        for call in self._calls.values():
            arguments = "".join(call.arguments)
            self._emit(
                out,
                {
                    "type": "response.function_call_arguments.done",
                    "item_id": call.id,
                    "name": call.name,  # in OpenAI's event; the openai SDK's type requires it
                    "output_index": call.output_index,
                    "arguments": arguments,
                },
            )
            item = call.item("completed")
            self._output[call.output_index] = item
            self._emit(
                out, {"type": "response.output_item.done", "output_index": call.output_index, "item": item}
            )
        self._calls = {}
