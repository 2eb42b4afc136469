"""general_settings.background_health_checks: the gateway probes its deployments on its own loop."""

from __future__ import annotations

import asyncio

from llmrelay.config import parse_config
from llmrelay.proxy.server import build_app


def _config(api_base: str, api_key: str, **general: object) -> dict[str, object]:
    return {
        "model_list": [
            {
                "model_name": "gpt",
                "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": api_base, "api_key": api_key},
            }
        ],
        "general_settings": general,
    }


async def test_background_checks_probe_the_upstream_until_the_app_closes(openai_sim):
    config = parse_config(
        _config(
            openai_sim.api_base, openai_sim.api_key, background_health_checks=True, health_check_interval=0.05
        ),
        source="test",
    )
    app = build_app(config)
    await app.astart()
    try:
        async with asyncio.timeout(5):
            # the simulator runs on another thread: poll its counter (bounded by the timeout)
            while openai_sim.requests.count("/chat/completions") < 2:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    finally:
        await app.aclose()
    probes_at_close = openai_sim.requests.count("/chat/completions")
    # closed: no probe runs after aclose() returned (give the loop several intervals' worth of turns)
    await asyncio.sleep(0.2)
    assert openai_sim.requests.count("/chat/completions") == probes_at_close


async def test_no_background_checks_unless_asked(openai_sim):
    config = parse_config(_config(openai_sim.api_base, openai_sim.api_key), source="test")
    assert config.router_kwargs().get("health_check_interval") is None
    app = build_app(config)
    await app.astart()
    await app.aclose()
    assert openai_sim.requests.count() == 0
