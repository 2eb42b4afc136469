"""Who the client is, by network address: what the failed-auth throttle and the per-client request cap
count by.

By default the client is the TCP peer. Behind a front proxy (a load balancer, nginx, Kong...) every
peer is the proxy, so LiteLLM's `general_settings.use_x_forwarded_for: true` takes the client from the
`X-Forwarded-For` header instead — but only from proxies listed in `general_settings.trusted_proxies`
(addresses or CIDR networks): anyone else could write any address there and escape both limits. The
header is read from its right end (the entry the nearest proxy added) leftwards, skipping the trusted
proxies; the first other address is the client. An entry that is not an address ends the walk: what
lies left of it was written by someone untrusted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from llmrelay.config.networks import trusted_networks
from llmrelay.proxy.http import RSGIScope

# entries of X-Forwarded-For read at most: a longer chain is cut at its left, never parsed whole
MAX_FORWARDED_HOPS = 16


def peer_host(client: str) -> str:
    """The host part of an RSGI `scope.client`: "1.2.3.4:5678" → "1.2.3.4", "[::1]:5678" → "::1"."""
    if client.startswith("["):
        return client[1 : client.find("]")]
    if client.count(":") == 1:
        return client.rpartition(":")[0]
    return client


class ClientAddresses:
    """Resolves each request's client address (a host, without port)."""

    __slots__ = ("_trusted",)

    def __init__(self, trusted: Sequence[str] = ()) -> None:
        # empty: the peer is the client and X-Forwarded-For is never read
        self._trusted = trusted_networks(trusted)

    def of(self, scope: RSGIScope) -> str:
        peer = peer_host(scope.client)
        if not self._trusted or not self._is_trusted(peer):
            return peer
        forwarded = scope.headers.get("x-forwarded-for")
        if not forwarded:
            return peer
        client = peer
        for entry in reversed(forwarded.split(",")[-MAX_FORWARDED_HOPS:]):
            host = entry.strip()
            if not self._is_address(host):
                break
            client = host
            if not self._is_trusted(host):
                break
        return client

    def _is_trusted(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self._trusted)

    @staticmethod
    def _is_address(host: str) -> bool:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return False
        return True
