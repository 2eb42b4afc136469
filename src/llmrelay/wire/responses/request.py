"""A Responses API request (bytes or dict) → the canonical ChatRequest.

- `instructions` → a leading system message; `input` as a string → one user message;
- message items: user/system/developer/assistant; parts input_text / output_text → text,
  refusal → the assistant's refusal, input_image → image_url (a URL or data: URL; file ids cannot be
  resolved here), input_file → a file part (file_id, file_data, file_url);
- function_call items → tool_calls of an assistant message (merged with the assistant message just
  before them, and with each other: one assistant turn may call several tools), function_call_output
  → a role "tool" message; reasoning items → the next assistant turn's reasoning (and, from
  `encrypted_content`, the signed thinking blocks the model needs back — see response.py);
- function tools → tools; built-in tools (web_search, file_search, ...) → 400 naming them;
- tool_choice none/auto/required/{"type":"function","name"} → tool_choice;
- text.format json_schema/json_object → response_format; reasoning.effort → reasoning_effort;
  text.verbosity → verbosity; max_output_tokens → max_tokens; user, safety_identifier,
  prompt_cache_key and service_tier as they are (each adapter maps or removes them).
`previous_response_id` needs the stored conversation it names (`history`, given by the gateway's
store: proxy/responses_store.py); without one it is refused with a 400, as are `conversation`,
`background` and `prompt`. Storing (`store`) is the caller's business, not this module's.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import msgspec

from llmrelay.types.chat import (
    ChatRequest,
    ContentPart,
    FilePart,
    FileRef,
    FunctionCall,
    FunctionDefinition,
    ImagePart,
    ImageURL,
    JsonSchemaFormat,
    Message,
    NamedToolChoice,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCall,
    ToolChoiceFunction,
)
from llmrelay.types.errors import BadRequestError
from llmrelay.wire.responses.schema import (
    FunctionCallIn,
    FunctionCallOutputIn,
    InputFile,
    InputImage,
    InputPart,
    InputText,
    MessageItem,
    OutputTextIn,
    ReasoningIn,
    RefusalIn,
    ResponsesRequest,
)

_request_decoder = msgspec.json.Decoder(ResponsesRequest)
_json_decode = msgspec.json.Decoder()
_PATH = re.compile(r"at `\$\.?([^`]*)`")
_ITEM_TYPES: dict[str, type[msgspec.Struct]] = {
    "message": MessageItem,
    "function_call": FunctionCallIn,
    "function_call_output": FunctionCallOutputIn,
    "reasoning": ReasoningIn,
}
_UNSTATEFUL = {
    "previous_response_id": "previous_response_id is not supported here: there is no response store "
    "to read it from; send the whole conversation in `input`",
    "conversation": "conversation is not supported: this gateway stores no conversations; "
    "send the whole conversation in `input`",
    "background": "background responses are not supported: call without `background`",
    "prompt": "stored prompts are not supported: send `instructions` and `input` instead",
}


def parse_responses_request(data: bytes | str | dict[str, Any]) -> ResponsesRequest:
    """Validate the top-level shape; a bad field raises BadRequestError naming its path."""
    try:
        if isinstance(data, dict):
            return msgspec.convert(data, ResponsesRequest)
        return _request_decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise _invalid(exc, "") from exc
    except msgspec.DecodeError as exc:
        raise BadRequestError(f"request body is not valid JSON: {exc}", code="invalid_json") from exc


def decode_request(data: bytes | str | dict[str, Any]) -> tuple[ResponsesRequest, ChatRequest]:
    """A /v1/responses body → (the parsed request, kept to echo its settings back; the ChatRequest)."""
    parsed = parse_responses_request(data)
    return parsed, to_chat_request(parsed)


def to_chat_request(req: ResponsesRequest, history: list[dict[str, Any]] | None = None) -> ChatRequest:
    """`history`: the stored conversation `previous_response_id` names (items.py), put before the
    request's input; without it, a `previous_response_id` is refused. The previous response's
    `instructions` are not in it: only this request's become the system message (OpenAI's rule)."""
    for name, message in _UNSTATEFUL.items():
        value = getattr(req, name)
        if name == "previous_response_id" and history is not None:
            continue
        if value is not None and value is not False:
            raise BadRequestError(message, param=name, code="unsupported_parameter")
    messages: list[Message] = []
    if req.instructions:
        messages.append(Message(role="system", content=req.instructions))
    if history:
        new = [{"role": "user", "content": req.input}] if isinstance(req.input, str) else req.input
        messages.extend(_Conversation().build([*history, *new], first=len(history)))
    elif isinstance(req.input, str):
        messages.append(Message(role="user", content=req.input))
    else:
        messages.extend(_Conversation().build(req.input))
    if not messages:
        raise BadRequestError("input: at least one input item is required", param="input")
    fmt = req.text.format if req.text else None
    return ChatRequest(
        model=req.model,
        messages=messages,
        temperature=req.temperature,
        top_p=req.top_p,
        max_tokens=req.max_output_tokens,
        stream=req.stream,
        tools=_tools(req.tools) if req.tools else None,
        tool_choice=_tool_choice(req.tool_choice),
        parallel_tool_calls=req.parallel_tool_calls,
        response_format=_response_format(fmt) if fmt is not None else None,
        reasoning_effort=req.reasoning.effort if req.reasoning else None,
        user=req.user,
        safety_identifier=req.safety_identifier,
        prompt_cache_key=req.prompt_cache_key,
        verbosity=req.text.verbosity if req.text else None,
        service_tier=req.service_tier,
    )


class _Conversation:
    """Input items → chat messages. Consecutive assistant output (text, function calls, reasoning)
    forms one assistant message, as a chat model produced it in one turn."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._assistant: Message | None = None  # the open assistant turn
        self._reasoning: list[str] = []
        self._thinking: list[dict[str, Any]] = []

    def build(self, items: list[dict[str, Any]], first: int = 0) -> list[Message]:
        """`first`: the index of the request's first input item (stored history comes before it)."""
        for i, raw in enumerate(items):
            at = f"input[{i - first}]" if i >= first else f"previous_response_id: item {i}"
            self._item(_convert_item(raw, at), at)
        self._close()
        return self.messages

    def _item(self, item: msgspec.Struct, at: str) -> None:
        if isinstance(item, MessageItem):
            if item.role == "assistant":
                self._assistant_message(item, at)
            else:
                self._close()
                self.messages.append(Message(role=item.role, content=_user_content(item.content, at)))
        elif isinstance(item, FunctionCallIn):
            turn = self._turn()
            call = ToolCall(id=item.call_id, function=FunctionCall(name=item.name, arguments=item.arguments))
            turn.tool_calls = [*(turn.tool_calls or ()), call]
        elif isinstance(item, FunctionCallOutputIn):
            self._close()
            content: str | list[ContentPart]
            if isinstance(item.output, str):
                content = item.output
            else:
                content = [_part(p, f"{at}.output[{j}]") for j, p in enumerate(item.output)]
            self.messages.append(Message(role="tool", tool_call_id=item.call_id, content=content))
        elif isinstance(item, ReasoningIn):
            if self._assistant is not None and (self._assistant.content or self._assistant.tool_calls):
                self._close()  # reasoning opens the next assistant turn
            texts = [s.text for s in (*item.summary, *(item.content or ()))]
            self._reasoning.extend(t for t in texts if t)
            if item.encrypted_content:
                self._thinking.extend(_thinking_blocks(item.encrypted_content, at))
            self._turn()

    def _assistant_message(self, item: MessageItem, at: str) -> None:
        turn = self._turn()
        if turn.tool_calls:
            # text after tool calls of the same turn: a new turn (chat order is text, then calls)
            self._close()
            turn = self._turn()
        if isinstance(item.content, str):
            text, refusal = item.content, None
        else:
            texts: list[str] = []
            refusals: list[str] = []
            for j, part in enumerate(item.content):
                if isinstance(part, InputText | OutputTextIn):
                    texts.append(part.text)
                elif isinstance(part, RefusalIn):
                    refusals.append(part.refusal)
                else:
                    where = f"{at}.content[{j}]"
                    raise BadRequestError(f"{where}: an assistant message holds only text", param=where)
            text, refusal = "".join(texts), "".join(refusals) or None
        turn.content = (turn.text() + text) if turn.content else text
        if refusal:
            turn.refusal = (turn.refusal or "") + refusal

    def _turn(self) -> Message:
        if self._assistant is None:
            self._assistant = Message(role="assistant")
        return self._assistant

    def _close(self) -> None:
        turn, self._assistant = self._assistant, None
        if turn is None:
            return
        if self._reasoning:
            turn.reasoning_content = "".join(self._reasoning)
        if self._thinking:
            turn.thinking_blocks = self._thinking
        self._reasoning, self._thinking = [], []
        if turn.content is None and not turn.tool_calls and turn.refusal is None:
            if turn.reasoning_content is None and turn.thinking_blocks is None:
                return
            turn.content = ""
        self.messages.append(turn)


