"""OpenAI's Realtime API as the gateway reads it: a `response.done` event's usage by kind (text,
audio, image; cached), whatever the details leave out counted as text, other events not read, a
usage that does not decode refused; each kind priced at its catalog rate; and the upstream URL and
headers of an OpenAI and an Azure OpenAI deployment."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmrelay.cost.catalog import ModelInfo
from llmrelay.cost.realtime import RealtimeTokens, realtime_cost_picos
from llmrelay.providers.openai.realtime import (
    AZURE_REALTIME_API_VERSION,
    UnreadableUsage,
    realtime_target,
    response_done_tokens,
    usage_of,
)
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError


def done(usage: Any) -> str:
    return json.dumps({"type": "response.done", "event_id": "e1", "response": {"id": "r", "usage": usage}})


def test_the_kinds_of_a_response_done_usage() -> None:
    tokens = response_done_tokens(done({
        "total_tokens": 60, "input_tokens": 40, "output_tokens": 20,
        "input_token_details": {"cached_tokens": 15, "text_tokens": 20, "audio_tokens": 15, "image_tokens": 5,
                                "cached_tokens_details": {"text_tokens": 10, "audio_tokens": 5}},
        "output_token_details": {"text_tokens": 4, "audio_tokens": 16},
    }))  # fmt: skip
    assert tokens == RealtimeTokens(
        input_text=20, input_audio=15, input_image=5, cached_text=10, cached_audio=5,
        output_text=4, output_audio=16,
    )  # fmt: skip
    usage = usage_of(tokens)
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens, usage.cached_tokens) == (
        40,
        20,
        60,
        15,
    )


def test_what_the_details_leave_out_is_text() -> None:
    assert response_done_tokens(done({"input_tokens": 7, "output_tokens": 3})) == RealtimeTokens(
        input_text=7, output_text=3
    )
    only_cached = done(
        {
            "input_tokens": 9,
            "output_tokens": 1,
            "input_token_details": {"cached_tokens": 4, "audio_tokens": 2},
        }
    )
    assert response_done_tokens(only_cached) == RealtimeTokens(
        input_text=7, input_audio=2, cached_text=4, output_text=1
    )


@pytest.mark.parametrize("event", [
    {"type": "response.output_text.delta", "delta": "the \"response.done\" text"},
    {"type": "response.done", "response": {"id": "r", "usage": None}},
    {"type": "response.created", "response": {"id": "r"}},
])  # fmt: skip
def test_other_events_are_not_usage(event: dict[str, Any]) -> None:
    assert response_done_tokens(json.dumps(event)) is None


@pytest.mark.parametrize("usage", [{"input_tokens": -1}, {"input_tokens": "many"}, {"output_tokens": 1e12}])
def test_a_usage_that_does_not_decode_is_refused(usage: Any) -> None:
    with pytest.raises(UnreadableUsage):
        response_done_tokens(done(usage))


def test_each_kind_at_its_price_and_text_rates_where_none() -> None:
    info = ModelInfo(provider="openai", input=4, output=16, cache_read=1, input_audio=32, output_audio=64,
                     cache_read_audio=2, input_image=5)  # fmt: skip
    tokens = RealtimeTokens(input_text=10, input_audio=20, input_image=3, cached_text=4, cached_audio=5,
                            cached_image=1, output_text=7, output_audio=9)  # fmt: skip
    assert realtime_cost_picos(tokens, info) == (
        6 * 4 + 4 * 1 + 15 * 32 + 5 * 2 + 2 * 5 + 1 * 1 + 7 * 16 + 9 * 64
    )
    text_only = ModelInfo(provider="openai", input=4, output=16)
    assert realtime_cost_picos(tokens, text_only) == (10 + 20 + 3) * 4 + (7 + 9) * 16
    # a cached count over its kind's input never bills negative tokens
    assert realtime_cost_picos(RealtimeTokens(input_text=2, cached_text=9), text_only) == 2 * 4


def test_the_upstream_of_each_provider() -> None:
    registry = ProviderRegistry()
    openai_target = realtime_target(
        registry.get("openai"),
        Deployment(provider="openai", model="gpt-realtime", api_key="sk-a"),
        beta=False,
    )
    assert openai_target.url == "wss://api.openai.com/v1/realtime?model=gpt-realtime"
    assert openai_target.headers == {"authorization": "Bearer sk-a"}
    azure = Deployment(provider="azure", model="my rt", api_key="az-key", api_base="http://azure.test/")
    azure_target = realtime_target(registry.get("azure").for_deployment(azure), azure, beta=True)
    assert azure_target.url == (
        f"ws://azure.test/openai/realtime?api-version={AZURE_REALTIME_API_VERSION}&deployment=my+rt"
    )
    assert azure_target.headers == {"api-key": "az-key", "openai-beta": "realtime=v1"}
    anthropic = Deployment(provider="anthropic", model="claude-sonnet-4-5", api_key="k")
    with pytest.raises(BadRequestError, match="no Realtime API endpoint"):
        realtime_target(registry.get("anthropic"), anthropic, beta=False)
