"""Group commit of the spend spool (issue 13): concurrent callers share one sync, a failed sync fails
every caller of its batch, a crash mid-batch replays each record once, and a stuck or backlogged disk
refuses new calls instead of queueing without bound. Each test runs on SQLite and on PostgreSQL.

The syncs are counted and held with an injected syncer (threading events, no sleeps): the first
batch is held on the "disk" while the others queue up behind it."""

from __future__ import annotations

import asyncio
import errno
import os
import random
import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from llmrelay.calls.principal import MASTER
from llmrelay.calls.served import Served
from llmrelay.gate.admission import CallInfo
from llmrelay.gate.key_gate import KeyGate
from llmrelay.limits.memory import MemoryLimiter
from llmrelay.spend import SpendWriter, Spool
from llmrelay.spend.commit import CommitterStopped
from llmrelay.spend.ledger import PendingSpend
from llmrelay.storage import Storage
from llmrelay.storage.records import NewKey, SpendLogFilter, SpendLogRecord
from llmrelay.types.errors import ServiceUnavailableError
from llmrelay.types.response import Usage

KEY = "g" * 64


def rec(i: int) -> SpendLogRecord:
    now = datetime.now(UTC)
    return SpendLogRecord(
        request_id=f"g{i}", call_type="completion", start_time=now, end_time=now, model="m",
        cost_micros=100 + i, key_hash=KEY,
    )  # fmt: skip


class Disk:
    """An injected syncer: counts syncs, can hold the next one until released, and can fail some."""

    def __init__(self) -> None:
        self.syncs = 0
        self.entered = threading.Event()  # a sync is being held
        self.release = threading.Event()
        self.hold = False
        self.fail: set[int] = set()  # which syncs (1-based) raise EIO

    def __call__(self, fd: int) -> None:
        self.syncs += 1
        number = self.syncs
        if self.hold:
            self.hold = False
            self.entered.set()
            assert self.release.wait(10), "the test never released the disk"
        if number in self.fail:
            raise OSError(errno.EIO, "injected I/O error")
        os.fsync(fd)

    async def held(self) -> None:
        assert await asyncio.to_thread(self.entered.wait, 10), "no sync was held"


@pytest.fixture
async def keyed(storage: Storage) -> Storage:
    await storage.keys.create(NewKey(key_hash=KEY, key_name="sk-...gggg"))
    return storage


@pytest.fixture
def disk() -> Disk:
    return Disk()


WriterFactory = Callable[..., SpendWriter]


@pytest.fixture
async def make_writer(keyed: Storage, tmp_path: Path, disk: Disk) -> AsyncIterator[WriterFactory]:
    made: list[SpendWriter] = []

    def make(**settings: object) -> SpendWriter:
        # a long flush interval: the drain task stays out of the way, the tests flush themselves
        writer = SpendWriter(
            keyed.spend.apply,
            tmp_path / "spool",
            flush_interval=60,
            sync=disk,
            **settings,  # type: ignore[arg-type]
        )
        made.append(writer)
        return writer

    yield make
    disk.release.set()
    for writer in made:
        await writer.stop()


async def queued(writer: SpendWriter, count: int) -> None:
    """Yield to the loop until `count` records wait behind the held batch (no timers involved)."""
    committer = writer._committer
    assert committer is not None
    for _ in range(10_000):
        if len(committer._frames) >= count:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"only {len(committer._frames)} records queued")


async def billed(storage: Storage) -> dict[str, int]:
    rows = await storage.spend.logs(SpendLogFilter(limit=10_000))
    ids = [row.request_id for row in rows]
    assert len(ids) == len(set(ids)), "a record was billed twice"
    return {row.request_id: row.cost_micros for row in rows}


async def test_concurrent_callers_share_one_sync(
    make_writer: WriterFactory, disk: Disk, keyed: Storage
) -> None:
    writer = make_writer()
    await writer.start()
    await writer.record(rec(0))  # opens the segment
    assert disk.syncs == 1

    disk.hold = True
    first = asyncio.ensure_future(writer.record(rec(1)))
    await disk.held()  # record 1 is on the disk, alone
    # the drain lists sealed segments on the event loop: never blocked by a sync in progress
    spool = writer._spool
    assert spool is not None and spool.sealed() == []
    rest = [asyncio.ensure_future(writer.record(rec(i))) for i in range(2, 101)]
    await queued(writer, 99)
    assert not any(task.done() for task in [first, *rest])  # nobody is told before the sync
    disk.release.set()
    await asyncio.gather(first, *rest)
    # 99 callers that arrived while a sync was on the disk share the next one
    assert disk.syncs == 3
    assert writer.stats.spooled == 101
    await writer.flush()
    assert sorted(await billed(keyed)) == sorted(f"g{i}" for i in range(101))


async def test_a_lone_caller_is_written_at_once(make_writer: WriterFactory, disk: Disk) -> None:
    """No waiting to gather a batch: each sequential record is its own write + sync."""
    writer = make_writer()
    await writer.start()
    for i in range(5):
        await writer.record(rec(i))
    assert disk.syncs == 5


