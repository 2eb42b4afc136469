"""router_settings.disable_cooldowns (no deployment is ever cooled), and a group whose every
deployment cools because of rate limits answering 429 with the soonest retry-after (LiteLLM's answer)
rather than 503."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from llmrelay.config import parse_config
from llmrelay.router import Router
from llmrelay.testing import RunningSimulator
from llmrelay.testing.gateway import serving
from llmrelay.types.errors import InternalServerError, RateLimitError, ServiceUnavailableError

HELLO = [{"role": "user", "content": "hi"}]


def one(sim: RunningSimulator, name: str = "gpt") -> dict[str, Any]:
    return {"model_name": name, "litellm_params": {"model": "openai/gpt-4o-mini", **sim.sdk_kwargs()}}


@pytest.mark.parametrize("disabled", [False, True])
async def test_disable_cooldowns_keeps_a_failed_primary_in_use(
    openai_sim: RunningSimulator, disabled: bool
) -> None:
    router = Router(model_list=[one(openai_sim)], allowed_fails=0, disable_cooldowns=disabled)
    try:
        openai_sim.faults.fail_next(1, 500)
        with pytest.raises(InternalServerError):
            await router.acompletion(model="gpt", messages=HELLO)
        if disabled:  # recovered, and called again at once
            assert (await router.acompletion(model="gpt", messages=HELLO)).choices
            assert openai_sim.requests.count() == 2
        else:
            with pytest.raises(ServiceUnavailableError):
                await router.acompletion(model="gpt", messages=HELLO)
            assert openai_sim.requests.count() == 1
    finally:
        await router.aclose()


def test_disable_cooldowns_from_config(openai_sim: RunningSimulator) -> None:
    config = parse_config(
        {"model_list": [one(openai_sim)], "router_settings": {"disable_cooldowns": True}}, source="c.yaml"
    )
    assert config.router_kwargs()["disable_cooldowns"] is True
    assert config.warnings == []


async def test_a_rate_limited_deployment_with_retry_after_gives_429(openai_sim: RunningSimulator) -> None:
    router = Router(model_list=[one(openai_sim)])
    try:
        openai_sim.faults.fail_next(1, 429, retry_after=20)
        with pytest.raises(RateLimitError):
            await router.acompletion(model="gpt", messages=HELLO)
        with pytest.raises(RateLimitError) as cooling:
            await router.acompletion(model="gpt", messages=HELLO)
        assert cooling.value.retry_after is not None and 18 <= cooling.value.retry_after <= 20
        assert "rate limited" in cooling.value.message
        assert openai_sim.requests.count() == 1  # the cooling deployment was not called
    finally:
        await router.aclose()


async def test_429s_without_retry_after_that_cool_a_deployment_give_429(openai_sim: RunningSimulator) -> None:
    router = Router(model_list=[one(openai_sim)], allowed_fails=0, cooldown_time=45)
    try:
        openai_sim.faults.fail_next(1, 429)
        with pytest.raises(RateLimitError):
            await router.acompletion(model="gpt", messages=HELLO)
        with pytest.raises(RateLimitError) as cooling:
            await router.acompletion(model="gpt", messages=HELLO)
        assert cooling.value.retry_after is not None and 44 <= cooling.value.retry_after <= 45
    finally:
        await router.aclose()


def test_the_gateway_answers_429_with_the_soonest_retry_after(openai_sim: RunningSimulator) -> None:
    document = {
        "model_list": [one(openai_sim), {**one(openai_sim), "model_info": {"id": "second"}}],
        "router_settings": {"num_retries": 0},
    }
    with serving(parse_config(document, source="c.yaml")) as base_url:

        async def run() -> None:
            async with aiohttp.ClientSession(base_url) as http:
                body = {"model": "gpt", "messages": HELLO}
                openai_sim.faults.fail_next(2, 429, retry_after=30)
                for _ in range(2):  # one 429 each: both deployments cool, 30 s
                    async with http.post("/v1/chat/completions", json=body) as reply:
                        assert reply.status == 429
                async with http.post("/v1/chat/completions", json=body) as reply:
                    assert reply.status == 429
                    assert 28 <= int(reply.headers["retry-after"]) <= 30
                    error = (await reply.json())["error"]
                    assert error["type"] == "rate_limit_error" and "rate limited" in error["message"]
                assert openai_sim.requests.count() == 2

        asyncio.run(run())
