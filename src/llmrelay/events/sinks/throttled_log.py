"""A warning logged at most once per interval, with the count of those held back: an exporter whose
backend is down fails on every batch, and one line a minute says so as well as thousands."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


class ThrottledLog:
    def __init__(
        self,
        logger: logging.Logger,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval = interval
        self._clock = clock
        self._last: float | None = None
        self._held_back = 0
        # hooks (serving loop) and exporters (their own threads) both report
        self._lock = threading.Lock()

    def warning(self, message: str, *args: object) -> bool:
        """Log `message % args` unless one was logged less than `interval` ago; True if logged."""
        now = self._clock()
        with self._lock:
            if self._last is not None and now - self._last < self._interval:
                self._held_back += 1
                return False
            held, self._held_back = self._held_back, 0
            self._last = now
        if held:
            message += " (%d similar warnings held back)"
            args = (*args, held)
        self._logger.warning(message, *args)
        return True
