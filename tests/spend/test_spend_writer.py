from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from llmrelay.events.record import CallRecord
from llmrelay.spend import Attribution, SpendWriter, Spool, spend_log_for_call
from llmrelay.storage import Database, Storage
from llmrelay.storage.records import NewKey, SpendLogFilter, SpendLogRecord
from llmrelay.types.errors import RateLimitError
from llmrelay.types.response import Usage

KEY = "k" * 64


def rec(i: int) -> SpendLogRecord:
    now = datetime.now(UTC)
    return SpendLogRecord(
        request_id=f"r{i}", call_type="completion", start_time=now, end_time=now, model="m",
        cost_micros=10 + i, key_hash=KEY,
    )  # fmt: skip


async def key_spend(storage: Storage) -> int:
    key = await storage.keys.get(KEY)
    assert key is not None
    return key.spend_micros


@pytest.fixture
async def keyed(storage: Storage) -> Storage:
    await storage.keys.create(NewKey(key_hash=KEY, key_name="sk-...kkkk"))
    return storage


@pytest.fixture
async def writer(keyed: Storage, tmp_path: Path) -> AsyncIterator[SpendWriter]:
    w = SpendWriter(keyed.spend.apply, tmp_path / "spool", flush_interval=0.05, max_batch=7)
    await w.start()
    yield w
    await w.stop()


async def test_recorded_spend_reaches_the_database_once(writer: SpendWriter, keyed: Storage) -> None:
    await asyncio.gather(*(writer.record(rec(i)) for i in range(50)))
    writer.record_nowait(rec(50))
    await writer.flush()
    assert await key_spend(keyed) == sum(10 + i for i in range(51))
    assert writer.stats.spooled == 51 and writer.stats.applied == 51
    assert writer.pending_segments() == 0
    # the same calls reported again (a retry upstream of us) change nothing
    await asyncio.gather(*(writer.record(rec(i)) for i in range(5)))
    assert await writer.flush() == 0
    assert await key_spend(keyed) == sum(10 + i for i in range(51))


async def test_group_commit_shares_writes(writer: SpendWriter) -> None:
    spool = writer._spool
    assert spool is not None
    appends: list[int] = []
    real_append = spool.append_frames

    def counting_append(frames: bytes) -> None:
        appends.append(len(frames))
        real_append(frames)

    spool.append_frames = counting_append  # type: ignore[method-assign]
    await asyncio.gather(*(writer.record(rec(i)) for i in range(200)))
    # 200 concurrent callers, a handful of write+fsync rounds (counted exactly, with the disk held, in
    # test_spend_group_commit.py)
    assert writer.stats.spooled == 200 and len(appends) <= 5


async def test_segments_left_by_a_previous_run_are_replayed_exactly_once(
    keyed: Storage, tmp_path: Path
) -> None:
    spool_dir = tmp_path / "spool"
    old = Spool(spool_dir)
    old.append([rec(1), rec(2)])
    committed = old.seal()
    old.append([rec(3)])  # the active segment of the "crashed" process
    old.close()
    assert committed is not None
    # the crash happened after segment 1 reached the database but before it was deleted
    await keyed.spend.apply(old.read(committed))
    assert await key_spend(keyed) == 23

    w = SpendWriter(keyed.spend.apply, spool_dir, flush_interval=0.05)
    await w.start()
    assert await w.flush() == 1
    await w.stop()
    assert await key_spend(keyed) == 23 + 13
    assert w.stats.duplicates == 2 and w.pending_segments() == 0


class Outage:
    """Wraps the real apply; while `down`, fails the way a lost database connection does."""

    def __init__(self, storage: Storage):
        self.storage = storage
        self.down = False
        self.failures = 0

    async def apply(self, records: list[SpendLogRecord]) -> int:
        if self.down:
            self.failures += 1
            raise OperationalError("INSERT", {}, ConnectionRefusedError("database down"))
        return await self.storage.spend.apply(records)


