"""Router.replace_models: a new model list served at run time as one swapped value — a call in flight
finishes (retries included) on the deployment it started with, the next call uses the new list, and a
list the router could not serve is refused whole with the old one kept."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from llmrelay.router import Router
from llmrelay.testing import RunningSimulator
from llmrelay.types.errors import BadRequestError, NotFoundError

HELLO = [{"role": "user", "content": "hi"}]


def entry(sim: RunningSimulator, name: str, model_id: str) -> dict[str, Any]:
    return {
        "model_name": name,
        "litellm_params": {"model": "openai/gpt-4o-mini", **sim.sdk_kwargs()},
        "model_info": {"id": model_id},
    }


async def until(check: Callable[[], bool], within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met"
        await asyncio.sleep(0.005)


async def test_a_call_in_flight_and_its_retry_stay_on_the_old_deployment(
    start_sim: Callable[..., RunningSimulator],
) -> None:
    old, new = start_sim("openai"), start_sim("openai")
    router = Router(model_list=[entry(old, "m", "old")], num_retries=1, allowed_fails=5)
    try:
        # the first answer is slow and fails: the retry comes after the swap
        old.faults.set(status=500, latency=0.3, times=1)
        call = asyncio.create_task(router.acompletion(model="m", messages=HELLO))
        await until(lambda: old.requests.count() == 1)
        router.replace_models([entry(new, "m", "new")])
        answer = await call
        assert answer.choices[0].message.content
        assert old.requests.count() == 2 and new.requests.count() == 0  # the retry went to the old one
        await router.acompletion(model="m", messages=HELLO)
        assert new.requests.count() == 1 and old.requests.count() == 2
        assert [d["model_info"]["id"] for d in router.deployments("m")] == ["new"]
    finally:
        await router.aclose()


async def test_groups_added_and_removed(openai_sim: RunningSimulator) -> None:
    router = Router(model_list=[entry(openai_sim, "a", "a1")])
    try:
        router.replace_models([entry(openai_sim, "b", "b1")])
        assert router.model_names() == ["b"]
        assert (await router.acompletion(model="b", messages=HELLO)).choices
        with pytest.raises(NotFoundError):
            await router.acompletion(model="a", messages=HELLO)
    finally:
        await router.aclose()


async def test_a_list_the_router_cannot_serve_is_refused_and_the_old_one_kept(
    openai_sim: RunningSimulator,
) -> None:
    router = Router(
        model_list=[entry(openai_sim, "a", "a1"), entry(openai_sim, "b", "b1")],
        fallbacks=[{"a": ["b"]}],
        model_group_alias={"alias": "a"},
    )
    try:
        with pytest.raises(BadRequestError, match="fallbacks name unknown model groups: b"):
            router.replace_models([entry(openai_sim, "a", "a1")])
        with pytest.raises(ValueError, match="alias"):
            router.replace_models([entry(openai_sim, "b", "b1")])
        bad = {"model_name": "c", "litellm_params": {"model": "nosuchprovider/x"}}
        with pytest.raises(BadRequestError, match=r"model_list\[2\]\.litellm_params\.model"):
            router.replace_models([entry(openai_sim, "a", "a1"), entry(openai_sim, "b", "b1"), bad])
        assert router.model_names() == ["a", "b", "alias"]
        assert (await router.acompletion(model="alias", messages=HELLO)).choices
    finally:
        await router.aclose()
