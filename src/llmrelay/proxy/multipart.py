"""multipart/form-data request bodies (RFC 7578) → canonical requests, for the routes that take a file
(image variations, audio transcriptions). The body is read whole first, under the gateway's body
size cap; every failure is a 400 that says what is wrong.

Text fields are read as the request type's fields (`n=2` becomes an int, as the OpenAI API reads
form fields); fields the type does not know are passed to the provider (`extra_body`), as in JSON
bodies; a file part becomes a `FileUpload`; `name[]` parts (and a repeated name) become a list."""

from __future__ import annotations

import re
from typing import Any, Generic, TypeVar

import msgspec

from llmrelay.core.requests import move_extras
from llmrelay.types.errors import BadRequestError
from llmrelay.types.files import OCTET_STREAM, FileUpload

T = TypeVar("T", bound=msgspec.Struct)

# bounds on what a form may hold besides its bytes (which the body cap bounds)
MAX_PARTS = 64
MAX_HEADER_BYTES = 4096
_BOUNDARY = re.compile(r'boundary=(?:"([^"]{1,70})"|([^\s;,"]{1,70}))', re.IGNORECASE)
_MISSING = re.compile(r"Object missing required field `([^`]+)`$")
_PARAM = re.compile(r';\s*([a-zA-Z*]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')


class FormDecoder(Generic[T]):
    """Decodes one request type from a multipart/form-data body."""

    def __init__(self, cls: type[T]) -> None:
        self.cls = cls
        self._known = cls.__struct_fields__

    def decode(self, body: bytes, content_type: str | None) -> T:
        fields = form_values(parse_form(body, content_type))
        move_extras(fields, self._known)
        try:
            return msgspec.convert(fields, self.cls, strict=False)
        except msgspec.ValidationError as exc:
            # the field at the error's path, or the missing one (a form without its file)
            where = re.search(r"at `\$\.([^`\[]+)", str(exc)) or _MISSING.match(str(exc))
            raise BadRequestError(f"invalid request: {exc}", param=where.group(1) if where else None) from exc


def form_values(parts: list[tuple[str, str | FileUpload]]) -> dict[str, Any]:
    """The parts as fields: an array's items (`image[]`, `timestamp_granularities[]`, as the OpenAI
    SDK spells them, or a name given more than once) become one list under the bare name."""
    fields: dict[str, Any] = {}
    arrays: set[str] = set()
    for name, value in parts:
        bare = name.removesuffix("[]")
        if bare in fields or bare != name:
            if bare not in arrays:
                fields[bare] = [fields[bare]] if bare in fields else []
                arrays.add(bare)
            fields[bare].append(value)
        else:
            fields[bare] = value
    return fields


def parse_form(body: bytes, content_type: str | None) -> list[tuple[str, str | FileUpload]]:
    """The form's parts in order: (name, text) for a field, (name, FileUpload) for a file."""
    boundary = _boundary(content_type)
    delimiter = b"--" + boundary
    if not body.startswith(delimiter):
        raise _malformed("the body does not start with the boundary")
    if body.startswith(delimiter + b"--"):
        raise _malformed("the form has no parts")
    end = body.find(b"\r\n" + delimiter + b"--")
    if end == -1:
        raise _malformed("the closing boundary is missing")
    chunks = body[len(delimiter) : end].split(b"\r\n" + delimiter)
    if len(chunks) > MAX_PARTS:
        raise _malformed(f"more than {MAX_PARTS} parts")
    parts: list[tuple[str, str | FileUpload]] = []
    for chunk in chunks:
        if not chunk.startswith(b"\r\n"):
            raise _malformed("a boundary is not followed by a line break")
        head, found, content = chunk[2:].partition(b"\r\n\r\n")
        if not found or len(head) > MAX_HEADER_BYTES:
            raise _malformed("a part's headers do not end")
        parts.append(_part(head, content))
    return parts


def _boundary(content_type: str | None) -> bytes:
    if content_type is None or content_type.split(";", 1)[0].strip().lower() != "multipart/form-data":
        raise BadRequestError(
            "invalid request: the body must be multipart/form-data", code="invalid_content_type"
        )
    match = _BOUNDARY.search(content_type)
    if match is None:
        raise _malformed("the content type names no boundary")
    return (match.group(1) or match.group(2)).encode("latin-1")


def _part(head: bytes, content: bytes) -> tuple[str, str | FileUpload]:
    disposition = part_type = None
    for line in head.decode("utf-8", errors="replace").split("\r\n"):
        name, sep, value = line.partition(":")
        if not sep:
            raise _malformed("a part's header line has no colon")
        name = name.strip().lower()
        if name == "content-disposition":
            disposition = value.strip()
        elif name == "content-type":
            part_type = value.strip()
    if disposition is None or not disposition.lower().startswith("form-data"):
        raise _malformed("a part is not form-data")
    params = {key.lower(): quoted or plain
              for key, quoted, plain in _PARAM.findall(disposition)}  # fmt: skip
    field = params.get("name")
    if not field:
        raise _malformed("a part has no name")
    if "filename" in params:
        return field, FileUpload(
            data=content, filename=params["filename"] or field, content_type=part_type or OCTET_STREAM
        )
    try:
        return field, content.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequestError(
            f"invalid request: the form field `{field}` is not UTF-8 text", param=field
        ) from None


def _malformed(what: str) -> BadRequestError:
    return BadRequestError(f"invalid request: malformed multipart/form-data body: {what}")
