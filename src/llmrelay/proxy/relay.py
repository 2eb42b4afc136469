"""Answer a chat call that may stream: relay chunks as they come, keep the connection alive while the
first token is slow, cancel the upstream call when the client goes away.

Order of events for a streamed call:
- the router call runs in the request's task; the client's disconnect cancels that task (watched
  from `WATCH_AFTER` on: most answers are done sooner, and asking the server to watch a connection
  costs ≈ 40 µs per request, as much as the rest of a stream's relay; a client that leaves earlier
  is noticed then);
- if it settles within the keep-alive interval, the answer gets its real status: an upstream error
  before the first token is an ordinary JSON error (404, 429...), not a 200 stream;
- if it does not, a 200 event stream is opened and `: keep-alive` comments are sent every interval
  until it settles; an error then becomes an error event in the client's dialect;
- chunks are relayed as they come, one send per upstream read (as the upstream's own bytes when the
  client speaks its dialect); a mid-stream error becomes an error event, then the stream ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any, Generic, Protocol, TypeVar

from llmrelay.calls.finisher import finish_stream
from llmrelay.core.streaming import ChatStream
from llmrelay.proxy.hold_end import HoldEnd, closed_early
from llmrelay.proxy.http import Request, StreamTransport
from llmrelay.types.errors import LLMError
from llmrelay.types.response import ChatChunk, ChatResponse, ChunkChoice, Delta
from llmrelay.wire.sse import KEEPALIVE

T = TypeVar("T")

# seconds into a call before the client's connection is watched (see the module's docstring)
WATCH_AFTER = 0.05


class StreamEncoder(Protocol):
    """Canonical chunks → the client dialect's SSE bytes. Stateful: one per response."""

    def chunk(self, chunk: ChatChunk) -> bytes: ...

    def error(self, error: LLMError) -> bytes: ...

    def end(self) -> bytes: ...


class ChatAnswerer(Protocol):
    """How a route answers once the call settles without streaming (or fails before streaming)."""

    def respond(self, req: Request, result: ChatResponse) -> None: ...

    def respond_error(self, req: Request, error: LLMError) -> None: ...

    def stream_headers(self, stream: ChatStream | None) -> list[tuple[str, str]]: ...


class ClientGone(Exception):
    """The client closed the connection while we were writing to it."""


async def answer_chat(
    req: Request,
    call: Awaitable[ChatResponse | ChatStream],
    answerer: ChatAnswerer,
    new_encoder: Callable[[], StreamEncoder],
    keepalive: float,
    dialect: str | None = None,
) -> None:
    """`dialect`: the client's wire dialect; a stream whose upstream speaks it is relayed as bytes.

    Everything runs in the request's own task: the client's disconnect cancels it through a callback,
    and keep-alives start from a timer only when the call is slow (no extra task and wait per call)."""
    current = asyncio.current_task()
    assert current is not None
    watch = _ClientWatch(current, req, min(WATCH_AFTER, keepalive))
    warm = _KeepWarm(req, answerer, keepalive, watch)
    result: ChatResponse | ChatStream | None = None
    transport: StreamTransport | None = None
    try:
        try:
            result = await call
        except LLMError as error:
            transport = await warm.stop()
            if transport is None:
                answerer.respond_error(req, error)
            else:
                await _send_quietly(transport, new_encoder().error(error))
            return
        transport = await warm.stop()
        if isinstance(result, ChatResponse):
            if transport is None:
                answerer.respond(req, result)
            else:
                # the router answered whole after keep-alives were sent: relay it as one chunk
                encoder = new_encoder()
                await _send_quietly(transport, encoder.chunk(response_as_chunk(result)) + encoder.end())
            return
        if transport is None:
            transport = req.open_stream(answerer.stream_headers(result))
        if dialect is not None and result.relays_raw(dialect):
            await _pump_raw(result, transport, new_encoder())
        else:
            await _pump(result, transport, new_encoder())
    except ClientGone:
        return
    except asyncio.CancelledError:
        # ours (the client left) unless someone else cancelled this task as well
        if not watch.left or current.uncancel() > 0:
            raise
    finally:
        watch.stop()
        await warm.stop()
        if isinstance(result, ChatStream):
            # releases the upstream connection when the client left mid-stream; no-op after a full read
            await result.aclose()
            # finishers left (calls/finisher.py keeps them as `_finishers`): the stream ended some
            # other way than its last bytes sent
            if getattr(result, "_finishers", None):
                await finish_stream(result, result.error or closed_early())
        # Granian ends the response when its transport object is freed; an error's traceback can
        # keep this frame (and so the transport) alive, so let go of it explicitly
        transport = None


