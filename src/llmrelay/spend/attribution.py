"""Who pays for a call, and the spend log row it becomes."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from llmrelay.events.record import CallRecord
from llmrelay.spend.fitting import fit_to_columns
from llmrelay.storage.records import SpendLogRecord
from llmrelay.types.errors import LLMError

MAX_ERROR_CHARS = 1000


class Attribution(msgspec.Struct, frozen=True, kw_only=True):
    """The owners a call's cost is added to. `end_user` is the request's `user` field."""

    key_hash: str | None = None
    user_id: str | None = None
    team_id: str | None = None
    organization_id: str | None = None
    end_user: str | None = None


def spend_log_for_call(record: CallRecord, who: Attribution) -> SpendLogRecord:
    """One spend log row per logical call, fitted to its columns; `record.call_id` is the idempotency
    key."""
    usage = record.usage
    row = SpendLogRecord(
        request_id=record.call_id,
        call_type=record.call_type,
        start_time=datetime.fromtimestamp(record.start_time, UTC),
        end_time=datetime.fromtimestamp(record.end_time, UTC),
        model=record.model,
        model_group=record.model_group,
        deployment=record.deployment,
        provider=record.provider,
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
        total_tokens=usage.total_tokens if usage else 0,
        cost_micros=record.cost_micros,
        key_hash=who.key_hash,
        user_id=who.user_id,
        team_id=who.team_id,
        organization_id=who.organization_id,
        end_user=who.end_user,
        status="success" if record.error is None else "failure",
        error=error_text(record.error),
    )
    return fit_to_columns(row)


def error_text(error: LLMError | None) -> str | None:
    """What a failed call's row says about its error (its class and message, bounded)."""
    if error is None:
        return None
    return f"{type(error).__name__}: {error.message}"[:MAX_ERROR_CHARS]
