"""The spend row of one gated call and its way to the durable spool.

The row is built from what the gate holds (the call's times and attribution, the answer's usage and
Served record), not from the router's callbacks: those run on another thread through a queue that
drops under overload (ADR 0006). Its id is process-unique and never the client's request id, so a
client cannot make calls free by repeating one."""

from __future__ import annotations

import itertools
import logging
import os
import time
from datetime import UTC, datetime

from llmrelay.calls.key_principal import KeyPrincipal
from llmrelay.calls.principal import Principal
from llmrelay.calls.served import Served
from llmrelay.gate.admission import CallInfo
from llmrelay.spend.attribution import error_text
from llmrelay.spend.fitting import fit_to_columns
from llmrelay.spend.ledger import PendingSpend
from llmrelay.spend.writer import SpendWriter
from llmrelay.storage.records import SpendLogRecord
from llmrelay.types.errors import LLMError
from llmrelay.types.response import Usage

log = logging.getLogger("llmrelay.proxy")


class SpendRecorder:
    """Builds spend rows and hands them to the writer (None: spend is not recorded, or not yet —
    the key runtime sets it once its spool is open)."""

    __slots__ = ("_counter", "_id_prefix", "pending", "writer")

    def __init__(self, writer: SpendWriter | None, pending: PendingSpend) -> None:
        self.writer = writer
        self.pending = pending
        # spend log ids: unique across processes and restarts, without a syscall per call
        self._id_prefix = os.urandom(8).hex()
        self._counter = itertools.count(1)

    def next_id(self) -> str:
        return f"{self._id_prefix}{next(self._counter):012x}"

    def row(self, call: CallInfo, principal: Principal, found: KeyPrincipal | None, usage: Usage | None,
            served: Served, error: LLMError | None) -> SpendLogRecord:  # fmt: skip
        """The call's spend row, built straight from the gate's values (one Struct, no intermediate
        CallRecord: this runs once per keyed call on the event loop), fitted to its columns."""
        latency = time.monotonic() - call.started_mono
        if found is not None:
            user_id, team_id, organization_id = found.user_id, found.team_id, found.organization_id
        else:
            user_id, team_id, organization_id = principal.user_id, principal.team_id, None
        row = SpendLogRecord(
            request_id=self.next_id(),
            call_type=call.call_type,
            start_time=datetime.fromtimestamp(call.started, UTC),
            end_time=datetime.fromtimestamp(call.started + latency, UTC),
            model=call.model,
            model_group=served.model_group or call.model,
            deployment=served.deployment_id or served.model,
            provider=served.provider,
            prompt_tokens=usage.prompt_tokens if usage is not None else 0,
            completion_tokens=usage.completion_tokens if usage is not None else 0,
            total_tokens=usage.total_tokens if usage is not None else 0,
            cost_micros=served.cost_micros,
            key_hash=principal.key_hash,
            user_id=user_id,
            team_id=team_id,
            organization_id=organization_id,
            end_user=call.end_user,
            status="success" if error is None else "failure",
            error=error_text(error),
        )
        return fit_to_columns(row)

    async def record(self, row: SpendLogRecord, *, wait: bool, found: KeyPrincipal | None = None) -> None:
        """Count the row as pending at once (for the key's shared and per-model budgets too, from
        `found`); with `wait`, return once it is on disk."""
        writer = self.writer
        if writer is None:
            return
        self.pending.add(row, found.spend_owners(row.model) if found is not None else ())
        if not wait:
            writer.record_nowait(row)
            return
        try:
            await writer.record(row)
        except OSError as exc:
            # the disk refused: keep the row queued for the spool's retry and still answer the call
            log.error("spend spool write failed (%s); the record stays queued", type(exc).__name__)
            writer.record_nowait(row)
