"""The authenticator against a real database, and two instances sharing it (with and without Redis):
a change made through one is enforced by the other within a second."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from llmrelay.auth import KeyAuthService, display_name, generate_key, hash_key
from llmrelay.calls.principal import MASTER
from llmrelay.storage import Database, Storage
from llmrelay.storage.records import KeyUpdate, NewKey, NewTeam, NewUser, SpendLogRecord, UserUpdate
from llmrelay.types.errors import AuthenticationError

MASTER_KEY = "sk-master-for-tests"
REDIS_URL = os.environ.get("LLMRELAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def add_key(storage: Storage, **fields: object) -> str:
    key = generate_key()
    await storage.keys.create(NewKey(key_hash=hash_key(key), key_name=display_name(key), **fields))  # type: ignore[arg-type]
    return key


def headers(key: str | None) -> Callable[[str], str | None]:
    return lambda name: f"Bearer {key}" if name == "authorization" and key is not None else None


def code_of(service: KeyAuthService, key: str | None) -> str:
    try:
        principal = service.authenticator(headers(key), anthropic_dialect=False)
    except AuthenticationError as exc:
        assert exc.status_code == 401
        return str(exc.code)
    return principal.kind


async def eventually(check: Callable[[], Awaitable[bool] | bool], within: float) -> float:
    """Seconds until `check` holds; fails after `within` seconds. Polls, never sleeps blindly."""
    start = time.monotonic()
    while True:
        result = check()
        if result if isinstance(result, bool) else await result:
            return time.monotonic() - start
        if time.monotonic() - start > within:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(0.005)


@pytest.fixture
async def service(storage: Storage) -> AsyncIterator[KeyAuthService]:
    svc = KeyAuthService(storage, master_key=MASTER_KEY, poll_interval=0.1)
    await svc.start()
    yield svc
    await svc.stop()


async def test_keys_existing_at_start_and_created_later_are_accepted(storage: Storage) -> None:
    early = await add_key(storage)
    svc = KeyAuthService(storage, master_key=MASTER_KEY)
    await svc.start()
    try:
        assert code_of(svc, early) == "virtual_key"
        late = await add_key(storage)  # through the same storage: applied before create() returns
        assert code_of(svc, late) == "virtual_key"
        principal = svc.authenticator(headers(late), anthropic_dialect=False)
        assert principal.key_hash == hash_key(late) and principal.models is None
    finally:
        await svc.stop()


async def test_refusals(service: KeyAuthService, storage: Storage) -> None:
    assert code_of(service, MASTER_KEY) == MASTER.kind
    assert code_of(service, None) == "missing_api_key"
    assert code_of(service, "sk-" + "x" * 600) == "invalid_api_key"
    assert code_of(service, generate_key()) == "invalid_api_key"
    assert code_of(service, "' OR 1=1 --") == "invalid_api_key"

    await storage.users.create(NewUser(user_id="u1"))
    blocked_user_key = await add_key(storage, user_id="u1")
    assert code_of(service, blocked_user_key) == "virtual_key"
    await storage.users.update("u1", UserUpdate(blocked=True))
    assert code_of(service, blocked_user_key) == "key_blocked"

    expired = await add_key(storage, expires=datetime.now(UTC) - timedelta(seconds=1))
    assert code_of(service, expired) == "key_expired"

    key = await add_key(storage, models=["gpt-4o"])
    principal = service.authenticator(headers(key), anthropic_dialect=False)
    assert principal.models == frozenset({"gpt-4o"})
    await storage.keys.set_blocked(hash_key(key), True)
    assert code_of(service, key) == "key_blocked"
    await storage.keys.set_blocked(hash_key(key), False)
    assert code_of(service, key) == "virtual_key"
    await storage.keys.delete([hash_key(key)])
    assert code_of(service, key) == "invalid_api_key"


async def test_anthropic_dialect_reads_x_api_key(service: KeyAuthService, storage: Storage) -> None:
    key = await add_key(storage)
    principal = service.authenticator(lambda n: key if n == "x-api-key" else None, anthropic_dialect=True)
    assert principal.key_hash == hash_key(key)


async def test_miss_loads_in_background_for_keys_made_elsewhere(
    service: KeyAuthService, db: Database
) -> None:
    # a key written by another process, whose announcement has not arrived (the poll is stopped)
    await service.sync.stop()
    other = Storage(db)
    key = await add_key(other)
    assert code_of(service, key) == "invalid_api_key"
    await eventually(lambda: service.cache.get(hash_key(key)) is not None, within=2.0)
    assert code_of(service, key) == "virtual_key"
    # an unknown key is looked up once, then remembered as unknown for a moment
    unknown = generate_key()
    assert code_of(service, unknown) == "invalid_api_key"
    assert not service.sync.load_in_background(hash_key(unknown))


async def _second_instance(database_url: str, **options: object) -> tuple[Database, Storage, KeyAuthService]:
    db = Database(database_url)
    storage = Storage(db)
    svc = KeyAuthService(storage, master_key=MASTER_KEY, **options)  # type: ignore[arg-type]
    await svc.start()
    return db, storage, svc


@pytest.mark.parametrize("with_redis", [False, True], ids=["poll-only", "redis"])
async def test_change_on_one_instance_reaches_the_other_within_a_second(
    storage: Storage, database_url: str, redis_channel: str, with_redis: bool
) -> None:
    redis = {"redis_url": REDIS_URL, "channel": redis_channel} if with_redis else {}
    a = KeyAuthService(storage, master_key=MASTER_KEY, poll_interval=0.25, **redis)  # type: ignore[arg-type]
    await a.start()
    # with Redis, instance b polls so rarely that only the Redis announcement can reach it in time:
    # that proves the pub/sub path without timing one path against the other
    db_b, _, b = await _second_instance(database_url, poll_interval=60.0 if with_redis else 0.25, **redis)
    try:
        if b.bus is not None:
            await asyncio.wait_for(b.bus.subscribed.wait(), 2.0)
        await storage.teams.create(NewTeam(team_id="t1"))
        key = await add_key(storage, team_id="t1")
        await eventually(lambda: code_of(b, key) == "virtual_key", within=1.0)

        await storage.keys.update(hash_key(key), KeyUpdate(models=["m1"]))
        await eventually(lambda: b.authenticator.principal(hash_key(key)).models == frozenset({"m1"}), 1.0)  # type: ignore[union-attr]

        from llmrelay.storage.records import TeamUpdate

        await storage.teams.update("t1", TeamUpdate(blocked=True))
        await eventually(lambda: code_of(b, key) == "key_blocked", within=1.0)
        await storage.teams.update("t1", TeamUpdate(blocked=False))
        await eventually(lambda: code_of(b, key) == "virtual_key", within=1.0)

        await storage.keys.delete([hash_key(key)])
        await eventually(lambda: code_of(b, key) == "invalid_api_key", within=1.0)
    finally:
        await b.stop()
        await db_b.close()
        await a.stop()


async def test_budget_used_up_through_one_instance_is_seen_by_the_other(
    storage: Storage, database_url: str
) -> None:
    db_b, _, b = await _second_instance(database_url, poll_interval=0.1)
    try:
        key = await add_key(storage, max_budget_micros=1000)
        await eventually(lambda: code_of(b, key) == "virtual_key", within=1.0)
        now = datetime.now(UTC)
        spend = SpendLogRecord(
            request_id="r1", call_type="completion", start_time=now, end_time=now, model="m",
            cost_micros=1000, key_hash=hash_key(key),
        )  # fmt: skip
        await storage.spend.apply([spend])

        def budget_reached() -> bool:
            found = b.authenticator.principal(hash_key(key))
            return found is not None and found.exceeded_budget() is not None

        await eventually(budget_reached, within=1.0)
    finally:
        await b.stop()
        await db_b.close()


async def test_poller_that_fell_behind_a_pruned_log_reloads_everything(
    service: KeyAuthService, db: Database
) -> None:
    await service.sync.stop()
    other = Storage(db)
    gone = await add_key(other)
    await service.sync.full_reload()
    kept = await add_key(other)
    await other.keys.delete([hash_key(gone)])
    await other.changes.prune(datetime.now(UTC) + timedelta(seconds=1))  # keeps only the newest change
    assert await service.sync.poll_once() == 1
    assert service.cache.get(hash_key(gone)) is None
    assert service.cache.get(hash_key(kept)) is not None
