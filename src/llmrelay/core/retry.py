"""Backoff between attempts: exponential with full jitter, honouring a provider's retry-after.

`Backoff` says only how long to wait; how many retries an error gets is the router's `RetryPolicy`
(router/policy.py), which the SDK Client's calls go through as well."""

from __future__ import annotations

import random
from dataclasses import dataclass

from llmrelay.types.errors import LLMError


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long to wait before retry number `attempt` (1-based): a provider's retry-after when it
    sent one (capped, since retrying earlier would only be refused again), else a random wait in
    [0, base * 2**(attempt-1)], capped ("full jitter": retries from many clients spread out)."""

    base: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int, error: LLMError | None = None, rng: random.Random | None = None) -> float:
        if error is not None and error.retry_after is not None:
            return min(error.retry_after, self.cap)
        ceiling = min(self.cap, self.base * (2 ** (attempt - 1)))
        return (rng or random).uniform(0, ceiling)


# the SDK's public name for it (`Client(retry_policy=RetryPolicy(base, cap))`, documented in
# docs/sdk.md): kept so user code keeps working; it is a Backoff, not the router's RetryPolicy
RetryPolicy = Backoff


def backoff_delay(
    attempt: int,
    error: LLMError | None = None,
    *,
    base: float = 0.5,
    cap: float = 30.0,
    rng: random.Random | None = None,
) -> float:
    """Backoff(base, cap).delay(...), as a function."""
    return Backoff(base, cap).delay(attempt, error, rng)


def should_retry(error: BaseException) -> bool:
    return isinstance(error, LLMError) and error.retryable