def _convert_item(raw: Any, at: str) -> msgspec.Struct:
    if not isinstance(raw, dict):
        raise BadRequestError(f"{at}: an input item must be an object", param=at)
    kind = raw.get("type", "message")
    cls = _ITEM_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        hint = " (refer to a stored response with previous_response_id)" if kind == "item_reference" else ""
        raise BadRequestError(f"{at}.type: input items of type {kind!r} are not supported{hint}", param=at)
    try:
        return msgspec.convert(raw, cls)
    except msgspec.ValidationError as exc:
        raise _invalid(exc, at) from exc


def _user_content(content: str | list[InputPart], at: str) -> str | list[ContentPart]:
    if isinstance(content, str):
        return content
    return [_part(p, f"{at}.content[{j}]") for j, p in enumerate(content)]


def _part(part: InputPart, at: str) -> ContentPart:
    if isinstance(part, InputText | OutputTextIn):
        return TextPart(text=part.text)
    if isinstance(part, RefusalIn):
        return TextPart(text=part.refusal)
    if isinstance(part, InputImage):
        if not part.image_url:
            raise BadRequestError(
                f"{at}: images must be given by image_url (a URL or data: URL); file ids cannot be "
                "resolved by this gateway",
                param=f"{at}.image_url",
            )
        return ImagePart(image_url=ImageURL(url=part.image_url, detail=part.detail))
    if isinstance(part, InputFile):
        data = part.file_data or part.file_url
        if part.file_id is None and data is None:
            raise BadRequestError(f"{at}: one of file_id, file_data, file_url is required", param=at)
        return FilePart(file=FileRef(file_id=part.file_id, file_data=data, filename=part.filename))
    raise BadRequestError(f"{at}: unsupported content part", param=at)


