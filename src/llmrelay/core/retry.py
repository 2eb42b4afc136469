"""Backoff between attempts: exponential with full jitter, honouring a provider's retry-after."""

from __future__ import annotations

import random

from llmrelay.types.errors import LLMError


def backoff_delay(
    attempt: int,
    error: LLMError | None = None,
    *,
    base: float = 0.5,
    cap: float = 30.0,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retry number `attempt` (1-based). A retry-after from the provider wins
    (capped), since retrying earlier would only be refused again."""
    if error is not None and error.retry_after is not None:
        return min(error.retry_after, cap)
    ceiling = min(cap, base * (2 ** (attempt - 1)))
    return (rng or random).uniform(0, ceiling)


def should_retry(error: BaseException) -> bool:
    return isinstance(error, LLMError) and error.retryable
