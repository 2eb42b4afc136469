"""Rerank, moderations and image generation behind virtual keys: a key's models gate them, its budget
refuses once spent, and each call's spend is logged with its call type (whole gateway, simulators)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aiohttp
import openai
import pytest
from keys_helpers import MASTER_KEY, GatewayThread, admin, gateway_document

from llmrelay.gate.runtime import KeysRuntime
from llmrelay.storage import Storage
from llmrelay.storage.records import SpendLogFilter
from llmrelay.testing import RunningSimulator

RERANK = {"model": "rerank", "query": "owls at night", "documents": ["owls hunt at night", "camels"]}


@pytest.fixture
def gateway(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, cohere_sim: RunningSimulator,
    tmp_path: Path,
) -> Iterator[GatewayThread]:  # fmt: skip
    document = gateway_document(
        database_url, openai_sim.api_base, openai_sim.api_key, spend_spool_dir=str(tmp_path / "spool")
    )
    document["model_list"] += [
        {"model_name": "rerank",
         "litellm_params": {"model": "cohere/rerank-v3.5", **cohere_sim.sdk_kwargs()}},
        {"model_name": "moderation",
         "litellm_params": {"model": "openai/omni-moderation-latest", **openai_sim.sdk_kwargs()}},
        {"model_name": "dall-e-3", "litellm_params": {"model": "openai/dall-e-3", **openai_sim.sdk_kwargs()}},
    ]  # fmt: skip
    gw = GatewayThread(document).start()
    try:
        yield gw
    finally:
        gw.stop()


async def rerank(gw: GatewayThread, key: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http:
        headers = {"authorization": f"Bearer {key}"}
        async with http.post(gw.base_url + "/v1/rerank", json=RERANK, headers=headers) as reply:
            return reply.status, await reply.json()


async def test_keys_gate_the_new_routes_and_their_spend_is_logged(
    gateway: GatewayThread, storage: Storage, cohere_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {"models": ["rerank", "dall-e-3"], "max_budget": 0.003}))[
        "key"
    ]
    async with openai.AsyncOpenAI(base_url=gateway.base_url + "/v1", api_key=key, max_retries=0) as c:
        # the key may not use the moderation group (named or reached by default)
        for model in ("moderation", None):
            with pytest.raises(openai.AuthenticationError) as refused:
                await c.moderations.create(input="hi", **({"model": model} if model else {}))
            assert refused.value.body["type"] == "key_model_access_denied"  # type: ignore[index]
        image = await c.images.generate(model="dall-e-3", prompt="an owl")  # $0.04: over budget after
        assert image.data
        with pytest.raises(openai.BadRequestError) as over:
            await c.images.generate(model="dall-e-3", prompt="an owl")
        assert over.value.body["type"] == "budget_exceeded"  # type: ignore[index]
    status, answer = await rerank(gateway, key)
    assert status == 400 and answer["error"]["type"] == "budget_exceeded"
    assert cohere_sim.requests.count("/v2/rerank") == 0
    # the master key's rerank is logged with its search-unit price
    status, _ = await rerank(gateway, MASTER_KEY)
    assert status == 200
    runtime = next(s for s in gateway.app.state.services if isinstance(s, KeysRuntime))
    gateway.run(runtime.writer.flush())  # type: ignore[union-attr]
    logs = {log.call_type: log for log in await storage.spend.logs(SpendLogFilter())}
    assert set(logs) == {"rerank", "image_generation"}
    assert logs["rerank"].cost_micros == 2000 and logs["rerank"].model_group == "rerank"
    assert logs["image_generation"].cost_micros == 40_000 and logs["image_generation"].key_hash
    info = await admin(gateway, f"/key/info?key={key}")
    assert info["info"]["spend"] == pytest.approx(0.04)
