"""OpenAI's serving hints (safety_identifier, prompt_cache_key, store, service_tier) and verbosity reach
each provider mapped or not at all: never as raw fields a provider rejects (a real upstream 400)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from llmrelay.client import Client
from llmrelay.testing import RunningSimulator
from llmrelay.types import errors
from llmrelay.types.response import ChatResponse

USER = [{"role": "user", "content": "hi"}]
HINTS: dict[str, Any] = {
    "safety_identifier": "user-hash-1",
    "prompt_cache_key": "tenant-7",
    "store": True,
    "user": "alice",
    "metadata": {"trace": "t-1"},
}


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    async with Client() as c:
        yield c


async def call(client: Client, model: str, sim: RunningSimulator, **params: Any) -> ChatResponse:
    result = await client.acompletion(model, USER, max_retries=0, **sim.sdk_kwargs(), **params)
    assert isinstance(result, ChatResponse)
    return result


async def test_gemini_gets_no_openai_hints(client: Client, gemini_sim: RunningSimulator) -> None:
    await call(client, "gemini/gemini-2.5-flash", gemini_sim, service_tier="flex", **HINTS)
    body = gemini_sim.requests.last.body
    assert set(body) == {"contents"}
    assert body["contents"] == [{"role": "user", "parts": [{"text": "hi"}]}]


async def test_anthropic_maps_safety_identifier_and_service_tier(
    client: Client, anthropic_sim: RunningSimulator
) -> None:
    await call(client, "anthropic/claude-sonnet-4-5", anthropic_sim, service_tier="auto", **HINTS)
    body = anthropic_sim.requests.last.body
    assert body["metadata"] == {"user_id": "user-hash-1"}
    assert body["service_tier"] == "auto"
    for name in ("safety_identifier", "prompt_cache_key", "store", "user"):
        assert name not in body
    await call(client, "anthropic/claude-sonnet-4-5", anthropic_sim, service_tier="default", user="bob")
    body = anthropic_sim.requests.last.body
    assert body["metadata"] == {"user_id": "bob"} and body["service_tier"] == "standard_only"
    await call(client, "anthropic/claude-sonnet-4-5", anthropic_sim, service_tier="flex")
    assert "service_tier" not in anthropic_sim.requests.last.body


async def test_openai_receives_them_typed(client: Client, openai_sim: RunningSimulator) -> None:
    await call(client, "openai/gpt-5-mini", openai_sim, verbosity="low", **HINTS)
    body = openai_sim.requests.last.body
    assert body["safety_identifier"] == "user-hash-1" and body["prompt_cache_key"] == "tenant-7"
    assert body["verbosity"] == "low" and body["store"] is True and body["user"] == "alice"
    assert "metadata" not in body  # llmrelay's (callbacks), as in LiteLLM


@pytest.mark.parametrize(
    ("model", "sim_name"),
    [("gemini/gemini-2.5-flash", "gemini_sim"), ("anthropic/claude-sonnet-4-5", "anthropic_sim")],
)
async def test_verbosity_changes_the_answer_so_it_is_refused_or_dropped(
    client: Client, model: str, sim_name: str, request: pytest.FixtureRequest
) -> None:
    sim: RunningSimulator = request.getfixturevalue(sim_name)
    with pytest.raises(errors.UnsupportedParamsError, match="verbosity"):
        await call(client, model, sim, verbosity="low")
    await call(client, model, sim, verbosity="low", drop_params=True)
    assert "verbosity" not in repr(sim.requests.last.body)
