"""OpenAI-shaped chat messages → Gemini `systemInstruction` and `contents`.

System and developer messages become `systemInstruction` (text only, as the reference asks). User
and assistant turns become contents with roles `user` / `model`; tool results become
`functionResponse` parts in a `user` turn. Consecutive turns of one role are merged, since Gemini
expects the conversation to alternate.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

import msgspec

from llmrelay.providers.gemini.tool_ids import split_tool_call_id
from llmrelay.types.chat import AudioPart, ContentPart, FilePart, ImagePart, Message, TextPart
from llmrelay.types.errors import BadRequestError

# extension → MIME type for media referenced by URL (Gemini needs a mimeType on fileData);
# a fixed table rather than `mimetypes`, whose answers depend on the host's configuration
_MIME_BY_EXTENSION = {
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
    "webp": "image/webp", "heic": "image/heic", "heif": "image/heif", "pdf": "application/pdf",
    "txt": "text/plain", "md": "text/md", "html": "text/html", "csv": "text/csv", "xml": "text/xml",
    "mp3": "audio/mp3", "wav": "audio/wav", "ogg": "audio/ogg", "flac": "audio/flac",
    "aac": "audio/aac", "aiff": "audio/aiff", "m4a": "audio/m4a", "mp4": "video/mp4",
    "mpeg": "video/mpeg", "mov": "video/mov", "avi": "video/avi", "webm": "video/webm",
    "wmv": "video/wmv", "flv": "video/x-flv", "3gp": "video/3gpp",
}  # fmt: skip
_DEFAULT_IMAGE_MIME = "image/jpeg"
_YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"})

_json_decoder = msgspec.json.Decoder()


def build_contents(messages: list[Message]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(systemInstruction or None, contents)."""
    system_parts: list[dict[str, Any]] = []
    contents: list[dict[str, Any]] = []
    # tool-call id → function name, from the assistant turns seen so far (a tool message names only
    # the id; Gemini's functionResponse needs the name). Later turns may reuse an id: the latest wins.
    call_names: dict[str, str] = {}
    for message in messages:
        if message.role in ("system", "developer"):
            system_parts.extend(_system_parts(message))
            continue
        if message.role == "assistant":
            role, parts = "model", _assistant_parts(message, call_names)
        elif message.role == "user":
            role, parts = "user", _content_parts(message.content)
        else:
            role, parts = "user", [_function_response(message, call_names)]
        if not parts:
            continue
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    system = {"parts": system_parts} if system_parts else None
    return system, contents


def _system_parts(message: Message) -> list[dict[str, Any]]:
    if isinstance(message.content, list) and any(not isinstance(p, TextPart) for p in message.content):
        raise BadRequestError(
            "Gemini's systemInstruction takes text only; move images and files to a user message",
            provider="gemini",
            param="messages",
        )
    text = message.text()
    return [{"text": text}] if text else []


def _assistant_parts(message: Message, call_names: dict[str, str]) -> list[dict[str, Any]]:
    parts = _content_parts(message.content)
    for call in message.tool_calls or ():
        call_names[call.id] = call.function.name
        part: dict[str, Any] = {
            "functionCall": {"name": call.function.name, "args": _arguments(call.function.arguments)}
        }
        _, signature = split_tool_call_id(call.id)
        if signature:
            part["thoughtSignature"] = signature
        parts.append(part)
    return parts


def _arguments(raw: str) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        value = _json_decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise BadRequestError(
            f"tool call arguments are not valid JSON: {exc}", provider="gemini", param="messages"
        ) from exc
    if not isinstance(value, dict):
        raise BadRequestError(
            "tool call arguments must be a JSON object for Gemini", provider="gemini", param="messages"
        )
    return value


def _function_response(message: Message, call_names: dict[str, str]) -> dict[str, Any]:
    if message.role == "function":
        name = message.name
    else:
        call_id = message.tool_call_id or ""
        name = call_names.get(call_id) or message.name
    if not name:
        raise BadRequestError(
            f"tool message refers to unknown tool_call_id {message.tool_call_id!r}: Gemini needs the "
            "function's name, taken from the assistant message that made the call",
            provider="gemini",
            param="messages",
        )
    return {"functionResponse": {"name": name, "response": _response_object(message.text())}}


def _response_object(text: str) -> dict[str, Any]:
    """Gemini's functionResponse.response must be a JSON object: a JSON object result is sent as
    it is; anything else is wrapped as {"output": value}, the key the reference suggests."""
    try:
        value = _json_decoder.decode(text) if text.strip() else text
    except msgspec.DecodeError:
        value = text
    if isinstance(value, dict):
        return value
    return {"output": value}


def _content_parts(content: str | list[ContentPart] | None) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        # Gemini rejects empty text parts
        return [{"text": content}] if content else []
    parts: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, TextPart):
            if part.text:
                parts.append({"text": part.text})
        elif isinstance(part, ImagePart):
            parts.append(_media_part(part.image_url.url, part.image_url.format, _DEFAULT_IMAGE_MIME))
        elif isinstance(part, AudioPart):
            fmt = part.input_audio.format.lower()
            parts.append({"inlineData": {"mimeType": f"audio/{fmt}", "data": part.input_audio.data}})
        else:
            parts.append(_file_part(part))
    return parts


def _file_part(part: FilePart) -> dict[str, Any]:
    ref = part.file
    if ref.file_data:
        if ref.file_data.startswith("data:"):
            return _media_part(ref.file_data, ref.format, None)
        if not ref.format:
            raise BadRequestError(
                "file.file_data without a data: URL needs file.format (its MIME type)",
                provider="gemini",
                param="messages",
            )
        return {"inlineData": {"mimeType": ref.format, "data": ref.file_data}}
    if ref.file_id and ref.file_id.startswith(("https://", "http://", "gs://")):
        return _media_part(ref.file_id, ref.format, None)
    raise BadRequestError(
        "Gemini takes files as data: URLs (file.file_data) or as URLs/Gemini file URIs (file.file_id)",
        provider="gemini",
        param="messages",
    )


def _media_part(url: str, mime_hint: str | None, default_mime: str | None) -> dict[str, Any]:
    if url.startswith("data:"):
        mime, data = _split_data_url(url)
        return {"inlineData": {"mimeType": mime_hint or mime, "data": data}}
    parsed = urlsplit(url)
    if parsed.hostname in _YOUTUBE_HOSTS:
        return {"fileData": {"fileUri": url}}
    guessed = mime_hint or _guess_mime(parsed.path) or default_mime
    if guessed is None:
        raise BadRequestError(
            f"cannot tell the MIME type of {parsed.scheme}://{parsed.hostname}{parsed.path}: "
            "set file.format (e.g. application/pdf)",
            provider="gemini",
            param="messages",
        )
    return {"fileData": {"mimeType": guessed, "fileUri": url}}


def _split_data_url(url: str) -> tuple[str, str]:
    header, comma, payload = url[len("data:") :].partition(",")
    if not comma:
        raise BadRequestError("malformed data: URL (no comma)", provider="gemini", param="messages")
    fields = header.split(";")
    mime = fields[0] or "text/plain"
    if "base64" in fields[1:]:
        return mime, payload
    # a percent-encoded data URL: Gemini's inlineData wants base64
    return mime, base64.b64encode(unquote_to_bytes(payload)).decode("ascii")


def _guess_mime(path: str) -> str | None:
    _, dot, ext = path.rpartition(".")
    return _MIME_BY_EXTENSION.get(ext.lower()) if dot else None
