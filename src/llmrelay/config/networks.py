"""`general_settings.trusted_proxies`, parsed: the addresses and CIDR networks of the front proxies
whose X-Forwarded-For the gateway believes. In config/ because the settings check them when the
config is read (a bad entry is a config error at start), and the server's client-address resolver
(proxy/client_address.py) matches against what they parse to."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Sequence[str]) -> tuple[Network, ...]:
    """Parse general_settings.trusted_proxies. Raises ValueError naming the entry that is not an
    address or network."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or CIDR network (like 10.0.0.0/8)") from None
    return tuple(networks)