def _thinking_blocks(encrypted: str, at: str) -> list[dict[str, Any]]:
    """What response.py put in encrypted_content: the thinking blocks, as base64 JSON. Anything
    else (OpenAI's own encrypted reasoning, sent to another model) cannot be used and is dropped."""
    try:
        blocks = _json_decode.decode(base64.b64decode(encrypted, validate=True))
    except (ValueError, msgspec.DecodeError):
        return []
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        return []
    return blocks


BUILT_IN_TOOLS = "web_search, file_search, code_interpreter, computer_use, image_generation, mcp, shell"


def _tools(tools: list[dict[str, Any]]) -> list[Tool]:
    built_in = [str(t.get("type")) for t in tools if t.get("type") != "function"]
    if built_in:
        raise BadRequestError(
            f"tools: built-in tools are not supported through this gateway ({', '.join(built_in)}); "
            "only function tools can be served over any model",
            param="tools",
            code="unsupported_tool",
        )
    out: list[Tool] = []
    for i, t in enumerate(tools):
        name = t.get("name")
        if not isinstance(name, str) or not name:
            raise BadRequestError(f"tools[{i}].name: field required", param=f"tools[{i}].name")
        params = t.get("parameters")
        if params is not None and not isinstance(params, dict):
            raise BadRequestError(f"tools[{i}].parameters: must be an object", param=f"tools[{i}].parameters")
        strict = t.get("strict")
        fn = FunctionDefinition(
            name=name,
            description=t.get("description"),
            parameters=params,
            strict=strict if isinstance(strict, bool) else None,
        )
        out.append(Tool(function=fn))
    return out


def _tool_choice(choice: str | dict[str, Any] | None) -> Any:
    if choice is None:
        return None
    if isinstance(choice, str):
        if choice not in ("none", "auto", "required"):
            raise BadRequestError(
                f"tool_choice: {choice!r} is not one of 'none', 'auto', 'required'", param="tool_choice"
            )
        return choice
    if choice.get("type") == "function" and isinstance(choice.get("name"), str):
        return NamedToolChoice(function=ToolChoiceFunction(name=choice["name"]))
    raise BadRequestError(
        f"tool_choice: {choice.get('type')!r} cannot be served through this gateway; use 'none', "
        "'auto', 'required' or {'type': 'function', 'name': ...}",
        param="tool_choice",
    )


def _response_format(fmt: Any) -> ResponseFormat | None:
    if fmt.type == "text":
        return None
    if fmt.type == "json_object":
        return ResponseFormat(type="json_object")
    if not fmt.name:
        raise BadRequestError("text.format.name: required for json_schema", param="text.format.name")
    schema = JsonSchemaFormat(
        name=fmt.name, schema=fmt.schema, description=fmt.description, strict=fmt.strict
    )
    return ResponseFormat(type="json_schema", json_schema=schema)


def _invalid(exc: msgspec.ValidationError, at: str) -> BadRequestError:
    match = _PATH.search(str(exc))
    inner = match.group(1) if match else ""
    path = ".".join(p for p in (at, inner) if p).replace(".[", "[") or None
    where = f"{at}: " if at else ""
    return BadRequestError(f"invalid request: {where}{exc}", param=path)
