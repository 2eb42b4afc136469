"""One request must not jam billing (hardening issue, item 1).

The attack: a record the database refuses (a `user` longer than its column, a NUL byte PostgreSQL
will not store, an integer out of range) used to fail its whole batch forever — nothing after it
reached `spend_logs` — and, spooled, made every restart fail. Here the bad record is set aside in the
spool's dead-letter file and counted, and every other record is written; a lost connection is still
retried, never taken for a bad record. Everything runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import stat
import struct
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy.exc import OperationalError

from llmrelay.config.loader import parse_config
from llmrelay.events.record import CallRecord
from llmrelay.gate.stored_fields import MAX_END_USER_CHARS, MAX_MODEL_CHARS
from llmrelay.spend import Attribution, SpendWriter, Spool, drain_orphan_spools, spend_log_for_call
from llmrelay.spend.ledger import PendingSpend
from llmrelay.spend.quarantine import DEAD_LETTER_NAME, Quarantine
from llmrelay.storage import Storage
from llmrelay.storage.records import NewKey, SpendLogFilter, SpendLogRecord
from llmrelay.storage.schema import end_users, spend_logs
from llmrelay.testing import RunningSimulator
from llmrelay.testing.gateway import GatewayThread
from llmrelay.types.errors import NotFoundError
from llmrelay.types.response import Usage

KEY = "k" * 64
MASTER = "sk-spend-jam-master"


def rec(name: str, **fields: Any) -> SpendLogRecord:
    now = datetime.now(UTC)
    values: dict[str, Any] = {"start_time": now, "end_time": now, "model": "m", "cost_micros": 10}
    values.update(fields)
    return SpendLogRecord(request_id=name, call_type="completion", key_hash=KEY, **values)


def poisoned(database_url: str) -> list[SpendLogRecord]:
    """Records the database refuses: on both, an integer beyond 64 bits; on PostgreSQL also what
    SQLite stores without complaint (an over-long string, NUL bytes)."""
    bad = [rec("bad-int", prompt_tokens=2**64)]
    if database_url.startswith("postgresql"):
        bad += [
            rec("bad-long-user", end_user="u" * 300),
            rec("bad-nul-model", model="gpt\x00"),
            rec("bad-nul-error", status="failure", error="not found: 'x\x00'"),
        ]
    return bad


def dead_letters(directory: Path) -> list[dict[str, Any]]:
    path = directory / DEAD_LETTER_NAME
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def logged_ids(storage: Storage) -> set[str]:
    return {row.request_id for row in await storage.spend.logs(SpendLogFilter())}


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
    w = SpendWriter(keyed.spend.apply, tmp_path / "spool", flush_interval=0.05, max_batch=50)
    await w.start()
    yield w
    await w.stop()


async def test_a_refused_record_is_set_aside_and_the_rest_are_written(
    writer: SpendWriter, keyed: Storage, database_url: str, tmp_path: Path
) -> None:
    bad = poisoned(database_url)
    good = [rec(f"good-{i}") for i in range(20)]
    # the bad records sit in the middle of one batch, between good ones
    for record in [*good[:10], *bad, *good[10:]]:
        await writer.record(record)
    await writer.flush()
    assert await logged_ids(keyed) == {r.request_id for r in good}
    assert await key_spend(keyed) == 10 * len(good)
    letters = dead_letters(tmp_path / "spool")
    assert sorted(letter["request_id"] for letter in letters) == sorted(r.request_id for r in bad)
    assert all(letter["record"]["request_id"] == letter["request_id"] for letter in letters)
    assert writer.quarantine.count == len(bad) and writer.stats.quarantined == len(bad)
    assert writer.pending_segments() == 0

    # later calls' spend still lands, and the refused records are not tried again
    await writer.record(rec("later"))
    await writer.flush()
    assert "later" in await logged_ids(keyed)
    assert len(dead_letters(tmp_path / "spool")) == len(bad)


async def test_spend_held_for_a_refused_record_is_released(keyed: Storage, tmp_path: Path) -> None:
    """The pending ledger counts a call's spend against its budgets until the database does; for a
    record the database refuses that moment never comes, so setting it aside releases it."""
    pending = PendingSpend()

    async def settled(rows: list[SpendLogRecord]) -> None:
        pending.settled(row.request_id for row in rows)

    w = SpendWriter(keyed.spend.apply, tmp_path / "spool", flush_interval=10.0, on_applied=settled)
    await w.start()
    try:
        for record in (rec("good"), rec("bad", prompt_tokens=2**64)):
            pending.add(record)
            await w.record(record)
        assert pending.pending("key", KEY) == 20
        await w.flush()
    finally:
        await w.stop()
    assert pending.pending("key", KEY) == 0 and len(pending) == 0


class Outage:
    """The real apply, failing as a lost connection does while `down`."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.down = False

    async def apply(self, records: list[SpendLogRecord]) -> int:
        if self.down:
            raise OperationalError("INSERT", {}, ConnectionRefusedError("database down"))
        return await self.storage.spend.apply(records)


