"""An Anthropic Messages request (bytes or dict) → the canonical ChatRequest.

- `system` → one system message (text parts when given as blocks, keeping cache_control);
- a user turn's tool_result blocks → role "tool" messages, placed before the turn's other content
  (OpenAI wants tool results right after the assistant turn; Anthropic puts them first anyway);
- assistant tool_use → tool_calls (input JSON-encoded), thinking/redacted_thinking → thinking_blocks;
- images: base64 → data: URL, url → URL; documents → file parts (base64 → data: URL, text →
  text/plain data: URL, url → file_data URL, file → file_id);
- server tools (a versioned `type`: web_search_..., code_execution_...) → server_tools, as written:
  the Anthropic adapter sends them, other providers refuse them (UnsupportedParamsError);
- tool_choice any → "required", tool → named, disable_parallel_tool_use → parallel_tool_calls=False;
- stop_sequences → stop, metadata.user_id → user, thinking passed through.
Not representable, so dropped: tool_result `is_error`, document `context`/`citations`.
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
    Message,
    NamedToolChoice,
    TextPart,
    Tool,
    ToolCall,
    ToolChoiceFunction,
)
from llmrelay.types.errors import BadRequestError
from llmrelay.wire.anthropic.schema import (
    Base64Source,
    Block,
    DocumentBlock,
    FileSource,
    ImageBlock,
    InMessage,
    InTool,
    InToolChoice,
    MessagesRequest,
    PlainTextSource,
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    UrlSource,
)

_request_decoder = msgspec.json.Decoder(MessagesRequest)
_json_encode = msgspec.json.Encoder()
_PATH = re.compile(r"at `\$\.?([^`]*)`")


def parse_messages_request(data: bytes | str | dict[str, Any]) -> MessagesRequest:
    """Validate the shape; a bad field raises BadRequestError naming its path."""
    try:
        if isinstance(data, dict):
            return msgspec.convert(data, MessagesRequest)
        return _request_decoder.decode(data)
    except msgspec.ValidationError as exc:
        match = _PATH.search(str(exc))
        raise BadRequestError(f"invalid request: {exc}", param=match.group(1) if match else None) from exc
    except msgspec.DecodeError as exc:
        raise BadRequestError(f"request body is not valid JSON: {exc}") from exc


def decode_request(data: bytes | str | dict[str, Any]) -> ChatRequest:
    """A /v1/messages request → ChatRequest."""
    parsed = parse_messages_request(data)
    if parsed.max_tokens is None:
        raise BadRequestError("max_tokens: field required", param="max_tokens")
    return to_chat_request(parsed)


def to_chat_request(req: MessagesRequest) -> ChatRequest:
    messages: list[Message] = []
    if req.system is not None:
        messages.append(_system_message(req.system))
    for i, m in enumerate(req.messages):
        messages.extend(_messages(m, f"messages[{i}]"))
    tool_choice, parallel = _tool_choice(req.tool_choice)
    return ChatRequest(
        model=req.model,
        messages=messages,
        max_tokens=req.max_tokens,
        temperature=req.temperature,
        top_p=req.top_p,
        top_k=req.top_k,
        stop=req.stop_sequences,
        stream=req.stream,
        tools=[_tool(t, i) for i, t in enumerate(req.tools or ()) if not is_server_tool(t)] or None,
        server_tools=[t for t in req.tools or () if is_server_tool(t)] or None,
        tool_choice=tool_choice,
        parallel_tool_calls=parallel,
        thinking=req.thinking,
        user=req.metadata.user_id if req.metadata else None,
    )


def _system_message(system: str | list[TextBlock]) -> Message:
    if isinstance(system, str):
        return Message(role="system", content=system)
    return Message(
        role="system", content=[TextPart(text=b.text, cache_control=b.cache_control) for b in system]
    )


def _messages(m: InMessage, where: str) -> list[Message]:
    if isinstance(m.content, str):
        return [Message(role=m.role, content=m.content)]
    if m.role == "assistant":
        return [_assistant(m.content, where)]
    tool_messages: list[Message] = []
    parts: list[ContentPart] = []
    for j, block in enumerate(m.content):
        at = f"{where}.content[{j}]"
        if isinstance(block, ToolResultBlock):
            tool_messages.append(_tool_result(block, at))
        elif isinstance(block, TextBlock | ImageBlock | DocumentBlock):
            parts.append(_part(block, at))
        else:
            raise BadRequestError(f"{at}: a {_tag(block)!r} block cannot be in a user turn", param=at)
    if parts:
        tool_messages.append(Message(role="user", content=parts))
    return tool_messages


def _assistant(blocks: list[Block], where: str) -> Message:
    texts: list[TextPart] = []
    calls: list[ToolCall] = []
    thinking: list[dict[str, Any]] = []
    reasoning: list[str] = []
    cache_control = None
    for j, block in enumerate(blocks):
        at = f"{where}.content[{j}]"
        if isinstance(block, TextBlock):
            texts.append(TextPart(text=block.text, cache_control=block.cache_control))
        elif isinstance(block, ToolUseBlock):
            arguments = _json_encode.encode(block.input if block.input is not None else {}).decode()
            calls.append(ToolCall(id=block.id, function=FunctionCall(name=block.name, arguments=arguments)))
            cache_control = block.cache_control
        elif isinstance(block, ThinkingBlock):
            thinking.append({"type": "thinking", "thinking": block.thinking, "signature": block.signature})
            reasoning.append(block.thinking)
        elif isinstance(block, RedactedThinkingBlock):
            thinking.append({"type": "redacted_thinking", "data": block.data})
        else:
            raise BadRequestError(f"{at}: a {_tag(block)!r} block cannot be in an assistant turn", param=at)
    content: str | list[ContentPart] | None
    if any(t.cache_control is not None for t in texts):
        content = list(texts)
    else:
        content = "".join(t.text for t in texts) if texts else None
    return Message(
        role="assistant",
        content=content,
        tool_calls=calls or None,
        thinking_blocks=thinking or None,
        reasoning_content="".join(reasoning) or None,
        cache_control=cache_control,
    )


def _tag(block: msgspec.Struct) -> str:
    return str(block.__struct_config__.tag)


def _tool_result(block: ToolResultBlock, where: str) -> Message:
    content: str | list[ContentPart]
    if block.content is None:
        content = ""
    elif isinstance(block.content, str):
        content = block.content
    else:
        content = [_part(b, f"{where}.content[{k}]") for k, b in enumerate(block.content)]
    return Message(
        role="tool", tool_call_id=block.tool_use_id, content=content, cache_control=block.cache_control
    )


def _part(block: TextBlock | ImageBlock | DocumentBlock, where: str) -> ContentPart:
    if isinstance(block, TextBlock):
        return TextPart(text=block.text, cache_control=block.cache_control)
    if isinstance(block, ImageBlock):
        src = block.source
        if isinstance(src, FileSource):
            raise BadRequestError(
                f"{where}.source: image file sources are not supported", param=f"{where}.source"
            )
        url = src.url if isinstance(src, UrlSource) else f"data:{src.media_type};base64,{src.data}"
        return ImagePart(image_url=ImageURL(url=url), cache_control=block.cache_control)
    return FilePart(file=_file_ref(block), cache_control=block.cache_control)


def _file_ref(block: DocumentBlock) -> FileRef:
    src = block.source
    if isinstance(src, FileSource):
        return FileRef(file_id=src.file_id, filename=block.title)
    if isinstance(src, UrlSource):
        data = src.url
    elif isinstance(src, Base64Source):
        data = f"data:{src.media_type};base64,{src.data}"
    elif isinstance(src, PlainTextSource):
        data = f"data:text/plain;base64,{base64.b64encode(src.data.encode()).decode()}"
    return FileRef(file_data=data, filename=block.title)


def is_server_tool(tool: dict[str, Any]) -> bool:
    """A tool Anthropic runs (its `type` is versioned: web_search_20250305, bash_20250124...), as
    opposed to a client tool (`type` "custom" or absent)."""
    return tool.get("type") not in (None, "custom")


def _tool(raw: dict[str, Any], i: int) -> Tool:
    try:
        t = msgspec.convert(raw, InTool)
    except msgspec.ValidationError as exc:
        match = _PATH.search(str(exc))
        where = f"tools[{i}]" + (f".{match.group(1)}" if match and match.group(1) else "")
        raise BadRequestError(f"invalid request: {exc}", param=where) from exc
    if t.input_schema is None:
        raise BadRequestError(f"tools[{i}].input_schema: field required", param=f"tools[{i}].input_schema")
    fn = FunctionDefinition(name=t.name, description=t.description, parameters=t.input_schema)
    return Tool(function=fn, cache_control=t.cache_control)


def _tool_choice(choice: InToolChoice | None) -> tuple[Any, bool | None]:
    if choice is None:
        return None, None
    parallel = False if choice.disable_parallel_tool_use else None
    if choice.type == "tool":
        if not choice.name:
            raise BadRequestError("tool_choice.name: required when type is 'tool'", param="tool_choice.name")
        return NamedToolChoice(function=ToolChoiceFunction(name=choice.name)), parallel
    return {"auto": "auto", "any": "required", "none": "none"}[choice.type], parallel
