"""The raw relay's quick check for events that may matter, and its search for the events that do,
agree with one reference regex of the markers."""

from __future__ import annotations

import random
import re

import pytest

from llmrelay.core.sse_relay import _events_that_matter, _may_matter

# the end marker, an error, a named event, usage that is not null, reasoning under its other name
_MARKERS = re.compile(rb'\[DONE\]|"error"|event:|"usage"\s*:(?!\s*null)|"reasoning"')

_PIECES = [
    b'"usage"', b'"usage', b'usage"', b'"', b":", b" ", b"\t", b"\n", b"null", b"nul", b"{", b"x",
    b'"error"', b"[DONE]", b"event:", b'"usage":null', b'"usage": {', b'"usage" :null', b'"usage"\n:\n null',
    b'"reasoning"', b'"reasoning_content"',
]  # fmt: skip


@pytest.mark.parametrize("seed", range(5))
def test_quick_check_agrees_with_the_regex(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(20_000):
        block = b"".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 10)))
        assert _may_matter(block) == (_MARKERS.search(block) is not None), block


@pytest.mark.parametrize(
    ("block", "matters"),
    [
        (b'data: {"choices":[{"delta":{"content":"hi"}}],"usage":null}\n\n', False),
        (b'data: {"choices":[],"usage":{"prompt_tokens":1}}\n\n', True),
        (b'data: {"choices":[],"usage" : \n{"prompt_tokens":1}}\n\n', True),
        # a second "usage" sharing the first one's closing quote
        (b'data: {"usage"usage": {}}\n\n', True),
        (b"data: [DONE]\n\n", True),
        (b'data: {"error":{"message":"x"}}\n\n', True),
        (b"event: ping\ndata: {}\n\n", True),
    ],
)
def test_quick_check_on_typical_events(block: bytes, matters: bool) -> None:
    assert _may_matter(block) is matters


def _reference_spans(block: bytes) -> list[tuple[int, int]]:
    """Each event where the reference regex, run over the whole block, finds a marker."""
    hits = [hit.start() for hit in _MARKERS.finditer(block)]
    spans = []
    start = 0
    while start < len(block):
        end = block.find(b"\n\n", start)
        end = len(block) if end < 0 else end + 2
        if any(start <= at < end for at in hits):
            spans.append((start, end))
        start = end
    return spans


_EVENT_PIECES = [*_PIECES, b"data: ", b"\n\n", b"data: [DONE]\n\n", b'{"choices":[]}']


@pytest.mark.parametrize("seed", range(5))
def test_events_that_matter_are_the_events_holding_a_marker(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(5_000):
        block = b"".join(rng.choice(_EVENT_PIECES) for _ in range(rng.randint(0, 30)))
        while b"\n\n\n" in block:  # events end on exactly one blank line
            block = block.replace(b"\n\n\n", b"\n\n")
        assert _events_that_matter(block) == _reference_spans(block), block
