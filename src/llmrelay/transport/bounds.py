"""How much of an upstream's answer the transport reads: a whole body up to `max_body_bytes`, a
stream's events up to `max_event_bytes` each. Past a cap the connection is closed, never read
further, so one oversized answer (10,000 embeddings make ≈ 325 MB of JSON) cannot take a worker's
memory with it."""

from __future__ import annotations

import aiohttp

from llmrelay.types.errors import BadGatewayError

MIB = 1024 * 1024
# defaults of litellm_settings.max_upstream_response_mb and max_upstream_stream_event_mb
DEFAULT_MAX_BODY_BYTES = 64 * MIB
DEFAULT_MAX_EVENT_BYTES = 16 * MIB
_READ_SIZE = 64 * 1024
# AWS's binary event stream frames carry their own length, checked (≤ 16 MiB) by botocore's parser
_SELF_FRAMED = ("application/vnd.amazon.eventstream",)


class UpstreamAnswerTooLarge(BadGatewayError):
    """An upstream answer or stream event over the configured cap. The same request gives the same
    answer, so retrying the deployment does not help; it says nothing of the deployment's health."""

    retryable = False


def _mib(n: int) -> str:
    return f"{n / MIB:g} MiB"


async def read_bounded(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The whole body, or UpstreamAnswerTooLarge as soon as it is known to pass `limit` bytes (from
    its Content-Length, else once that many have arrived; decompressed bytes are what count)."""
    header = response.headers.get("content-length")
    declared = int(header) if header is not None and header.isdigit() else None
    if declared is not None and declared > limit:
        # (compressed, the answer would be larger still)
        response.close()
        raise UpstreamAnswerTooLarge(
            f"upstream answer of {declared} bytes is over the {_mib(limit)} cap "
            "(litellm_settings.max_upstream_response_mb); not read"
        )
    if declared is not None and "content-encoding" not in response.headers:
        # the usual answer: its length is known and within the cap, read in one go
        return await response.read()
    parts: list[bytes] = []
    size = 0
    async for part in response.content.iter_chunked(_READ_SIZE):
        size += len(part)
        if size > limit:
            response.close()
            raise UpstreamAnswerTooLarge(
                f"upstream answer is over the {_mib(limit)} cap "
                "(litellm_settings.max_upstream_response_mb); not read further"
            )
        parts.append(part)
    return b"".join(parts)


class EventSizeGuard:
    """Counts a stream's bytes since its last event boundary and refuses a run over `limit`: for
    server-sent events the boundary is a blank line (what the SSE parser keeps buffered until then),
    for other line-based streams (NDJSON) a line break. The answer is the same however the bytes are
    split into chunks."""

    __slots__ = ("_limit", "_patterns", "_run", "_tail")

    def __init__(self, limit: int, content_type: str) -> None:
        self._limit = limit
        self._run = 0
        self._tail = b""
        kind = content_type.split(";", 1)[0].strip().lower()
        if kind in _SELF_FRAMED:
            self._patterns: tuple[bytes, ...] = ()
        elif kind == "text/event-stream":
            # any two line ends in a row (CRLF is one): "\r\n\r\n" holds "\n\r", "\r\n\n" holds "\n\n"
            self._patterns = (b"\n\n", b"\r\r", b"\n\r")
        else:
            self._patterns = (b"\n", b"\r")

    def feed(self, data: bytes) -> None:
        if not self._patterns or not data:
            return
        # where the last boundary in this chunk ends, or -1 when it holds none (searched in place:
        # no copy of the chunk per read)
        end = max(_end_of_last(data, p) for p in self._patterns)
        if end < 0 and self._tail and self._tail + data[:1] in self._patterns:
            end = 1  # a boundary split across two reads ("\n" | "\n")
        self._run = len(data) - end if end >= 0 else self._run + len(data)
        self._tail = data[-1:]
        if self._run > self._limit:
            raise UpstreamAnswerTooLarge(
                f"upstream stream event is over the {_mib(self._limit)} cap "
                "(litellm_settings.max_upstream_stream_event_mb); stream closed"
            )


def _end_of_last(data: bytes, pattern: bytes) -> int:
    at = data.rfind(pattern)
    return at + len(pattern) if at >= 0 else -1
