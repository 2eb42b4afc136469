"""Reserve → settle limiters (requests, tokens and in-flight calls per key), in memory or in Redis.

Generic over what a key names: a router deployment, an API key, a user or a team."""

from llmrelay.limits.base import Limit, Limiter, LimitUsage, Refusal, Reservation
from llmrelay.limits.memory import MemoryLimiter

__all__ = ["Limit", "LimitUsage", "Limiter", "MemoryLimiter", "Refusal", "Reservation"]