class _ClientWatch:
    """Cancels the request's task when the client disconnects while it is answering. Watching starts
    `after` seconds in (a timer until then). Called with no argument, it acts as if the client left
    (a failed keep-alive write); as the disconnect's done-callback, it runs a loop turn after the
    disconnect settled, so one may come after the answer ended."""

    __slots__ = ("_gone", "_req", "_timer", "active", "left", "task")

    def __init__(self, task: asyncio.Task[Any], req: Request, after: float) -> None:
        self.task = task
        self.active = True
        self.left = False
        self._req = req
        self._gone: asyncio.Future[Any] | None = None
        self._timer: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(after, self._start)

    def _start(self) -> None:
        self._timer = None
        if self.active:
            self._gone = asyncio.ensure_future(self._req.proto.client_disconnect())
            self._gone.add_done_callback(self)

    def __call__(self, _: object = None) -> None:
        if self.active and not self.left:
            self.left = True
            self.task.cancel()

    def stop(self) -> None:
        self.active = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        gone, self._gone = self._gone, None
        if gone is not None:
            gone.remove_done_callback(self)
            if not gone.done():
                gone.cancel()


class _KeepWarm:
    """If the call has not settled after `interval`, commit to a 200 event stream and send a
    keep-alive comment every interval until `stop()`; `stop()` returns that stream, if opened."""

    __slots__ = ("_answerer", "_interval", "_req", "_task", "_timer", "_watch", "transport")

    def __init__(self, req: Request, answerer: ChatAnswerer, interval: float, watch: _ClientWatch) -> None:
        self._req = req
        self._answerer = answerer
        self._interval = interval
        self._watch = watch
        self._task: asyncio.Future[None] | None = None
        self.transport: StreamTransport | None = None
        self._timer: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(interval, self._start)

    def _start(self) -> None:
        self._timer = None
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        transport = self.transport = self._req.open_stream(self._answerer.stream_headers(None))
        while True:
            try:
                await transport.send_bytes(KEEPALIVE)
            except RuntimeError:  # granian's ProtocolClosed: the client is gone
                self._watch()
                return
            await asyncio.sleep(self._interval)

    async def stop(self) -> StreamTransport | None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await _settle_cancelled(task)
        return self.transport


async def _pump(stream: ChatStream, transport: StreamTransport, encoder: StreamEncoder) -> None:
    """Relay the stream, one send per upstream read: chunks that are ready without waiting (those
    decoded from one read) are encoded into one buffer, which is sent when the next chunk would have
    to wait. Each send is a round trip through the server's I/O thread, so this matters more than
    anything else per chunk."""
    send = transport.send_bytes
    buffer: list[bytes] = []
    try:
        try:
            while True:
                step = stream.__anext__()
                try:
                    ready, value, waiting = _step_once(step)
                    if not ready:
                        if buffer:
                            data = b"".join(buffer)
                            buffer.clear()
                            try:
                                await send(data)
                            except BaseException as exc:
                                await _unwind(step, exc)
                                raise
                        value = await _Resume(step, waiting)
                except StopAsyncIteration:
                    break
                chunk: ChatChunk = value
                data = encoder.chunk(chunk)
                if data:
                    buffer.append(data)
            # the upstream's last event is read: finish (spend made durable) before the last bytes
            await finish_stream(stream, None)
            buffer.append(encoder.end())
        except LLMError as error:
            await finish_stream(stream, error)
            buffer.append(encoder.error(error))
        except RuntimeError as exc:  # granian's ProtocolClosed
            raise ClientGone(str(exc)) from exc
        await _send_quietly(transport, b"".join(buffer))
    finally:
        # the stream keeps its error, whose traceback holds this frame: drop the transport (see above)
        del send, transport


