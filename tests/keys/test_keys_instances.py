"""Two gateway processes sharing the real PostgreSQL and the real Redis: a key's rpm holds across both
(counted at the simulator), a budget reached through one is enforced by the other, a key deleted on
one is refused by the other within a second."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest
from keys_helpers import MASTER_KEY, REDIS_URL, GatewayProcess, gateway_document, write_config

from llmrelay.storage import Database, Storage
from llmrelay.testing import RunningSimulator
from llmrelay.testing.databases import clear_tables

HELLO = [{"role": "user", "content": "say hello"}]


@pytest.fixture
async def pg_storage(postgres_url: str) -> AsyncIterator[Storage]:
    db = Database(postgres_url)
    await clear_tables(db)
    try:
        yield Storage(db)
    finally:
        await db.close()


@pytest.fixture
def two_gateways(
    pg_storage: Storage, postgres_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> Iterator[tuple[GatewayProcess, GatewayProcess]]:
    document = gateway_document(
        postgres_url, openai_sim.api_base, openai_sim.api_key,
        spend_spool_dir=str(tmp_path / "spool"), graceful_shutdown_seconds=5,
    )  # fmt: skip
    document["router_settings"] = {"redis_url": REDIS_URL}
    config = write_config(tmp_path / "config.yaml", document)
    first = GatewayProcess(config).start()
    try:
        second = GatewayProcess(config).start()
        try:
            yield first, second
        finally:
            second.stop()
    finally:
        first.stop()


async def admin(gw: GatewayProcess, path: str, body: dict[str, Any]) -> Any:
    async with aiohttp.ClientSession(gw.base_url) as http:
        headers = {"authorization": f"Bearer {MASTER_KEY}"}
        async with http.post(path, json=body, headers=headers) as reply:
            assert reply.status == 200, await reply.text()
            return await reply.json()


async def chat(gw: GatewayProcess, key: str, model: str = "gpt-4o-mini") -> Any:
    async with openai.AsyncOpenAI(base_url=gw.base_url + "/v1", api_key=key, max_retries=0) as c:
        return await c.chat.completions.create(model=model, messages=HELLO)  # type: ignore[arg-type]


async def known(gw: GatewayProcess, key: str) -> bool:
    """Does `gw` accept the key? (GET /v1/models: authenticated, counts against no limit)"""
    headers = {"authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(gw.base_url) as http, http.get("/v1/models", headers=headers) as reply:
        return reply.status == 200


async def within(seconds: float, check: Any) -> float:
    start = time.monotonic()
    while not await check():
        assert time.monotonic() - start < seconds, f"not within {seconds}s"
        await asyncio.sleep(0.01)
    return time.monotonic() - start


async def test_rpm_budget_and_deletion_across_two_instances(
    two_gateways: tuple[GatewayProcess, GatewayProcess], openai_sim: RunningSimulator
) -> None:
    a, b = two_gateways

    # rpm 6, twelve calls spread over both instances at once: exactly six reach the upstream
    key = (await admin(a, "/key/generate", {"rpm_limit": 6}))["key"]
    await within(1.0, lambda: known(b, key))
    openai_sim.requests.clear()
    results = await asyncio.gather(*(chat(a if i % 2 else b, key) for i in range(12)), return_exceptions=True)
    refused = [r for r in results if isinstance(r, openai.RateLimitError)]
    assert len(refused) == 6 and len(results) - len(refused) == 6, results
    assert len(openai_sim.requests) == 6

    # a budget of 1.5 calls, spent through A: A refuses the third call at once, B within a second
    # of the spend reaching the database
    probe = await chat(a, MASTER_KEY, model="gpt-4o")
    assert probe.usage.total_tokens > 0
    spender = await admin(a, "/key/generate", {"max_budget": 1.0})
    cost = await _one_call_cost(a, spender["key"])
    budget = await admin(a, "/key/generate", {"max_budget": 1.5 * cost / 1_000_000})
    await within(1.0, lambda: known(b, budget["key"]))
    await chat(a, budget["key"], model="gpt-4o")
    await chat(a, budget["key"], model="gpt-4o")
    with pytest.raises(openai.BadRequestError):
        await chat(a, budget["key"], model="gpt-4o")
    await within(3.0, lambda: _spend_written(a, budget["key"], 2 * cost))
    await within(1.0, lambda: _refused_for_budget(b, budget["key"]))

    # deleted on A, refused by B within a second
    doomed = (await admin(a, "/key/generate", {}))["key"]
    await within(1.0, lambda: known(b, doomed))
    await admin(a, "/key/delete", {"keys": [doomed]})
    took = await within(1.0, lambda: _not(known(b, doomed)))
    assert took < 1.0


async def _not(check: Any) -> bool:
    return not await check


async def _key_info(gw: GatewayProcess, key: str) -> Any:
    headers = {"authorization": f"Bearer {MASTER_KEY}"}
    async with (
        aiohttp.ClientSession(gw.base_url) as http,
        http.get(f"/key/info?key={key}", headers=headers) as reply,
    ):
        return await reply.json()


async def _spend_written(gw: GatewayProcess, key: str, micros: int) -> bool:
    spend = (await _key_info(gw, key))["info"]["spend"]
    return round(spend * 1_000_000) >= micros


async def _one_call_cost(gw: GatewayProcess, key: str) -> int:
    await chat(gw, key, model="gpt-4o")
    result: list[int] = []

    async def written() -> bool:
        spend = round((await _key_info(gw, key))["info"]["spend"] * 1_000_000)
        result[:] = [spend]
        return spend > 0

    await within(3.0, written)
    return result[0]


async def _refused_for_budget(gw: GatewayProcess, key: str) -> bool:
    try:
        await chat(gw, key, model="gpt-4o")
    except openai.BadRequestError as exc:
        return "Budget has been exceeded" in exc.message
    return False
