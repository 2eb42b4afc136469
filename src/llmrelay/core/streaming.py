"""A streamed chat answer: an async iterator of OpenAI-shaped chunks that tracks time to first token,
usage and cost, and reports once when it ends (however it ends).

A gateway whose client speaks the upstream's wire dialect may instead take the upstream's bytes as
they come (`relay_raw`): the same bookkeeping, without decoding and re-encoding every chunk."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from llmrelay.calls.served import NOT_SERVED, Served
from llmrelay.core.assemble import ChunkAssembler
from llmrelay.core.sse_relay import OpenAIEventFilter, RawUpstream
from llmrelay.core.sync_stream import SyncStream
from llmrelay.providers.base import StreamDecoder
from llmrelay.types.chat import ChatRequest
from llmrelay.types.errors import LLMError, StreamClosedEarly
from llmrelay.types.response import ChatChunk, ChatResponse, Usage


async def decode_stream(
    chunks: AsyncIterator[bytes], decoder: StreamDecoder, provider: str, model: str
) -> AsyncIterator[ChatChunk]:
    """Bytes → canonical chunks. Errors carry the provider and model they came from."""
    try:
        async for data in chunks:
            for chunk in decoder.feed(data):
                yield chunk
        for chunk in decoder.end():
            yield chunk
    except LLMError as exc:
        exc.provider = exc.provider or provider
        exc.model = exc.model or model
        raise


def _raise_pending(events: OpenAIEventFilter) -> None:
    if events.error is not None:
        raise events.error


StreamFinished = Callable[["ChatStream", "LLMError | None"], None]


class ChatStream:
    """Iterate with `async for`. The usage-only last chunk is passed on only when the request asked
    for `stream_options.include_usage`; usage and cost are known either way once the stream ends."""

    def __init__(
        self,
        source: AsyncIterator[ChatChunk],
        request: ChatRequest,
        *,
        started: float,
        price: Callable[[Usage], int],
        on_finish: StreamFinished | None = None,
        close: Callable[[], Any] | None = None,
        raw: RawUpstream | None = None,
        scrub: Callable[[LLMError], object] | None = None,
    ) -> None:
        self._source = source
        # scrubs an upstream error's text in place before anyone sees it (core/scrub.py)
        self._scrub = scrub
        # set while the raw bytes can still be relayed: nothing read past the prefetch yet
        self._raw = raw
        # the bytes relayed raw, decoded only if someone asks for `response()`
        self._relayed: list[bytes] | None = None
        self._raw_decoder: Callable[[], StreamDecoder] | None = None
        # the raw prefetch's state: the filter, the first events to send, whether the bytes ended
        self._raw_events: OpenAIEventFilter | None = None
        self._raw_first = b""
        self._raw_ended = False
        self.request = request
        self.started = started
        self._price = price
        self._on_finish = on_finish
        self._on_complete: list[Callable[[ChatStream], None]] = []
        self._close = close
        self._pending: list[ChatChunk] = []
        self._want_usage = request.wants_stream_usage()
        self._assembler = ChunkAssembler()
        self._finished = False
        self._ended = False
        self.first_token_at: float | None = None
        self.usage: Usage | None = None
        self.cost_micros = 0
        self.error: LLMError | None = None
        # what served the stream (attach_served / served_of; set by the engine, the router...)
        self._served: Served = NOT_SERVED
        # LiteLLM's view of `_served` for SDK callers, written at the SDK edge only
        # (core/litellm_view.py): empty on the gateway's path, where nothing reads it
        self.hidden_params: dict[str, Any] = {}

    @property
    def served(self) -> Served:
        return self._served

    @property
    def time_to_first_token(self) -> float | None:
        return None if self.first_token_at is None else self.first_token_at - self.started

    async def prefetch(self) -> None:
        """Read up to the first chunk now, so a stream that fails before its first byte fails here
        (where the caller can still retry or fall back) rather than in the consumer's loop."""
        if self._raw is not None:
            await self._prefetch_raw(self._raw)
            return
        chunk = await self._next_from_source()
        if chunk is not None:
            self._pending.append(chunk)

    async def _prefetch_raw(self, raw: RawUpstream) -> None:
        """Prefetch for a stream that may be relayed raw: read bytes up to the first complete event
        without decoding it (only events that can hold an error are looked into). The bytes are kept
        so that `async for` decodes them after all if that is how the stream is read."""
        events = OpenAIEventFilter(raw.new_decoder, self._want_usage)
        tap = raw.tap
        tap.recording = True
        out = b""
        try:
            while not out and not self._raw_ended:
                try:
                    data = await tap.__anext__()
                except StopAsyncIteration:
                    self._raw_ended = True
                    out = events.end()
                else:
                    out = events.feed(data)
                _raise_pending(events)
        except LLMError as exc:
            exc.provider = exc.provider or raw.provider
            exc.model = exc.model or raw.model
            await self._finish(exc)
            raise
        except BaseException:
            await self._release()
            self._finished = True
            raise
        finally:
            tap.recording = False
        self.first_token_at = time.monotonic()
        self._raw_events = events
        self._raw_first = out

    def __aiter__(self) -> ChatStream:
        return self

    async def __anext__(self) -> ChatChunk:
        if self._raw is not None:
            # read decoded after all: the decoder starts from the bytes the prefetch looked at
            self._raw.tap.replay()
            self._raw = None
        while True:
            chunk = self._pending.pop(0) if self._pending else await self._next_from_source()
            if chunk is None:
                raise StopAsyncIteration
            if not chunk.choices and chunk.usage is not None and not self._want_usage:
                continue
            return chunk

    async def _next_from_source(self) -> ChatChunk | None:
        if self._finished:
            return None
        try:
            chunk = await self._source.__anext__()
        except StopAsyncIteration:
            await self._finish(None)
            return None
        except LLMError as exc:
            await self._finish(exc)
            raise
        except BaseException as exc:
            # cancelled (the reader went away), or a bug: release the connection, and report the
            # stream as closed early, never as a success
            await self._close_early(wait=not isinstance(exc, GeneratorExit))
            raise
        if self.first_token_at is None:
            self.first_token_at = time.monotonic()
        if chunk.usage is not None:
            self.usage = chunk.usage
            self.cost_micros = self._price(chunk.usage)
            chunk._hidden_params = {"cost_micros": self.cost_micros}  # type: ignore[attr-defined]
        self._assembler.add(chunk)
        return chunk

    def relays_raw(self, dialect: str) -> bool:
        """Whether `relay_raw()` can serve a client speaking `dialect` (only "openai" for now, and
        only before any chunk was taken with `async for`)."""
        return (
            self._raw_events is not None
            and self._raw is not None
            and self._raw.dialect == dialect == "openai"
        )

    async def relay_raw(self, send: Callable[[bytes], Awaitable[object]]) -> None:
        """The upstream's SSE bytes pushed to `send` as they arrive, whole events only, in its own
        dialect (see `relays_raw`), ending with its own end marker. Usage, cost, time to first token
        and the end report are kept as with `async for`; an upstream error raises once the events
        before it are sent, a cut stream raises at the end. Pushed rather than pulled: no async
        generator step per upstream read."""
        raw, events = self._raw, self._raw_events
        if raw is None or events is None:
            raise RuntimeError("raw bytes are not available for this stream")
        self._raw = None
        self._raw_decoder = raw.new_decoder
        raw.tap.recorded.clear()
        self._relayed = relayed = []
        try:
            out, self._raw_first = self._raw_first, b""
            if out:
                relayed.append(out)
                await send(out)
            if not self._raw_ended and not self._finished:
                feed, keep = events.feed, relayed.append
                async for data in raw.tap.rest():
                    out = feed(data)
                    if out:
                        keep(out)
                        await send(out)
                    if events.error is not None:
                        raise events.error
                out = events.end()
                if out:
                    relayed.append(out)
                    await send(out)
            _raise_pending(events)
        except LLMError as exc:
            exc.provider = exc.provider or raw.provider
            exc.model = exc.model or raw.model
            await self._finish_raw(events, exc)
            raise
        except BaseException as exc:
            # cancelled, the client left (send failed), or a bug: release the connection, report the
            # stream as closed early
            await self._close_early(events, wait=not isinstance(exc, GeneratorExit))
            raise
        finally:
            # the stream keeps its error, whose traceback holds this frame: `send` would keep the
            # server's transport (and so the response) alive
            del send
        await self._finish_raw(events, None)

    async def _finish_raw(self, events: OpenAIEventFilter, error: LLMError | None) -> None:
        if events.usage is not None:
            self.usage = events.usage
            self.cost_micros = self._price(events.usage)
        await self._finish(error)

    def set_on_finish(self, callback: StreamFinished) -> None:
        """Report the stream's end to `callback` (now, if it already ended). The client attaches it
        only once the stream is handed to the caller, so failed attempts are not reported twice."""
        self._on_finish = callback
        if self._ended:
            callback(self, self.error)

    def on_complete(self, callback: Callable[[ChatStream], None]) -> None:
        """Call `callback(stream)` once the stream has been read to its end without an error (not
        when it fails or is closed early) — e.g. to keep the whole answer (`response()`)."""
        self._on_complete.append(callback)

    async def _finish(self, error: LLMError | None) -> None:
        if self._finished:
            return
        self._finished = True
        self._ended = True
        if error is not None and self._scrub is not None:
            # every stream error passes here before it is raised to the reader or reported
            self._scrub(error)
        self.error = error
        await self._release()
        if self._on_finish is not None:
            self._on_finish(self, error)
        if error is None:
            for callback in self._on_complete:
                callback(self)

    async def _release(self) -> None:
        if self._close is not None:
            close, self._close = self._close, None
            result = close()
            if hasattr(result, "__await__"):
                await result

    async def aclose(self) -> None:
        """Stop early (the consumer went away): release the upstream connection, and report the
        stream as ended by a StreamClosedEarly with the usage so far. No-op after the end."""
        await self._close_early()

    async def _close_early(self, events: OpenAIEventFilter | None = None, *, wait: bool = True) -> None:
        """The reader stopped before the end. The upstream may have charged for the whole answer; what
        is known is billed: its usage when it said it (a raw relay's filter may hold it), else an
        estimate — the request's prompt tokens and the tokens of what was read so far. `wait=False`
        while a coroutine or generator is being closed (GeneratorExit), where nothing may suspend:
        the estimate is then counted inline."""
        if self._finished:
            return
        self._finished = True
        await self._release()
        if self._on_finish is None:
            return  # not handed out yet (a failed attempt): nothing to report
        self._ended = True
        if events is not None and events.usage is not None:
            self.usage = events.usage
        if self.usage is None:
            self.usage = await self._count_usage_so_far() if wait else self._usage_so_far()
        self.cost_micros = self._price(self.usage)
        self.error = StreamClosedEarly("the stream was closed before it ended", code="stream_closed_early")
        self._on_finish(self, self.error)

    async def _count_usage_so_far(self) -> Usage:
        # counting may load the tokenizer (≈ 0.6 s the first time): not on the event loop, unless
        # the loop is shutting down and its executor is gone
        try:
            return await asyncio.get_running_loop().run_in_executor(None, self._usage_so_far)
        except RuntimeError:
            return self._usage_so_far()

    def _usage_so_far(self) -> Usage:
        """An estimate: the request's prompt tokens and the tokens of the answer read so far."""
        from llmrelay.cost.tokens import count_text, token_counter

        model = self.request.model
        prompt = token_counter(model, self.request.messages)
        choices = self.response().choices
        message = choices[0].message if choices else None
        completion = 0
        if message is not None:
            text = message.content if isinstance(message.content, str) else ""
            completion = count_text(text + (message.reasoning_content or ""), model)
            for call in message.tool_calls or ():
                completion += count_text(call.function.name + call.function.arguments, model)
        return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)

    async def __aenter__(self) -> ChatStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def response(self) -> ChatResponse:
        """Everything streamed so far, assembled into one ChatResponse."""
        relayed, self._relayed = self._relayed, None
        if relayed and self._raw_decoder is not None:
            # relayed raw: the chunks are decoded now, once, for whoever asked
            decoder = self._raw_decoder()
            self._assembler = ChunkAssembler()
            for data in relayed:
                for chunk in decoder.feed(data):
                    self._assembler.add(chunk)
        return self._assembler.build(self.usage)

    @property
    def text(self) -> str:
        return self._assembler.text()


class SyncChatStream(SyncStream[ChatChunk, ChatResponse]):
    """The sync face of a ChatStream: each step runs on the client's loop thread."""
