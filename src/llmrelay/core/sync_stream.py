"""The sync face of a streamed answer (chat or text): each step runs on the client's loop thread."""

from __future__ import annotations

from collections.abc import Coroutine, Iterator
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from llmrelay.types.response import Usage

if TYPE_CHECKING:
    from llmrelay.loop_thread import LoopThread

ChunkT = TypeVar("ChunkT")
ResponseT = TypeVar("ResponseT")
ChunkT_co = TypeVar("ChunkT_co", covariant=True)
ResponseT_co = TypeVar("ResponseT_co", covariant=True)


class AsyncAnswerStream(Protocol[ChunkT_co, ResponseT_co]):
    """What ChatStream and TextStream both offer."""

    @property
    def usage(self) -> Usage | None: ...

    @property
    def cost_micros(self) -> int: ...

    def __anext__(self) -> Coroutine[Any, Any, ChunkT_co]: ...

    def aclose(self) -> Coroutine[Any, Any, None]: ...

    def response(self) -> ResponseT_co: ...

    @property
    def time_to_first_token(self) -> float | None: ...

    @property
    def text(self) -> str: ...


class SyncStream(Generic[ChunkT, ResponseT]):
    def __init__(self, stream: AsyncAnswerStream[ChunkT, ResponseT], loop_thread: LoopThread) -> None:
        self._stream = stream
        self._loop_thread = loop_thread

    def __iter__(self) -> Iterator[ChunkT]:
        return self

    def __next__(self) -> ChunkT:
        try:
            return self._loop_thread.run(self._stream.__anext__())
        except StopAsyncIteration:
            raise StopIteration from None

    def close(self) -> None:
        self._loop_thread.run(self._stream.aclose())

    def __enter__(self) -> SyncStream[ChunkT, ResponseT]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def response(self) -> ResponseT:
        return self._stream.response()

    @property
    def usage(self) -> Usage | None:
        return self._stream.usage

    @property
    def cost_micros(self) -> int:
        return self._stream.cost_micros

    @property
    def time_to_first_token(self) -> float | None:
        return self._stream.time_to_first_token

    @property
    def text(self) -> str:
        return self._stream.text
