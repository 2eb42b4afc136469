"""Decoder for `streamGenerateContent?alt=sse`: each SSE event's data is a whole
GenerateContentResponse carrying the next piece of every candidate.

Gemini sends no end marker: a stream is complete once every candidate it mentioned has reported a
finishReason. Function calls arrive as whole parts, so each becomes one complete tool-call delta.
Usage is reported (cumulatively) on events; the last one seen becomes the final usage-only chunk.
"""

from __future__ import annotations

import time

import msgspec

from llmrelay.providers.base import Provider
from llmrelay.providers.gemini.errors import from_rpc_status, parse_status
from llmrelay.providers.gemini.response import (
    candidate_index,
    check_prompt_blocked,
    finish_reason,
    read_parts,
    response_id,
    to_logprobs,
    to_usage,
)
from llmrelay.providers.gemini.tool_ids import tool_call_scope
from llmrelay.providers.gemini.wire import (
    CandidateWire,
    GenerateContentResponse,
    UsageMetadata,
    response_decoder,
)
from llmrelay.types.errors import APIConnectionError, InternalServerError
from llmrelay.types.response import ChatChunk, ChunkChoice, Delta, ToolCallDelta, ToolCallDeltaFunction
from llmrelay.wire.sse import SSEEvent, SSEParser


class _CandidateState:
    __slots__ = ("finished", "started", "tool_calls")

    def __init__(self) -> None:
        self.started = False
        self.finished = False
        self.tool_calls = 0


class _MalformedEvent(InternalServerError):
    """An event whose data is not a GenerateContentResponse."""


def _http_status(code: int) -> int:
    """The HTTP status an in-stream google.rpc.Status names (its `code`), else 500."""
    return code if 400 <= code < 600 else 500


class GeminiStreamDecoder:
    def __init__(self, provider: Provider, model: str, *, created: int | None = None) -> None:
        self._provider = provider
        self._model = model
        self._created = int(time.time()) if created is None else created
        self._sse = SSEParser()
        self._id: str | None = None
        self._scope = ""  # tool-call ids' scope, set with the id from the first event
        self._candidates: dict[int, _CandidateState] = {}
        self._usage: UsageMetadata | None = None

    def feed(self, data: bytes) -> list[ChatChunk]:
        return self._decode(self._sse.feed(data))

    def end(self) -> list[ChatChunk]:
        try:
            out = self._decode(self._sse.end())
        except _MalformedEvent as exc:
            # the last event had no closing blank line and does not parse: the stream was cut inside it
            raise APIConnectionError(
                "Gemini stream cut in the middle of an event", provider=self._provider.name, model=self._model
            ) from exc
        states = self._candidates.values()
        if not states or not all(s.finished for s in states):
            raise APIConnectionError(
                "Gemini stream ended before a finishReason: the connection was cut",
                provider=self._provider.name,
                model=self._model,
            )
        if self._usage is not None:
            out.append(self._chunk([], usage=self._usage))
        return out

    def _decode(self, events: list[SSEEvent]) -> list[ChatChunk]:
        out: list[ChatChunk] = []
        for event in events:
            raw = event.data.encode()
            if not raw.strip():
                continue
            try:
                response = response_decoder.decode(raw)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                rpc = parse_status(raw)  # an error sent as a one-element array
                if rpc is not None:
                    raise from_rpc_status(rpc, _http_status(rpc.code), {}, self._provider.name) from None
                raise _MalformedEvent(
                    f"malformed stream event from Gemini: {exc}", provider=self._provider.name
                ) from exc
            if response.error is not None:
                raise from_rpc_status(
                    response.error, _http_status(response.error.code), {}, self._provider.name
                )
            chunk = self._convert(response)
            if chunk is not None:
                out.append(chunk)
        return out

    def _convert(self, response: GenerateContentResponse) -> ChatChunk | None:
        check_prompt_blocked(response, self._model)
        if self._id is None:
            self._id = response_id(response.response_id)
            self._scope = tool_call_scope(response.response_id)
        if response.model_version:
            self._model = response.model_version
        if response.usage_metadata is not None:
            self._usage = response.usage_metadata
        choices = [
            choice
            for position, candidate in enumerate(response.candidates)
            if (choice := self._choice(candidate, position)) is not None
        ]
        return self._chunk(choices) if choices else None

    def _choice(self, candidate: CandidateWire, position: int) -> ChunkChoice | None:
        index = candidate_index(candidate, position)
        state = self._candidates.get(index)
        if state is None:
            state = self._candidates[index] = _CandidateState()
        view = read_parts(candidate.content.parts if candidate.content else [], state.tool_calls, self._scope)
        deltas = [
            ToolCallDelta(
                index=state.tool_calls + i,
                id=call.id,
                type="function",
                function=ToolCallDeltaFunction(name=call.function.name, arguments=call.function.arguments),
            )
            for i, call in enumerate(view.tool_calls)
        ]
        state.tool_calls += len(deltas)
        reason = finish_reason(candidate.finish_reason, state.tool_calls > 0)
        if reason is not None:
            state.finished = True
        text, reasoning = "".join(view.text), "".join(view.reasoning)
        if not (text or reasoning or deltas or reason):
            return None
        delta = Delta(
            role=None if state.started else "assistant",
            content=text or None,
            reasoning_content=reasoning or None,
            tool_calls=deltas or None,
        )
        state.started = True
        return ChunkChoice(
            index=index, delta=delta, finish_reason=reason, logprobs=to_logprobs(candidate.logprobs_result)
        )

    def _chunk(self, choices: list[ChunkChoice], usage: UsageMetadata | None = None) -> ChatChunk:
        return ChatChunk(
            id=self._id or response_id(None),
            created=self._created,
            model=self._model,
            choices=choices,
            usage=to_usage(usage) if usage is not None else None,
        )
