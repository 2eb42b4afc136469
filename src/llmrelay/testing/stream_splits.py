"""For stream decoder tests (the providers' own and the conformance suite's): the chunks a transcript
decodes to must not depend on how its bytes were split by the network."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    """`data` cut at the given offsets (taken modulo its length; repeats and order do not matter)."""
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def decoding_with(new_decoder: Callable[[], Any]) -> Callable[[list[bytes]], list[Any]]:
    """A function decoding a list of reads with a fresh decoder: every chunk, then the end's."""

    def decode(pieces: list[bytes]) -> list[Any]:
        decoder = new_decoder()
        out: list[Any] = []
        for piece in pieces:
            out.extend(decoder.feed(piece))
        out.extend(decoder.end())
        return out

    return decode


def assert_splits_decode_alike(data: bytes, decode: Callable[[list[bytes]], list[T]], seed: str) -> None:
    """50 seeded random splits and one byte at a time (which cuts every UTF-8 sequence and CRLF
    pair) decode to the same chunks as the whole transcript."""
    whole = decode([data])
    rng = random.Random(seed)
    for _ in range(50):
        cuts = [rng.randrange(len(data) + 1) for _ in range(rng.randrange(1, 40))]
        assert decode(split_at(data, cuts)) == whole
    assert decode([data[i : i + 1] for i in range(len(data))]) == whole
