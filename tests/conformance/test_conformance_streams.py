"""Every adapter's stream decoders against its recorded stream: the bytes split at random places
(seeded, many splits, and one byte at a time) decode to the same chunks and the same final usage as
the whole transcript; SSE line endings do not matter; a stream cut before its end is an error, never
a short answer."""

from __future__ import annotations

from typing import Any

import pytest
from conformance_calls import decode
from conformance_cases import CASES, STREAMED, AdapterCase, recorded_bytes
from conformance_golden import canonical

from llmrelay.testing.stream_splits import assert_splits_decode_alike
from llmrelay.types.errors import APIConnectionError

STREAM_CALLS = [(c, call) for c in CASES for call in sorted(STREAMED) if call in c.calls]
STREAM_IDS = [f"{c.id}-{call}" for c, call in STREAM_CALLS]


def _transcript(case: AdapterCase, call: str) -> bytes:
    return recorded_bytes(case.answers[call])


def _decoding(case: AdapterCase, call: str) -> Any:
    # plain data without the clock and random ids: fresh decoders may differ only in those
    return lambda pieces: canonical([c.to_dict() for c in decode(case, call, pieces)])


@pytest.mark.parametrize(("case", "call"), STREAM_CALLS, ids=STREAM_IDS)
def test_random_splits_decode_alike(case: AdapterCase, call: str) -> None:
    assert_splits_decode_alike(_transcript(case, call), _decoding(case, call), f"{case.id}-{call}")


@pytest.mark.parametrize(("case", "call"), STREAM_CALLS, ids=STREAM_IDS)
def test_stream_ends_with_its_usage(case: AdapterCase, call: str) -> None:
    """The decoder's last chunk reports the usage (so every stream can be priced), and only it."""
    chunks = decode(case, call, [_transcript(case, call)])
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0
    assert chunks[-1].choices == []
    assert all(c.usage is None for c in chunks[:-1])


SSE_CALLS = [(c, call) for c, call in STREAM_CALLS if not c.answers[call].endswith(".events.json")]
SSE_IDS = [f"{c.id}-{call}" for c, call in SSE_CALLS]


@pytest.mark.parametrize(("case", "call"), SSE_CALLS, ids=SSE_IDS)
@pytest.mark.parametrize("newline", [b"\r\n", b"\r"], ids=["crlf", "cr"])
def test_sse_line_endings_do_not_matter(case: AdapterCase, call: str, newline: bytes) -> None:
    data = _transcript(case, call)
    decoding = _decoding(case, call)
    other = data.replace(b"\n", newline)
    assert decoding([other]) == decoding([data])
    assert_splits_decode_alike(other, decoding, f"{case.id}-{call}-{newline!r}")


@pytest.mark.parametrize(("case", "call"), STREAM_CALLS, ids=STREAM_IDS)
@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_cut_stream_is_a_connection_error(case: AdapterCase, call: str, keep: float) -> None:
    data = _transcript(case, call)
    with pytest.raises(APIConnectionError):
        decode(case, call, [data[: int(len(data) * keep)]])
