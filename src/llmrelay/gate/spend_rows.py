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

from llmrelay.calls.key_principal import KeyPrincipal
from llmrelay.calls.principal import Principal
from llmrelay.calls.served import Served
from llmrelay.events.record import CallRecord
from llmrelay.gate.admission import CallInfo
from llmrelay.spend.attribution import Attribution, spend_log_for_call
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
        end = time.monotonic()
        record = CallRecord(
            call_id=self.next_id(),
            call_type=call.call_type,
            model=call.model,
            provider=served.provider,
            deployment=served.deployment_id or served.model,
            start_time=call.started,
            end_time=call.started + (end - call.started_mono),
            latency_s=end - call.started_mono,
            stream=call.stream,
            usage=usage,
            cost_micros=served.cost_micros,
            error=error,
            model_group=served.model_group or call.model,
        )
        who = Attribution(
            key_hash=principal.key_hash,
            user_id=found.user_id if found else principal.user_id,
            team_id=found.team_id if found else principal.team_id,
            organization_id=found.organization_id if found else None,
            end_user=call.end_user,
        )
        return spend_log_for_call(record, who)

    async def record(self, row: SpendLogRecord, *, wait: bool) -> None:
        """Count the row as pending at once; with `wait`, return once it is on disk."""
        writer = self.writer
        if writer is None:
            return
        self.pending.add(row)
        if not wait:
            writer.record_nowait(row)
            return
        try:
            await writer.record(row)
        except OSError as exc:
            # the disk refused: keep the row queued for the spool's retry and still answer the call
            log.error("spend spool write failed (%s); the record stays queued", type(exc).__name__)
            writer.record_nowait(row)
