"""The SSE parser follows the WHATWG rules and gives the same events however the bytes are split."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from llmrelay.wire.sse import DONE, KEEPALIVE, SSEEvent, SSEParser, frame


def parse(pieces: list[bytes]) -> list[SSEEvent]:
    parser = SSEParser()
    out: list[SSEEvent] = []
    for piece in pieces:
        out.extend(parser.feed(piece))
    out.extend(parser.end())
    return out


def test_fields_comments_and_multiline_data() -> None:
    data = (
        b": comment\n"
        b'event: message_start\nid: 7\ndata: {"a":1}\n\n'
        b"data:no-space\ndata:  two spaces\n\n"
        b"data\n\n"
        b"retry: 10\nunknown: x\ndata: y\n\n"
    )
    assert parse([data]) == [
        SSEEvent("message_start", '{"a":1}', "7"),
        SSEEvent("message", "no-space\n two spaces", "7"),
        SSEEvent("message", "", "7"),
        SSEEvent("message", "y", "7"),
    ]


def test_event_without_data_is_not_dispatched() -> None:
    assert parse([b"event: ping\n\nevent: x\ndata: 1\n\n"]) == [SSEEvent("x", "1")]


def test_line_endings_crlf_cr_lf_are_equivalent() -> None:
    body = b"event: a\ndata: 1\n\ndata: 2\n\n"
    expected = parse([body])
    assert parse([body.replace(b"\n", b"\r\n")]) == expected
    assert parse([body.replace(b"\n", b"\r")]) == expected


def test_crlf_split_between_chunks_is_one_line_end() -> None:
    assert parse([b"data: 1\r", b"\n\r", b"\ndata: 2\r\n\r\n"]) == [
        SSEEvent("message", "1"),
        SSEEvent("message", "2"),
    ]


def test_utf8_split_inside_a_character() -> None:
    raw = "data: wörld ✓\n\n".encode()
    cut = raw.index("✓".encode()) + 1
    assert parse([raw[:cut], raw[cut:]]) == [SSEEvent("message", "wörld ✓")]


def test_leading_bom_is_ignored_even_when_split() -> None:
    raw = b"\xef\xbb\xbfdata: 1\n\n"
    assert parse([raw]) == [SSEEvent("message", "1")]
    assert parse([raw[:1], raw[1:2], raw[2:]]) == [SSEEvent("message", "1")]


def test_end_flushes_an_unterminated_last_event() -> None:
    assert parse([b"data: 1\n\ndata: [DONE]"]) == [SSEEvent("message", "1"), SSEEvent("message", "[DONE]")]


def test_framer_round_trips() -> None:
    stream = frame('{"x": 1}') + frame(b"{}", event="done") + KEEPALIVE + DONE
    assert parse([stream]) == [
        SSEEvent("message", '{"x": 1}'),
        SSEEvent("done", "{}"),
        SSEEvent("message", "[DONE]"),
    ]


_LINES = st.sampled_from(
    [b"data: abc", b'data: {"k": "\xc3\xa9"}', b"event: e", b": c", b"id: 3", b"", b"data:", b"data: x y"]
)
_NEWLINES = st.sampled_from([b"\n", b"\r\n", b"\r"])


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(st.tuples(_LINES, _NEWLINES), max_size=25),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_random_streams_parse_the_same_however_split(lines: list[tuple[bytes, bytes]], seed: int) -> None:
    data = b"".join(line + nl for line, nl in lines)
    rng = random.Random(seed)
    cuts = sorted(rng.randrange(len(data) + 1) for _ in range(rng.randrange(0, 12)))
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    assert parse(pieces) == parse([data])
    assert parse([data[i : i + 1] for i in range(len(data))]) == parse([data])