async def _pump_raw(stream: ChatStream, transport: StreamTransport, encoder: StreamEncoder) -> None:
    """Relay the upstream's own bytes, one send per upstream read; they end with its own [DONE].
    A stream with finishers has its end marker held back until they ran (proxy/hold_end.py)."""
    hold = HoldEnd(transport.send_bytes) if getattr(stream, "_finishers", None) else None
    try:
        try:
            await stream.relay_raw(transport.send_bytes if hold is None else hold.send)
            if hold is not None:
                # the upstream's last event is read: finish (spend made durable) before the last bytes
                await finish_stream(stream, None)
                await hold.flush()
        except LLMError as error:
            await finish_stream(stream, error)
            await _send_quietly(transport, (hold.take() if hold is not None else b"") + encoder.error(error))
        except RuntimeError as exc:  # granian's ProtocolClosed
            raise ClientGone(str(exc)) from exc
    finally:
        del transport


async def _unwind(step: Coroutine[Any, Any, Any], error: BaseException) -> None:
    """The client left while `step` (a read) was pending: raise `error` inside the read so its
    source unwinds now, and let it finish its way out (releasing the upstream, reporting the stream
    as closed early, which may wait for a token count). Closing the read instead would skip that,
    and leave an async generator source marked as running (Python 3.11), never to be closed."""
    try:
        waiting = step.throw(error)
        await _Resume(step, waiting)
    except (StopIteration, StopAsyncIteration):
        return  # the read finished instead: nothing is left pending
    except BaseException as raised:
        if raised is not error:
            raise


def _step_once(step: Coroutine[Any, Any, T]) -> tuple[bool, Any, Any]:
    """Run a coroutine up to its first suspension: (True, result, None) if it finished without
    waiting, else (False, None, what it waits on) — to be finished with `await _Resume(...)`."""
    try:
        waiting = step.send(None)
    except StopIteration as done:
        return True, done.value, None
    return False, None, waiting


class _Resume(Generic[T]):
    """Awaiting this finishes a coroutine that `_step_once` left suspended: it hands the awaited
    future to the running task, and passes the task's wake-ups (and cancellation) back in, exactly
    as if the coroutine had been awaited directly."""

    __slots__ = ("_step", "_waiting")

    def __init__(self, step: Coroutine[Any, Any, T], waiting: Any) -> None:
        self._step = step
        self._waiting = waiting

    def __await__(self) -> Generator[Any, None, T]:
        step, waiting = self._step, self._waiting
        while True:
            try:
                yield waiting
            except GeneratorExit:
                step.close()
                raise
            except BaseException as exc:  # noqa: BLE001 - not caught: handed on to the coroutine
                try:
                    waiting = step.throw(exc)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]
                continue
            try:
                waiting = step.send(None)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]


async def _send_quietly(transport: StreamTransport, data: bytes) -> None:
    """Last writes of a stream: a client that already left is not an error worth raising."""
    if not data:
        return
    try:
        await transport.send_bytes(data)
    except RuntimeError:
        return


async def _settle_cancelled(fut: asyncio.Future[Any]) -> None:
    try:
        await fut
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
    except (LLMError, ClientGone):
        return


def response_as_chunk(response: ChatResponse) -> ChatChunk:
    """A whole answer as one stream chunk (content, tool calls and finish reason in one delta)."""
    from llmrelay.types.response import ToolCallDelta, ToolCallDeltaFunction

    choices = []
    for choice in response.choices:
        msg = choice.message
        calls = None
        if msg.tool_calls:
            calls = [
                ToolCallDelta(
                    index=i,
                    id=call.id,
                    type=call.type,
                    function=ToolCallDeltaFunction(
                        name=call.function.name, arguments=call.function.arguments
                    ),
                )
                for i, call in enumerate(msg.tool_calls)
            ]
        delta = Delta(
            role=msg.role,
            content=msg.content,
            tool_calls=calls,
            reasoning_content=msg.reasoning_content,
            thinking_blocks=msg.thinking_blocks,
        )
        choices.append(ChunkChoice(index=choice.index, delta=delta, finish_reason=choice.finish_reason))
    return ChatChunk(
        id=response.id, created=response.created, model=response.model, choices=choices, usage=response.usage
    )
