"""The one standard payload every callback and sink receives."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.types.errors import LLMError
from llmrelay.types.response import Usage


class CallRecord(msgspec.Struct, kw_only=True):
    """One finished call (success or failure). Times: wall clock (epoch seconds) for start/end, so
    they can be logged; durations come from the monotonic clock."""

    call_id: str
    # "completion" | "embedding" | "text_completion" | "rerank" | "moderation" | "image_generation"
    call_type: str
    model: str  # as the caller asked for it
    provider: str | None
    deployment: str | None  # deployment id or provider/model; never a key
    start_time: float
    end_time: float
    latency_s: float
    stream: bool = False
    time_to_first_token_s: float | None = None
    usage: Usage | None = None
    cost_micros: int = 0
    error: LLMError | None = None
    metadata: dict[str, Any] | None = None
    model_group: str | None = None
    attempts: int = 1
    # answered from the response cache (llmrelay.cache): no provider was called; provider is "cache"
    cache_hit: bool = False
    # the canonical request and response objects, for exporters that log inputs and outputs
    request: Any = None
    response: Any = None

    @property
    def cost_usd(self) -> float:
        return self.cost_micros / 1_000_000

    @property
    def ok(self) -> bool:
        return self.error is None
