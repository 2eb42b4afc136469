"""multipart/form-data bodies (RFC 7578) for the upstream endpoints that take a file (OpenAI's image
variations, audio transcriptions): text fields and files, encoded once into the request's bytes."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from llmrelay.types.files import FileUpload


def encode_form(
    fields: Mapping[str, object], files: Mapping[str, FileUpload | list[FileUpload]]
) -> tuple[bytes, str]:
    """The body and its content type. `fields` whose value is None are left out; a `FileUpload`
    among them (a file field the request type does not know, passed on) is sent as a file; a list
    as one `name[]` part per item (OpenAI's spelling of an array in a form: `image[]`,
    `timestamp_granularities[]`); others as their text (booleans as `true`/`false`, as JSON and
    OpenAI's form fields spell them)."""
    # random, so no file's content can be made to end the part early
    boundary = "llmrelay-" + secrets.token_hex(16)
    parts: list[bytes] = []
    files = {**{k: v for k, v in fields.items() if _is_file(v)}, **files}  # type: ignore[misc]
    for name, value in fields.items():
        if value is None or _is_file(value):
            continue
        for key, item in _items(name, value):
            parts.append(_head(boundary, key) + b"\r\n" + _text(item).encode() + b"\r\n")
    for name, given in files.items():
        uploads = given if isinstance(given, list) else [given]
        for upload in uploads:
            key = name + "[]" if isinstance(given, list) else name
            head = _head(boundary, key, upload.filename)
            parts.append(
                head + f"content-type: {upload.content_type}\r\n\r\n".encode() + upload.data + b"\r\n"
            )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _is_file(value: object) -> bool:
    if isinstance(value, list):
        return bool(value) and all(isinstance(item, FileUpload) for item in value)
    return isinstance(value, FileUpload)


def _items(name: str, value: object) -> list[tuple[str, object]]:
    if isinstance(value, list | tuple):
        return [(name + "[]", item) for item in value]
    return [(name, value)]


def _text(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _head(boundary: str, name: str, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{_quoted(name)}"'
    if filename is not None:
        disposition += f'; filename="{_quoted(filename)}"'
    return f"--{boundary}\r\ncontent-disposition: {disposition}\r\n".encode()


def _quoted(text: str) -> str:
    # a quoted-string: no quote, backslash or line break may end it early (RFC 7578 §4.2)
    return text.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
