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
        at = data.rfind(b"[DONE]")
        if at < 0:
            await self._send(data)
            return
        # the end marker's event starts after the blank line before it (events come whole)
        cut = data.rfind(b"\n\n", 0, at)
        head, self._held = (b"", data) if cut < 0 else (data[: cut + 2], data[cut + 2 :])
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


def closed_early() -> StreamClosedEarly:
    """How a stream the relay left unfinished (the client went away) ends for its finishers."""
    return StreamClosedEarly("the stream was closed before it ended", code="stream_closed_early")
