"""Where router state lives: in this process, or in Redis for every process that uses the same URL."""

from __future__ import annotations

from dataclasses import dataclass

from llmrelay.limits.base import Limiter
from llmrelay.limits.memory import MemoryLimiter
from llmrelay.router.state import MemoryRouterState, RouterState


@dataclass(slots=True)
class SharedBackends:
    state: RouterState
    limiter: Limiter

    async def aclose(self) -> None:
        await self.state.aclose()
        await self.limiter.aclose()


def open_backends(redis_url: str | None, key_prefix: str) -> SharedBackends:
    if redis_url is None:
        return SharedBackends(MemoryRouterState(), MemoryLimiter())
    from llmrelay.router.redis_state import redis_backends  # redis is an optional extra

    return redis_backends(redis_url, key_prefix)