async def test_a_lost_connection_is_retried_never_quarantined(keyed: Storage, tmp_path: Path) -> None:
    outage = Outage(keyed)
    w = SpendWriter(outage.apply, tmp_path / "spool", flush_interval=0.02, max_backoff=0.05)
    await w.start()
    try:
        outage.down = True
        for i in range(5):
            await w.record(rec(f"r{i}"))
        with pytest.raises(OperationalError):
            await w.flush()
        assert w.quarantine.count == 0 and not dead_letters(tmp_path / "spool")
        outage.down = False
        await w.flush()
    finally:
        await w.stop()
    assert await logged_ids(keyed) == {f"r{i}" for i in range(5)}


class FlakyAfterRefusal:
    """Fails with a lost connection once, right after the database refused a record: the retried
    drain must not set that record aside a second time."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.refused = False
        self.tripped = False

    async def apply(self, records: list[SpendLogRecord]) -> int:
        if self.refused and not self.tripped:
            self.tripped = True
            raise OperationalError("INSERT", {}, ConnectionResetError("connection lost"))
        try:
            return await self.storage.spend.apply(records)
        except Exception:
            self.refused = True
            raise


async def test_a_retried_drain_sets_a_record_aside_once(keyed: Storage, tmp_path: Path) -> None:
    flaky = FlakyAfterRefusal(keyed)
    w = SpendWriter(flaky.apply, tmp_path / "spool", flush_interval=10.0, max_batch=2)
    await w.start()
    try:
        for record in (rec("bad", prompt_tokens=2**64), rec("a"), rec("b"), rec("c")):
            await w.record(record)
        with pytest.raises(OperationalError):
            await w.flush()
        await w.flush()
    finally:
        await w.stop()
    assert [letter["request_id"] for letter in dead_letters(tmp_path / "spool")] == ["bad"]
    assert await logged_ids(keyed) == {"a", "b", "c"}


def undecodable_frame() -> bytes:
    """A frame whose checksum holds but whose JSON is not a spend record."""
    payload = b'{"request_id": 7}'
    return struct.pack(">II", len(payload), zlib.crc32(payload)) + payload


def poisoned_spool(directory: Path, bad: list[SpendLogRecord], good: list[SpendLogRecord]) -> None:
    """The spool a crashed worker leaves: good records, refused ones, an undecodable frame."""
    spool = Spool(directory)
    spool.append([good[0], *bad])
    segment = spool.seal()
    assert segment is not None
    with segment.open("ab") as out:
        out.write(undecodable_frame())
    spool.append(good[1:])
    spool.close()


async def test_replaying_a_poisoned_spool_quarantines_instead_of_raising(
    keyed: Storage, database_url: str, tmp_path: Path
) -> None:
    base = tmp_path / "spool"
    bad, good = poisoned(database_url), [rec(f"good-{i}") for i in range(3)]
    poisoned_spool(base / "worker-0", bad, good)
    quarantine = Quarantine()
    assert await drain_orphan_spools(base, keyed.spend.apply, quarantine=quarantine) == len(good)
    assert await logged_ids(keyed) == {r.request_id for r in good}
    letters = dead_letters(base / "worker-0")
    assert sorted(str(letter.get("request_id")) for letter in letters) == sorted(
        [*(r.request_id for r in bad), "None"]
    )
    assert quarantine.count == len(bad) + 1
    assert not list((base / "worker-0").glob("*.spool"))


# ---- through the whole gateway ----


def gateway_document(database_url: str, sim: RunningSimulator, spool: Path) -> dict[str, Any]:
    params = {"model": "openai/gpt-4o-mini", "api_base": sim.api_base, "api_key": sim.api_key}
    return {
        "model_list": [{"model_name": "gpt-4o-mini", "litellm_params": params}],
        "litellm_settings": {"callbacks": ["prometheus"]},
        "general_settings": {
            "master_key": MASTER,
            "database_url": database_url,
            "spend_spool_dir": str(spool),
            "proxy_batch_write_at": 0.05,
        },
    }


async def call(http: aiohttp.ClientSession, **body: Any) -> tuple[int, dict[str, Any]]:
    body.setdefault("model", "gpt-4o-mini")
    body["messages"] = [{"role": "user", "content": "hi"}]
    async with http.post("/v1/chat/completions", json=body) as reply:
        return reply.status, await reply.json()


async def test_a_restart_with_a_poisoned_spool_serves_and_replays_the_good_rows(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> None:
    await storage.keys.create(NewKey(key_hash=KEY, key_name="sk-...kkkk"))
    base = tmp_path / "spool"
    bad, good = poisoned(database_url), [rec(f"good-{i}") for i in range(3)]
    poisoned_spool(base / "worker-0", bad, good)
    gw = GatewayThread(parse_config(gateway_document(database_url, openai_sim, base), source="t"))
    gw.start()
    try:
        headers = {"authorization": f"Bearer {MASTER}"}
        async with aiohttp.ClientSession(gw.base_url, headers=headers) as http:
            status, _ = await call(http)
            assert status == 200
            async with http.get("/metrics") as reply:
                metrics = await reply.text()
    finally:
        gw.stop()
    logged = await logged_ids(storage)
    assert {r.request_id for r in good} <= logged and len(logged) == len(good) + 1
    assert len(dead_letters(base / "worker-0")) == len(bad) + 1
    assert f"llmrelay_spend_quarantined_records_total {float(len(bad) + 1)}" in metrics
    assert stat.S_IMODE(base.stat().st_mode) == 0o700  # the spool's base directory is private too


@pytest.fixture
def gateway(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> Iterator[GatewayThread]:
    document = gateway_document(database_url, openai_sim, tmp_path / "spool")
    gw = GatewayThread(parse_config(document, source="t")).start()
    try:
        yield gw
    finally:
        gw.stop()


REFUSED_BODIES = [
    pytest.param("/v1/chat/completions", {"user": "u" * 300}, "user", id="long-user"),
    pytest.param("/v1/chat/completions", {"user": "a\x00b"}, "user", id="nul-user"),
    pytest.param("/v1/chat/completions", {"user": "a\nb"}, "user", id="newline-user"),
    pytest.param("/v1/chat/completions", {"model": "gpt-4o-mini\x00"}, "model", id="nul-model"),
    # an unknown model was a 404 that still wrote a spend row with the model's name
    pytest.param("/v1/chat/completions", {"model": "nope\x00"}, "model", id="nul-unknown-model"),
    pytest.param("/v1/chat/completions", {"model": "m" * 300}, "model", id="long-model"),
    pytest.param("/v1/embeddings", {"user": "u" * 300}, "user", id="embeddings-long-user"),
    pytest.param("/v1/messages", {"metadata": {"user_id": "u" * 300}}, "user", id="anthropic-user"),
    pytest.param("/v1/responses", {"user": "a\x00b"}, "user", id="responses-user"),
]


def body_for(path: str, fields: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {"model": "gpt-4o-mini"}
    if path in ("/v1/embeddings", "/v1/responses"):
        base["input"] = "hi"
    else:
        base["messages"] = [{"role": "user", "content": "hi"}]
    if path == "/v1/messages":
        base["max_tokens"] = 16
    return {**base, **fields}


@pytest.mark.parametrize(("path", "fields", "param"), REFUSED_BODIES)
async def test_stored_strings_are_refused_at_the_edge(
    gateway: GatewayThread,
    storage: Storage,
    openai_sim: RunningSimulator,
    path: str,
    fields: dict[str, Any],
    param: str,
) -> None:
    headers = {"authorization": f"Bearer {MASTER}", "x-api-key": MASTER}
    async with aiohttp.ClientSession(gateway.base_url, headers=headers) as http:
        async with http.post(path, json=body_for(path, fields)) as reply:
            assert reply.status == 400, await reply.text()
            error = (await reply.json())["error"]
        assert param in error["message"]
        if path != "/v1/messages":  # Anthropic's error body has no `param`
            assert error["param"] == param
        assert not openai_sim.requests  # refused before the upstream was called
        # and before anything was stored: the next call's row is the only one
        status, _ = await call(http, user="an-end-user")
        assert status == 200
    rows = await wait_for_rows(storage, 1)
    assert [row.end_user for row in rows] == ["an-end-user"]


async def wait_for_rows(storage: Storage, count: int, timeout: float = 10.0) -> list[SpendLogRecord]:
    """The spend rows once `count` have reached the database (the writer flushes every 50 ms)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = await storage.spend.logs(SpendLogFilter())
        if len(rows) >= count or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.02)


