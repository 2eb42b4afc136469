"""The raw relay's quick check for events that may matter agrees with the marker regex it stands in
for (the regex still locates the events once the check says there is one)."""

from __future__ import annotations

import random

import pytest

from llmrelay.core.sse_relay import _MARKERS, _may_matter

_PIECES = [
    b'"usage"', b'"usage', b'usage"', b'"', b":", b" ", b"\t", b"\n", b"null", b"nul", b"{", b"x",
    b'"error"', b"[DONE]", b"event:", b'"usage":null', b'"usage": {', b'"usage" :null', b'"usage"\n:\n null',
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
