"""OpenAI Responses API objects (`object: "response"`), as the gateway's /v1/responses and the SDK's
`llmrelay.responses()` return them.

Field names and shapes follow OpenAI's API reference for the Response object. Unlike the chat types,
these keep null fields in their JSON (`error: null`, `incomplete_details: null`...), as OpenAI's
Response does; only fields marked "omitted when unset" below are left out.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from llmrelay.types.base import Model


class _Full(Model, omit_defaults=False):
    """A Model whose None fields are encoded as null."""


class OutputText(_Full, tag_field="type", tag="output_text"):
    text: str
    annotations: list[dict[str, Any]] = msgspec.field(default_factory=list)
    logprobs: list[dict[str, Any]] = msgspec.field(default_factory=list)


class OutputRefusal(_Full, tag_field="type", tag="refusal"):
    refusal: str


class OutputMessage(_Full, tag_field="type", tag="message"):
    id: str
    content: list[OutputText | OutputRefusal]
    role: Literal["assistant"] = "assistant"
    status: Literal["in_progress", "completed", "incomplete"] = "completed"


class FunctionCallItem(_Full, tag_field="type", tag="function_call"):
    id: str
    call_id: str
    name: str
    arguments: str
    status: Literal["in_progress", "completed", "incomplete"] = "completed"


class SummaryText(_Full, tag_field="type", tag="summary_text"):
    text: str


class ReasoningItem(Model, tag_field="type", tag="reasoning"):
    """Omits `encrypted_content` and `status` when unset (the item is valid without them)."""

    id: str
    summary: list[SummaryText]
    # the upstream's signed reasoning (Anthropic thinking blocks), opaque to the client; sent back in
    # a later request's input, it is restored for the model that wrote it
    encrypted_content: str | None = None
    status: Literal["in_progress", "completed", "incomplete"] | None = None


OutputItem = OutputMessage | FunctionCallItem | ReasoningItem


class InputTokensDetails(_Full):
    cached_tokens: int = 0
    cache_write_tokens: int = 0


class OutputTokensDetails(_Full):
    reasoning_tokens: int = 0


class ResponseUsage(_Full):
    input_tokens: int
    output_tokens: int
    total_tokens: int
    input_tokens_details: InputTokensDetails = msgspec.field(default_factory=InputTokensDetails)
    output_tokens_details: OutputTokensDetails = msgspec.field(default_factory=OutputTokensDetails)


class IncompleteDetails(_Full):
    reason: Literal["max_output_tokens", "content_filter"]


class ResponseError(_Full):
    code: str
    message: str


class Response(_Full, dict=True):
    """A Responses API response. As on ChatResponse, SDK callers find what served it and its cost
    in `_hidden_params` (not serialized)."""

    id: str
    created_at: int
    model: str
    output: list[OutputItem]
    status: Literal["completed", "failed", "in_progress", "incomplete"] = "completed"
    object: Literal["response"] = "response"
    error: ResponseError | None = None
    incomplete_details: IncompleteDetails | None = None
    instructions: str | None = None
    max_output_tokens: int | None = None
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    parallel_tool_calls: bool = True
    previous_response_id: str | None = None
    reasoning: dict[str, Any] = msgspec.field(default_factory=lambda: {"effort": None, "summary": None})
    store: bool = False
    temperature: float | None = None
    text: dict[str, Any] = msgspec.field(default_factory=lambda: {"format": {"type": "text"}})
    tool_choice: Any = "auto"
    tools: list[dict[str, Any]] = msgspec.field(default_factory=list)
    top_p: float | None = None
    truncation: str = "disabled"
    usage: ResponseUsage | None = None
    user: str | None = None

    @property
    def output_text(self) -> str:
        """The text of every output_text part, joined (the openai SDK's convenience property)."""
        return "".join(
            part.text
            for item in self.output
            if isinstance(item, OutputMessage)
            for part in item.content
            if isinstance(part, OutputText)
        )
