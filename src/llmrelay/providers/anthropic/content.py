"""Canonical content parts → Anthropic content blocks (text, image, document), in the request
shapes of llmrelay.wire.anthropic.schema.

Images: a `data:` URL becomes a base64 source, an http(s) URL a url source. Files: `file_id` becomes a
file source (Files API; needs its beta header), a `data:` URL a base64 source (PDF) or a text source
(text/plain), an http(s) URL a url source.
"""

from __future__ import annotations

import base64
import binascii

from llmrelay.types.chat import AudioPart, ContentPart, FilePart, ImagePart, TextPart
from llmrelay.types.errors import BadRequestError, UnsupportedParamsError
from llmrelay.wire.anthropic.schema import (
    Base64Source,
    DocumentBlock,
    FileSource,
    ImageBlock,
    PlainTextSource,
    TextBlock,
    UrlSource,
)

# the blocks a content part becomes (a user turn's content, a tool result's)
PartBlock = TextBlock | ImageBlock | DocumentBlock


def split_data_url(url: str, where: str) -> tuple[str, str]:
    """`data:<media type>;base64,<data>` → (media type, base64 data)."""
    header, sep, data = url.partition(",")
    if not sep or not header.startswith("data:") or not header.endswith(";base64"):
        raise BadRequestError(f"{where}: expected a base64 data URL (data:<type>;base64,...)", param=where)
    return header[5 : -len(";base64")], data


def is_http_url(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def image_block(part: ImagePart, where: str) -> ImageBlock:
    url = part.image_url.url
    source: Base64Source | UrlSource
    if url.startswith("data:"):
        media_type, data = split_data_url(url, where)
        source = Base64Source(media_type=media_type, data=data)
    elif is_http_url(url):
        source = UrlSource(url=url)
    else:
        raise BadRequestError(f"{where}: image_url must be a data: URL or an http(s) URL", param=where)
    return ImageBlock(source=source, cache_control=part.cache_control)


def document_block(part: FilePart, where: str) -> DocumentBlock:
    ref = part.file
    source: Base64Source | UrlSource | PlainTextSource | FileSource
    if ref.file_id:
        source = FileSource(file_id=ref.file_id)
    elif ref.file_data and is_http_url(ref.file_data):
        source = UrlSource(url=ref.file_data)
    elif ref.file_data:
        media_type, data = split_data_url(ref.file_data, where)
        if media_type == "text/plain":
            source = PlainTextSource(data=_decode_text(data, where))
        else:
            source = Base64Source(media_type=media_type, data=data)
    else:
        raise BadRequestError(f"{where}: a file part needs file_id or file_data", param=where)
    return DocumentBlock(source=source, title=ref.filename or None, cache_control=part.cache_control)


def _decode_text(data: str, where: str) -> str:
    try:
        return base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequestError(f"{where}: text/plain file_data is not base64 UTF-8 text", param=where) from exc


def part_block(part: ContentPart, where: str) -> PartBlock:
    if isinstance(part, TextPart):
        return TextBlock(text=part.text, cache_control=part.cache_control)
    if isinstance(part, ImagePart):
        return image_block(part, where)
    if isinstance(part, FilePart):
        return document_block(part, where)
    if isinstance(part, AudioPart):
        raise UnsupportedParamsError(
            f"{where}: Anthropic does not accept audio input", provider="anthropic", param=where
        )
    raise BadRequestError(f"{where}: unsupported content part", param=where)  # pragma: no cover


def content_blocks(content: str | list[ContentPart] | None, where: str) -> list[PartBlock]:
    """A message's content as blocks; empty text is dropped (Anthropic rejects empty text blocks)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [TextBlock(text=content)] if content else []
    blocks = [part_block(p, f"{where}[{i}]") for i, p in enumerate(content)]
    return [b for b in blocks if not (isinstance(b, TextBlock) and not b.text and b.cache_control is None)]
