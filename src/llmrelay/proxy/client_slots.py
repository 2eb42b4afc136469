"""Requests in flight per client address, per worker (general_settings.max_requests_per_client).

Granian's connection cap (max_connections_per_worker) is shared by every client; this keeps one
address from holding all of a worker's request capacity with slow calls or long streams. The
address is the client's (proxy/client_address.py): the TCP peer's, or behind a trusted front proxy
the one X-Forwarded-For names (docs/security.md, "Behind a front proxy").

The app's request path counts in `busy` inline (GatewayApp.__rsgi__) rather than through methods
here: a take and a give are a dict read and write each, and two method calls per request cost more
than that (ADR 0008). This module keeps the table, the limit and the refusal in one place."""

from __future__ import annotations

from llmrelay.types.errors import RateLimitError


class ClientSlots:
    """`busy[address]`: that address's requests in flight (a host, no port). An address with none
    has no entry, so the table is as small as the number of addresses being served right now."""

    __slots__ = ("busy", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.busy: dict[str, int] = {}

    def refusal(self) -> RateLimitError:
        return RateLimitError(
            f"too many requests in flight from this address (at most {self.limit} per worker: "
            "general_settings.max_requests_per_client)",
            code="too_many_requests_from_client",
        )
