"""Relaying an upstream's SSE bytes unchanged when the client speaks the upstream's dialect.

Only what must be known is looked at: an event is decoded only when its bytes can hold usage (to price
the call), an error, the end marker, or reasoning text under the name `reasoning` (re-encoded as
`reasoning_content`, the OpenAI-dialect name llmrelay answers with); every other event goes out as the
upstream wrote it. Events
are relayed whole (an event split across reads waits for its end), so the output does not depend on
how the upstream's bytes were split.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

import msgspec

from llmrelay.providers.base import StreamDecoder
from llmrelay.types.errors import APIConnectionError, LLMError
from llmrelay.types.response import Usage

# OpenRouter's, Groq's and newer vLLM's name for reasoning text; OpenAI-dialect clients of llmrelay
# (and of LiteLLM) get it as `reasoning_content`, so an event holding it is re-encoded
_REASONING = b'"reasoning"'
# where an event may matter: the end marker, an error, a named event, usage that is not null.
# Found one kind at a time: one regex of the alternatives (no common first byte) starts an attempt
# at every `"` of the JSON (≈ 36 µs on a 5 KB block); a literal search per kind is ≈ 2 µs each
_PLAIN_MARKERS = (b"[DONE]", b'"error"', b"event:", _REASONING)
_USAGE_SET = re.compile(rb'"usage"\s*:(?!\s*null)')
# what follows `"usage"`: a colon, and the null value when it is null
_USAGE_VALUE = re.compile(rb"\s*:(\s*null)?")
# up to this size a read is first checked for markers at all (most reads are one content event);
# a larger read (a whole stream that arrived at once) holds markers anyway: they are located directly
_QUICK_CHECK_MAX = 1024


class ByteTap:
    """Wraps the upstream's byte iterator and keeps what passes through while `recording`: the bytes
    a raw prefetch looked at, which `replay()` hands out again to a decoder reading the stream."""

    __slots__ = ("_replay", "_source", "recorded", "recording")

    def __init__(self, source: AsyncIterator[bytes]) -> None:
        self._source = source
        self.recording = False
        self.recorded: list[bytes] = []
        self._replay: list[bytes] = []

    def replay(self) -> None:
        """The next reads return the recorded bytes again, then carry on with the upstream's."""
        self._replay, self.recorded = self.recorded, []
        self._replay.reverse()

    def __aiter__(self) -> ByteTap:
        return self

    def rest(self) -> AsyncIterator[bytes]:
        """What is left to read: the upstream's own iterator once nothing is recorded or left to
        replay (one call less per read), else this tap."""
        if self.recording or self._replay:
            return self
        return self._source

    async def __anext__(self) -> bytes:
        if self._replay:
            return self._replay.pop()
        data = await self._source.__anext__()
        if self.recording:
            self.recorded.append(data)
        return data


class RawUpstream:
    """What a ChatStream needs to relay raw: the tapped bytes, the wire dialect they are in, and a
    factory of decoders for the few events that must be read."""

    __slots__ = ("dialect", "model", "new_decoder", "provider", "tap")

    def __init__(
        self,
        tap: ByteTap,
        dialect: str,
        new_decoder: Callable[[], StreamDecoder],
        *,
        provider: str | None = None,
        model: str | None = None,
    ) -> None:
        self.tap = tap
        self.dialect = dialect
        self.new_decoder = new_decoder
        # named on the errors raised while relaying
        self.provider = provider
        self.model = model


