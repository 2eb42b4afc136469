"""Server-sent events: an incremental parser whose output does not depend on how bytes are split,
and the framer that writes events.

Follows the WHATWG event-stream rules: lines end in CRLF, LF or CR; `field: value` with one optional
space after the colon; lines starting with `:` are comments; a blank line dispatches the event.
"""

from __future__ import annotations

from typing import NamedTuple

_BOM = b"\xef\xbb\xbf"


class SSEEvent(NamedTuple):
    event: str  # "message" when the stream gave no event name
    data: str
    id: str | None = None


class SSEParser:
    """Feed raw bytes as they arrive; get back the events they complete."""

    __slots__ = ("_buf", "_data", "_event", "_id", "_pending_cr", "_started")

    def __init__(self) -> None:
        self._started = False
        self._buf = b""
        self._pending_cr = False
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if not chunk:
            return []
        if not self._started:
            # a UTF-8 byte-order mark may open the stream; it is not part of the first line
            pending = self._buf + chunk
            if len(pending) < 3 and _BOM.startswith(pending):
                self._buf = pending
                return []
            self._started = True
            self._buf = b""
            chunk = pending[3:] if pending.startswith(_BOM) else pending
            if not chunk:
                return []
        if self._pending_cr and chunk.startswith(b"\n"):
            # the CR that ended the previous chunk was half of a CRLF
            chunk = chunk[1:]
        self._pending_cr = False
        buf = self._buf + chunk
        events: list[SSEEvent] = []
        start = 0
        n = len(buf)
        while start < n:
            lf = buf.find(b"\n", start)
            cr = buf.find(b"\r", start)
            if lf == -1 and cr == -1:
                break
            if cr == -1 or (lf != -1 and lf < cr):
                end, nxt = lf, lf + 1
            elif cr + 1 < n:
                end, nxt = cr, cr + 2 if buf[cr + 1] == 0x0A else cr + 1
            else:
                # a CR at the very end: the line is complete, a following LF must be skipped
                end, nxt = cr, cr + 1
                self._pending_cr = True
            event = self._line(buf[start:end])
            if event is not None:
                events.append(event)
            start = nxt
        self._buf = buf[start:]
        return events

    def end(self) -> list[SSEEvent]:
        """Flush at end of stream: a last line without its newline still counts, and an event without
        its closing blank line is dispatched (servers that close early shouldn't lose data)."""
        events: list[SSEEvent] = []
        if self._buf:
            event = self._line(self._buf)
            self._buf = b""
            if event is not None:
                events.append(event)
        event = self._dispatch()
        if event is not None:
            events.append(event)
        return events

    def _line(self, raw: bytes) -> SSEEvent | None:
        if not raw:
            return self._dispatch()
        line = raw.decode("utf-8", errors="replace")
        if line.startswith(":"):
            return None
        field, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            self._id = value
        return None

    def _dispatch(self) -> SSEEvent | None:
        if not self._data:
            # WHATWG: a block without data lines dispatches nothing (its event name is forgotten)
            self._event = ""
            return None
        event = SSEEvent(self._event or "message", "\n".join(self._data), self._id)
        self._event = ""
        self._data = []
        return event


def frame(data: bytes | str, event: str | None = None) -> bytes:
    """One SSE event as bytes. `data` must not contain newlines (JSON from msgspec never does)."""
    payload = data.encode() if isinstance(data, str) else data
    if event is None:
        return b"data: " + payload + b"\n\n"
    return b"event: " + event.encode() + b"\ndata: " + payload + b"\n\n"


DONE = b"data: [DONE]\n\n"
KEEPALIVE = b": keep-alive\n\n"
