"""The OpenAI simulator's Files and Batch APIs (also under Azure OpenAI's `/openai/files` and
`/openai/batches` with `api-version`): uploads kept in memory, and batches whose lifecycle the test
drives — `advance(batch_id, status)` (or `POST /_sim/openai/batches/{id}/advance {"status": ...}`)
moves a batch validating → in_progress → finalizing → completed (or failed, expired, cancelled),
never a timer. On completion each input line is answered by the simulator's own chat completions,
so the output file carries real bodies with real usage; a line the chat endpoint refuses becomes an
error-file line with its status and error body."""

from __future__ import annotations

import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from llmrelay.testing.base import BytesReply, Call, JsonReply, ProviderError, Reply

ChatHandler = Callable[[Call], Awaitable[Reply]]

PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
STATUSES = ("validating", "in_progress", "finalizing", "completed", "failed", "expired", "cancelling",
            "cancelled")  # fmt: skip
BATCH_ENDPOINTS = ("/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/responses")
_TIME_FIELD = {"in_progress": "in_progress_at", "finalizing": "finalizing_at", "completed": "completed_at",
               "failed": "failed_at", "expired": "expired_at", "cancelling": "cancelling_at",
               "cancelled": "cancelled_at"}  # fmt: skip


@dataclass(slots=True)
class _File:
    meta: dict[str, Any]
    data: bytes


@dataclass(slots=True)
class _Batch:
    body: dict[str, Any]
    # the answers are made on the simulator's loop when the batch is next read after completing
    outputs_due: bool = False
    lines: list[dict[str, Any]] = field(default_factory=list)


