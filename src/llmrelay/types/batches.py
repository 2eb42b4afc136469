"""OpenAI's File and Batch objects, as the SDK's files and batches functions return them
(llmrelay.create_file, retrieve_batch...). Fields the API adds later are read past, not refused."""

from __future__ import annotations

from typing import Any

import msgspec


class FileObject(msgspec.Struct, kw_only=True):
    id: str
    bytes: int = 0
    created_at: int = 0
    filename: str = ""
    purpose: str = ""
    object: str = "file"
    status: str | None = None
    expires_at: int | None = None
    status_details: str | None = None


class FileDeleted(msgspec.Struct, kw_only=True):
    id: str
    deleted: bool
    object: str = "file"


class FileList(msgspec.Struct, kw_only=True):
    data: list[FileObject]
    object: str = "list"
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False


class FileContent(msgspec.Struct, kw_only=True):
    """A file's bytes (LiteLLM hands out the HTTP client's binary response: `.content`, `.text`)."""

    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")

    def read(self) -> bytes:
        return self.content

    def __repr__(self) -> str:
        return f"FileContent({len(self.content)} bytes)"


class BatchRequestCounts(msgspec.Struct, kw_only=True):
    total: int = 0
    completed: int = 0
    failed: int = 0


class Batch(msgspec.Struct, kw_only=True):
    id: str
    endpoint: str
    input_file_id: str
    completion_window: str
    status: str
    created_at: int
    object: str = "batch"
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: Any = None
    in_progress_at: int | None = None
    expires_at: int | None = None
    finalizing_at: int | None = None
    completed_at: int | None = None
    failed_at: int | None = None
    expired_at: int | None = None
    cancelling_at: int | None = None
    cancelled_at: int | None = None
    request_counts: BatchRequestCounts | None = None
    metadata: dict[str, str] | None = None


class BatchList(msgspec.Struct, kw_only=True):
    data: list[Batch]
    object: str = "list"
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False
