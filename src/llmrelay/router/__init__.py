"""The router: load balancing, retries, fallbacks, cooldowns, timeouts and deployment limits."""

from llmrelay.router.router import Router

__all__ = ["Router"]
