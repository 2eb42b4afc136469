"""What a CallRunner runs with: the router's cooldown and timing settings, a call's own knobs, and
what it books of a stream."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from llmrelay.calls.context import EndUserRouting, StreamTimeouts
from llmrelay.router.policy import DEFAULT_AUTH_COOLDOWN
from llmrelay.types.errors import LLMError
from llmrelay.types.response import Usage


class RoutedStream(Protocol):
    """What the runner books of a stream (a ChatStream, or a TextStream over one)."""

    @property
    def started(self) -> float: ...

    @property
    def usage(self) -> Usage | None: ...

    @property
    def cost_micros(self) -> int: ...

    @property
    def time_to_first_token(self) -> float | None: ...

    def set_on_finish(self, callback: Callable[[Any, LLMError | None], None]) -> None: ...

    def response(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class CooldownSettings:
    allowed_fails: int = 3
    cooldown_time: float = 60.0
    window: float = 60.0
    # LiteLLM's router_settings.disable_cooldowns: no deployment is ever cooled
    disabled: bool = False
    # seconds a deployment whose credentials were refused (401/403) sits out before it is probed again
    auth_cooldown_time: float = DEFAULT_AUTH_COOLDOWN


@dataclass(frozen=True, slots=True)
class Timing:
    """Router-wide defaults; a deployment's own values win, a request's win over both."""

    timeout: float | None = None
    stream_first_token: float | None = None
    stream_between_chunks: float | None = None
    retry_after: float = 0.0  # minimum wait before a retry
    backoff_base: float = 0.5
    backoff_cap: float = 30.0


@dataclass(slots=True)
class CallOptions:
    """Per-call knobs from the caller."""

    tags: frozenset[str] = frozenset()
    timeout: float | None = None
    stream_timeouts: StreamTimeouts | None = None
    num_retries: int | None = None
    drop_params: bool = False
    routing: EndUserRouting | None = None  # an end user limited to a region