def test_the_edge_bounds_are_the_column_lengths() -> None:
    assert spend_logs.c.model.type.length == MAX_MODEL_CHARS  # type: ignore[attr-defined]
    assert spend_logs.c.end_user.type.length == MAX_END_USER_CHARS  # type: ignore[attr-defined]
    assert end_users.c.end_user_id.type.length == MAX_END_USER_CHARS  # type: ignore[attr-defined]


async def test_rows_the_gateway_builds_are_fitted_to_their_columns(keyed: Storage) -> None:
    """What an upstream or a wildcard deployment puts on a row (an error quoting a NUL byte, a
    deployment name longer than its column, absurd token counts) is stored fitted, not refused."""
    now = time.time()
    record = CallRecord(
        call_id="fitted", call_type="completion", model="gpt-4o-mini", provider="openai",
        deployment="openai/" + "d" * 300, start_time=now, end_time=now, latency_s=0.0,
        usage=Usage(prompt_tokens=2**70, completion_tokens=1, total_tokens=2**70),
        error=NotFoundError("no model named 'x\x00'"),
    )  # fmt: skip
    row = spend_log_for_call(record, Attribution(key_hash=KEY))
    assert await keyed.spend.apply([row]) == 1
    stored = (await keyed.spend.logs(SpendLogFilter()))[0]
    assert stored.deployment == ("openai/" + "d" * 300)[:255]
    assert stored.error is not None and "\x00" not in stored.error and "x\ufffd" in stored.error
    assert stored.prompt_tokens == 2**63 - 1
