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


def _frame_offsets(data: bytes) -> list[int]:
    offsets, offset = [], 0
    while offset < len(data):
        offsets.append(offset)
        offset += 8 + int.from_bytes(data[offset : offset + 4], "big")
    return offsets


@pytest.mark.parametrize("seed", range(40))
def test_damage_in_the_middle_costs_only_the_damaged_frame(tmp_path: Path, seed: int) -> None:
    """Bit rot inside a sealed segment: the records after the damaged frame are still read (they
    used to be dropped with it), and the damaged bytes are reported for the dead-letter file."""
    spool = Spool(tmp_path)
    spool.append([rec(i) for i in range(10)])
    path = spool.seal()
    spool.close()
    assert path is not None
    data = path.read_bytes()
    offsets = _frame_offsets(data)
    rng = random.Random(seed)
    victim = rng.randrange(0, 9)  # any frame but the last
    start, end = offsets[victim], offsets[victim + 1]
    damaged = bytearray(data)
    # flip a byte anywhere in the frame: its length field, its checksum or its payload
    damaged[rng.randrange(start, end)] ^= 1 << rng.randrange(8)
    path.write_bytes(bytes(damaged))

    reader = Spool(tmp_path / "reader")
    contents = reader.read_segment(path)
    reader.close()
    assert contents.records == [rec(i) for i in range(10) if i != victim]
    assert b"".join(contents.unreadable) == bytes(damaged[start:end])


def test_one_process_per_spool_directory(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    with pytest.raises(SpoolLocked):
        Spool(tmp_path)
    spool.close()
    Spool(tmp_path).close()


class FailingHalfway:
    """Stands in for the segment file: writes half of what it is given, then fails like a full disk."""

    def __init__(self, real: object) -> None:
        self.real = real

    def write(self, data: bytes) -> int:
        self.real.write(data[: len(data) // 2])  # type: ignore[attr-defined]
        self.real.flush()  # type: ignore[attr-defined]
        raise OSError(28, "No space left on device")

    def close(self) -> None:
        self.real.close()  # type: ignore[attr-defined]


def test_a_failed_append_leaves_earlier_and_later_records_readable(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append([rec(1)])
    spool._active = FailingHalfway(spool._active)  # type: ignore[assignment]
    with pytest.raises(OSError):
        spool.append([rec(2), rec(3)])
    spool.append([rec(4)])  # goes to a fresh segment
    spool.close()
    reader = Spool(tmp_path / "reader")
    ids = [r.request_id for s in Spool.segments(spool) for r in reader.read(s)]
    # a whole record of the failed batch may have reached the disk (the database dedupes it by id);
    # what matters is that the torn tail does not hide what was appended after it
    assert ids[0] == "r1" and ids[-1] == "r4" and set(ids[1:-1]) <= {"r2"}
    reader.close()


def test_a_segment_being_opened_is_never_listed_as_sealed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The drain lists sealed segments on the event loop while the committer's thread may be opening
    the next one: between the file's creation and the spool taking it as active, it must not be taken
    for a sealed segment (drained and deleted while records go into it)."""
    from llmrelay.spend import spool as spool_module

    spool = Spool(tmp_path)
    spool.append([rec(1)])
    first = spool.seal()
    seen: list[list[Path]] = []
    real_open = spool_module.open_private

    def open_and_look(path: Path, flags: int) -> int:
        fd = real_open(path, flags)
        if path.name.startswith("spend-"):
            seen.append(spool.sealed())  # what a drain running right now would take
        return fd

    monkeypatch.setattr(spool_module, "open_private", open_and_look)
    spool.append([rec(2)])  # opens the next segment
    assert seen == [[first]]
    spool.close()
