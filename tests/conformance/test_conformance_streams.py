"""Every adapter's stream decoders against its recorded stream: the bytes split at random places
(seeded, many splits, and one byte at a time) decode to the same chunks and the same final usage as
the whole transcript; SSE line endings do not matter; a stream cut before its end is an error, never
a short answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conformance_calls import decode, recorded_bytes
from conformance_case import STREAMED, AdapterCase
from conformance_cases import CASES
from conformance_golden import canonical

from llmrelay.testing.stream_splits import assert_splits_decode_alike
from llmrelay.types.errors import APIConnectionError

# (case, call type, recorded transcript) for every transcript of every streamed call type
STREAMS = [
    (c, call, t) for c in CASES for call in sorted(STREAMED) if call in c.calls for t in c.transcripts(call)
]
STREAM_IDS = [f"{c.id}-{call}-{Path(t.partition('#')[0]).name}" for c, call, t in STREAMS]
SSE_STREAMS = [s for s in STREAMS if not s[2].endswith(".events.json")]
SSE_IDS = [i for s, i in zip(STREAMS, STREAM_IDS, strict=True) if s in SSE_STREAMS]


def _decoding(case: AdapterCase, call: str) -> Any:
    # plain data without the clock and random ids: fresh decoders may differ only in those
    return lambda pieces: canonical([c.to_dict() for c in decode(case, call, pieces)], b"")


@pytest.mark.parametrize(("case", "call", "transcript"), STREAMS, ids=STREAM_IDS)
def test_random_splits_decode_alike(case: AdapterCase, call: str, transcript: str) -> None:
    assert_splits_decode_alike(recorded_bytes(transcript), _decoding(case, call), f"{case.id}-{transcript}")


@pytest.mark.parametrize(("case", "call", "transcript"), STREAMS, ids=STREAM_IDS)
def test_usage_comes_once_at_the_end(case: AdapterCase, call: str, transcript: str) -> None:
    """Usage, when the provider reported it, is on the last chunk only; the recordings in the
    golden files all report it, and there the last chunk is usage-only (so every stream can be
    priced, and a client that did not ask for usage can drop it). An OpenAI-compatible provider
    that puts usage on its last content chunk (DeepSeek) is passed through as it is."""
    chunks = decode(case, call, [recorded_bytes(transcript)])
    with_usage = [i for i, c in enumerate(chunks) if c.usage is not None]
    assert with_usage in ([], [len(chunks) - 1])
    if transcript == case.answers[call]:
        assert with_usage and chunks[-1].usage.total_tokens > 0
        assert chunks[-1].choices == []


@pytest.mark.parametrize(("case", "call", "transcript"), SSE_STREAMS, ids=SSE_IDS)
@pytest.mark.parametrize("newline", [b"\r\n", b"\r"], ids=["crlf", "cr"])
def test_sse_line_endings_do_not_matter(
    case: AdapterCase, call: str, transcript: str, newline: bytes
) -> None:
    data = recorded_bytes(transcript)
    decoding = _decoding(case, call)
    other = data.replace(b"\n", newline)
    assert decoding([other]) == decoding([data])
    assert_splits_decode_alike(other, decoding, f"{case.id}-{transcript}-{newline!r}")


@pytest.mark.parametrize(("case", "call", "transcript"), STREAMS, ids=STREAM_IDS)
@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_cut_stream_is_a_connection_error(case: AdapterCase, call: str, transcript: str, keep: float) -> None:
    data = recorded_bytes(transcript)
    with pytest.raises(APIConnectionError):
        decode(case, call, [data[: int(len(data) * keep)]])