class FilesAndBatches:
    def __init__(self, chat: ChatHandler) -> None:
        self._chat = chat
        self.files: dict[str, _File] = {}
        self.batches: dict[str, _Batch] = {}
        self._ids = itertools.count(1)

    def reset(self) -> None:
        self.files.clear()
        self.batches.clear()

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}sim"

    # ---- test controls
    def advance(self, batch_id: str, status: str) -> None:
        """Move a batch to `status` (from the test's thread or the admin route)."""
        if status not in STATUSES:
            raise ValueError(f"unknown batch status {status!r}")
        batch = self.batches[batch_id]
        batch.body["status"] = status
        stamp = _TIME_FIELD.get(status)
        if stamp is not None:
            batch.body[stamp] = int(time.time())
        if status == "in_progress":
            batch.body["request_counts"]["total"] = len(self._input_lines(batch))
        if status == "completed":
            batch.outputs_due = True

    # ---- files
    async def upload(self, call: Call) -> Reply:
        form = call.body if isinstance(call.body, dict) else {}
        purpose = form.get("purpose")
        upload = form.get("file")
        if not isinstance(upload, dict):
            raise ProviderError(400, "Missing required parameter: 'file'.", param="file")
        if purpose not in PURPOSES:
            raise ProviderError(
                400, f"'{purpose}' is not one of {list(PURPOSES)} - 'purpose'", param="purpose"
            )
        data: bytes = upload["data"]
        if purpose == "batch":
            _check_jsonl(data)
        file_id = self._id("file-")
        meta = _file_meta(file_id, len(data), upload["filename"], purpose)
        self.files[file_id] = _File(meta, data)
        return JsonReply(meta)

    async def list_files(self, call: Call) -> Reply:
        purpose = call.query.get("purpose")
        found = [f.meta for f in self.files.values() if purpose is None or f.meta["purpose"] == purpose]
        if call.query.get("order", "desc") == "desc":
            found.reverse()
        return JsonReply(_page(found, call.query))

    async def get_file(self, call: Call) -> Reply:
        return JsonReply(self._file(call).meta)

    async def file_content(self, call: Call) -> Reply:
        return BytesReply(self._file(call).data, "application/octet-stream")

    async def delete_file(self, call: Call) -> Reply:
        file_id = self._file(call).meta["id"]
        del self.files[file_id]
        return JsonReply({"id": file_id, "object": "file", "deleted": True})

    def _file(self, call: Call) -> _File:
        found = self.files.get(call.match.get("file_id", ""))
        if found is None:
            raise ProviderError(404, f"No such File object: {call.match.get('file_id')}", param="id")
        return found

    # ---- batches
    async def create_batch(self, call: Call) -> Reply:
        body = call.body if isinstance(call.body, dict) else {}
        input_id = body.get("input_file_id")
        if not isinstance(input_id, str) or input_id not in self.files:
            raise ProviderError(400, f"Invalid 'input_file_id': {input_id!r}.", param="input_file_id")
        if self.files[input_id].meta["purpose"] != "batch":
            raise ProviderError(400, "The input file must have purpose 'batch'.", param="input_file_id")
        endpoint = body.get("endpoint")
        azure = call.path.startswith("/openai/")
        if endpoint not in BATCH_ENDPOINTS and not (azure and endpoint == "/chat/completions"):
            raise ProviderError(400, f"Invalid 'endpoint': {endpoint!r}.", param="endpoint")
        if body.get("completion_window") != "24h":
            raise ProviderError(400, "Invalid 'completion_window': only '24h' is supported.",
                                param="completion_window")  # fmt: skip
        metadata = body.get("metadata")
        if metadata is not None and (not isinstance(metadata, dict) or len(metadata) > 16):
            raise ProviderError(400, "Invalid 'metadata': at most 16 string pairs.", param="metadata")
        now = int(time.time())
        batch_id = self._id("batch_")
        self.batches[batch_id] = _Batch({
            "id": batch_id, "object": "batch", "endpoint": endpoint, "errors": None,
            "input_file_id": input_id, "completion_window": "24h", "status": "validating",
            "output_file_id": None, "error_file_id": None, "created_at": now, "in_progress_at": None,
            "expires_at": now + 86_400, "finalizing_at": None, "completed_at": None, "failed_at": None,
            "expired_at": None, "cancelling_at": None, "cancelled_at": None,
            "request_counts": {"total": 0, "completed": 0, "failed": 0}, "metadata": metadata,
        })  # fmt: skip
        return JsonReply(self.batches[batch_id].body)

    async def get_batch(self, call: Call) -> Reply:
        batch = self._batch(call)
        if batch.outputs_due:
            await self._answer(batch, call)
        return JsonReply(batch.body)

    async def list_batches(self, call: Call) -> Reply:
        found = [b.body for b in reversed(self.batches.values())]
        return JsonReply(_page(found, call.query))

    async def cancel_batch(self, call: Call) -> Reply:
        batch = self._batch(call)
        if batch.body["status"] in ("completed", "failed", "expired", "cancelled"):
            raise ProviderError(
                409,
                f"Cannot cancel a batch with status '{batch.body['status']}'.",
                code="batch_not_cancellable",
            )
        self.advance(batch.body["id"], "cancelling")
        return JsonReply(batch.body)

    def _batch(self, call: Call) -> _Batch:
        found = self.batches.get(call.match.get("batch_id", ""))
        if found is None:
            raise ProviderError(404, f"No batch found with id '{call.match.get('batch_id')}'.")
        return found

    def _input_lines(self, batch: _Batch) -> list[dict[str, Any]]:
        if not batch.lines:
            data = self.files[batch.body["input_file_id"]].data
            batch.lines = [msgspec.json.decode(line) for line in data.splitlines() if line.strip()]
        return batch.lines

    async def _answer(self, batch: _Batch, call: Call) -> None:
        """Each input line through the simulator's chat handler: the output and error files."""
        batch.outputs_due = False
        out: list[bytes] = []
        errors: list[bytes] = []
        for line in self._input_lines(batch):
            request_id = self._id("req_")
            line_call = Call("/v1/chat/completions", call.headers, {}, line.get("body"), {}, None)
            try:
                reply = await self._chat(line_call)
            except ProviderError as exc:
                error = {
                    "message": exc.message,
                    "type": "invalid_request_error",
                    "code": exc.detail.get("code"),
                }
                response = {"status_code": exc.status, "request_id": request_id, "body": {"error": error}}
                errors.append(_line(line, response))
                continue
            assert isinstance(reply, JsonReply)
            out.append(_line(line, {"status_code": 200, "request_id": request_id, "body": reply.body}))
        body = batch.body
        body["request_counts"] = {
            "total": len(out) + len(errors),
            "completed": len(out),
            "failed": len(errors),
        }
        for name, lines in (("output_file_id", out), ("error_file_id", errors)):
            if lines:
                file_id = self._id("file-")
                data = b"".join(lines)
                kind = "batch_output" if name == "output_file_id" else "batch_error"
                self.files[file_id] = _File(_file_meta(file_id, len(data), f"{body['id']}_{kind}.jsonl",
                                                       kind), data)  # fmt: skip
                body[name] = file_id


def _line(request: dict[str, Any], response: dict[str, Any]) -> bytes:
    answer = {"id": "batch_req_" + response["request_id"], "custom_id": request.get("custom_id"),
              "response": response, "error": None}  # fmt: skip
    return msgspec.json.encode(answer) + b"\n"


def _check_jsonl(data: bytes) -> None:
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            decoded = msgspec.json.decode(line)
        except msgspec.DecodeError:
            raise ProviderError(400, f"Line {number} of the file is not valid JSON.", param="file") from None
        if not isinstance(decoded, dict) or not {"custom_id", "method", "url", "body"} <= decoded.keys():
            raise ProviderError(
                400, f"Line {number} must have custom_id, method, url and body.", param="file"
            )


def _file_meta(file_id: str, size: int, filename: str, purpose: str) -> dict[str, Any]:
    return {"id": file_id, "object": "file", "bytes": size, "created_at": int(time.time()),
            "filename": filename, "purpose": purpose, "status": "processed", "expires_at": None,
            "status_details": None}  # fmt: skip


def _page(items: list[dict[str, Any]], query: Any) -> dict[str, Any]:
    after = query.get("after")
    if after is not None:
        ids = [i["id"] for i in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    limit = int(query.get("limit", 20))
    page = items[:limit]
    return {"object": "list", "data": page, "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None, "has_more": len(items) > limit}  # fmt: skip
