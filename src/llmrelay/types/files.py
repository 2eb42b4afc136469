"""A file sent in a multipart/form-data body (an image to vary, audio to transcribe), and the ways
the SDK accepts one, as the OpenAI SDK does: bytes, a path, an open binary file, or a
`(filename, bytes[, content_type])` tuple."""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path
from typing import Any

from llmrelay.types.base import Model
from llmrelay.types.errors import BadRequestError

OCTET_STREAM = "application/octet-stream"


class FileUpload(Model):
    data: bytes
    filename: str = "file"
    content_type: str = OCTET_STREAM

    def __repr__(self) -> str:
        # never the content: a repr may reach a log
        return f"FileUpload({self.filename!r}, {self.content_type}, {len(self.data)} bytes)"


def as_upload(value: Any, name: str) -> FileUpload:
    """The file the SDK was handed for the field `name` (which names it when nothing else does)."""
    if isinstance(value, FileUpload):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return FileUpload(data=bytes(value), filename=name)
    if isinstance(value, tuple) and 2 <= len(value) <= 3:
        filename, content = str(value[0]), value[1]
        data = content.read() if hasattr(content, "read") else bytes(content)
        content_type = str(value[2]) if len(value) == 3 else _guess(filename)
        return FileUpload(data=data, filename=filename, content_type=content_type)
    if isinstance(value, os.PathLike):
        path = Path(value)
        return FileUpload(data=path.read_bytes(), filename=path.name, content_type=_guess(path.name))
    if hasattr(value, "read"):
        filename = os.path.basename(str(getattr(value, "name", name)))
        return FileUpload(data=bytes(value.read()), filename=filename, content_type=_guess(filename))
    raise BadRequestError(
        f"invalid request: `{name}` must be bytes, a path, a binary file or (filename, bytes)",
        param=name,
    )


def _guess(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or OCTET_STREAM
