"""OpenAI-shaped chat messages → Converse `system` blocks and `messages`.

System and developer messages become `system` text blocks. User and assistant turns become messages
of content blocks keyed by shape (`text`, `image`, `document`, `toolUse`, `toolResult`,
`reasoningContent`); tool results go back in a `user` turn as `toolResult` blocks. Consecutive turns of
one role are merged, because Converse wants the conversation to alternate. Images and documents must be
inline bytes (a base64 `data:` URL) or an `s3://` location: Bedrock fetches no http(s) URLs.
A `cache_control` marker (Anthropic style) adds a `cachePoint` block after the content it marks.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import msgspec

from llmrelay.types.chat import AudioPart, ContentPart, FilePart, ImagePart, Message, TextPart
from llmrelay.types.errors import BadRequestError

Block = dict[str, Any]
PROVIDER = "bedrock"
CACHE_POINT: Block = {"cachePoint": {"type": "default"}}
_IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif",
                  "image/webp": "webp"}  # fmt: skip
_DOCUMENT_FORMATS = {
    "application/pdf": "pdf", "text/csv": "csv", "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/html": "html", "text/plain": "txt", "text/markdown": "md",
}  # fmt: skip
_json_decoder = msgspec.json.Decoder()


def _error(message: str) -> BadRequestError:
    return BadRequestError(message, provider=PROVIDER, param="messages")


def build_messages(messages: list[Message]) -> tuple[list[Block], list[Block]]:
    """(system blocks, conversation messages)."""
    system: list[Block] = []
    out: list[Block] = []
    for message in messages:
        if message.role in ("system", "developer"):
            system.extend(_system_blocks(message))
            continue
        if message.role == "assistant":
            role, blocks = "assistant", _assistant_blocks(message)
        elif message.role == "user":
            role, blocks = "user", _content_blocks(message.content, message.cache_control)
        else:
            role, blocks = "user", [_tool_result(message)]
        if not blocks:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    return system, out


def _system_blocks(message: Message) -> list[Block]:
    content = message.content
    if isinstance(content, list):
        blocks: list[Block] = []
        for part in content:
            if not isinstance(part, TextPart):
                raise _error(
                    "Bedrock's system prompt takes text only; move images and files to a user message"
                )
            if part.text:
                blocks.append({"text": part.text})
            if part.cache_control:
                blocks.append(dict(CACHE_POINT))
    else:
        blocks = [{"text": content}] if content else []
    if blocks and message.cache_control:
        blocks.append(dict(CACHE_POINT))
    return blocks


def _content_blocks(content: str | list[ContentPart] | None, cache_control: Any = None) -> list[Block]:
    if content is None:
        blocks: list[Block] = []
    elif isinstance(content, str):
        # Converse rejects blank text blocks
        blocks = [{"text": content}] if content.strip() else []
    else:
        blocks = []
        for part in content:
            block = _part(part)
            if block is not None:
                blocks.append(block)
            if getattr(part, "cache_control", None):
                blocks.append(dict(CACHE_POINT))
    if blocks and cache_control and "cachePoint" not in blocks[-1]:
        blocks.append(dict(CACHE_POINT))
    return blocks


def _part(part: ContentPart) -> Block | None:
    if isinstance(part, TextPart):
        return {"text": part.text} if part.text.strip() else None
    if isinstance(part, ImagePart):
        return {"image": _image(part.image_url.url, part.image_url.format)}
    if isinstance(part, FilePart):
        return {"document": _document(part)}
    if isinstance(part, AudioPart):
        raise _error("Bedrock's Converse API takes no input_audio parts")
    raise _error(f"unsupported content part {type(part).__name__}")


def _image(url: str, fmt: str | None) -> Block:
    if url.startswith("s3://"):
        return {"format": _image_format(fmt or _extension(url)), "source": {"s3Location": {"uri": url}}}
    if not url.startswith("data:"):
        raise _error(
            "Bedrock takes images as inline bytes or an s3:// location: send a base64 data URL "
            "(data:image/png;base64,...) instead of an http(s) URL"
        )
    mime, data = _split_data_url(url)
    return {"format": _image_format(fmt or mime), "source": {"bytes": data}}


def _image_format(kind: str) -> str:
    kind = kind.lower()
    found = _IMAGE_FORMATS.get(kind) or _IMAGE_FORMATS.get(f"image/{kind}")
    if found is None:
        raise _error(f"Bedrock takes png, jpeg, gif or webp images, not {kind!r}")
    return found


def _document(part: FilePart) -> Block:
    ref = part.file
    name = _document_name(ref.filename or "document")
    if ref.file_data:
        mime, data = _split_data_url(ref.file_data)
        fmt = _DOCUMENT_FORMATS.get((ref.format or mime).lower()) or (ref.format or "").lower()
        if fmt not in _DOCUMENT_FORMATS.values():
            raise _error(f"Bedrock takes documents of type {', '.join(sorted(_DOCUMENT_FORMATS.values()))}")
        return {"format": fmt, "name": name, "source": {"bytes": data}}
    if ref.file_id and ref.file_id.startswith("s3://"):
        fmt = (ref.format or _extension(ref.file_id)).lower()
        fmt = _DOCUMENT_FORMATS.get(fmt, fmt)
        return {"format": fmt, "name": name, "source": {"s3Location": {"uri": ref.file_id}}}
    raise _error("Bedrock takes files as a base64 data URL (file_data) or an s3:// file_id")


def _document_name(filename: str) -> str:
    # Converse allows letters, digits, single spaces, hyphens, parentheses and brackets in a name
    stem = filename.rsplit(".", 1)[0]
    cleaned = "".join(c if c.isalnum() or c in " -()[]" else "-" for c in stem)
    return " ".join(cleaned.split()) or "document"


def _extension(url: str) -> str:
    return url.rsplit(".", 1)[-1] if "." in url.rsplit("/", 1)[-1] else ""


def _split_data_url(url: str) -> tuple[str, str]:
    """`data:<media type>;base64,<data>` → (media type, base64 data), the data checked."""
    header, sep, data = url.partition(",")
    if not sep or not header.startswith("data:") or not header.endswith(";base64"):
        raise _error("expected a base64 data URL (data:<type>;base64,...)")
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _error(f"the data URL's payload is not valid base64: {exc}") from exc
    return header[5 : -len(";base64")], data


def _assistant_blocks(message: Message) -> list[Block]:
    # reasoning first: a replayed thinking turn must start with its (signed) reasoning blocks
    blocks = _reasoning_blocks(message)
    blocks.extend(_content_blocks(message.content, message.cache_control))
    for call in message.tool_calls or ():
        blocks.append(
            {
                "toolUse": {
                    "toolUseId": call.id,
                    "name": call.function.name,
                    "input": _arguments(call.function.arguments),
                }
            }
        )
    return blocks


def _reasoning_blocks(message: Message) -> list[Block]:
    blocks: list[Block] = []
    for block in message.thinking_blocks or ():
        if block.get("type") == "thinking" and block.get("thinking"):
            text: Block = {"text": block["thinking"]}
            if block.get("signature"):
                text["signature"] = block["signature"]
            blocks.append({"reasoningContent": {"reasoningText": text}})
        elif block.get("type") == "redacted_thinking" and block.get("data"):
            blocks.append({"reasoningContent": {"redactedContent": block["data"]}})
    return blocks


def _arguments(raw: str) -> Any:
    if not raw.strip():
        return {}
    try:
        value = _json_decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise _error(f"tool call arguments are not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise _error("tool call arguments must be a JSON object for Bedrock")
    return value


def _tool_result(message: Message) -> Block:
    call_id = message.tool_call_id or (message.name if message.role == "function" else None)
    if not call_id:
        raise _error("a tool message needs the tool_call_id of the call it answers")
    content: list[Block]
    if isinstance(message.content, list):
        content = []
        for part in message.content:
            if isinstance(part, TextPart):
                content.append({"text": part.text})
            elif isinstance(part, ImagePart):
                content.append({"image": _image(part.image_url.url, part.image_url.format)})
            else:
                raise _error("a Bedrock tool result takes text and images only")
    else:
        content = [{"text": message.content or ""}]
    return {"toolResult": {"toolUseId": call_id, "content": content or [{"text": ""}]}}
