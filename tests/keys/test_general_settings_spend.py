"""LiteLLM's general_settings for spend and the database, through the whole gateway (build_app from a
config, Granian, the OpenAI simulator upstream, the official `openai` client):

- disable_spend_logs: no spend log rows, while key, user, team and end-user spend and budgets stay exact;
- proxy_batch_write_at: the spend writer's interval; database_connection_pool_limit: the pool's limit;
- values that cannot work are refused with the config path named."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openai
import pytest
from keys_helpers import GatewayThread, admin, gateway_document
from sqlalchemy import select

from llmrelay.auth import hash_key
from llmrelay.config.loader import ConfigError, parse_config
from llmrelay.gate.runtime import KeysRuntime
from llmrelay.spend import Spool
from llmrelay.storage import Database, Storage
from llmrelay.storage.records import NewKey, SpendLogRecord
from llmrelay.storage.schema import spend_logs
from llmrelay.testing import RunningSimulator

HELLO = [{"role": "user", "content": "say hello"}]
# long enough that no background write happens during a test: the test flushes when it wants spend
# in the database, and everything before that shows what the gateway counts on its own
NEVER = 3600

Gateways = Callable[..., GatewayThread]


@pytest.fixture
def gateways(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> Iterator[Gateways]:
    started: list[GatewayThread] = []

    def start(**general: Any) -> GatewayThread:
        document = gateway_document(
            database_url,
            openai_sim.api_base,
            openai_sim.api_key,
            spend_spool_dir=str(tmp_path / "spool"),
            **general,
        )
        started.append(GatewayThread(document).start())
        return started[-1]

    yield start
    for gw in started:
        gw.stop()


def runtime(gw: GatewayThread) -> KeysRuntime:
    found = gw.app.state.services[0]
    assert isinstance(found, KeysRuntime)
    return found


def flush(gw: GatewayThread) -> None:
    writer = runtime(gw).writer
    assert writer is not None
    gw.run(writer.flush())


async def chat_cost(gw: GatewayThread, key: str, **kwargs: Any) -> int:
    """One call; its cost in micro-USD as the gateway reports it."""
    async with openai.AsyncOpenAI(base_url=gw.base_url + "/v1", api_key=key, max_retries=0) as c:
        raw = await c.chat.completions.with_raw_response.create(model="gpt-4o", messages=HELLO, **kwargs)  # type: ignore[call-overload]
        raw.parse()
        return round(float(raw.headers["x-llmrelay-cost"]) * 1_000_000)


async def stored_statuses(db: Database) -> list[str]:
    async with db.connect() as conn:
        return list((await conn.execute(select(spend_logs.c.status))).scalars())


async def test_without_spend_logs_spend_and_budgets_stay_exact(gateways: Gateways, storage: Storage) -> None:
    gw = gateways(disable_spend_logs=True, proxy_batch_write_at=NEVER)
    await admin(gw, "/user/new", {"user_id": "u1", "auto_create_key": False})
    await admin(gw, "/team/new", {"team_id": "t1"})
    owners = {"user_id": "u1", "team_id": "t1"}
    probe = (await admin(gw, "/key/generate", owners))["key"]
    cost = await chat_cost(gw, probe, user="eu-1")
    assert cost > 0

    key = (await admin(gw, "/key/generate", {**owners, "max_budget": 2.5 * cost / 1_000_000}))["key"]
    for _ in range(3):  # 0, 1 and 2 calls' spend are under 2.5 calls' worth
        assert await chat_cost(gw, key, user="eu-1") == cost
    # refused on time: nothing has reached the database yet, the gateway counts its own spend
    with pytest.raises(openai.BadRequestError) as refused:
        await chat_cost(gw, key, user="eu-1")
    assert refused.value.body["type"] == "budget_exceeded"  # type: ignore[index]

    flush(gw)
    key_info = await admin(gw, f"/key/info?key={key}")
    assert round(key_info["info"]["spend"] * 1_000_000) == 3 * cost
    user_info = await admin(gw, "/user/info?user_id=u1")
    assert round(user_info["user_info"]["spend"] * 1_000_000) == 4 * cost
    team_info = await admin(gw, "/team/info?team_id=t1")
    assert round(team_info["team_info"]["spend"] * 1_000_000) == 4 * cost
    end_user = await storage.budgets.get_end_user("eu-1")
    assert end_user is not None and end_user.spend_micros == 4 * cost
    daily = (await admin(gw, "/spend/daily?group_by=key_hash"))["data"]
    assert sum(round(row["spend"] * 1_000_000) for row in daily) == 4 * cost
    assert sum(row["requests"] for row in daily) == 4

    # no log rows: the database holds one receipt per call, and the log routes show none of them
    assert await stored_statuses(storage.db) == ["receipt"] * 4
    assert await admin(gw, "/spend/logs") == []
    assert await admin(gw, f"/spend/logs?api_key={key}") == []
    assert await admin(gw, "/spend/logs?user_id=u1") == []
    async with storage.db.connect() as conn:
        request_id = (await conn.execute(select(spend_logs.c.request_id))).scalars().first()
    assert await admin(gw, f"/spend/logs?request_id={request_id}") == []
    # the key stays refused once its spend is read back from the database
    with pytest.raises(openai.BadRequestError):
        await chat_cost(gw, key)


async def test_spool_left_by_a_killed_worker_is_counted_once_without_logs(
    gateways: Gateways, storage: Storage, tmp_path: Path
) -> None:
    key_hash = hash_key("sk-" + "x" * 43)
    await storage.keys.create(NewKey(key_hash=key_hash, key_name="sk-...xxxx"))
    call = spooled_call(key_hash, cost_micros=1234)
    # the same call in two workers' spools, as a replay after a crash may leave it
    for worker in ("worker-0", "worker-3"):
        spool = Spool(tmp_path / "spool" / worker)
        spool.append([call])
        spool.close()

    gw = gateways(disable_spend_logs=True)  # drains both spools on start
    key = await storage.keys.get(key_hash)
    assert key is not None and key.spend_micros == 1234
    assert await stored_statuses(storage.db) == ["receipt"]
    assert await admin(gw, "/spend/logs") == []


def spooled_call(key_hash: str, cost_micros: int) -> SpendLogRecord:
    now = datetime.now(UTC)
    return SpendLogRecord(
        request_id="call-1", call_type="completion", start_time=now, end_time=now, model="gpt-4o",
        cost_micros=cost_micros, key_hash=key_hash,
    )  # fmt: skip


def max_connections(db: Database) -> int:
    pool = db.engine.pool
    # QueuePool keeps max_overflow private; size() + it is the most connections the pool opens
    return pool.size() + pool._max_overflow  # type: ignore[attr-defined,no-any-return]


async def test_batch_interval_and_pool_limit_reach_the_runtime(
    gateways: Gateways, storage: Storage, database_url: str
) -> None:
    configured = runtime(gateways(proxy_batch_write_at=7, database_connection_pool_limit=3))
    default = runtime(gateways())
    assert configured.writer is not None and configured.writer.flush_interval == 7.0
    assert default.writer is not None and default.writer.flush_interval == 1.0
    if configured.db.is_sqlite:  # one local file: SQLAlchemy's own pool, whatever the limit
        assert configured.db.engine.pool.size() == default.db.engine.pool.size()
    else:
        assert configured.db.engine.pool.size() == 3
        assert max_connections(configured.db) == 3
        assert max_connections(default.db) == 20


async def test_pool_limit_of_one_serves_keys_and_spend(gateways: Gateways, storage: Storage) -> None:
    gw = gateways(database_connection_pool_limit=1, proxy_batch_write_at=NEVER)
    key = (await admin(gw, "/key/generate", {}))["key"]
    cost = await chat_cost(gw, key)
    flush(gw)
    logs = await admin(gw, f"/spend/logs?api_key={key}")
    assert [round(row["spend"] * 1_000_000) for row in logs] == [cost]
    key_info = await admin(gw, f"/key/info?key={key}")
    assert round(key_info["info"]["spend"] * 1_000_000) == cost


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("proxy_batch_write_at", 0),
        ("proxy_batch_write_at", -5),
        ("database_connection_pool_limit", 0),
        ("database_connection_pool_limit", -1),
    ],
)
def test_values_that_cannot_work_are_refused(setting: str, value: int) -> None:
    document = gateway_document("sqlite:///unused.db", "http://127.0.0.1:9/v1", "sk-sim", **{setting: value})
    # refused when the file is read (in `llmrelay serve`'s parent), before any worker builds the app
    with pytest.raises(ConfigError) as refused:
        parse_config(document, source="gateway.yaml")
    assert refused.value.source == "gateway.yaml"
    assert refused.value.path == f"general_settings.{setting}"
    assert str(refused.value).startswith(f"gateway.yaml: general_settings.{setting}: expected ")
