"""Requests in flight per client address, per worker (general_settings.max_requests_per_client).

Granian's connection cap (max_connections_per_worker) is shared by every client; this keeps one
address from holding all of a worker's request capacity with slow calls or long streams. The
address is the client's (proxy/client_address.py): the TCP peer's, or behind a trusted front proxy
the one X-Forwarded-For names (docs/security.md, "Behind a front proxy")."""

from __future__ import annotations

from llmrelay.types.errors import RateLimitError


class ClientSlots:
    __slots__ = ("_busy", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._busy: dict[str, int] = {}

    def take(self, address: str) -> str:
        """Count one more request from `address` (a host, no port); returns it, to `give` back.
        Raises a 429 when the address already has `limit` requests in flight."""
        busy = self._busy.get(address, 0)
        if busy >= self.limit:
            raise self._over()
        self._busy[address] = busy + 1
        return address

    def _over(self) -> RateLimitError:
        return RateLimitError(
            f"too many requests in flight from this address (at most {self.limit} per worker: "
            "general_settings.max_requests_per_client)",
            code="too_many_requests_from_client",
        )

    def take_peer(self, client: str) -> str:
        """`take` for the TCP peer itself (an RSGI scope.client: "1.2.3.4:5678", "[::1]:5678"), its
        port cut here rather than by a resolver call: the path of every request without trusted
        proxies. The key keeps an IPv6 address's brackets; it only has to be the same per address."""
        address = client[: client.rfind(":")] if ":" in client else client
        busy = self._busy.get(address, 0)
        if busy >= self.limit:
            raise self._over()
        self._busy[address] = busy + 1
        return address

    def give(self, address: str) -> None:
        busy = self._busy[address] - 1
        if busy:
            self._busy[address] = busy
        else:
            # an address with nothing in flight takes no memory: the dict stays as small as the
            # number of addresses being served right now
            del self._busy[address]

    def in_flight(self, address: str) -> int:
        return self._busy.get(address, 0)
