"""Holding back a raw-relayed stream's last bytes while its finishers run (calls/finisher.py).

The raw relay sends the upstream's own bytes as they come, so the event carrying the end marker would
reach the client before the stream has learnt it ended. For a stream with finishers (a keyed call's
spend record) that event is held here, and sent once the finishers ran."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from llmrelay.types.errors import StreamClosedEarly


class HoldEnd:
    """A send that holds back the event carrying the upstream's end marker (and anything after it);
    every other event goes out as it comes."""

    __slots__ = ("_held", "_send")

    def __init__(self, send: Callable[[bytes], Awaitable[object]]) -> None:
        self._send = send
        self._held = b""

    async def send(self, data: bytes) -> None:
        if self._held:
            self._held += data
            return
        at = _end_marker_at(data)
        if at < 0:
            await self._send(data)
            return
        head, self._held = data[:at], data[at:]
        if head:
            await self._send(head)

    def take(self) -> bytes:
        """What is held, now no longer held (to be sent by the caller)."""
        held, self._held = self._held, b""
        return held

    async def flush(self) -> None:
        held = self.take()
        if held:
            await self._send(held)


def _end_marker_at(data: bytes) -> int:
    """Where the line `data: [DONE]` starts in `data` (the relay's events have LF line ends), or -1;
    the words inside an event's JSON (a model may well write "[DONE]") are no marker."""
    for marker in (b"data: [DONE]", b"data:[DONE]"):
        at = data.rfind(marker)
        while at > 0 and data[at - 1] != 0x0A:
            at = data.rfind(marker, 0, at)
        if at >= 0:
            return at
    return -1


def closed_early() -> StreamClosedEarly:
    """How a stream the relay left unfinished (the client went away) ends for its finishers."""
    return StreamClosedEarly("the stream was closed before it ended", code="stream_closed_early")
