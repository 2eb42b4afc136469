"""Bookkeeping for one logical call (id, clocks, attempts) and the CallRecord it reports."""

from __future__ import annotations

import time
from typing import Any

from llmrelay.events.record import CallRecord
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import LLMError
from llmrelay.types.response import Usage


class CallState:
    __slots__ = ("attempts", "call_id", "call_type", "metadata", "model", "started_mono", "started_wall")

    def __init__(self, call_id: str, call_type: str, model: str, metadata: dict[str, Any] | None) -> None:
        self.call_id = call_id
        self.call_type = call_type
        self.model = model
        self.metadata = metadata
        # wall clock for the record's timestamps; durations from the monotonic clock
        self.started_wall = time.time()
        self.started_mono = time.monotonic()
        self.attempts = 0

    def record(
        self,
        deployment: Deployment | None,
        *,
        usage: Usage | None = None,
        cost: int = 0,
        error: LLMError | None = None,
        stream: bool = False,
        ttft: float | None = None,
        request: Any = None,
        response: Any = None,
    ) -> CallRecord:
        elapsed = time.monotonic() - self.started_mono
        return CallRecord(
            call_id=self.call_id,
            call_type=self.call_type,
            model=self.model,
            provider=deployment.provider if deployment else None,
            deployment=(deployment.id or deployment.qualified_model) if deployment else None,
            start_time=self.started_wall,
            end_time=self.started_wall + elapsed,
            latency_s=elapsed,
            stream=stream,
            time_to_first_token_s=ttft,
            usage=usage,
            cost_micros=cost,
            error=error,
            metadata=self.metadata,
            model_group=deployment.model_name if deployment else None,
            attempts=max(1, self.attempts),
            request=request,
            response=response,
        )
