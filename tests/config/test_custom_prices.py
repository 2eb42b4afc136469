"""A deployment's own prices (LiteLLM's input_cost_per_token... in litellm_params or model_info) drive
the cost of its calls, the spend rows and the budgets; prices llmrelay cannot apply stop the start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from llmrelay.config import ConfigError, parse_config
from llmrelay.gate.runtime import KeysRuntime
from llmrelay.router import Router
from llmrelay.router.deployments import ModelListError
from llmrelay.storage import Storage
from llmrelay.storage.records import SpendLogFilter
from llmrelay.testing import RunningSimulator
from llmrelay.testing.gateway import GatewayThread
from llmrelay.testing.openai_audio import spoken_wav
from llmrelay.types.response import hidden_params

HELLO = [{"role": "user", "content": "say hello"}]
MASTER = "sk-custom-prices-master"
# a model no catalog knows: without its own prices it would cost nothing
PRIVATE = "openai/acme-private-model-v1"


def priced(sim: RunningSimulator, where: str = "litellm_params", **prices: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "model_name": "private",
        "litellm_params": {"model": PRIVATE, "api_base": sim.api_base, "api_key": sim.api_key},
    }
    entry.setdefault(where, {}).update(prices)
    return entry


@pytest.mark.parametrize("where", ["litellm_params", "model_info"])
async def test_custom_token_prices_cost_the_call(openai_sim: RunningSimulator, where: str) -> None:
    entry = priced(openai_sim, where, input_cost_per_token=1e-6, output_cost_per_token=2e-6)
    router = Router(model_list=[entry])
    try:
        response = await router.acompletion(model="private", messages=HELLO)
    finally:
        await router.aclose()
    usage = response.usage
    assert usage is not None and usage.prompt_tokens > 0 and usage.completion_tokens > 0
    expected = usage.prompt_tokens * 1 + usage.completion_tokens * 2  # micro-USD
    assert hidden_params(response)["cost_micros"] == expected


async def test_custom_prices_replace_the_catalog_prices(openai_sim: RunningSimulator) -> None:
    entry = priced(openai_sim, input_cost_per_token=0.0, output_cost_per_token=1e-5)
    entry["litellm_params"]["model"] = "openai/gpt-4o"  # the catalog prices its input
    router = Router(model_list=[entry])
    try:
        response = await router.acompletion(model="private", messages=HELLO)
    finally:
        await router.aclose()
    assert response.usage is not None
    assert hidden_params(response)["cost_micros"] == response.usage.completion_tokens * 10


async def test_a_custom_price_on_a_stream(openai_sim: RunningSimulator) -> None:
    router = Router(model_list=[priced(openai_sim, input_cost_per_token=3e-6, output_cost_per_token=0)])
    try:
        stream = await router.acompletion(model="private", messages=HELLO, stream=True)
        async for _ in stream:
            pass
    finally:
        await router.aclose()
    assert stream.usage is not None
    assert stream.cost_micros == stream.usage.prompt_tokens * 3


@pytest.mark.parametrize(
    ("field", "where", "says"),
    [
        ("output_cost_per_second_1080p", "litellm_params", "not by second"),
        ("output_cost_per_character", "model_info", "not by character"),
        ("input_cost_per_audio_token", "litellm_params", "audio"),
        ("input_cost_per_token_flex", "litellm_params", "service tiers"),
        ("input_cost_per_fortnight", "model_info", "unknown price field"),
    ],
)
def test_a_price_llmrelay_cannot_apply_stops_the_start(
    openai_sim: RunningSimulator, field: str, where: str, says: str
) -> None:
    with pytest.raises(ModelListError) as refused:
        Router(model_list=[priced(openai_sim, where, **{field: 1e-6})])
    assert refused.value.path == f"model_list[0].{where}.{field}"
    assert says in refused.value.problem


def test_a_negative_price_is_refused(openai_sim: RunningSimulator) -> None:
    with pytest.raises(ModelListError) as refused:
        Router(model_list=[priced(openai_sim, input_cost_per_token=-1e-6)])
    assert refused.value.path == "model_list[0].litellm_params.input_cost_per_token"
    assert "non-negative" in refused.value.problem


def test_config_loader_names_file_and_path_of_an_unpriceable_field(openai_sim: RunningSimulator) -> None:
    document = {"model_list": [priced(openai_sim, output_cost_per_second_1080p=0.001)]}
    with pytest.raises(ConfigError) as refused:
        parse_config(document, source="prices.yaml")
    assert str(refused.value).startswith(
        "prices.yaml: model_list[0].litellm_params.output_cost_per_second_1080p: cannot be applied"
    )


async def test_a_custom_price_per_second_prices_a_transcription(openai_sim: RunningSimulator) -> None:
    entry = {
        "model_name": "stt",
        "litellm_params": {"model": "openai/whisper-1", **openai_sim.sdk_kwargs()},
        "model_info": {"input_cost_per_second": 0.001},
    }
    router = Router(model_list=[entry])
    try:
        answer = await router.atranscription("stt", ("a.wav", spoken_wav("hello", 2.0)))
    finally:
        await router.aclose()
    assert hidden_params(answer)["cost_micros"] == 2 * 1000  # 2 s reported, at $0.001 a second


def test_known_price_fields_are_no_unknown_key_warnings(openai_sim: RunningSimulator) -> None:
    entry = priced(openai_sim, input_cost_per_token=1e-6, cache_read_input_token_cost=1e-7)
    entry["model_info"] = {"output_cost_per_token": 2e-6}
    config = parse_config({"model_list": [entry]}, source="prices.yaml")
    assert not [w for w in config.warnings if "cost" in w]


async def test_custom_prices_drive_spend_and_a_key_budget(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> None:
    entry = priced(openai_sim, input_cost_per_token=1e-6, output_cost_per_token=2e-6)
    document = {
        "model_list": [entry],
        "general_settings": {
            "master_key": MASTER, "database_url": database_url, "spend_spool_dir": str(tmp_path / "spool"),
        },
    }  # fmt: skip
    gw = GatewayThread(parse_config(document, source="prices.yaml")).start()
    writer = next(s for s in gw.app.state.services if isinstance(s, KeysRuntime)).writer
    assert writer is not None
    try:
        async with aiohttp.ClientSession(gw.base_url) as http:

            async def call(key: str) -> tuple[int, Any]:
                body = {"model": "private", "messages": HELLO}
                headers = {"authorization": f"Bearer {key}"}
                async with http.post("/v1/chat/completions", json=body, headers=headers) as reply:
                    return reply.status, await reply.json()

            status, answer = await call(MASTER)
            assert status == 200
            usage = answer["usage"]
            cost = usage["prompt_tokens"] * 1 + usage["completion_tokens"] * 2
            gw.run(writer.flush())
            rows = await storage.spend.logs(SpendLogFilter())
            assert [r.cost_micros for r in rows] == [cost]

            headers = {"authorization": f"Bearer {MASTER}"}
            budget = {"max_budget": 1.5 * cost / 1_000_000}
            async with http.post("/key/generate", json=budget, headers=headers) as reply:
                assert reply.status == 200
                key = (await reply.json())["key"]
            assert (await call(key))[0] == 200
            assert (await call(key))[0] == 200  # 1 call's spend is under 1.5 calls' worth
            status, refused = await call(key)
            assert status == 400 and refused["error"]["type"] == "budget_exceeded"
    finally:
        gw.stop()


def test_two_price_tiers_are_refused(openai_sim: RunningSimulator) -> None:
    with pytest.raises(ModelListError) as refused:
        Router(
            model_list=[
                priced(
                    openai_sim,
                    input_cost_per_token=1e-6,
                    input_cost_per_token_above_128k_tokens=2e-6,
                    input_cost_per_token_above_200k_tokens=3e-6,
                )
            ]
        )
    assert refused.value.path == "model_list[0].litellm_params.input_cost_per_token_above_200k_tokens"
    assert "more than one prompt-size tier (128, 200k tokens)" in refused.value.problem


async def test_one_price_tier_applies_above_its_threshold(openai_sim: RunningSimulator) -> None:
    from llmrelay.cost.pricing import cost_micros
    from llmrelay.types.response import Usage

    router = Router(
        model_list=[
            priced(openai_sim, input_cost_per_token=1e-6, input_cost_per_token_above_128k_tokens=2e-6)
        ]
    )
    info = router.engine.model_info(router.router_deployments()[0].target)
    await router.aclose()
    assert info is not None and info.tier_threshold == 128_000
    assert cost_micros(Usage(prompt_tokens=200_000, total_tokens=200_000), info) == 400_000
    assert cost_micros(Usage(prompt_tokens=100_000, total_tokens=100_000), info) == 100_000