async def test_a_failed_sync_fails_every_caller_of_its_batch(
    make_writer: WriterFactory, disk: Disk, keyed: Storage
) -> None:
    writer = make_writer(retry_after=0.01)
    await writer.start()
    await writer.record(rec(0))
    disk.hold = True
    disk.fail = {3}  # the batch that queues behind the held one
    held = asyncio.ensure_future(writer.record(rec(1)))
    await disk.held()
    batch = [asyncio.ensure_future(writer.record(rec(i))) for i in range(2, 22)]
    for i in range(22, 25):
        writer.record_nowait(rec(i))  # nobody waits on these: kept and retried
    await queued(writer, 23)
    disk.release.set()
    await held
    outcomes = await asyncio.gather(*batch, return_exceptions=True)
    # every caller of the failed batch is told, none is told its record is durable
    assert all(isinstance(outcome, OSError) and outcome.errno == errno.EIO for outcome in outcomes)
    await writer.flush()  # the barrier waits for the retry of the queued records
    assert writer.stats.spooled == 2 + 3

    # what the gate does with a failed record (KeyGate.record): queue it for the retry, and still
    # answer. Billed once in the end, whether or not the failed write reached the disk before its sync
    for i in range(2, 22):
        writer.record_nowait(rec(i))
    await writer.flush()
    assert await billed(keyed) == {f"g{i}": 100 + i for i in range(25)}
    assert writer.pending_segments() == 0


async def test_the_gate_keeps_a_failed_record_and_bills_it_once(
    make_writer: WriterFactory, disk: Disk, keyed: Storage
) -> None:
    writer = make_writer(retry_after=0.01)
    await writer.start()
    gate = KeyGate(None, MemoryLimiter(), writer=writer, pending=PendingSpend())
    disk.fail = {1}
    pass_ = await gate.admit(MASTER, CallInfo("completion", "m", None))
    await pass_.succeeded(Usage(), Served(cost_micros=7))  # answered: availability over billing
    await writer.flush()
    rows = await keyed.spend.logs(SpendLogFilter(limit=10))
    assert [row.cost_micros for row in rows] == [7]


@pytest.mark.parametrize("seed", range(4))
async def test_a_crash_mid_batch_replays_each_record_once(keyed: Storage, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    spool_dir = tmp_path / "spool"
    crashed = Spool(spool_dir)
    crashed.append([rec(i) for i in range(10)])  # batch 1: durable, its callers were told
    frames = [crashed.frame(rec(i)) for i in range(10, 30)]
    batch = b"".join(frames)
    cut = rng.randrange(1, len(batch))
    crashed.append_frames(batch[:cut])  # batch 2: the process died mid-write
    crashed.close()
    ends = [len(b"".join(frames[: n + 1])) for n in range(len(frames))]
    whole = {f"g{10 + n}" for n, end in enumerate(ends) if end <= cut}

    async def replay() -> None:
        writer = SpendWriter(keyed.spend.apply, spool_dir, flush_interval=60)
        await writer.start()
        await writer.flush()
        await writer.stop()
        assert writer.pending_segments() == 0

    await replay()
    got = await billed(keyed)
    # the acknowledged batch entirely, of the torn one its whole frames (never acknowledged: at most
    # the batch) and nothing of the torn frame
    assert set(got) == {f"g{i}" for i in range(10)} | whole
    assert all(got[f"g{i}"] == 100 + i for i in range(10))

    # the crash came after the database committed but before the segment was deleted: replayed again
    again = Spool(spool_dir)
    again.append([rec(i) for i in range(30)])
    again.close()
    await replay()
    assert await billed(keyed) == {f"g{i}": 100 + i for i in range(30)}
    key = await keyed.keys.get(KEY)
    assert key is not None and key.spend_micros == sum(100 + i for i in range(30))


async def test_a_stuck_disk_refuses_new_calls(make_writer: WriterFactory, disk: Disk) -> None:
    writer = make_writer(stall_after=0.0)  # any write still on the disk counts as stuck
    await writer.start()
    gate = KeyGate(None, MemoryLimiter(), writer=writer, pending=PendingSpend())
    assert writer.accepting()
    disk.hold = True
    pass_ = await gate.admit(MASTER, CallInfo("completion", "m", None))
    answered = asyncio.ensure_future(pass_.succeeded(Usage(), Served(cost_micros=3)))
    await disk.held()
    assert not writer.accepting()
    with pytest.raises(ServiceUnavailableError) as refused:
        await gate.admit(MASTER, CallInfo("completion", "m", None))
    assert refused.value.status_code == 503
    assert not answered.done()  # the admitted call waits for its record, not answered unbilled
    disk.release.set()
    await answered
    assert writer.accepting()


async def test_a_backlog_over_the_bound_refuses_new_calls(make_writer: WriterFactory, disk: Disk) -> None:
    frame = len(msgspec.json.encode(rec(0))) + 8  # within a few bytes: timestamps vary in length
    writer = make_writer(max_backlog=3 * frame - 30)
    await writer.start()
    gate = KeyGate(None, MemoryLimiter(), writer=writer, pending=PendingSpend())
    disk.hold = True
    waiting = [asyncio.ensure_future(writer.record(rec(i))) for i in range(2)]
    await disk.held()
    assert writer.accepting()  # two records' bytes not yet durable
    writer.record_nowait(rec(2))
    assert not writer.accepting()  # three
    with pytest.raises(ServiceUnavailableError):
        await gate.admit(MASTER, CallInfo("completion", "m", None))
    disk.release.set()
    await asyncio.gather(*waiting)
    await writer.flush()
    assert writer.accepting()
    assert writer._committer is not None and writer._committer.backlog == 0


async def test_a_stop_with_the_disk_stuck_tells_every_caller(make_writer: WriterFactory, disk: Disk) -> None:
    writer = make_writer()
    await writer.start()
    disk.hold = True
    on_disk = asyncio.ensure_future(writer.record(rec(0)))
    await disk.held()
    queued_behind = asyncio.ensure_future(writer.record(rec(1)))
    await queued(writer, 1)
    await writer.stop(timeout=0.1)  # returns although the disk never answers
    for caller in (on_disk, queued_behind):
        with pytest.raises(CommitterStopped):
            await caller
