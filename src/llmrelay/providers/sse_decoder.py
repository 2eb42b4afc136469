"""The frame of a chat stream decoder over server-sent events: bytes in at any split, parsed events
handed to the provider's `_events`, and at the end a cut connection told apart from a finished
answer. A subclass sets `_ended` when the provider's last event arrives (`[DONE]`, a finish reason)
and names itself in `_cut_message`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmrelay.types.errors import APIConnectionError
from llmrelay.types.response import ChatChunk
from llmrelay.wire.sse import SSEEvent, SSEParser

if TYPE_CHECKING:
    from llmrelay.providers.base import Provider


class SseChunkDecoder:
    _cut_message = "stream ended before its last event: the connection was cut"

    def __init__(self, provider: Provider, model: str | None = None) -> None:
        self._provider = provider
        self._model = model
        self._sse = SSEParser()
        self._ended = False

    def feed(self, data: bytes) -> list[ChatChunk]:
        return self._events(self._sse.feed(data), at_end=False)

    def end(self) -> list[ChatChunk]:
        out = self._events(self._sse.end(), at_end=True)
        if not self._ended:
            raise self._cut()
        return out

    def _cut(self) -> APIConnectionError:
        return APIConnectionError(self._cut_message, provider=self._provider.name, model=self._model)

    def _events(self, events: list[SSEEvent], *, at_end: bool) -> list[ChatChunk]:
        raise NotImplementedError
