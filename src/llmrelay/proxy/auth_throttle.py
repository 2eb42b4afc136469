"""Throttling of failed authentication, per client address.

An address that fails authentication (a missing, unknown, blocked or expired key: a 401) more than
`limit` times within `window` seconds gets 429 with `retry-after` instead of 401 for its further
failures until the window ends. A request whose key is good is never refused here and never counted:
a gateway behind a front proxy or a NAT sees many clients as one address, and one client with a bad
key must not lock the others out.

Memory is bounded: at most `max_addresses` addresses are remembered, the least recently failing
forgotten first, so a spray of source addresses cannot grow the table. IPv6 clients are counted per
/64 (what one host usually holds), IPv4 clients per address. Nothing here runs for a request that
authenticates."""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from llmrelay.proxy.client_address import peer_host
from llmrelay.types.errors import RateLimitError

log = logging.getLogger("llmrelay.proxy")

DEFAULT_LIMIT = 20
DEFAULT_WINDOW_SECONDS = 60.0
DEFAULT_MAX_ADDRESSES = 10_000
IPV6_PREFIX = 64


def client_address(client: str) -> str:
    """The throttled identity of an RSGI `scope.client` ("1.2.3.4:5678", "[2001:db8::1]:5678"): the
    IPv4 address, or the IPv6 address's /64 network."""
    host = peer_host(client)
    if ":" not in host:
        return host
    try:
        network = ipaddress.IPv6Network(f"{host}/{IPV6_PREFIX}", strict=False)
    except ValueError:
        return host
    return str(network)


@dataclass(slots=True)
class _Window:
    start: float  # when the address's current window began (its first failure in it)
    failures: int = 0


class FailedAuthThrottle:
    __slots__ = ("_clock", "_failures", "limit", "max_addresses", "window")

    def __init__(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        window: float = DEFAULT_WINDOW_SECONDS,
        max_addresses: int = DEFAULT_MAX_ADDRESSES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0 or max_addresses < 1:
            raise ValueError("limit and max_addresses must be at least 1, window greater than 0")
        self.limit = limit
        self.window = window
        self.max_addresses = max_addresses
        self._clock = clock
        # address → its current window; least recently failing first
        self._failures: OrderedDict[str, _Window] = OrderedDict()

    def __len__(self) -> int:
        return len(self._failures)

    def failed(self, client: str) -> None:
        """Count one failed authentication from `client` (an RSGI scope.client); raises RateLimitError
        (429, with retry_after) once the address is over its limit for the current window."""
        address = client_address(client)
        now = self._clock()
        entry = self._failures.get(address)
        if entry is None or now - entry.start >= self.window:
            entry = _Window(start=now)
            self._failures[address] = entry
            if len(self._failures) > self.max_addresses:
                self._failures.popitem(last=False)
        self._failures.move_to_end(address)
        entry.failures += 1
        if entry.failures == self.limit + 1:
            # once per address and window: a spray shows in the log without flooding it
            log.warning(
                "throttling failed authentication from %s: over %d in %gs", address, self.limit, self.window
            )
        if entry.failures > self.limit:
            retry_after = max(1, math.ceil(entry.start + self.window - now))
            raise RateLimitError(
                f"too many failed authentications from this address; retry in {retry_after}s",
                code="auth_throttled",
                retry_after=retry_after,
            )
