"""msgspec shapes of an inbound Responses API request (POST /v1/responses).

The top level is decoded in one pass; `input` items are kept as plain dicts and converted one by one
(request.py), because message items may omit their `type` tag and each error should name its item's
path (`input[2].content[0].image_url`). Fields not listed here are ignored, as in the other dialects.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec


class _Item(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    pass


class InputText(_Item, tag_field="type", tag="input_text"):
    text: str


class OutputTextIn(_Item, tag_field="type", tag="output_text"):
    text: str


class RefusalIn(_Item, tag_field="type", tag="refusal"):
    refusal: str


class InputImage(_Item, tag_field="type", tag="input_image"):
    image_url: str | None = None
    file_id: str | None = None
    detail: str | None = None


class InputFile(_Item, tag_field="type", tag="input_file"):
    file_id: str | None = None
    file_data: str | None = None
    file_url: str | None = None
    filename: str | None = None


InputPart = InputText | OutputTextIn | RefusalIn | InputImage | InputFile


class MessageItem(_Item):
    role: Literal["user", "assistant", "system", "developer"]
    content: str | list[InputPart]
    type: Literal["message"] = "message"
    id: str | None = None
    status: str | None = None


class FunctionCallIn(_Item):
    call_id: str
    name: str
    arguments: str
    type: Literal["function_call"] = "function_call"
    id: str | None = None
    status: str | None = None


class FunctionCallOutputIn(_Item):
    call_id: str
    output: str | list[InputText | InputImage | InputFile]
    type: Literal["function_call_output"] = "function_call_output"
    id: str | None = None
    status: str | None = None


class SummaryIn(_Item):
    text: str
    type: str = "summary_text"


class ReasoningIn(_Item):
    summary: list[SummaryIn] = []
    content: list[SummaryIn] | None = None
    encrypted_content: str | None = None
    type: Literal["reasoning"] = "reasoning"
    id: str | None = None
    status: str | None = None


class TextFormat(msgspec.Struct, kw_only=True, omit_defaults=True):
    type: Literal["text", "json_object", "json_schema"]
    name: str | None = None
    schema: dict[str, Any] | None = None
    description: str | None = None
    strict: bool | None = None


class TextConfig(msgspec.Struct, kw_only=True):
    format: TextFormat | None = None
    verbosity: Literal["low", "medium", "high"] | None = None


class ReasoningConfig(msgspec.Struct, kw_only=True):
    effort: Literal["none", "minimal", "low", "medium", "high", "xhigh"] | None = None
    summary: str | None = None
    generate_summary: str | None = None


class ResponsesRequest(msgspec.Struct, kw_only=True):
    model: str
    input: str | list[dict[str, Any]] = []
    instructions: str | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None
    parallel_tool_calls: bool | None = None
    text: TextConfig | None = None
    reasoning: ReasoningConfig | None = None
    metadata: dict[str, str] | None = None
    user: str | None = None
    safety_identifier: str | None = None
    prompt_cache_key: str | None = None
    stream: bool | None = None
    store: bool | None = None
    service_tier: str | None = None
    truncation: Literal["auto", "disabled"] | None = None
    include: list[str] | None = None
    # not servable statelessly: refused with a 400 that says so (request.py)
    previous_response_id: str | None = None
    conversation: Any = None
    background: bool | None = None
    prompt: dict[str, Any] | None = None
