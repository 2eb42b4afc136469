"""What a simulator received: every request (bounded), and counters per path and per minute.

Tests assert what the code under test sent (`sim.requests.last.body["model"]`); router and limit
tests count requests at the simulator (`sim.requests.count("/v1/chat/completions")`)."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

# header names (lower-case) and query parameters whose values are secrets
SECRET_HEADERS = frozenset(
    {"authorization", "x-api-key", "x-goog-api-key", "api-key", "proxy-authorization", "cookie"}
)
SECRET_QUERY = frozenset({"key", "api_key"})


def redact(value: str) -> str:
    """Keep a hint of which key it was (the last 4 characters) without the key itself."""
    return f"***{value[-4:]}" if len(value) >= 24 else "***"


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One received request. `headers` has lower-case names and real values (tests may check the key
    that was sent); `repr()` hides the secrets."""

    method: str
    path: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: Any  # parsed JSON, or None
    raw_body: bytes = field(repr=False)
    received_at: float  # wall clock, epoch seconds

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def __repr__(self) -> str:
        headers = {k: (redact(v) if k in SECRET_HEADERS else v) for k, v in self.headers.items()}
        query = {k: (redact(v) if k in SECRET_QUERY else v) for k, v in self.query.items()}
        return (
            f"RecordedRequest({self.method} {self.path}, query={query!r}, headers={headers!r}, "
            f"body={self.body!r})"
        )

    __str__ = __repr__


class RequestLog:
    """Requests in arrival order (the newest `limit` kept) and counters over all of them.

    Written by the simulator's loop, read by tests possibly on another thread: guarded by a lock."""

    def __init__(self, limit: int | None = 10_000) -> None:
        self._lock = threading.Lock()
        self._items: deque[RecordedRequest] = deque(maxlen=limit)
        self._per_path: Counter[str] = Counter()
        self._per_minute: Counter[int] = Counter()
        self._total = 0

    def add(self, request: RecordedRequest) -> None:
        minute = int(request.received_at // 60)
        with self._lock:
            self._items.append(request)
            self._per_path[request.path] += 1
            self._per_minute[minute] += 1
            self._total += 1

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._per_path.clear()
            self._per_minute.clear()
            self._total = 0

    # ---- reading
    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def __len__(self) -> int:
        return self._total

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.snapshot())

    def __getitem__(self, index: int) -> RecordedRequest:
        return self.snapshot()[index]

    @property
    def last(self) -> RecordedRequest:
        with self._lock:
            if not self._items:
                raise LookupError("the simulator has received no request")
            return self._items[-1]

    def for_path(self, fragment: str) -> list[RecordedRequest]:
        """The kept requests whose path contains `fragment`."""
        return [r for r in self.snapshot() if fragment in r.path]

    def count(self, fragment: str | None = None) -> int:
        """Requests received (all, or those whose path contains `fragment`), including ones no
        longer kept."""
        with self._lock:
            if fragment is None:
                return self._total
            return sum(n for path, n in self._per_path.items() if fragment in path)

    def per_path(self) -> dict[str, int]:
        with self._lock:
            return dict(self._per_path)

    def per_minute(self) -> dict[int, int]:
        """Requests per wall-clock minute, keyed by `int(epoch_seconds // 60)`."""
        with self._lock:
            return dict(self._per_minute)

    def in_last(self, seconds: float, fragment: str | None = None) -> int:
        """Kept requests received in the last `seconds` (optionally only paths containing `fragment`)."""
        since = time.time() - seconds
        return sum(
            1 for r in self.snapshot() if r.received_at >= since and (fragment is None or fragment in r.path)
        )
