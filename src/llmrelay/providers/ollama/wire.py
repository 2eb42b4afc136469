"""Ollama's own API on the wire (github.com/ollama/ollama, docs/api.md): the bodies of /api/chat,
/api/generate and /api/embed, and their answers.

Answers are decoded loosely (every field optional): Ollama adds fields between releases, and a
stream's lines carry only what changed. Tool-call arguments are a JSON object here, not a string.
"""

from __future__ import annotations

from typing import Any

import msgspec


class ToolFunctionWire(msgspec.Struct, omit_defaults=True):
    name: str
    arguments: dict[str, Any] = msgspec.field(default_factory=dict)
    index: int | None = None


class ToolCallWire(msgspec.Struct, omit_defaults=True):
    function: ToolFunctionWire
    id: str | None = None


class MessageWire(msgspec.Struct, omit_defaults=True):
    """A message as /api/chat takes it (role and content always sent)."""

    role: str
    content: str
    thinking: str | None = None
    images: list[str] | None = None
    tool_calls: list[ToolCallWire] | None = None
    # a tool result names the function it answers (Ollama has no call ids to match on)
    tool_name: str | None = None


class ChatBody(msgspec.Struct, omit_defaults=True):
    model: str
    messages: list[MessageWire]
    stream: bool
    tools: list[dict[str, Any]] | None = None
    format: str | dict[str, Any] | None = None
    options: dict[str, Any] | None = None
    think: bool | str | None = None


class GenerateBody(msgspec.Struct, omit_defaults=True):
    model: str
    prompt: str
    stream: bool
    system: str | None = None
    images: list[str] | None = None
    format: str | dict[str, Any] | None = None
    options: dict[str, Any] | None = None
    think: bool | str | None = None


class EmbedBody(msgspec.Struct, omit_defaults=True):
    model: str
    input: list[str]
    dimensions: int | None = None


class AnswerMessageWire(msgspec.Struct):
    """The message of an /api/chat answer, or what one stream line adds to it."""

    role: str = "assistant"
    content: str = ""
    thinking: str | None = None
    tool_calls: list[ToolCallWire] | None = None


class AnswerWire(msgspec.Struct):
    """One answer of /api/chat or /api/generate: the whole answer, or one line of a stream (the
    last with `done: true`, the reason and the counts). `error` is an error line mid-stream."""

    model: str | None = None
    created_at: str | None = None
    message: AnswerMessageWire | None = None
    response: str | None = None
    thinking: str | None = None
    done: bool = False
    done_reason: str | None = None
    prompt_eval_count: int | None = None
    eval_count: int | None = None
    error: str | None = None


class EmbedAnswerWire(msgspec.Struct):
    embeddings: list[list[float]] = msgspec.field(default_factory=list)
    model: str | None = None
    prompt_eval_count: int | None = None


answer_decoder = msgspec.json.Decoder(AnswerWire)
embed_decoder = msgspec.json.Decoder(EmbedAnswerWire)
encoder = msgspec.json.Encoder()
