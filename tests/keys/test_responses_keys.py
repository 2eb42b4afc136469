"""Virtual keys on POST /v1/responses: the same gate as chat completions — a key over its budget is
refused with 400 budget_exceeded, a key limited to other models with 401 — and spend is counted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from keys_helpers import MASTER_KEY, GatewayThread, admin, gateway_document

from llmrelay.gate.runtime import KeysRuntime
from llmrelay.storage import Storage
from llmrelay.storage.records import SpendLogFilter
from llmrelay.testing import RunningSimulator


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


def client(gw: GatewayThread, key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gw.base_url + "/v1", api_key=key, max_retries=0)


async def test_key_over_budget_is_refused(
    gateway: GatewayThread, storage: Storage, openai_sim: RunningSimulator
) -> None:
    # one micro-USD: the first call's spend passes it, so the next call is refused
    key = (await admin(gateway, "/key/generate", {"max_budget": 0.000001}))["key"]
    async with client(gateway, key) as c:
        first = await c.responses.create(model="gpt-4o-mini", input="say hello")
        assert first.output_text
        with pytest.raises(openai.BadRequestError) as refused:
            await c.responses.create(model="gpt-4o-mini", input="say hello again")
    assert refused.value.status_code == 400
    assert refused.value.body["type"] == "budget_exceeded"  # type: ignore[index]
    assert len(openai_sim.requests) == 1  # the refused call never reached the upstream
    runtime = next(s for s in gateway.app.state.services if isinstance(s, KeysRuntime))
    gateway.run(runtime.writer.flush())  # type: ignore[union-attr]
    (log,) = await storage.spend.logs(SpendLogFilter())
    assert log.cost_micros > 1


async def test_key_model_access_applies(gateway: GatewayThread) -> None:
    key = (await admin(gateway, "/key/generate", {"models": ["gpt-4o-mini"]}))["key"]
    async with client(gateway, key) as c:
        assert (await c.responses.create(model="gpt-4o-mini", input="hi")).output_text
        with pytest.raises(openai.AuthenticationError) as refused:
            await c.responses.create(model="gpt-4o", input="hi")
    assert refused.value.body["type"] == "key_model_access_denied"  # type: ignore[index]
    async with client(gateway, MASTER_KEY) as c:
        assert (await c.responses.create(model="gpt-4o", input="hi")).output_text
