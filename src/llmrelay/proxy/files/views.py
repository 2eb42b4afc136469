"""The objects the client sees: OpenAI's File and Batch objects with the gateway's ids in place of
the upstream's (docs/gateway.md, "Files and batches": ids are random, mapped in the database)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from typing import Any

from llmrelay.storage.file_records import BatchRecord, FileRecord

# a batch's files, by the field of the Batch object naming them → their purpose
BATCH_FILES = {"output_file_id": "batch_output", "error_file_id": "batch_error"}


def new_file_id() -> str:
    return "file-" + os.urandom(12).hex()


def new_batch_id() -> str:
    return "batch_" + os.urandom(12).hex()


def batch_file_id(batch_id: str, field: str) -> str:
    """The gateway's id of a batch's output (or error) file: derived from the batch's, so every
    instance that sees the file first stores the same row."""
    return "file-" + hashlib.blake2b(f"{batch_id}:{field}".encode(), digest_size=12).hexdigest()


def file_object(record: FileRecord) -> dict[str, Any]:
    return {
        "id": record.id, "object": "file", "bytes": record.bytes,
        "created_at": int(record.created_at.timestamp()), "filename": record.filename,
        "purpose": record.purpose, "status": "processed", "expires_at": None, "status_details": None,
    }  # fmt: skip


def batch_object(upstream: Mapping[str, Any], record: BatchRecord) -> dict[str, Any]:
    """The upstream's Batch object with the gateway's ids."""
    out = dict(upstream)
    out["id"] = record.id
    out["input_file_id"] = record.input_file_id
    for field in BATCH_FILES:
        out[field] = batch_file_id(record.id, field) if upstream.get(field) else None
    return out


def page(items: list[dict[str, Any]], more: bool) -> dict[str, Any]:
    return {
        "object": "list", "data": items, "first_id": items[0]["id"] if items else None,
        "last_id": items[-1]["id"] if items else None, "has_more": more,
    }  # fmt: skip
