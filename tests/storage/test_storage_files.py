"""The files-and-batches repository on SQLite and PostgreSQL: an owner sees only its own objects,
pages go newest first, and a completed batch's billing is claimed by exactly one of many concurrent
callers (a claim whose holder died may be taken again after its lease)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from llmrelay.storage import Storage
from llmrelay.storage.file_records import BatchRecord, FileRecord

T0 = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


def _file(ident: str, key_hash: str | None, minute: int, purpose: str = "batch") -> FileRecord:
    return FileRecord(
        id=ident, upstream_id="file-up-" + ident, provider="openai", target="provider:openai",
        purpose=purpose, filename="in.jsonl", bytes=10, created_at=T0 + timedelta(minutes=minute),
        key_hash=key_hash, models={"gpt-4o": 1},
    )  # fmt: skip


def _batch(ident: str, key_hash: str | None, minute: int) -> BatchRecord:
    return BatchRecord(
        id=ident, upstream_id="batch_up_" + ident, provider="openai", target="provider:openai",
        input_file_id="file-a", endpoint="/v1/chat/completions", status="validating",
        created_at=T0 + timedelta(minutes=minute), key_hash=key_hash, team_id="t1",
    )  # fmt: skip


async def test_files_belong_to_their_key(storage: Storage) -> None:
    repo = storage.files
    await repo.add_file(_file("file-a", "k1", 0))
    await repo.add_file(_file("file-b", "k1", 1, purpose="fine-tune"))
    await repo.add_file(_file("file-c", "k2", 2))
    found = await repo.file("file-a", "k1")
    assert found is not None and found.models == {"gpt-4o": 1} and found.created_at == T0
    assert await repo.file("file-a", "k2") is None
    assert (await repo.file("file-c", None)) is not None  # the master key sees every file
    page = await repo.files("k1", purpose=None, after=None, limit=10, newest_first=True)
    assert [f.id for f in page] == ["file-b", "file-a"]
    assert [
        f.id for f in await repo.files("k1", purpose="batch", after=None, limit=10, newest_first=True)
    ] == ["file-a"]
    assert [
        f.id for f in await repo.files("k1", purpose=None, after="file-b", limit=10, newest_first=True)
    ] == ["file-a"]
    # a file of another id once: the second insert of the same id is a no-op
    await repo.add_file_once(_file("file-out", "k1", 3))
    await repo.add_file_once(_file("file-out", "k2", 4))
    again = await repo.file("file-out", None)
    assert again is not None and again.key_hash == "k1"
    assert await repo.delete_file("file-a") and not await repo.delete_file("file-a")


async def test_batches_page_newest_first_per_owner(storage: Storage) -> None:
    repo = storage.files
    for i in range(5):
        await repo.add_batch(_batch(f"batch_{i}", "k1", i))
    await repo.add_batch(_batch("batch_other", "k2", 9))
    first = await repo.batches("k1", after=None, limit=2)
    assert [b.id for b in first] == ["batch_4", "batch_3"]
    second = await repo.batches("k1", after="batch_3", limit=2)
    assert [b.id for b in second] == ["batch_2", "batch_1"]
    assert await repo.batch("batch_other", "k1") is None
    await repo.set_status("batch_1", "completed")
    got = await repo.batch("batch_1", "k1")
    assert got is not None and got.status == "completed" and got.owner().team_id == "t1"


async def test_exactly_one_concurrent_claim_wins_and_a_stale_claim_is_taken_again(storage: Storage) -> None:
    repo = storage.files
    await repo.add_batch(_batch("batch_x", "k1", 0))
    lease = timedelta(minutes=10)
    wins = await asyncio.gather(*(repo.claim_billing("batch_x", T0, lease) for _ in range(8)))
    assert wins.count(True) == 1
    assert not await repo.claim_billing("batch_x", T0 + timedelta(minutes=5), lease)
    assert await repo.claim_billing("batch_x", T0 + timedelta(minutes=11), lease)  # the holder died
    await repo.billed("batch_x", 1234)
    assert not await repo.claim_billing("batch_x", T0 + timedelta(days=1), lease)
    done = await repo.batch("batch_x", None)
    assert done is not None and done.billing == "billed" and done.cost_micros == 1234
    await repo.add_batch(_batch("batch_y", "k1", 1))
    assert await repo.claim_billing("batch_y", T0, lease)
    await repo.release_claim("batch_y")
    assert await repo.claim_billing("batch_y", T0, lease)
