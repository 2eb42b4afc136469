"""The router: load balancing, retries, fallbacks, cooldowns, timeouts and deployment limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmrelay.router.router import Router

__all__ = ["Router"]


def __getattr__(name: str) -> Any:
    # lazy: the SDK Client imports the runner's modules (router.runner, router.records) and has no
    # use for the Router class itself, nor for what it imports (health checks, aliases...)
    if name == "Router":
        from llmrelay.router.router import Router

        return Router
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
