"""A port for a server that a test or bench starts on loopback.

The usual trick — bind port 0, read the port, close, let the server bind it — hands out a port from
the kernel's ephemeral range, the same range every outgoing connection takes its local port from. On
a machine whose tests open thousands of client connections, one of them can take that port between
the close and the server's bind, and the server fails to start (or, worse, the test's connect check
reaches the other socket). So the port is drawn at random below the ephemeral range, where no
outgoing connection lands, and checked by binding it; only when that range is too small does this
fall back to the kernel's choice."""

from __future__ import annotations

import random
import socket
from pathlib import Path

_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
# below 10000 live many well-known services' ports; the draw needs a few thousand to stay unlikely to
# repeat within one test run
_LOWEST = 10_000
_ATTEMPTS = 50


def _ephemeral_low() -> int:
    try:
        return int(_RANGE_FILE.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768  # Linux's default, and what the file says on most machines


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A loopback port nothing listens on, outside the ephemeral range when there is room."""
    high = _ephemeral_low()
    if high - _LOWEST >= 1_000:
        draw = random.Random()
        for _ in range(_ATTEMPTS):
            port = draw.randrange(_LOWEST, high)
            if _bindable(port):
                return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        chosen: int = sock.getsockname()[1]
        return chosen
