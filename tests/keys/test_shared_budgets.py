"""LiteLLM's /budget/* routes and what keys do with them, on the whole gateway (build_app, Granian, the
OpenAI simulator upstream, the official `openai` client), on SQLite and PostgreSQL: a shared budget
holds every key naming it to one spend, and a key's model_max_budget holds its spend per model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest
from keys_helpers import MASTER_KEY, GatewayThread, admin, gateway_document

from llmrelay.gate.runtime import KeysRuntime
from llmrelay.storage import Storage
from llmrelay.storage.records import SpendLogFilter
from llmrelay.testing import RunningSimulator

HELLO = [{"role": "user", "content": "say hello"}]


@pytest.fixture
def gateway(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> Iterator[GatewayThread]:
    document = gateway_document(
        database_url, openai_sim.api_base, openai_sim.api_key, spend_spool_dir=str(tmp_path / "spool")
    )
    gw = GatewayThread(document).start()
    try:
        yield gw
    finally:
        gw.stop()


def flush(gw: GatewayThread) -> None:
    runtime = gw.app.state.services[0]
    assert isinstance(runtime, KeysRuntime) and runtime.writer is not None
    gw.run(runtime.writer.flush())


async def call(gw: GatewayThread, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    async with aiohttp.ClientSession(gw.base_url) as http:
        headers = {"authorization": f"Bearer {MASTER_KEY}"}
        async with http.request(method, path, json=body, headers=headers) as reply:
            return reply.status, await reply.json()


async def chat(gw: GatewayThread, key: str, model: str = "gpt-4o") -> None:
    async with openai.AsyncOpenAI(base_url=gw.base_url + "/v1", api_key=key, max_retries=0) as client:
        await client.chat.completions.create(model=model, messages=HELLO)  # type: ignore[arg-type]


async def refused(gw: GatewayThread, key: str, model: str = "gpt-4o") -> str:
    with pytest.raises(openai.BadRequestError) as error:
        await chat(gw, key, model)
    assert error.value.body["type"] == "budget_exceeded"  # type: ignore[index]
    return error.value.message


async def one_call_cost(gw: GatewayThread, storage: Storage) -> int:
    await chat(gw, MASTER_KEY)
    flush(gw)
    cost = (await storage.spend.logs(SpendLogFilter()))[0].cost_micros
    assert cost > 0
    return cost


async def test_budget_routes(gateway: GatewayThread) -> None:
    made = await admin(gateway, "/budget/new", {"budget_id": "team-pool", "max_budget": 10,
                                                "budget_duration": "30d", "rpm_limit": 5})  # fmt: skip
    assert made["budget_id"] == "team-pool" and made["max_budget"] == 10 and made["spend"] == 0
    assert made["budget_reset_at"] is not None and made["rpm_limit"] == 5
    status, body = await call(gateway, "POST", "/budget/new", {"budget_id": "team-pool"})
    assert status == 400 and "already exists" in body["error"]["message"]
    generated = await admin(gateway, "/budget/new", {"soft_budget": 1})
    assert len(generated["budget_id"]) == 36  # an id made up when none is given

    updated = await admin(gateway, "/budget/update", {"budget_id": "team-pool", "max_budget": 20,
                                                      "budget_duration": None})  # fmt: skip
    assert updated["max_budget"] == 20 and updated["budget_reset_at"] is None and updated["rpm_limit"] == 5
    info = await admin(gateway, "/budget/info", {"budgets": ["team-pool", "nope"]})
    assert [b["budget_id"] for b in info] == ["team-pool"]
    assert {b["budget_id"] for b in await admin(gateway, "/budget/list")} == {
        "team-pool",
        generated["budget_id"],
    }
    settings = await admin(gateway, "/budget/settings?budget_id=team-pool")
    assert {s["field_name"]: s["field_value"] for s in settings}["max_budget"] == 20

    # in use by a key: deleting it would lift the key's limit, so it is refused until unlinked
    key = await admin(gateway, "/key/generate", {"budget_id": "team-pool"})
    assert key["budget_id"] == "team-pool"
    status, body = await call(gateway, "POST", "/budget/delete", {"id": "team-pool"})
    assert status == 400 and body["error"]["code"] == "budget_in_use" and "1 keys" in body["error"]["message"]
    await admin(gateway, "/key/update", {"key": key["token"], "budget_id": None})
    deleted = await admin(gateway, "/budget/delete", {"id": "team-pool"})
    assert deleted["budget_id"] == "team-pool"
    status, body = await call(gateway, "POST", "/budget/delete", {"id": "team-pool"})
    assert status == 404 and body["error"]["param"] == "id"


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/budget/new", {"max_budget": -1}, "max_budget"),
        ("/budget/new", {"budget_duration": "forever"}, "budget_duration"),
        ("/budget/new", {"model_max_budget": {"gpt-4o": {"max_budget": 1}}}, "model_max_budget"),
        ("/budget/new", {"tpd_limit": 5}, "tpd_limit"),
        ("/budget/new", {"budget_id": "x" * 65}, "budget_id"),
        ("/budget/new", {"surprise": 1}, "surprise"),
        ("/budget/update", {"max_budget": 1}, "budget_id"),
        ("/budget/update", {"budget_id": "missing", "max_budget": 1}, "budget_id"),
        ("/budget/info", {"budgets": []}, "budgets"),
        ("/key/generate", {"budget_id": "missing"}, "budget_id"),
        ("/key/generate", {"model_max_budget": {"gpt-4o": {}}}, "model_max_budget"),
        ("/key/generate", {"model_max_budget": {"gpt-4o": {"max_budget": 1, "rpm_limit": 2}}},
         "model_max_budget"),
        ("/key/generate", {"model_max_budget": {"gpt-4o": {"max_budget": -1}}}, "model_max_budget"),
        ("/key/generate", {"model_max_budget": {"gpt-4o": {"max_budget": 1, "budget_duration": "x"}}},
         "model_max_budget"),
        ("/team/new", {"model_max_budget": {"gpt-4o": {"max_budget": 1}}}, "model_max_budget"),
    ],
)  # fmt: skip
async def test_bad_input_names_the_field(gateway: GatewayThread, path: str, body: Any, param: str) -> None:
    status, answer = await call(gateway, "POST", path, body)
    assert status in (400, 404), answer
    assert answer["error"]["param"] == param, answer


async def test_keys_sharing_a_budget_share_its_spend(gateway: GatewayThread, storage: Storage) -> None:
    cost = await one_call_cost(gateway, storage)
    await admin(gateway, "/budget/new", {"budget_id": "pool", "max_budget": 2.5 * cost / 1_000_000})
    first = (await admin(gateway, "/key/generate", {"budget_id": "pool"}))["key"]
    second = (await admin(gateway, "/key/generate", {"budget_id": "pool"}))["key"]
    alone = (await admin(gateway, "/key/generate", {}))["key"]
    await chat(gateway, first)
    await chat(gateway, first)
    await chat(gateway, second)  # 2 of 2.5 calls' worth spent, by the other key: still under
    # 3 spent: both keys are refused, though neither spent the budget alone; a key outside is not
    assert "budget=pool" in await refused(gateway, second)
    assert "budget=pool" in await refused(gateway, first)
    await chat(gateway, alone)
    flush(gateway)  # written: the database holds the same, and the keys stay refused
    (info,) = await admin(gateway, "/budget/info", {"budgets": ["pool"]})
    assert round(info["spend"] * 1_000_000) == 3 * cost
    await refused(gateway, first)
    # raising the budget lets both through again at once (a budget change reloads the keys naming it)
    await admin(gateway, "/budget/update", {"budget_id": "pool", "max_budget": 10 * cost / 1_000_000})
    gateway.run(gateway.app.state.services[0].service.sync.poll_once())
    await chat(gateway, first)
    await chat(gateway, second)


async def test_a_key_reads_what_the_others_spent_once_it_is_written(
    gateway: GatewayThread, storage: Storage
) -> None:
    cost = await one_call_cost(gateway, storage)
    await admin(gateway, "/budget/new", {"budget_id": "pool", "max_budget": 2.5 * cost / 1_000_000})
    first = (await admin(gateway, "/key/generate", {"budget_id": "pool"}))["key"]
    second = (await admin(gateway, "/key/generate", {"budget_id": "pool"}))["key"]
    async with openai.AsyncOpenAI(base_url=gateway.base_url + "/v1", api_key=second, max_retries=0) as c:
        await c.models.list()  # the second key is known to the gateway, with the budget's spend at 0
    await chat(gateway, first)
    await chat(gateway, first)
    flush(gateway)  # 2 of 2.5 written (no budget crossed): the pending ledger lets go of them
    await chat(gateway, second)  # under: 2 spent
    assert "budget=pool" in await refused(gateway, second)  # 3: the second key saw the first's 2


async def test_a_budgets_rate_limit_binds_its_keys_together(gateway: GatewayThread) -> None:
    await admin(gateway, "/budget/new", {"budget_id": "slow", "rpm_limit": 1})
    first = (await admin(gateway, "/key/generate", {"budget_id": "slow"}))["key"]
    second = (await admin(gateway, "/key/generate", {"budget_id": "slow"}))["key"]
    await chat(gateway, first)
    with pytest.raises(openai.RateLimitError) as error:
        await chat(gateway, second)
    assert "budget slow" in error.value.message


async def test_model_max_budget_bounds_one_model(gateway: GatewayThread, storage: Storage) -> None:
    cost = await one_call_cost(gateway, storage)
    made = await admin(gateway, "/key/generate", {
        "model_max_budget": {"gpt-4o": {"budget_limit": 1.5 * cost / 1_000_000, "time_period": "1d"}},
    })  # fmt: skip
    # stored as integer micro-USD, shown as USD
    shown = {"gpt-4o": {"max_budget": round(1.5 * cost) / 1_000_000, "budget_duration": "1d"}}
    assert made["model_max_budget"] == shown
    key = made["key"]
    await chat(gateway, key)
    await chat(gateway, key)  # 1 call's worth spent, under 1.5
    message = await refused(gateway, key)
    assert "model=gpt-4o" in message and made["token"] not in message
    await chat(gateway, key, model="gpt-4o-mini")  # another model is not bounded by it
    flush(gateway)
    (spend,) = await storage.keys.model_spend(made["token"])
    assert spend.model == "gpt-4o" and spend.spend_micros == 2 * cost
    await refused(gateway, key)
    # clearing it lifts the bound
    await admin(gateway, "/key/update", {"key": key, "model_max_budget": None})
    gateway.run(gateway.app.state.services[0].service.sync.poll_once())
    await chat(gateway, key)


async def test_only_a_proxy_admin_sets_a_keys_budgets(gateway: GatewayThread) -> None:
    user = await admin(gateway, "/user/new", {"user_id": "ann"})
    await admin(gateway, "/budget/new", {"budget_id": "pool", "max_budget": 100})
    own = await admin(gateway, "/key/generate", {"user_id": "ann"})
    for body in ({"budget_id": "pool"}, {"model_max_budget": {"gpt-4o": {"max_budget": 100}}}):
        async with aiohttp.ClientSession(gateway.base_url) as http:
            headers = {"authorization": f"Bearer {user['key']}"}
            async with http.post("/key/update", json={"key": own["token"], **body}, headers=headers) as reply:
                answer = await reply.json()
                assert reply.status == 403 and answer["error"]["param"] == next(iter(body)), answer
