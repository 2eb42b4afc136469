"""How long a request has spent waiting on upstreams: what the gateway subtracts from a request's
time to tell its own overhead (the `x-litellm-overhead-duration-ms` header, proxy/http.py).

The gateway puts one UpstreamClock in a context variable for each request; the transport adds every
wait on an upstream to it (a whole exchange; a stream's head and reads). A context variable rather
than a parameter: the wait is measured four layers below the route that reads it (router, engine,
exchange, transport), and every call those layers make for the request runs in the request's task
or a task started from it, which sees the same clock. The SDK sets none, and pays one lookup per
upstream exchange."""

from __future__ import annotations

from contextvars import ContextVar
from time import perf_counter


class UpstreamClock:
    """Seconds spent waiting on upstreams so far, counting a wait still in progress. Waits that
    overlap (not done by the router today) would be counted twice."""

    __slots__ = ("_depth", "_since", "waited")

    def __init__(self) -> None:
        self.waited = 0.0
        self._since = 0.0
        # nested waits (a token grant's exchange inside a call's) are counted once, outermost
        self._depth = 0

    def enter(self) -> None:
        if self._depth == 0:
            self._since = perf_counter()
        self._depth += 1

    def leave(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.waited += perf_counter() - self._since

    def waited_until(self, now: float) -> float:
        """The seconds waited up to `now` (a perf_counter reading), the wait in progress included."""
        if self._depth:
            return self.waited + (now - self._since)
        return self.waited


UPSTREAM_CLOCK: ContextVar[UpstreamClock | None] = ContextVar("llmrelay_upstream_clock", default=None)
