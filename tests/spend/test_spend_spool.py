from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from llmrelay.spend import Spool, SpoolLocked
from llmrelay.storage.records import SpendLogRecord

T = datetime(2026, 1, 1, tzinfo=UTC)


def rec(i: int) -> SpendLogRecord:
    return SpendLogRecord(
        request_id=f"r{i}", call_type="completion", start_time=T, end_time=T, model="m", cost_micros=i,
        error="ü" * (i % 7),
    )  # fmt: skip


def test_round_trip_across_segments_and_reopen(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append([rec(1), rec(2)])
    first = spool.seal()
    spool.append([rec(3)])
    assert first is not None and spool.sealed() == [first]
    assert spool.read(first) == [rec(1), rec(2)]
    spool.close()  # seals the active segment too

    reopened = Spool(tmp_path)
    segments = reopened.sealed()
    assert [r.request_id for s in segments for r in reopened.read(s)] == ["r1", "r2", "r3"]
    reopened.append([rec(4)])
    assert reopened.seal() not in segments  # numbering continues after the old segments
    reopened.remove(segments[0])
    assert len(reopened.sealed()) == 2
    reopened.close()


@pytest.mark.parametrize("seed", range(5))
def test_a_torn_or_corrupt_tail_ends_the_segment(tmp_path: Path, seed: int) -> None:
    spool = Spool(tmp_path)
    spool.append([rec(i) for i in range(10)])
    path = spool.seal()
    spool.close()
    assert path is not None
    data = path.read_bytes()
    rng = random.Random(seed)
    cut = rng.randrange(1, len(data))
    path.write_bytes(data[:cut])
    reader = Spool(tmp_path / "reader")
    survivors = reader.read(path)
    assert survivors == [rec(i) for i in range(len(survivors))]  # a clean prefix
    assert len(survivors) < 10

    flipped = bytearray(data)
    flipped[-3] ^= 0xFF  # inside the last record's payload
    path.write_bytes(bytes(flipped))
    assert reader.read(path) == [rec(i) for i in range(9)]
    reader.close()


def test_one_process_per_spool_directory(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    with pytest.raises(SpoolLocked):
        Spool(tmp_path)
    spool.close()
    Spool(tmp_path).close()