async def test_database_outage_grows_the_spool_then_drains_exactly_once(
    keyed: Storage, tmp_path: Path
) -> None:
    outage = Outage(keyed)
    w = SpendWriter(outage.apply, tmp_path / "spool", flush_interval=0.02, max_backoff=0.05)
    await w.start()
    try:
        outage.down = True
        for i in range(30):
            await w.record(rec(i))  # the caller is unaffected by the outage
        with pytest.raises(OperationalError):
            await w.flush()
        assert w.pending_segments() >= 1 and outage.failures >= 1
        assert await key_spend(keyed) == 0
        outage.down = False
        for _ in range(200):
            if w.pending_segments() == 0:
                break
            await asyncio.sleep(0.01)
        assert w.pending_segments() == 0
        assert await key_spend(keyed) == sum(10 + i for i in range(30))
        assert len(await keyed.spend.logs(SpendLogFilter(limit=100))) == 30
        assert w.stats.failed_drains >= 1 and w.stats.last_error == "OperationalError"
    finally:
        await w.stop()


class TcpProxy:
    """A TCP relay to PostgreSQL that can be cut (all connections dropped, new ones refused)."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for link in list(self._links):
            link.transport.abort()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._links |= {writer, up_writer}

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self._links -= {writer, up_writer}


async def test_real_postgres_outage(keyed: Storage, database_url: str, tmp_path: Path) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a network outage needs a networked database")
    proxy = TcpProxy(5432)
    await proxy.open()
    via_proxy = database_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    db = Database(via_proxy)
    w = SpendWriter(Storage(db).spend.apply, tmp_path / "spool", flush_interval=0.02, max_backoff=0.1)
    await w.start()
    try:
        await w.record(rec(0))
        await w.flush()
        await proxy.cut()
        for i in range(1, 21):
            await w.record(rec(i))
        with pytest.raises(Exception):  # noqa: B017 - the driver's own connection error type
            await w.flush()
        assert w.pending_segments() >= 1
        assert await key_spend(keyed) == 10
        await proxy.open()  # the database is back, on the same port
        for _ in range(300):
            if w.pending_segments() == 0:
                break
            await asyncio.sleep(0.01)
        assert w.pending_segments() == 0
        assert await key_spend(keyed) == sum(10 + i for i in range(21))
    finally:
        await w.stop()
        await db.close()
        with contextlib.suppress(AssertionError):
            await proxy.cut()


async def test_writer_refuses_records_when_not_running(keyed: Storage, tmp_path: Path) -> None:
    w = SpendWriter(keyed.spend.apply, tmp_path / "spool")
    with pytest.raises(RuntimeError):
        await w.record(rec(0))
    await w.start()
    await w.record(rec(0))
    await w.stop()  # flushes on the way out
    assert await key_spend(keyed) == 10
    with pytest.raises(RuntimeError):
        w.record_nowait(rec(1))


def test_call_record_becomes_an_attributed_log_row() -> None:
    call = CallRecord(
        call_id="c1", call_type="completion", model="gpt-4o", provider="openai", deployment="openai/gpt-4o",
        start_time=1_700_000_000.0, end_time=1_700_000_001.5, latency_s=1.5,
        usage=Usage(prompt_tokens=3, completion_tokens=4, total_tokens=7), cost_micros=42,
        error=RateLimitError("slow down"), model_group="gpt",
    )  # fmt: skip
    who = Attribution(key_hash=KEY, user_id="u", team_id="t", organization_id="o", end_user="e")
    row = spend_log_for_call(call, who)
    assert (row.request_id, row.cost_micros, row.total_tokens, row.status) == ("c1", 42, 7, "failure")
    assert row.error == "RateLimitError: slow down"
    assert row.start_time == datetime.fromtimestamp(1_700_000_000.0, UTC)
    assert (row.key_hash, row.user_id, row.team_id, row.organization_id, row.end_user) == (
        KEY,
        "u",
        "t",
        "o",
        "e",
    )


async def test_orphaned_spools_are_drained_and_live_ones_left_alone(keyed: Storage, tmp_path: Path) -> None:
    from llmrelay.spend import drain_orphan_spools

    base = tmp_path / "spools"
    orphan = Spool(base / "worker-3")
    orphan.append([rec(1), rec(2)])
    orphan.close()  # its process is gone
    live = Spool(base / "worker-0")
    live.append([rec(3)])
    live.seal()
    try:
        assert await drain_orphan_spools(base, keyed.spend.apply) == 2
        assert await key_spend(keyed) == 23
        assert len(live.sealed()) == 1  # still owned: untouched
        assert Spool(base / "worker-3").segments() == []
    finally:
        live.close()
