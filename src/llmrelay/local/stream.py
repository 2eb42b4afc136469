"""A generation streamed to the event loop: the worker thread hands each piece of text over with
`call_soon_threadsafe` (the only way it touches the loop), and the stream turns the pieces into
OpenAI's server-sent events as they come. It has what the transport's streamed responses have
(status, headers, iter_bytes, read, aclose), so the engine reads it like an upstream's."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future

from llmrelay.local import answers
from llmrelay.local.answers import AnswerId
from llmrelay.local.errors import GenerationCancelled, LocalModelError, failure_message
from llmrelay.local.generation import Generated
from llmrelay.types.errors import Timeout

# what the worker hands over: text, the end, or what went wrong
Event = str | Generated | BaseException


class Handoff:
    """The worker's side: puts events on the caller's loop, and notices when the caller is gone."""

    def __init__(self, loop: asyncio.AbstractEventLoop, cancelled: threading.Event) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self._loop = loop
        self.cancelled = cancelled

    def emit(self, event: Event) -> None:
        try:
            self._loop.call_soon_threadsafe(self.queue.put_nowait, event)
        except RuntimeError:  # the caller's loop is closed: nobody reads this stream any more
            self.cancelled.set()

    def watch(self, job: Future[Generated]) -> None:
        """Hand over the job's end (its result or its error) once it is done."""

        def done(finished: Future[Generated]) -> None:
            error = finished.exception()
            self.emit(error if error is not None else finished.result())

        job.add_done_callback(done)


class LocalStream:
    status = 200
    headers = answers.SSE_HEADERS

    def __init__(
        self,
        handoff: Handoff,
        ident: AnswerId,
        *,
        chat: bool,
        include_usage: bool,
        read_timeout: float | None,
    ) -> None:
        self._handoff = handoff
        self._ident = ident
        self._chat = chat
        self._include_usage = include_usage
        self._read_timeout = read_timeout
        self._chunk: Callable[[str, str | None], bytes] = self._chat_chunk if chat else self._text_chunk

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        if self._chat:
            yield answers.chat_chunk(self._ident, {"role": "assistant", "content": ""}, None)
        try:
            while True:
                event = await self._next()
                if isinstance(event, str):
                    yield self._chunk(event, None)
                    continue
                if isinstance(event, Generated):
                    yield self._chunk("", event.finish_reason)
                    if self._include_usage:
                        used = answers.usage(event.prompt_tokens, event.completion_tokens)
                        kind = "chat.completion.chunk" if self._chat else "text_completion"
                        yield answers.usage_chunk(self._ident, kind, used)
                    yield answers.DONE
                    return
                if isinstance(event, GenerationCancelled):
                    return
                status = event.status if isinstance(event, LocalModelError) else 500
                yield answers.error_event(status, _message(event))
                return
        finally:
            self._handoff.cancelled.set()  # a reader that stops early stops the generation

    async def read(self) -> bytes:
        return b"".join([piece async for piece in self.iter_bytes()])

    async def aclose(self) -> None:
        self._handoff.cancelled.set()

    async def _next(self) -> Event:
        queue = self._handoff.queue
        if self._read_timeout is None:
            return await queue.get()
        try:
            async with asyncio.timeout(self._read_timeout):
                return await queue.get()
        except TimeoutError as exc:
            raise Timeout(f"no stream data for {self._read_timeout}s") from exc

    def _chat_chunk(self, text: str, finish_reason: str | None) -> bytes:
        delta = {"content": text} if text or finish_reason is None else {}
        return answers.chat_chunk(self._ident, delta, finish_reason)

    def _text_chunk(self, text: str, finish_reason: str | None) -> bytes:
        return answers.completion_chunk(self._ident, text, finish_reason)


class FixedStream:
    """A stream refused before it began: an error status and its body, as an upstream's."""

    headers = answers.JSON_HEADERS

    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self._body = body

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        yield self._body

    async def read(self) -> bytes:
        return self._body

    async def aclose(self) -> None:
        return None


def _message(error: BaseException) -> str:
    if isinstance(error, LocalModelError):
        return error.message
    return failure_message(error)
