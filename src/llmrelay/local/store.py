"""The loaded models of one in-process server: each loaded once, on its first call, in a loader
thread (never on the event loop); calls that come while it loads wait for the same load. A load
that fails is forgotten, so the next call tries again (the folder may have been fixed)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, TypeVar

from llmrelay.local.admission import Admission
from llmrelay.local.errors import LocalModelError
from llmrelay.local.wire import ModelPlace

M = TypeVar("M")


@dataclass(frozen=True, slots=True)
class Loaded(Generic[M]):
    model: M
    place: ModelPlace
    admission: Admission


class ModelStore(Generic[M]):
    def __init__(self, kind: str, load: Callable[[str], M]) -> None:
        self.kind = kind
        self._load = load
        self._lock = threading.Lock()
        self._models: dict[str, Future[Loaded[M]]] = {}

    async def get(self, place: ModelPlace) -> Loaded[M]:
        with self._lock:
            pending = self._models.get(place.path)
            starts = pending is None
            if pending is None:
                pending = self._models[place.path] = Future()
        if starts:
            threading.Thread(
                target=self._load_into, args=(place, pending), name="llmrelay-local-load", daemon=True
            ).start()
        # shielded: a caller that gives up must not cancel the load the others wait for
        loaded = await asyncio.shield(asyncio.wrap_future(pending))
        if (loaded.place.concurrency, loaded.place.queue) != (place.concurrency, place.queue):
            raise LocalModelError(
                400,
                f"the local model {place.path!r} already serves with concurrency "
                f"{loaded.place.concurrency} and queue {loaded.place.queue}: deployments sharing a model "
                "must give the same local_concurrency and local_queue",
                param="local_concurrency",
            )
        return loaded

    def _load_into(self, place: ModelPlace, pending: Future[Loaded[M]]) -> None:
        try:
            model = self._load(place.path)
        except BaseException as exc:  # noqa: BLE001 - raised to every caller awaiting the load
            with self._lock:
                self._models.pop(place.path, None)
            pending.set_exception(exc)
            return
        admission = Admission(self.kind, place.concurrency, place.queue)
        pending.set_result(Loaded(model, place, admission))

    def close(self) -> None:
        """Release the loaded models' workers; a model asked for again is loaded anew."""
        with self._lock:
            pending, self._models = list(self._models.values()), {}
        for future in pending:
            if future.done() and future.exception() is None:
                future.result().admission.close()
