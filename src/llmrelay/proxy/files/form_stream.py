"""A multipart/form-data body read as it arrives (RFC 7578), for uploads too large to hold: the text
fields before the file part are read whole (each bounded), then the file's bytes are handed on piece
by piece, never more than one piece and a boundary's length held.

The fields must come before the file, as the OpenAI SDKs, curl's `-F purpose=... -F file=@...` and
httpx send them: a field after the file would be read after the upload began, so it is refused
rather than ignored."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from llmrelay.types.errors import BadRequestError

MAX_FIELDS = 16
MAX_FIELD_BYTES = 16 * 1024
MAX_HEADER_BYTES = 4096
_BOUNDARY = re.compile(r'boundary=(?:"([^"]{1,70})"|([^\s;,"]{1,70}))', re.IGNORECASE)
_PARAM = re.compile(r';\s*([a-zA-Z*]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')


@dataclass(frozen=True, slots=True)
class FilePart:
    field: str
    filename: str
    content_type: str


class FormStream:
    def __init__(self, chunks: AsyncIterator[bytes], content_type: str | None) -> None:
        self._chunks = aiter(chunks)
        self._delimiter = b"\r\n--" + _boundary(content_type)
        # a CRLF in front, so the first boundary reads like every other one
        self._buf = b"\r\n"
        self._ended = False

    async def head(self) -> tuple[dict[str, str], FilePart]:
        """The text fields before the file part, and the file part's description."""
        await self._through_delimiter(limit=MAX_FIELD_BYTES)  # the preamble, if any
        fields: dict[str, str] = {}
        while True:
            if not await self._next_part():
                raise _malformed("the form has no file part", "file")
            name, filename, part_type = await self._part_headers()
            if filename is not None:
                return fields, FilePart(name, filename or name, part_type or "application/octet-stream")
            if len(fields) >= MAX_FIELDS:
                raise _malformed(f"more than {MAX_FIELDS} fields before the file", None)
            value = await self._through_delimiter(limit=MAX_FIELD_BYTES)
            try:
                fields[name] = value.decode("utf-8")
            except UnicodeDecodeError:
                raise BadRequestError(f"the form field `{name}` is not UTF-8 text", param=name) from None

    async def file(self) -> AsyncIterator[bytes]:
        """The file part's bytes as they arrive; then the end of the form is read (a part after the
        file is refused)."""
        keep = len(self._delimiter) - 1
        while True:
            at = self._buf.find(self._delimiter)
            if at >= 0:
                if at:
                    yield self._buf[:at]
                self._buf = self._buf[at + len(self._delimiter) :]
                break
            if len(self._buf) > keep:
                out, self._buf = self._buf[:-keep], self._buf[-keep:]
                yield out
            await self._fill()
        if await self._next_part():
            name, _, _ = await self._part_headers()
            raise BadRequestError(
                f"the form field `{name}` comes after the file: send every field (purpose...) before it",
                param=name,
            )

    async def _fill(self) -> None:
        if self._ended:
            raise _malformed("the body ends before the closing boundary", None)
        while True:
            try:
                chunk = await anext(self._chunks)
            except StopAsyncIteration:
                self._ended = True
                raise _malformed("the body ends before the closing boundary", None) from None
            if chunk:
                self._buf += chunk
                return

    async def _through_delimiter(self, *, limit: int) -> bytes:
        """What comes before the next delimiter (at most `limit` bytes); the delimiter is consumed."""
        while True:
            at = self._buf.find(self._delimiter)
            if at > limit or (at < 0 and len(self._buf) > limit + len(self._delimiter)):
                raise _malformed(f"a form field is longer than {limit} bytes", None)
            if at >= 0:
                out = self._buf[:at]
                self._buf = self._buf[at + len(self._delimiter) :]
                return out
            await self._fill()

    async def _next_part(self) -> bool:
        """After a delimiter: True when a part follows, False at the closing `--`."""
        while len(self._buf) < 2:
            await self._fill()
        if self._buf.startswith(b"--"):
            return False
        if not self._buf.startswith(b"\r\n"):
            raise _malformed("a boundary is not followed by a line break", None)
        self._buf = self._buf[2:]
        return True

    async def _part_headers(self) -> tuple[str, str | None, str | None]:
        while (end := self._buf.find(b"\r\n\r\n")) < 0:
            if len(self._buf) > MAX_HEADER_BYTES:
                raise _malformed("a part's headers do not end", None)
            await self._fill()
        if end > MAX_HEADER_BYTES:
            raise _malformed("a part's headers do not end", None)
        head, self._buf = self._buf[:end], self._buf[end + 4 :]
        disposition = part_type = None
        for line in head.decode("utf-8", errors="replace").split("\r\n"):
            key, sep, value = line.partition(":")
            if not sep:
                raise _malformed("a part's header line has no colon", None)
            key = key.strip().lower()
            if key == "content-disposition":
                disposition = value.strip()
            elif key == "content-type":
                part_type = value.strip()
        if disposition is None or not disposition.lower().startswith("form-data"):
            raise _malformed("a part is not form-data", None)
        params = {k.lower(): quoted or plain for k, quoted, plain in _PARAM.findall(disposition)}
        name = params.get("name")
        if not name:
            raise _malformed("a part has no name", None)
        return name, params.get("filename"), part_type


def _boundary(content_type: str | None) -> bytes:
    if content_type is None or content_type.split(";", 1)[0].strip().lower() != "multipart/form-data":
        raise BadRequestError("the body must be multipart/form-data", code="invalid_content_type")
    match = _BOUNDARY.search(content_type)
    if match is None:
        raise _malformed("the content type names no boundary", None)
    return (match.group(1) or match.group(2)).encode("latin-1")


def _malformed(what: str, param: str | None) -> BadRequestError:
    return BadRequestError(f"malformed multipart/form-data body: {what}", param=param)
