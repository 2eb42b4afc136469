"""Two gateway processes on the real PostgreSQL and Redis (and on PostgreSQL alone, the change log
poll being the guarantee): a model added through one serves on the other within a second; deleted,
the other refuses it within a second."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from models_helpers import REDIS_URL, GatewayProcess, chat, document, ok, serves, within, write_config

from llmrelay.storage import Database
from llmrelay.testing import RunningSimulator
from llmrelay.testing.databases import clear_tables


@pytest.fixture
async def pg_clean(postgres_url: str) -> AsyncIterator[str]:
    db = Database(postgres_url)
    await clear_tables(db)
    await db.close()
    yield postgres_url


@pytest.fixture(params=["redis", "poll-only"])
def two_gateways(
    request: pytest.FixtureRequest, pg_clean: str, openai_sim: RunningSimulator, tmp_path: Path
) -> Iterator[tuple[GatewayProcess, GatewayProcess]]:
    doc = document(pg_clean, openai_sim.api_base, openai_sim.api_key, str(tmp_path / "spool"),
                   graceful_shutdown_seconds=5)  # fmt: skip
    if request.param == "redis":
        doc["router_settings"] = {"redis_url": REDIS_URL}
    config = write_config(tmp_path / "config.yaml", doc)
    first = GatewayProcess(config).start()
    try:
        second = GatewayProcess(config).start()
        try:
            yield first, second
        finally:
            second.stop()
    finally:
        first.stop()


async def test_a_model_added_on_one_instance_serves_on_the_other_within_a_second(
    two_gateways: tuple[GatewayProcess, GatewayProcess], openai_sim: RunningSimulator
) -> None:
    a, b = two_gateways
    assert (await chat(b.base_url, "late-model"))[0] == 404
    params = {"model": "openai/gpt-4o", "api_base": openai_sim.api_base, "api_key": openai_sim.api_key}
    body = {"model_name": "late-model", "litellm_params": params}
    made = await ok(a.base_url, "POST", "/model/new", body)
    assert await serves(a.base_url, "late-model")  # this instance: before the answer
    took = await within(1.0, lambda: serves(b.base_url, "late-model"))
    assert took < 1.0

    await ok(a.base_url, "POST", "/model/delete", {"id": made["model_id"]})
    assert (await chat(a.base_url, "late-model"))[0] == 404

    async def refused() -> bool:
        return (await chat(b.base_url, "late-model"))[0] == 404

    assert await within(1.0, refused) < 1.0
