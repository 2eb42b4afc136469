"""Rebuild one ChatResponse from streamed chunks (LiteLLM's `stream_chunk_builder`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from llmrelay.types.chat import FunctionCall, ToolCall
from llmrelay.types.response import ChatChunk, ChatResponse, Choice, ResponseMessage, Usage


class _ChoiceState:
    __slots__ = ("content", "finish_reason", "reasoning", "refusal", "role", "thinking", "tools")

    def __init__(self) -> None:
        self.role = "assistant"
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.refusal: list[str] = []
        self.thinking: list[dict[str, Any]] = []
        # tool-call index → [id, name, argument pieces]
        self.tools: dict[int, list[Any]] = {}
        self.finish_reason: str | None = None


class ChunkAssembler:
    def __init__(self) -> None:
        self._choices: dict[int, _ChoiceState] = {}
        self._id = ""
        self._model = ""
        self._created = 0
        self._fingerprint: str | None = None

    def add(self, chunk: ChatChunk) -> None:
        if not self._id:
            self._id, self._model, self._created = chunk.id, chunk.model, chunk.created
        self._fingerprint = chunk.system_fingerprint or self._fingerprint
        for c in chunk.choices:
            state = self._choices.get(c.index)
            if state is None:
                state = self._choices[c.index] = _ChoiceState()
            d = c.delta
            if d.role:
                state.role = d.role
            if d.content:
                state.content.append(d.content)
            if d.reasoning_content:
                state.reasoning.append(d.reasoning_content)
            if d.refusal:
                state.refusal.append(d.refusal)
            if d.thinking_blocks:
                state.thinking.extend(d.thinking_blocks)
            for tc in d.tool_calls or ():
                slot = state.tools.setdefault(tc.index, [None, None, []])
                if tc.id:
                    slot[0] = tc.id
                if tc.function is not None:
                    if tc.function.name:
                        slot[1] = tc.function.name
                    if tc.function.arguments:
                        slot[2].append(tc.function.arguments)
            if c.finish_reason:
                state.finish_reason = c.finish_reason

    def text(self, index: int = 0) -> str:
        state = self._choices.get(index)
        return "".join(state.content) if state else ""

    def build(self, usage: Usage | None) -> ChatResponse:
        choices = []
        for index in sorted(self._choices):
            s = self._choices[index]
            tool_calls = [
                ToolCall(id=tid or "", function=FunctionCall(name=name or "", arguments="".join(args)))
                for tid, name, args in (s.tools[i] for i in sorted(s.tools))
            ] or None
            message = ResponseMessage(
                role=s.role,
                content="".join(s.content) if s.content or not tool_calls else None,
                tool_calls=tool_calls,
                reasoning_content="".join(s.reasoning) or None,
                thinking_blocks=s.thinking or None,
                refusal="".join(s.refusal) or None,
            )
            choices.append(Choice(index=index, message=message, finish_reason=s.finish_reason))
        return ChatResponse(
            id=self._id,
            created=self._created,
            model=self._model,
            choices=choices,
            usage=usage,
            system_fingerprint=self._fingerprint,
        )


def stream_chunk_builder(chunks: Iterable[ChatChunk]) -> ChatResponse:
    """One ChatResponse from a list of chunks; usage from the chunk that carried it."""
    assembler = ChunkAssembler()
    usage = None
    for chunk in chunks:
        assembler.add(chunk)
        usage = chunk.usage or usage
    return assembler.build(usage)
