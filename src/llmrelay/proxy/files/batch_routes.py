"""`/v1/batches` (and `/batches`): create (the input file the caller's, every line's model one its
key may use), retrieve, list (newest first, `after`/`limit`), cancel. Each read of a batch updates
its stored status and, once the batch is final, maps its output and error files to gateway ids and
bills its output (billing.py) — exactly once, however many retrieves see it."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from llmrelay.calls.principal import Principal
from llmrelay.proxy.admin.io import int_param, query, send
from llmrelay.proxy.files.access import Caller, ModelNotAllowed, caller_of
from llmrelay.proxy.files.batch_reader import BatchReader
from llmrelay.proxy.files.context import FilesContext
from llmrelay.proxy.files.targets import not_found, stored_id
from llmrelay.proxy.files.views import batch_object, new_batch_id, page
from llmrelay.proxy.http import Request
from llmrelay.proxy.nesting import check_nesting
from llmrelay.storage.file_records import BatchRecord, FileRecord
from llmrelay.types.errors import BadGatewayError, BadRequestError

_DECODE = msgspec.json.Decoder(dict[str, Any])
_PREFIXES = ("/v1/batches/", "/batches/")
# batch reads of one list page sent to the upstream at once
LIST_CONCURRENCY = 8
MAX_METADATA = 16


class BatchRoutes:
    def __init__(self, ctx: FilesContext) -> None:
        self.ctx = ctx
        self.reader = BatchReader(ctx)

    async def create(self, req: Request, principal: Principal) -> None:
        ctx = self.ctx
        caller = caller_of(principal)
        body = await req.body(ctx.body_limit)
        check_nesting(body)
        try:
            fields = _DECODE.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise BadRequestError("the request body is not a JSON object", code="invalid_json") from None
        for name in ("input_file_id", "endpoint", "completion_window"):
            if not isinstance(fields.get(name), str) or not fields[name]:
                raise BadRequestError(f"{name} is required (a string)", param=name)
        _check_metadata(fields.get("metadata"))
        provider = fields.pop("custom_llm_provider", None)
        # LiteLLM's chooser: a batch runs where its input file went; a `model` is checked, not sent
        model = fields.pop("model", None)
        if model is not None and not isinstance(model, str):
            raise BadRequestError("model must be a string", param="model")
        wanted = fields["input_file_id"]
        file = await ctx.repo.file(wanted, caller.owner) if stored_id(wanted) else None
        if file is None:
            raise not_found("File", fields["input_file_id"])
        if file.purpose != "batch":
            raise BadRequestError("the input file's purpose must be batch", param="input_file_id")
        if provider is not None and provider != file.provider:
            raise BadRequestError(
                f"the input file is on {file.provider!r}, not {provider!r}", param="custom_llm_provider"
            )
        _check_models(caller, file)
        target = ctx.targets.resolve(file.target)
        if model is not None and ctx.targets.line_model(target, model, param="model") is None:
            raise BadRequestError(
                f"model {model!r} names no model group; a batch runs where its input file went "
                f"({file.target}): leave model out or name a group served there",
                param="model",
            )

        async def work() -> dict[str, Any]:
            api = ctx.targets.api(target)
            sent = {**fields, "input_file_id": file.upstream_id}
            return await ctx.upstream.call(
                target, api, "POST", api.url("batches"), sent, {file.upstream_id: file.id}
            )

        answer = await ctx.gate.run(caller, "create_batch", model, target.provider, work)
        owner = caller.as_owner()
        upstream_id = answer.get("id")
        if not isinstance(upstream_id, str) or not upstream_id or len(upstream_id) > 255:
            raise BadGatewayError("the upstream's answer has no usable id", code="bad_upstream_answer")
        record = BatchRecord(
            id=new_batch_id(), upstream_id=upstream_id, provider=target.provider, target=file.target,
            input_file_id=file.id, endpoint=fields["endpoint"][:64], status=str(answer.get("status"))[:32],
            created_at=ctx.clock(), key_hash=owner.key_hash, user_id=owner.user_id, team_id=owner.team_id,
            organization_id=owner.organization_id,
        )  # fmt: skip
        await ctx.repo.add_batch(record)
        send(req, batch_object(answer, record))

    async def list_batches(self, req: Request, principal: Principal) -> None:
        caller = caller_of(principal)
        params = query(req)
        limit = int_param(params, "limit", 20, high=100)
        provider = params.get("custom_llm_provider")

        async def work() -> tuple[list[dict[str, Any]], bool]:
            found = await self.ctx.repo.batches(caller.owner, after=params.get("after"), limit=limit + 1)
            if provider is not None:
                found = [b for b in found if b.provider == provider]
            gate = asyncio.Semaphore(LIST_CONCURRENCY)

            async def read(record: BatchRecord) -> dict[str, Any]:
                async with gate:
                    return await self.reader.read(record, "GET")

            shown = await asyncio.gather(*(read(r) for r in found[:limit]))
            return list(shown), len(found) > limit

        shown, more = await self.ctx.gate.run(caller, "list_batches", None, "", work)
        send(req, page(shown, more))

    async def one(self, req: Request, principal: Principal) -> None:
        """GET /v1/batches/{id}; POST /v1/batches/{id}/cancel."""
        caller = caller_of(principal)
        rest = next(req.path[len(p) :] for p in _PREFIXES if req.path.startswith(p))
        batch_id, _, tail = rest.partition("/")
        cancel = req.scope.method == "POST"
        if not batch_id or tail != ("cancel" if cancel else ""):
            raise not_found("route", req.path)
        record = await self.ctx.repo.batch(batch_id, caller.owner) if stored_id(batch_id) else None
        if record is None:
            raise not_found("Batch", batch_id)
        call_type = "cancel_batch" if cancel else "retrieve_batch"
        answer = await self.ctx.gate.run(
            caller,
            call_type,
            None,
            record.provider,
            lambda: self.reader.read(record, "POST" if cancel else "GET"),
        )
        send(req, answer)


def _check_metadata(metadata: Any) -> None:
    if metadata is None:
        return
    if (
        not isinstance(metadata, dict)
        or len(metadata) > MAX_METADATA
        or not all(isinstance(k, str) and len(k) <= 64 and isinstance(v, str) and len(v) <= 512
                   for k, v in metadata.items())
    ):  # fmt: skip
        raise BadRequestError(
            f"metadata holds at most {MAX_METADATA} pairs of strings (keys up to 64 characters, values up "
            "to 512)",
            param="metadata",
        )


def _check_models(caller: Caller, file: FileRecord) -> None:
    """Every model the file's lines name must be one the caller's key may use: checked when the batch
    is created, since the key's models may have changed since the upload."""
    for model, line in sorted((file.models or {}).items(), key=lambda item: item[1]):
        if not caller.may_use(model):
            raise ModelNotAllowed(
                f"line {line} of the input file names model {model!r}, which this key may not use",
                param="input_file_id",
                code="401",
            )
