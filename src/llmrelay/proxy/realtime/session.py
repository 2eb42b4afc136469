"""One realtime session once both sockets are open: every message relayed as it came, both ways, and
the session ended by whichever comes first — either side closing or vanishing, a message over the
size bound, no message either way for the idle time, the session's longest life, or (after a
`response.done` was billed) a budget used up. The client hears why in an `error` event first,
in the Realtime API's own shape, then the socket closes; the other side is closed too.

Billing happens here: a `response.done` event's usage is priced and its spend row written (awaited,
durably) before the event is relayed, so a client that saw a response end was billed for it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import msgspec

from llmrelay.core.scrub import Scrubber
from llmrelay.cost.realtime import RealtimeTokens
from llmrelay.gate.admission import Session
from llmrelay.providers.openai.realtime import DONE_MARK, UnreadableUsage, response_done_tokens
from llmrelay.proxy.websocket import WS_CLOSED, WS_TEXT, RSGIWebsocketTransport
from llmrelay.transport.websocket import Closed, UpstreamSocket
from llmrelay.types.errors import BadGatewayError, LLMError, RequestTooLargeError, Timeout

log = logging.getLogger("llmrelay.proxy")

# a response's tokens → its cost, billed (spend row) — and the session's gate consulted after
Bill = Callable[[RealtimeTokens], Awaitable[None]]
# close codes (RFC 6455 §7.4.1), said in the log and handed to the upstream; Granian closes the
# client's socket without one (proxy/websocket.py)
NORMAL, GOING_AWAY, POLICY, TOO_BIG, SERVER_ERROR = 1000, 1001, 1008, 1009, 1011
_ERROR_MARKS = ('"type":"error"', '"type": "error"')


@dataclass(frozen=True, slots=True)
class Bounds:
    max_message_bytes: int
    idle_seconds: float
    max_seconds: float


@dataclass(frozen=True, slots=True)
class End:
    """Why the session ended; `error` is told to the client (an `error` event) when it is there."""

    why: str
    code: int = NORMAL
    error: LLMError | None = None
    client_gone: bool = False


class _ErrorEvent(msgspec.Struct):
    type: str
    event_id: str
    error: dict[str, str | None]


_encoder = msgspec.json.Encoder()


def error_event(error: LLMError, event_id: str) -> str:
    """The Realtime API's server `error` event for a refusal of the gateway's."""
    body = {"type": error.error_type, "code": error.code, "message": error.message, "param": error.param}
    return _encoder.encode(_ErrorEvent("error", event_id, body)).decode()


class RealtimeSession:
    def __init__(
        self,
        client: RSGIWebsocketTransport,
        upstream: UpstreamSocket,
        *,
        bounds: Bounds,
        bill: Bill,
        session: Session | None,
        scrubber: Scrubber,
        event_id: str,
    ) -> None:
        self._client = client
        self._upstream = upstream
        self._bounds = bounds
        self._bill = bill
        self._session = session
        self._scrubber = scrubber
        self._event_id = event_id
        self._last = time.monotonic()

    async def run(self) -> End:
        """Relay until the session ends; the upstream is closed before this returns (the client's
        socket is the caller's to close, after the error event this may have sent)."""
        pumps = [
            asyncio.ensure_future(self._from_client()),
            asyncio.ensure_future(self._from_upstream()),
            asyncio.ensure_future(self._watch()),
        ]
        try:
            done, _ = await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            end = next(iter(done)).result()
        finally:
            for task in pumps:
                task.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            await self._upstream.close(GOING_AWAY if self._gone(pumps) else NORMAL)
        if end.error is not None and not end.client_gone:
            try:
                await self._client.send_str(error_event(end.error, self._event_id))
            except RuntimeError:  # Granian's ProtocolClosed / ProtocolError: the client left meanwhile
                return End(end.why, end.code, end.error, client_gone=True)
        return end

    @staticmethod
    def _gone(pumps: Sequence[asyncio.Future[End]]) -> bool:
        first = pumps[0]
        if not first.done() or first.cancelled() or first.exception() is not None:
            return False
        return first.result().client_gone

    async def _from_client(self) -> End:
        limit = self._bounds.max_message_bytes
        client, upstream = self._client, self._upstream
        while True:
            try:
                message = await client.receive()
            except RuntimeError:  # the client's connection broke without a close frame
                return End("the client went away", GOING_AWAY, client_gone=True)
            kind = message.kind
            if kind == WS_CLOSED:
                return End("the client closed the session", client_gone=True)
            data: str | bytes = message.data
            size = _size(data) if kind == WS_TEXT and isinstance(data, str) else len(data)
            if size > limit:
                error = RequestTooLargeError(
                    f"message of {size} bytes over the gateway's limit of {limit} bytes "
                    "(general_settings.realtime_max_message_bytes)",
                    code="message_too_large",
                )
                return End("a client message over the size limit", TOO_BIG, error)
            self._last = time.monotonic()
            try:
                await upstream.send(data)
            except (ConnectionError, RuntimeError):
                return _upstream_gone()

    async def _from_upstream(self) -> End:
        client, upstream = self._client, self._upstream
        while True:
            message = await upstream.receive()
            if isinstance(message, Closed):
                if message.reason and message.code not in (None, NORMAL, GOING_AWAY):
                    log.info("realtime upstream closed the session: %s %s", message.code, message.reason)
                return _upstream_closed(message)
            self._last = time.monotonic()
            end = None
            if isinstance(message, str):
                if DONE_MARK in message:
                    end = await self._billed(message)
                elif _ERROR_MARKS[0] in message or _ERROR_MARKS[1] in message:
                    # the upstream's own error events pass, less anything naming the gateway's key or host
                    message = self._scrubber.text(message)
            try:
                if isinstance(message, str):
                    await client.send_str(message)
                else:
                    await client.send_bytes(message)
            except RuntimeError:
                return End("the client went away", GOING_AWAY, client_gone=True)
            if end is not None:
                return end

    async def _billed(self, message: str) -> End | None:
        try:
            tokens = response_done_tokens(message)
        except UnreadableUsage as exc:
            # a response that cannot be metered is not answered again: budgets must bind
            log.error("realtime response.done with usage that does not decode: %s", exc)
            error = BadGatewayError("the upstream's usage report could not be read", code="unreadable_usage")
            return End("unreadable usage", SERVER_ERROR, error)
        if tokens is None:
            return None
        await self._bill(tokens)
        refusal = self._session.refusal() if self._session is not None else None
        if refusal is not None:
            return End("refused after a response: " + refusal.message, POLICY, refusal)
        return None

    async def _watch(self) -> End:
        """The idle bound (no message either way) and the session's longest life."""
        bounds = self._bounds
        deadline = time.monotonic() + bounds.max_seconds
        while True:
            now = time.monotonic()
            if now >= deadline:
                error = Timeout(
                    f"session reached the gateway's longest session of {bounds.max_seconds:g}s "
                    "(general_settings.realtime_max_session_seconds)",
                    code="session_expired",
                )
                return End("longest session reached", POLICY, error)
            idle_until = self._last + bounds.idle_seconds
            if now >= idle_until:
                error = Timeout(
                    f"no message either way for {bounds.idle_seconds:g}s "
                    "(general_settings.realtime_idle_timeout_seconds)",
                    code="session_idle",
                )
                return End("idle", POLICY, error)
            await asyncio.sleep(min(deadline, idle_until) - now)


def _size(text: str) -> int:
    """A text message's size in UTF-8 bytes; an ASCII one (JSON events as clients encode them, a large
    base64 audio append) is measured without being copied."""
    return len(text) if text.isascii() else len(text.encode())


def _upstream_gone() -> End:
    error = BadGatewayError("the upstream closed the session", code="upstream_closed")
    return End("the upstream went away", GOING_AWAY, error)


def _upstream_closed(closed: Closed) -> End:
    if closed.code in (NORMAL, GOING_AWAY):
        return End("the upstream closed the session", closed.code or NORMAL)
    code = closed.code if closed.code is not None else SERVER_ERROR
    error = BadGatewayError(
        f"the upstream closed the session (close code {closed.code})", code="upstream_closed"
    )
    return End("the upstream closed the session", code, error)
