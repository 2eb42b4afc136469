"""How many calls one local model takes: `concurrency` run at once on the model's own worker
threads, `queue` more wait their turn, and the next is refused at once with a 503 rather than
left to wait without bound. The event loop never runs model code: it awaits the worker's future."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from llmrelay.local.errors import GenerationCancelled, LocalModelError

T = TypeVar("T")


class Admission:
    def __init__(self, name: str, concurrency: int, queue: int) -> None:
        self.concurrency = concurrency
        self.queue = queue
        self._lock = threading.Lock()
        self._taken = 0  # calls running or waiting
        self._workers = ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix=f"llmrelay-local-{name}"
        )

    @property
    def taken(self) -> int:
        with self._lock:
            return self._taken

    def submit(self, work: Callable[[], T], cancelled: threading.Event) -> Future[T]:
        """Run `work` on a worker once one is free; a 503 when `concurrency + queue` calls are
        already in. A call cancelled while it waits (`cancelled` set) returns without running."""
        with self._lock:
            if self._taken >= self.concurrency + self.queue:
                raise LocalModelError(
                    503,
                    f"the local model is busy: {self.concurrency} call(s) running and {self.queue} "
                    "waiting, the most it takes; try again later",
                )
            self._taken += 1
        try:
            return self._workers.submit(self._run, work, cancelled)
        except BaseException:
            self._leave()
            raise

    def close(self) -> None:
        """Let the workers end once their calls are done (a generation in flight ends at its stop)."""
        self._workers.shutdown(wait=False, cancel_futures=False)

    def _run(self, work: Callable[[], T], cancelled: threading.Event) -> T:
        try:
            if cancelled.is_set():
                raise GenerationCancelled
            return work()
        finally:
            self._leave()

    def _leave(self) -> None:
        with self._lock:
            self._taken -= 1
