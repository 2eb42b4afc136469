"""Requests without a credential, per client address (general_settings.unauthenticated_requests_per_minute).

Counts what reaches the gateway with nothing to authenticate: its public routes (the dashboard's
files, the OpenAPI document, /metrics when it needs no key) and requests that match no route at all
(404, 405, a trailing-slash redirect: what a scanner sends). Past `limit` such requests within a
minute from one address, the rest of that minute answers 429 `too_many_unauthenticated_requests`
with `retry-after`. Authenticated routes are not counted here (bad keys meet the failed-auth throttle,
proxy/auth_throttle.py), nor the orchestrator's probes (/health/liveliness, /liveness, /readiness).

The address is the client's (proxy/client_address.py: behind a trusted front proxy, the one
X-Forwarded-For names), IPv6 counted per /64 as the failed-auth throttle does; the table keeps at
most `max_addresses` addresses, the least recently seen forgotten first."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from llmrelay.proxy.auth_throttle import client_address
from llmrelay.types.errors import RateLimitError

WINDOW_SECONDS = 60.0
# probes an orchestrator calls from its own address, never throttled (as allowed_ips exempts them)
PROBES = frozenset({"/health/liveliness", "/health/liveness", "/health/readiness"})


@dataclass(slots=True)
class _Window:
    start: float
    requests: int = 0


class PublicThrottle:
    __slots__ = ("_clock", "_seen", "limit", "max_addresses")

    def __init__(
        self, limit: int, *, max_addresses: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or max_addresses < 1:
            raise ValueError("limit and max_addresses must be at least 1")
        self.limit = limit
        self.max_addresses = max_addresses
        self._clock = clock
        self._seen: OrderedDict[str, _Window] = OrderedDict()  # least recently seen first

    def __len__(self) -> int:
        return len(self._seen)

    def hit(self, client: str, path: str) -> None:
        """Count one request without a credential from `client` (a host, as client_address.py gives
        it); RateLimitError (429) once the address is over its limit for the current minute."""
        if path in PROBES:
            return
        address = client_address(client)
        now = self._clock()
        entry = self._seen.get(address)
        if entry is None or now - entry.start >= WINDOW_SECONDS:
            entry = self._seen[address] = _Window(start=now)
            if len(self._seen) > self.max_addresses:
                self._seen.popitem(last=False)
        self._seen.move_to_end(address)
        entry.requests += 1
        if entry.requests > self.limit:
            retry_after = max(1, math.ceil(entry.start + WINDOW_SECONDS - now))
            raise RateLimitError(
                f"too many requests without a credential from this address (at most {self.limit} a "
                f"minute: general_settings.unauthenticated_requests_per_minute); retry in {retry_after}s",
                code="too_many_unauthenticated_requests",
                retry_after=retry_after,
            )
