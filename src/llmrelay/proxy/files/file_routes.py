"""`/v1/files` (and `/files`): upload (streamed to the upstream, size-capped, a batch file's lines
checked on the way), list, retrieve, content (relayed as it arrives), delete. Every file belongs to
the key that uploaded it: another key gets 404, as for a file that does not exist."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from llmrelay.calls.principal import Principal
from llmrelay.proxy.admin.io import int_param, query, send
from llmrelay.proxy.files.access import caller_of
from llmrelay.proxy.files.batch_lines import BatchLines
from llmrelay.proxy.files.context import FilesContext
from llmrelay.proxy.files.form_stream import FormStream
from llmrelay.proxy.files.targets import not_found, stored_id
from llmrelay.proxy.files.views import file_object, new_file_id, page
from llmrelay.proxy.http import Request
from llmrelay.storage.file_records import FileRecord
from llmrelay.types.errors import BadGatewayError, BadRequestError, LLMError, RequestTooLargeError

PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
# the most of a refused upload read on before the refusal is sent
DRAIN_BYTES = 4 * 1024 * 1024
_PREFIXES = ("/v1/files/", "/files/")


class FileRoutes:
    def __init__(self, ctx: FilesContext) -> None:
        self.ctx = ctx

    async def upload(self, req: Request, principal: Principal) -> None:
        body = self.ctx.chunks(req)
        try:
            await self._upload(req, principal, body)
        except LLMError:
            # refused before the whole form was read (over the cap, a bad field or line): read and
            # drop what the client is still sending, up to a bound, before answering — a connection
            # closed with unread bytes is reset, and the reset can take the answer with it
            await _drain(body, DRAIN_BYTES)
            raise

    async def _upload(self, req: Request, principal: Principal, body: AsyncIterator[bytes]) -> None:
        ctx = self.ctx
        caller = caller_of(principal)
        declared = req.header("content-length")
        # the form's own lines around the file are small: 64 KiB of slack over the file's cap
        if declared is not None and declared.isdigit() and int(declared) > ctx.max_file_bytes + 65536:
            raise _too_large(ctx.max_file_bytes)
        form = FormStream(body, req.header("content-type"))
        fields, part = await form.head()
        if part.field != "file":
            raise BadRequestError(f"the file part must be named `file`, not `{part.field}`", param="file")
        purpose = fields.pop("purpose", None)
        if purpose not in PURPOSES:
            raise BadRequestError(f"purpose must be one of {', '.join(PURPOSES)}", param="purpose")
        provider = fields.pop("custom_llm_provider", None) or None
        model = fields.pop("model", None) or None
        target = ctx.targets.choose(model, provider)
        sent = _Counted(form.file(), ctx.max_file_bytes)
        lines = None
        data: AsyncIterator[bytes] = sent.through()
        if purpose == "batch":
            lines = BatchLines(lambda name: ctx.targets.line_model(target, name), ctx.max_line_bytes)
            data = lines.through(data)

        async def work() -> dict[str, Any]:
            api = ctx.targets.api(target)
            return await ctx.upstream.upload(target, api, {"purpose": purpose, **fields}, part, data)

        answer = await ctx.gate.run(caller, "create_file", model, target.provider, work)
        owner = caller.as_owner()
        size = answer.get("bytes")
        record = FileRecord(
            id=new_file_id(), upstream_id=_upstream_id(answer), provider=target.provider, target=target.ref,
            purpose=purpose, filename=part.filename[:255],
            bytes=size if isinstance(size, int) else sent.count,
            created_at=ctx.clock(), key_hash=owner.key_hash, team_id=owner.team_id,
            models=lines.models if lines is not None else None,
        )  # fmt: skip
        await ctx.repo.add_file(record)
        send(req, file_object(record))

    async def list_files(self, req: Request, principal: Principal) -> None:
        caller = caller_of(principal)
        params = query(req)
        limit = int_param(params, "limit", 10_000, high=10_000)
        order = params.get("order", "desc")
        if order not in ("asc", "desc"):
            raise BadRequestError("order must be asc or desc", param="order")
        provider = params.get("custom_llm_provider")

        async def work() -> list[FileRecord]:
            found = await self.ctx.repo.files(
                caller.owner, purpose=params.get("purpose"), after=params.get("after"),
                limit=min(limit, 100) + 1, newest_first=order == "desc",
            )  # fmt: skip
            return [f for f in found if provider is None or f.provider == provider]

        found = await self.ctx.gate.run(caller, "list_files", None, provider or "", work)
        shown = found[: min(limit, 100)]
        send(req, page([file_object(f) for f in shown], len(found) > len(shown)))

    async def one(self, req: Request, principal: Principal) -> None:
        """GET /v1/files/{id} and /v1/files/{id}/content; DELETE /v1/files/{id}."""
        caller = caller_of(principal)
        rest = next(req.path[len(p) :] for p in _PREFIXES if req.path.startswith(p))
        file_id, _, tail = rest.partition("/")
        if not file_id or tail not in ("", "content") or (tail and req.scope.method != "GET"):
            raise not_found("route", req.path)
        ctx = self.ctx
        record = await ctx.repo.file(file_id, caller.owner) if stored_id(file_id) else None
        if record is None:
            raise not_found("File", file_id)
        target = ctx.targets.resolve(record.target)
        if req.scope.method == "DELETE":

            async def delete() -> None:
                api = ctx.targets.api(target)
                ids = {record.upstream_id: record.id}
                try:
                    await ctx.upstream.call(
                        target, api, "DELETE", api.url("files", record.upstream_id), ids=ids
                    )
                except LLMError as error:
                    if error.status_code != 404:  # already gone upstream: the gateway's row goes too
                        raise
                await ctx.repo.delete_file(record.id)

            await ctx.gate.run(caller, "delete_file", None, record.provider, delete)
            send(req, {"id": record.id, "object": "file", "deleted": True})
        elif tail == "content":
            await ctx.gate.run(
                caller, "file_content", None, record.provider, lambda: self._content(req, record)
            )
        else:
            await ctx.gate.run(caller, "retrieve_file", None, record.provider, _noop)
            send(req, file_object(record))

    async def _content(self, req: Request, record: FileRecord) -> None:
        ctx = self.ctx
        target = ctx.targets.resolve(record.target)
        api = ctx.targets.api(target)
        url = api.url("files", record.upstream_id, "content")
        response = await ctx.upstream.open(target, api, url, {record.upstream_id: record.id})
        async with response:
            content_type = response.headers.get("content-type", "application/octet-stream")
            headers = [("content-type", content_type), *req.response_headers, req.overhead_header()]
            req.started = True
            client = req.proto.response_stream(200, headers)
            async for piece in ctx.upstream.pieces(response):
                try:
                    await client.send_bytes(piece)
                except RuntimeError:  # granian's ProtocolClosed: the client went away
                    return


async def _drain(body: AsyncIterator[bytes], limit: int) -> None:
    read = 0
    async for piece in body:
        read += len(piece)
        if read > limit:
            return


async def _noop() -> None:
    return None


def _upstream_id(answer: dict[str, Any]) -> str:
    found = answer.get("id")
    if not isinstance(found, str) or not found or len(found) > 255:
        raise BadGatewayError("the upstream's answer has no usable id", code="bad_upstream_answer")
    return found


def _too_large(limit: int) -> RequestTooLargeError:
    return RequestTooLargeError(
        f"file larger than {limit} bytes (general_settings.max_file_size_mb)",
        param="file",
        code="file_too_large",
    )


class _Counted:
    """The file's bytes, counted against the cap as they pass."""

    def __init__(self, pieces: AsyncIterator[bytes], limit: int) -> None:
        self.pieces = pieces
        self.limit = limit
        self.count = 0

    async def through(self) -> AsyncIterator[bytes]:
        async for piece in self.pieces:
            self.count += len(piece)
            if self.count > self.limit:
                raise _too_large(self.limit)
            yield piece
