"""LiteLLM's per-request `drop_params` in a gateway request's body, on every call type: honoured for
the call (an embedding's task_type the provider cannot take is dropped instead of refused) and never
sent to the provider — it was forwarded as a body field, and an OpenAI upstream refuses unknown
arguments."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from llmrelay.config.loader import parse_config
from llmrelay.testing import RunningSimulator
from llmrelay.testing.gateway import GatewayThread

MASTER_KEY = "sk-drop-params-master"


@pytest.fixture
def gateway(openai_sim: RunningSimulator) -> Iterator[GatewayThread]:
    openai = openai_sim.sdk_kwargs()
    document: dict[str, Any] = {
        "model_list": [
            {"model_name": "embed", "litellm_params": {"model": "openai/text-embedding-3-small", **openai}},
            {"model_name": "chat", "litellm_params": {"model": "openai/gpt-4o-mini", **openai}},
        ],
        "general_settings": {"master_key": MASTER_KEY},
    }
    gw = GatewayThread(parse_config(document, source="<test>")).start()
    try:
        yield gw
    finally:
        gw.stop()


async def post(gw: GatewayThread, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        headers = {"authorization": f"Bearer {MASTER_KEY}"}
        async with session.post(gw.base_url + path, json=body, headers=headers) as reply:
            return reply.status, await reply.json()


CALLS = [
    ("/v1/embeddings", {"model": "embed", "input": "hi"}),
    ("/v1/chat/completions", {"model": "chat", "messages": [{"role": "user", "content": "hi"}]}),
    ("/v1/completions", {"model": "chat", "prompt": "hi"}),
]


@pytest.mark.parametrize(("path", "body"), CALLS)
async def test_drop_params_is_never_sent_upstream(
    gateway: GatewayThread, openai_sim: RunningSimulator, path: str, body: dict[str, Any]
) -> None:
    status, answer = await post(gateway, path, {**body, "drop_params": True})
    assert status == 200, answer
    assert "drop_params" not in openai_sim.requests.last.body


async def test_drop_params_in_the_body_drops_what_the_provider_cannot_take(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    status, answer = await post(
        gateway, "/v1/embeddings", {"model": "embed", "input": "hi", "task_type": "query"}
    )
    assert status == 400 and answer["error"]["param"] == "task_type"
    status, answer = await post(
        gateway,
        "/v1/embeddings",
        {"model": "embed", "input": "hi", "task_type": "query", "drop_params": True},
    )
    assert status == 200, answer
    assert "task_type" not in openai_sim.requests.last.body


async def test_drop_params_must_be_a_boolean(gateway: GatewayThread) -> None:
    status, answer = await post(
        gateway, "/v1/embeddings", {"model": "embed", "input": "hi", "drop_params": "yes"}
    )
    assert status == 400 and answer["error"]["param"] == "drop_params"
