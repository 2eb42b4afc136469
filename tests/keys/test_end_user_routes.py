"""LiteLLM's end-user (customer) admin routes — /end_user/* and their /customer/* aliases — on the
whole gateway (build_app from a config, Granian, the OpenAI simulator upstream): what they answer,
what they refuse, and that a block or budget set through them is enforced on the next call."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest
from keys_helpers import MASTER_KEY, GatewayThread, admin, gateway_document

from llmrelay.gate.runtime import KeysRuntime
from llmrelay.storage import Storage
from llmrelay.storage.records import NewBudget
from llmrelay.testing import RunningSimulator

HELLO = [{"role": "user", "content": "say hello"}]
ACTIONS = ("new", "info", "update", "delete", "list", "block", "unblock")


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


@pytest.fixture
def held_spend_gateway(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> Iterator[GatewayThread]:
    """A gateway that writes spend to the database only when a test flushes it."""
    document = gateway_document(
        database_url, openai_sim.api_base, openai_sim.api_key,
        spend_spool_dir=str(tmp_path / "spool"), proxy_batch_write_at=3600,
    )  # fmt: skip
    gw = GatewayThread(document).start()
    try:
        yield gw
    finally:
        gw.stop()


async def call(
    gw: GatewayThread, path: str, body: Any = None, *, key: str = MASTER_KEY, method: str | None = None
) -> tuple[int, Any]:
    """Any status (unlike keys_helpers.admin, which insists on 200)."""
    async with aiohttp.ClientSession(gw.base_url) as http:
        verb = method or ("GET" if body is None else "POST")
        async with http.request(verb, path, json=body, headers={"authorization": f"Bearer {key}"}) as r:
            return r.status, await r.json()


async def chat(gw: GatewayThread, user: str) -> Any:
    async with openai.AsyncOpenAI(base_url=gw.base_url + "/v1", api_key=MASTER_KEY, max_retries=0) as c:
        return await c.chat.completions.create(model="gpt-4o-mini", messages=HELLO, user=user)  # type: ignore[arg-type]


async def refused(gw: GatewayThread, user: str) -> str:
    with pytest.raises(openai.BadRequestError) as error:
        await chat(gw, user)
    return error.value.message


def flush(gw: GatewayThread) -> None:
    runtime = gw.app.state.services[0]
    assert isinstance(runtime, KeysRuntime) and runtime.writer is not None
    gw.run(runtime.writer.flush())


async def test_lifecycle_under_both_names(gateway: GatewayThread) -> None:
    made = await admin(
        gateway,
        "/end_user/new",
        {"user_id": "acme-1", "alias": "Acme", "max_budget": 2.5, "budget_duration": "30d",
         "default_model": "gpt-4o", "allowed_model_region": "eu", "metadata": {"tier": "gold"}},
    )  # fmt: skip
    assert made["user_id"] == "acme-1" and made["alias"] == "Acme"
    assert made["blocked"] is False and made["spend"] == 0
    budget = made["litellm_budget_table"]
    assert budget["max_budget"] == 2.5 and budget["budget_duration"] == "30d"
    assert budget["budget_reset_at"] is not None and made["budget_id"] == budget["budget_id"]
    assert made["default_model"] == "gpt-4o" and made["allowed_model_region"] == "eu"
    assert made["metadata"] == {"tier": "gold"}

    assert await admin(gateway, "/customer/info?end_user_id=acme-1") == made
    changed = await admin(
        gateway, "/customer/update", {"user_id": "acme-1", "alias": "Acme Inc", "max_budget": 5}
    )
    assert changed["alias"] == "Acme Inc" and changed["litellm_budget_table"]["max_budget"] == 5
    assert changed["budget_id"] == made["budget_id"]  # the end user's budget was changed, not replaced
    assert changed["litellm_budget_table"]["budget_duration"] == "30d"

    await admin(gateway, "/customer/new", {"user_id": "acme-2"})
    listed = await admin(gateway, "/end_user/list")
    assert [(e["user_id"], e["litellm_budget_table"] is None) for e in listed] == [
        ("acme-1", False),
        ("acme-2", True),
    ]
    gone = await admin(gateway, "/end_user/delete", {"user_ids": ["acme-1", "acme-2"]})
    assert gone["deleted_customers"] == 2 and "acme-1" in gone["message"]
    assert await admin(gateway, "/customer/list") == []


async def test_existing_id_is_refused(gateway: GatewayThread) -> None:
    await admin(gateway, "/end_user/new", {"user_id": "dup"})
    status, body = await call(gateway, "/customer/new", {"user_id": "dup", "alias": "again"})
    assert status == 400
    assert body["error"]["param"] == "user_id" and body["error"]["code"] == "end_user_exists"
    assert "already exists" in body["error"]["message"] and "dup" in body["error"]["message"]
    assert (await admin(gateway, "/end_user/info?end_user_id=dup"))["alias"] is None  # untouched


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/end_user/new", {"alias": "no id"}, "user_id"),
        ("/end_user/new", {"user_id": 42}, "user_id"),
        ("/end_user/new", {"user_id": ""}, "user_id"),
        ("/end_user/new", {"user_id": "x", "blocked": "yes"}, "blocked"),
        ("/end_user/new", {"user_id": "x", "max_budget": -1}, "max_budget"),
        ("/end_user/new", {"user_id": "x", "max_budget": 1, "budget_id": "tier"}, "max_budget"),
        ("/end_user/new", {"user_id": "x", "budget_id": "no-such-budget"}, "budget_id"),
        ("/end_user/new", {"user_id": "x", "budget_duration": "soon"}, "budget_duration"),
        ("/end_user/new", {"user_id": "x", "allowed_model_region": "mars"}, "allowed_model_region"),
        ("/end_user/new", {"user_id": "x", "allowed_model_region": "EU"}, "allowed_model_region"),
        ("/end_user/new", {"user_id": "x", "default_model": "no-such-model"}, "default_model"),
        ("/end_user/new", {"user_id": "x", "metadata": ["not", "a", "dict"]}, "metadata"),
        ("/customer/update", {"user_id": "x", "allowed_model_region": "asia"}, "allowed_model_region"),
        ("/customer/update", {"user_id": "x", "default_model": "no-such-model"}, "default_model"),
        ("/customer/update", {"alias": "no id"}, "user_id"),
        ("/customer/update", {"user_id": "x", "rpm_limit": "many"}, "rpm_limit"),
        ("/end_user/delete", {"user_ids": "x"}, "user_ids"),
        ("/end_user/delete", {"user_ids": []}, "user_ids"),
        ("/end_user/block", {}, "user_ids"),
        ("/end_user/unblock", {"user_ids": [7]}, "user_ids"),
    ],
)
async def test_bad_input_names_the_field(
    gateway: GatewayThread, storage: Storage, path: str, body: dict[str, Any], param: str
) -> None:
    await storage.budgets.create(NewBudget(budget_id="tier", max_budget_micros=1_000_000))
    creating = path == "/end_user/new"
    if not creating:
        await admin(gateway, "/end_user/new", {"user_id": "x"})
    status, answer = await call(gateway, path, body)
    assert status == 400, answer
    assert answer["error"]["param"] == param and answer["error"]["type"] == "invalid_request_error"
    assert param in answer["error"]["message"]
    listed = await admin(gateway, "/end_user/list")
    assert [(e["user_id"], e["blocked"]) for e in listed] == ([] if creating else [("x", False)])


async def test_unknown_end_users(gateway: GatewayThread) -> None:
    await admin(gateway, "/end_user/new", {"user_id": "known"})
    status, body = await call(gateway, "/end_user/info?end_user_id=nobody")
    assert status == 404 and body["error"]["param"] == "end_user_id" and "nobody" in body["error"]["message"]
    status, body = await call(gateway, "/end_user/info")
    assert status == 400 and body["error"]["param"] == "end_user_id"
    status, body = await call(gateway, "/end_user/update", {"user_id": "nobody", "alias": "a"})
    assert status == 404 and "nobody" in body["error"]["message"]
    for action in ("delete", "unblock"):
        status, body = await call(gateway, f"/customer/{action}", {"user_ids": ["known", "ghost1", "ghost2"]})
        assert status == 404 and body["error"]["param"] == "user_ids"
        assert "ghost1, ghost2" in body["error"]["message"] and "known" not in body["error"]["message"]
    assert [e["user_id"] for e in await admin(gateway, "/end_user/list")] == ["known"]  # nothing deleted


async def test_block_and_unblock_reach_the_gateway(gateway: GatewayThread) -> None:
    await chat(gateway, "dave")  # dave is now known to (cached by) the gateway
    answer = await admin(gateway, "/end_user/block", {"user_ids": ["dave", "erin"]})
    assert [(e["user_id"], e["blocked"]) for e in answer["blocked_users"]] == [("dave", True), ("erin", True)]
    assert "End User=dave is blocked" in await refused(gateway, "dave")
    assert "End User=erin is blocked" in await refused(gateway, "erin")  # blocked before their first call
    await chat(gateway, "frank")

    answer = await admin(gateway, "/customer/unblock", {"user_ids": ["dave"]})
    assert answer == {"blocked_users": ["erin"]}  # the ids that stay blocked
    await chat(gateway, "dave")
    await refused(gateway, "erin")

    await admin(gateway, "/end_user/update", {"user_id": "erin", "blocked": False})
    await chat(gateway, "erin")
    await admin(gateway, "/end_user/update", {"user_id": "erin", "blocked": True})
    await refused(gateway, "erin")


async def test_a_block_from_another_instance_reaches_the_gateway(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> None:
    # spend written only when asked, so nothing but the change log can tell the gateway
    document = gateway_document(
        database_url, openai_sim.api_base, openai_sim.api_key,
        spend_spool_dir=str(tmp_path / "spool"), proxy_batch_write_at=3600,
    )  # fmt: skip
    gw = GatewayThread(document).start()
    try:
        await chat(gw, "gina")
        flush(gw)
        # `storage` is not the gateway's: like another instance's admin API, it only writes the log
        await storage.budgets.set_end_users_blocked(["gina"], True, create_missing=True)
        deadline = time.monotonic() + 5
        while True:
            try:
                await chat(gw, "gina")
            except openai.BadRequestError as exc:
                assert "gina is blocked" in exc.message
                break
            assert time.monotonic() < deadline, "the block never reached the gateway"
            await asyncio.sleep(0.05)
    finally:
        gw.stop()


async def test_budgets_set_through_the_routes_are_enforced(gateway: GatewayThread, storage: Storage) -> None:
    made = await admin(gateway, "/end_user/new", {"user_id": "hal", "max_budget": 0.000001})
    await chat(gateway, "hal")  # under a budget of 1 micro-USD until this call's cost counts
    assert "End User=hal over budget" in await refused(gateway, "hal")
    flush(gateway)
    spent = (await admin(gateway, "/end_user/info?end_user_id=hal"))["spend"]
    assert spent > 0
    await admin(gateway, "/end_user/update", {"user_id": "hal", "max_budget": 100})
    await chat(gateway, "hal")  # the raised budget reached the gateway's cache
    flush(gateway)  # (a spend reset clears what is written; calls not yet written still count)
    await admin(gateway, "/end_user/update", {"user_id": "hal", "spend": 0, "max_budget": 0.000001})
    await chat(gateway, "hal")  # spend reset: one call fits again
    await refused(gateway, "hal")
    assert (await admin(gateway, "/end_user/info?end_user_id=hal"))["budget_id"] == made["budget_id"]

    # a shared budget, linked by budget_id
    await storage.budgets.create(NewBudget(budget_id="free-tier", max_budget_micros=1))
    linked = await admin(gateway, "/end_user/new", {"user_id": "ivy", "budget_id": "free-tier"})
    assert linked["litellm_budget_table"]["max_budget"] == 0.000001
    await chat(gateway, "ivy")
    await refused(gateway, "ivy")
    # relinking takes effect at once too
    await storage.budgets.create(NewBudget(budget_id="paid-tier", max_budget_micros=None))
    relinked = await admin(gateway, "/end_user/update", {"user_id": "ivy", "budget_id": "paid-tier"})
    assert relinked["budget_id"] == "paid-tier" and relinked["litellm_budget_table"]["max_budget"] is None
    await chat(gateway, "ivy")


async def test_a_budget_period_that_ended_starts_from_zero(held_spend_gateway: GatewayThread) -> None:
    """An end user's budget period lives on their budget: once it ends, the spend of the old period no
    longer counts — before the reset job has run, and after it (which zeroes the spend and moves the
    period on, and reaches the gateway's cache). The call's spend is held until the flush below, so
    it lands after the reset, in the new period (with the default 1 s writes it could land before the
    reset on a loaded machine, and be zeroed with the old period)."""
    gateway = held_spend_gateway
    runtime = gateway.app.state.services[0]
    assert isinstance(runtime, KeysRuntime)
    storage = runtime.storage
    gateway.run(runtime.maintenance.stop())  # the reset below runs when this test says
    ended = storage.budgets.clock() - timedelta(seconds=1)
    budget = NewBudget(budget_id="hourly", max_budget_micros=1, budget_duration="1h", budget_reset_at=ended)
    gateway.run(storage.budgets.create(budget))
    await admin(gateway, "/end_user/new", {"user_id": "kim", "budget_id": "hourly", "spend": 5})
    await chat(gateway, "kim")  # spent 5 of 1 — in a period that has ended

    assert gateway.run(storage.spend.reset_due_budgets()) == [("budget", "hourly")]
    flush(gateway)  # kim's call counts in the new period
    info = await admin(gateway, "/end_user/info?end_user_id=kim")
    assert 0 < info["spend"] < 0.000005
    assert info["litellm_budget_table"]["budget_reset_at"] is not None
    assert "End User=kim over budget" in await refused(gateway, "kim")


async def test_rate_limits_of_an_end_users_budget_are_enforced(gateway: GatewayThread) -> None:
    await admin(gateway, "/end_user/new", {"user_id": "lee", "rpm_limit": 1})
    await chat(gateway, "lee")
    with pytest.raises(openai.RateLimitError) as error:
        await chat(gateway, "lee")
    assert "end user lee" in error.value.message and "requests per minute" in error.value.message
    await chat(gateway, "mia")  # another end user has their own (here: no) limits

    await admin(gateway, "/end_user/update", {"user_id": "lee", "rpm_limit": 100})
    await chat(gateway, "lee")


async def test_deleting_an_end_user_forgets_their_block(gateway: GatewayThread) -> None:
    await admin(gateway, "/end_user/new", {"user_id": "jo", "blocked": True})
    await refused(gateway, "jo")
    await admin(gateway, "/customer/delete", {"user_ids": ["jo"]})
    await chat(gateway, "jo")


async def test_only_an_admin_may_use_them(gateway: GatewayThread) -> None:
    key = (await admin(gateway, "/key/generate", {"user_id": "someone"}))["key"]
    for path, body in (("/end_user/list", None), ("/customer/new", {"user_id": "k"}),
                       ("/end_user/block", {"user_ids": ["k"]})):  # fmt: skip
        status, answer = await call(gateway, path, body, key=key)
        assert status == 403, (path, answer)
    status, _ = await call(gateway, "/end_user/list", key="sk-not-a-key-at-all-000")
    assert status == 401
    assert await admin(gateway, "/end_user/list") == []


async def test_every_route_is_in_the_openapi_document(gateway: GatewayThread) -> None:
    async with aiohttp.ClientSession(gateway.base_url) as http, http.get("/openapi.json") as reply:
        document = await reply.json()
    paths = document["paths"]
    for prefix in ("/end_user", "/customer"):
        assert {f"{prefix}/{action}" for action in ACTIONS} <= set(paths)
        ref = paths[f"{prefix}/new"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        new = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert {"user_id", "alias", "blocked", "max_budget", "budget_id", "default_model", "metadata"} <= set(
            new["properties"]
        )
        assert new["required"] == ["user_id"]
        info = paths[f"{prefix}/info"]["get"]["parameters"]
        assert [p["name"] for p in info] == ["end_user_id"]
        assert "get" in paths[f"{prefix}/list"] and "post" in paths[f"{prefix}/unblock"]