class OpenAIEventFilter:
    """OpenAI chat-completion SSE in, the same bytes out — minus the usage-only last event when the
    client did not ask for usage. Usage is kept in `usage`; an error event becomes `error` (the bytes
    before it are still returned)."""

    __slots__ = ("_new_decoder", "_tail", "_want_usage", "done", "error", "usage")

    def __init__(self, new_decoder: Callable[[], StreamDecoder], want_usage: bool) -> None:
        self._new_decoder = new_decoder
        self._want_usage = want_usage
        self._tail = b""
        self.done = False
        self.usage: Usage | None = None
        self.error: LLMError | None = None

    def feed(self, data: bytes) -> bytes:
        """The complete events in what arrived so far, ready to send (b"" when none completed)."""
        if self.error is not None:
            return b""
        buf = self._tail + data if self._tail else data
        held = b""
        if b"\r" in buf:
            # CR and CRLF line ends become LF; a CR at the very end may be half of a CRLF
            if buf.endswith(b"\r"):
                buf, held = buf[:-1], b"\r"
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if buf.endswith(b"\n\n"):  # the usual read: whole events, nothing to keep for later
            complete, self._tail = buf, held
        else:
            cut = buf.rfind(b"\n\n")
            if cut < 0:
                self._tail = buf + held
                return b""
            complete, self._tail = buf[: cut + 2], buf[cut + 2 :] + held
        if len(complete) <= _QUICK_CHECK_MAX and not _may_matter(complete):
            return complete  # most small reads: plain content chunks
        return self._filter(complete)

    def end(self) -> bytes:
        """At the end of the upstream's bytes: a last event without its blank line still counts;
        a stream that never said [DONE] was cut."""
        out = b""
        tail, self._tail = self._tail.replace(b"\r", b"\n"), b""
        if tail.strip() and self.error is None:
            out = self._filter(tail.rstrip(b"\n") + b"\n\n")
        if not self.done and self.error is None:
            self.error = APIConnectionError("stream ended before [DONE]: the connection was cut")
        return out

    def _filter(self, block: bytes) -> bytes:
        """`block` holds whole events; only those that `_events_that_matter` points at are read,
        the bytes between them go out untouched."""
        spans = _events_that_matter(block)
        if not spans:
            return block
        out: list[bytes] = []
        prev = 0
        for start, end in spans:
            head = block[prev:start]
            keep = self._inspect(block[start:end])
            if self.error is not None:
                out.append(head)
                return b"".join(out)
            out.append(head)
            out.append(keep)
            prev = end
        out.append(block[prev:])
        return b"".join(out)

    def _inspect(self, event: bytes) -> bytes:
        """One event (with its blank line): what to send of it."""
        # the end marker is a `data: [DONE]` line, not those words inside a chunk's JSON (a model
        # may write them); inline: it runs for every event that matters
        if event.startswith(_END_MARKERS) or b"\ndata: [DONE]" in event or b"\ndata:[DONE]" in event:
            self.done = True
            return event
        renamed = _REASONING in event
        probe = None if renamed else _probe_usage(event)
        if probe is not None:
            return b"" if self._takes_usage(probe.usage, not probe.choices) else event
        try:
            chunks = self._new_decoder().feed(event)
        except LLMError as exc:
            self.error = exc
            return b""
        if any(self._takes_usage(chunk.usage, not chunk.choices) for chunk in chunks):
            return b""
        if renamed:  # the decoder moved `reasoning` into `reasoning_content`: send what it read
            return b"".join(b"data: " + _chunk_encoder.encode(chunk) + b"\n\n" for chunk in chunks)
        return event

    def _takes_usage(self, usage: Usage | None, usage_only: bool) -> bool:
        """Note the usage; True when the event carrying it is to be dropped."""
        if usage is None:
            return False
        self.usage = usage
        return usage_only and not self._want_usage


_END_MARKERS = (b"data: [DONE]", b"data:[DONE]")


class _UsageProbe(msgspec.Struct):
    """What the relay reads of an event that carries usage: the usage, and whether it has choices."""

    choices: list[msgspec.Raw] | None = None
    usage: Usage | None = None


_probe_decoder = msgspec.json.Decoder(_UsageProbe)
_chunk_encoder = msgspec.json.Encoder()


def _probe_usage(event: bytes) -> _UsageProbe | None:
    """A plain one-line `data: {...}` event without an error, read for its usage alone (a quarter of
    what decoding the whole chunk costs); None for anything else, which the full decoder reads."""
    if not event.startswith(b"data:") or event.count(b"\n") != 2 or b'"error"' in event:
        return None
    try:
        return _probe_decoder.decode(event[5:])
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def _may_matter(block: bytes) -> bool:
    """Whether a marker (see `_PLAIN_MARKERS`, `_USAGE_SET`) occurs in `block`: one content chunk
    is settled by substring searches and counts, without a regex."""
    if b"[DONE]" in block or b'"error"' in block or b"event:" in block or _REASONING in block:
        return True
    # most chunks carry a null usage (or none): counting settles it without the regex
    usages = block.count(b'"usage"')
    if not usages or usages == block.count(b'"usage":null') + block.count(b'"usage": null'):
        return False
    at = block.find(b'"usage"')
    while at >= 0:
        after = _USAGE_VALUE.match(block, at + 7)
        if after is not None and after.group(1) is None:
            return True  # a colon, then a value that is not null
        at = block.find(b'"usage"', at + 1)
    return False


def _events_that_matter(block: bytes) -> list[tuple[int, int]]:
    """(start, end) of each event in `block` (whole events, LF line ends) that can carry usage, an
    error or the end marker, in order. Found by searching for the markers, not by walking events."""
    hits = [hit.start() for hit in _USAGE_SET.finditer(block)]
    for marker in _PLAIN_MARKERS:
        at = block.find(marker)
        while at >= 0:
            hits.append(at)
            at = block.find(marker, at + 1)
    hits.sort()
    spans: list[tuple[int, int]] = []
    for at in hits:
        if spans and at < spans[-1][1]:
            continue  # in the event already found
        start = block.rfind(b"\n\n", 0, at)
        end = block.find(b"\n\n", at)
        spans.append((0 if start < 0 else start + 2, len(block) if end < 0 else end + 2))
    return spans
