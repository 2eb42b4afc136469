"""A finished batch's spend: its output file read once (streamed, line by line, each line bounded),
its usage summed per model and priced at batch prices (cost/pricing.py's `batch_prices`), one spend
row per model through the spend spool — exactly once however many retrieves and instances see the
batch finish: one caller wins the database claim (storage/repos/files.py), and the rows' ids are the
batch's, so a row recorded twice (a claim taken again after its holder died) is stored once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

import msgspec

from llmrelay.cost.pricing import batch_prices, cost_micros
from llmrelay.engine.pricing import Pricer
from llmrelay.gate.spend_rows import SpendRecorder
from llmrelay.proxy.files.targets import FilesTargets, Target
from llmrelay.spend.fitting import fit_to_columns
from llmrelay.storage.file_records import BILLING_DONE, BatchRecord
from llmrelay.storage.records import SpendLogRecord
from llmrelay.storage.repos.files import FileRepository
from llmrelay.types.errors import BadGatewayError
from llmrelay.types.response import PromptTokensDetails, Usage

log = logging.getLogger("llmrelay.proxy")

CALL_TYPE = "batch"
# statuses after which a batch's output is final (a cancelled or expired batch's finished requests
# are billed too)
FINAL = frozenset({"completed", "failed", "expired", "cancelled"})
CLAIM_LEASE = timedelta(minutes=10)


class _Details(msgspec.Struct):
    cached_tokens: int | None = None


class _LineUsage(msgspec.Struct):
    # chat completions, completions and embeddings say prompt/completion; the Responses API input/output
    prompt_tokens: int = 0
    completion_tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    prompt_tokens_details: _Details | None = None
    input_tokens_details: _Details | None = None


class _Body(msgspec.Struct):
    model: str | None = None
    usage: _LineUsage | None = None


class _Response(msgspec.Struct):
    status_code: int = 0
    body: _Body | None = None


class _Line(msgspec.Struct):
    response: _Response | None = None


_LINE = msgspec.json.Decoder(_Line)
Pieces = Callable[[Target, str], AsyncIterator[bytes]]


class BatchBilling:
    def __init__(
        self, repo: FileRepository, spend: SpendRecorder, targets: FilesTargets, pricer: Pricer,
        max_line_bytes: int, clock: Callable[[], datetime],
    ) -> None:  # fmt: skip
        self.repo = repo
        self.spend = spend
        self.targets = targets
        self.pricer = pricer
        self.max_line_bytes = max_line_bytes
        self.clock = clock

    async def settle(self, record: BatchRecord, target: Target, output: Pieces, upstream_file: str) -> None:
        """Bill `record` from its output file (`output(target, upstream id)` yields its bytes), if no
        caller did. A failure leaves it unbilled, for the next retrieve to try again."""
        if record.billing == BILLING_DONE or not await self.repo.claim_billing(
            record.id, self.clock(), CLAIM_LEASE
        ):
            return
        try:
            totals = await self._usage(output(target, upstream_file))
            source = await self.repo.file(record.input_file_id, None)
            named = tuple(source.models or ()) if source is not None else ()
            rows = [self._row(record, target, model, usage, named) for model, usage in totals.items()]
            for row in rows:
                await self.spend.record(row, wait=True)
        except BaseException as exc:
            await self.repo.release_claim(record.id)
            if not isinstance(exc, Exception):
                raise
            log.warning("batch %s not billed yet: %s", record.id, type(exc).__name__)
            return
        await self.repo.billed(record.id, sum(row.cost_micros for row in rows))

    async def nothing_to_bill(self, record: BatchRecord) -> None:
        """A final batch without an output file (it failed validation, or expired unstarted)."""
        if record.billing != BILLING_DONE:
            await self.repo.billed(record.id, 0)

    async def _usage(self, pieces: AsyncIterator[bytes]) -> dict[str, Usage]:
        """Usage per upstream model, over the output's successful lines."""
        totals: dict[str, list[int]] = {}
        tail = b""
        async for piece in pieces:
            lines = (tail + piece).split(b"\n")
            tail = lines.pop()
            if len(tail) > self.max_line_bytes:
                raise BadGatewayError("a batch output line is over the line cap", code="batch_output_line")
            for line in lines:
                self._add(line, totals)
        self._add(tail, totals)
        return {
            model: Usage(prompt_tokens=p, completion_tokens=c, total_tokens=p + c,
                         prompt_tokens_details=PromptTokensDetails(cached_tokens=cached) if cached else None)
            for model, (p, c, cached) in totals.items()
        }  # fmt: skip

    @staticmethod
    def _add(raw: bytes, totals: dict[str, list[int]]) -> None:
        if not raw.strip():
            return
        try:
            line = _LINE.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise BadGatewayError(
                "a batch output line is not a JSON object", code="batch_output_line"
            ) from None
        response = line.response
        body = response.body if response is not None else None
        if response is None or response.status_code != 200 or body is None or body.usage is None:
            return
        usage = body.usage
        details = usage.prompt_tokens_details or usage.input_tokens_details
        sums = totals.setdefault(body.model or "", [0, 0, 0])
        sums[0] += usage.prompt_tokens or usage.input_tokens
        sums[1] += usage.completion_tokens or usage.output_tokens
        sums[2] += (details.cached_tokens or 0) if details is not None else 0

    def _row(
        self, record: BatchRecord, target: Target, upstream_model: str, usage: Usage, named: tuple[str, ...]
    ) -> SpendLogRecord:
        deployment, name = self.targets.priced_by(target, upstream_model, named)
        info = self.pricer.model_info(deployment)
        cost = cost_micros(usage, batch_prices(info)) if info is not None else 0
        return fit_to_columns(
            SpendLogRecord(
                # the batch's and the model's: a second record of it (a claim retaken) is stored once
                request_id=f"{record.id}:{name}",
                call_type=CALL_TYPE, start_time=record.created_at, end_time=self.clock(),
                model=name, model_group=name, deployment=record.id, provider=target.provider,
                prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
                total_tokens=usage.total_tokens, cost_micros=cost, key_hash=record.key_hash,
                user_id=record.user_id, team_id=record.team_id, organization_id=record.organization_id,
            )
        )  # fmt: skip
