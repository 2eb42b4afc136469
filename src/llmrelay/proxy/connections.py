"""How many client connections one worker accepts at once, from the configured cap and the process's
open-files limit (descriptors the worker needs for its own work are kept back)."""

from __future__ import annotations

RESERVED_FILES = 128


def open_files_limit() -> int:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def connection_cap(configured: int, files_limit: int) -> int:
    """The connections one worker accepts at once: the configured cap, lowered so that client
    sockets can never use up the descriptors the worker needs for its own work. At the fd limit
    Granian's accept fails and every request times out; below it, extra connections wait in the
    listen backlog until an idle one is closed (connection_idle_timeout_seconds)."""
    return max(16, min(configured, files_limit - RESERVED_FILES))
