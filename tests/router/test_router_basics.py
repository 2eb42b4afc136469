"""Routing basics against a local HTTP upstream: answers, hidden params, retries, fallbacks."""

from __future__ import annotations

import asyncio

import pytest
from router_upstream import Fault, Upstream, error_body

from llmrelay.router import Router
from llmrelay.types.errors import InternalServerError, NotFoundError
from llmrelay.types.response import hidden_params


def dep(upstream: Upstream, group: str, name: str, **params: object) -> dict[str, object]:
    params = {"model": "openai/gpt-4o-mini", "api_key": "sk-test", "api_base": upstream.base(name), **params}
    return {"model_name": group, "litellm_params": params, "model_info": {"id": name}}


MESSAGES = [{"role": "user", "content": "hi"}]


async def test_answers_with_routing_facts(upstream: Upstream) -> None:
    router = Router(model_list=[dep(upstream, "gpt", "a")])
    try:
        response = await router.acompletion(model="gpt", messages=MESSAGES)
        params = hidden_params(response)
        assert response.choices[0].message.content == "hello from a"
        assert params["deployment_id"] == "a"
        assert params["model_group"] == "gpt"
        assert params["model"] == "openai/gpt-4o-mini"
        assert params["attempts"] == 1
        assert params["fallback_from"] is None
        assert "cost_micros" in params and "response_cost" in params
    finally:
        await router.aclose()


async def test_unknown_group_names_known_groups(upstream: Upstream) -> None:
    router = Router(model_list=[dep(upstream, "gpt", "a")])
    try:
        with pytest.raises(NotFoundError, match="known groups: gpt"):
            await router.acompletion(model="nope", messages=MESSAGES)
    finally:
        await router.aclose()


async def test_fail_twice_then_succeed_with_two_retries(upstream: Upstream, clock) -> None:
    upstream.fail("a", Fault(500), Fault(500))
    router = Router(model_list=[dep(upstream, "gpt", "a")], num_retries=2, clock=clock, sleep=clock.sleep)
    try:
        response = await router.acompletion(model="gpt", messages=MESSAGES)
        assert hidden_params(response)["attempts"] == 3
        assert upstream.received["a"] == 3
        assert len(clock.sleeps) == 2  # backed off twice (single deployment: nowhere else to go)
    finally:
        await router.aclose()


async def test_two_retries_are_not_enough_for_three_failures(upstream: Upstream, clock) -> None:
    upstream.fail("a", Fault(500), Fault(500), Fault(500))
    router = Router(model_list=[dep(upstream, "gpt", "a")], num_retries=2, clock=clock, sleep=clock.sleep)
    try:
        with pytest.raises(InternalServerError):
            await router.acompletion(model="gpt", messages=MESSAGES)
        assert upstream.received["a"] == 3
    finally:
        await router.aclose()


async def test_no_retry_on_bad_request(upstream: Upstream, clock) -> None:
    upstream.fail("a", Fault(400, error_body("bad field", "invalid_request_error")))
    router = Router(model_list=[dep(upstream, "gpt", "a")], num_retries=3, clock=clock, sleep=clock.sleep)
    try:
        with pytest.raises(Exception, match="bad field"):
            await router.acompletion(model="gpt", messages=MESSAGES)
        assert upstream.received["a"] == 1
    finally:
        await router.aclose()


async def test_500ing_primary_is_answered_by_fallback(upstream: Upstream, clock) -> None:
    upstream.fail("a", *[Fault(500)] * 5)
    router = Router(
        model_list=[dep(upstream, "gpt", "a"), dep(upstream, "backup", "b")],
        num_retries=1,
        fallbacks=[{"gpt": ["backup"]}],
        clock=clock,
        sleep=clock.sleep,
    )
    try:
        response = await router.acompletion(model="gpt", messages=MESSAGES)
        params = hidden_params(response)
        assert response.choices[0].message.content == "hello from b"
        assert params["fallback_from"] == "gpt"
        assert params["model_group"] == "backup"
        assert params["attempts"] == 3
        assert upstream.received["a"] == 2
    finally:
        await router.aclose()


async def test_stream_falls_back_before_first_byte(upstream: Upstream, clock) -> None:
    upstream.fail("a", Fault(503))
    router = Router(
        model_list=[dep(upstream, "gpt", "a"), dep(upstream, "backup", "b")],
        fallbacks=[{"gpt": ["backup"]}],
        clock=clock,
        sleep=clock.sleep,
    )
    try:
        stream = await router.acompletion(model="gpt", messages=MESSAGES, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        assert text.strip() == "hello from b"
        assert stream.hidden_params["fallback_from"] == "gpt"
        assert stream.hidden_params["deployment_id"] == "b"
    finally:
        await router.aclose()


async def test_sync_completion_runs_on_the_router_thread(upstream: Upstream) -> None:
    router = Router(model_list=[dep(upstream, "gpt", "a")])
    try:
        # the sync API blocks its caller, so call it from a worker thread while the upstream serves
        response = await asyncio.to_thread(router.completion, model="gpt", messages=MESSAGES)
        assert response.choices[0].message.content == "hello from a"  # type: ignore[union-attr]
        chunks = await asyncio.to_thread(
            lambda: list(router.completion(model="gpt", messages=MESSAGES, stream=True))  # type: ignore[arg-type]
        )
        assert (
            "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).strip() == "hello from a"
        )
    finally:
        await router.aclose()


async def test_two_routers_in_one_process_share_nothing(upstream: Upstream) -> None:
    first = Router(model_list=[dep(upstream, "gpt", "a", rpm=1)])
    second = Router(model_list=[dep(upstream, "gpt", "a", rpm=1)])
    try:
        await first.acompletion(model="gpt", messages=MESSAGES)
        # the same deployment id with rpm 1 in another router: its own counters
        await second.acompletion(model="gpt", messages=MESSAGES)
        assert upstream.received["a"] == 2
    finally:
        await first.aclose()
        await second.aclose()


async def test_redis_down_degrades_to_local_limits_with_a_warning(
    upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from llmrelay.types.errors import RateLimitError

    router = Router(model_list=[dep(upstream, "gpt", "a", rpm=1)], redis_url="redis://127.0.0.1:1/0")
    try:
        with caplog.at_level(logging.WARNING, logger="llmrelay.limits"):
            await router.acompletion(model="gpt", messages=MESSAGES)
            with pytest.raises(RateLimitError):  # the limit still holds, in this process
                await router.acompletion(model="gpt", messages=MESSAGES)
        assert "Redis unavailable" in caplog.text and upstream.received["a"] == 1
    finally:
        await router.aclose()
