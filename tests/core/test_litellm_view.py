"""LiteLLM's `_hidden_params` is a view of the Served record built only at the SDK edge
(core/litellm_view.py): the Client's calls, the Router's keyword calls and the Responses API over
them show it — with the details a provider's adapter noted, which the record has no field for — while
`Router.route`, the gateway's path, leaves answers with the record alone. Against the simulators."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import llmrelay
from llmrelay.calls.call import Call
from llmrelay.calls.context import CallContext
from llmrelay.calls.operation import CHAT
from llmrelay.calls.served import NOT_SERVED, Served, served_of
from llmrelay.client import Client
from llmrelay.core.litellm_view import hidden_params_of, with_hidden_params
from llmrelay.router import Router
from llmrelay.testing import SimulatorGroup, start_simulators
from llmrelay.types.chat import ChatRequest, Message
from llmrelay.types.response import ChatResponse, Choice, ResponseMessage, Usage

MESSAGES = [{"role": "user", "content": "hello there"}]
GEMINI_DETAILS = ("provider_finish_reasons", "safety_ratings")


@pytest.fixture
async def sims() -> AsyncIterator[SimulatorGroup]:
    async with start_simulators(["openai", "gemini"]) as group:
        yield group


def model_list(sims: SimulatorGroup) -> list[dict[str, Any]]:
    return [
        {"model_name": "gpt", "model_info": {"id": "openai-1"},
         "litellm_params": {"model": "openai/gpt-4o-mini", **sims.openai.sdk_kwargs()}},
        {"model_name": "gem", "model_info": {"id": "gemini-1"},
         "litellm_params": {"model": "gemini/gemini-2.5-flash", **sims.gemini.sdk_kwargs()}},
    ]  # fmt: skip


def test_the_view_is_the_record_in_litellms_names() -> None:
    served = Served(
        provider="openai", model="openai/gpt-4o", deployment_id="d", model_group="g", api_base="http://x",
        attempts=2, fallback_from="f", cost_micros=1_500_000, mock=True, cache_hit=True, cache_key="k",
    )  # fmt: skip
    assert hidden_params_of(served) == {
        "provider": "openai", "model": "openai/gpt-4o", "deployment_id": "d", "model_group": "g",
        "api_base": "http://x", "attempts": 2, "fallback_from": "f", "cost_micros": 1_500_000,
        "response_cost": 1.5, "mock": True, "cache_hit": True, "cache_key": "k",
        # LiteLLM's names of the same facts
        "custom_llm_provider": "openai", "model_id": "d",
    }  # fmt: skip
    plain = hidden_params_of(Served())
    assert "mock" not in plain and "cache_hit" not in plain and "cache_key" not in plain


def test_the_records_fields_win_over_an_adapters_details() -> None:
    answer = ChatResponse(
        id="c", created=1, model="m", usage=Usage(prompt_tokens=1, completion_tokens=1, total_tokens=2),
        choices=[Choice(index=0, message=ResponseMessage(content="x"), finish_reason="stop")],
    )  # fmt: skip
    answer._hidden_params = {"provider": "stale", "citations": ["kept"]}  # type: ignore[attr-defined]
    answer._served = Served(provider="cohere", cost_micros=7)  # type: ignore[attr-defined]
    params = with_hidden_params(answer)._hidden_params  # type: ignore[attr-defined]
    assert params["provider"] == "cohere" and params["citations"] == ["kept"]
    assert params["cost_micros"] == 7


async def test_router_keyword_calls_show_the_view_and_route_does_not(sims: SimulatorGroup) -> None:
    sims.openai.faults.fail_next(1, 500)
    router = Router(model_list=model_list(sims), num_retries=0, fallbacks=[{"gpt": ["gem"]}])
    try:
        shown = await router.acompletion(model="gpt", messages=MESSAGES)
        params = shown._hidden_params  # type: ignore[union-attr]
        served = served_of(shown)
        assert served.fallback_from == "gpt" and served.attempts == 2 and served.cost_micros > 0
        assert {k: params[k] for k in hidden_params_of(served)} == hidden_params_of(served)
        assert params["deployment_id"] == "gemini-1" and params["fallback_from"] == "gpt"
        assert (params["model_id"], params["custom_llm_provider"]) == ("gemini-1", "gemini")
        assert all(name in params for name in GEMINI_DETAILS)  # the adapter's details are kept

        request = ChatRequest(model="gem", messages=[Message(role="user", content="hello there")])
        routed = await router.route(Call(CHAT, request, CallContext()))
        assert served_of(routed).deployment_id == "gemini-1" and served_of(routed).cost_micros > 0
        # the gateway's path: the adapter's details, and no view of the record
        assert set(routed._hidden_params) == set(GEMINI_DETAILS)  # type: ignore[attr-defined]

        stream = await router.acompletion(model="gem", messages=MESSAGES, stream=True)
        assert stream.hidden_params["deployment_id"] == "gemini-1"  # type: ignore[union-attr]
        assert "cost_micros" not in stream.hidden_params  # type: ignore[union-attr]
        assert [chunk async for chunk in stream]  # type: ignore[union-attr]
        assert stream.cost_micros > 0  # type: ignore[union-attr]
    finally:
        await router.aclose()


async def test_client_calls_and_responses_show_the_view(sims: SimulatorGroup) -> None:
    client = Client()
    try:
        answer = await client.acompletion(
            model="gemini/gemini-2.5-flash", messages=MESSAGES, **sims.gemini.sdk_kwargs()
        )
        params = answer._hidden_params  # type: ignore[union-attr]
        assert params == {**params, **hidden_params_of(served_of(answer))}
        assert params["provider"] == "gemini" and params["attempts"] == 1 and params["cost_micros"] > 0
        assert all(name in params for name in GEMINI_DETAILS)

        text = await client.atext_completion(
            model="gemini/gemini-2.5-flash", prompt="say hi", **sims.gemini.sdk_kwargs()
        )  # through chat: the chat answer's details and record are the text answer's
        params = text._hidden_params  # type: ignore[union-attr]
        assert params["provider"] == "gemini" and params["cost_micros"] == served_of(text).cost_micros > 0
        assert all(name in params for name in GEMINI_DETAILS)

        response = await client.aresponses(
            model="gemini/gemini-2.5-flash", input="hi", **sims.gemini.sdk_kwargs()
        )
        params = response._hidden_params  # type: ignore[union-attr]
        assert served_of(response) is not NOT_SERVED
        assert params["provider"] == "gemini" and params["cost_micros"] == served_of(response).cost_micros > 0
        assert all(name in params for name in GEMINI_DETAILS)
    finally:
        await client.aclose()


async def test_completion_cost_reads_the_record(sims: SimulatorGroup) -> None:
    router = Router(model_list=model_list(sims))
    try:
        request = ChatRequest(model="gpt", messages=[Message(role="user", content="hello there")])
        routed = await router.route(Call(CHAT, request, CallContext()))
        cost = served_of(routed).cost_micros
        assert cost > 0 and getattr(routed, "_hidden_params", None) is None
        assert llmrelay.completion_cost(routed) == cost / 1_000_000
    finally:
        await router.aclose()
