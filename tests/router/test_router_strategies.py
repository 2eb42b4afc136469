"""Each strategy picks what it promises: weighted shares, fewest in flight, lowest latency, lowest
usage, cheapest, and `order` tiers."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

from router_upstream import Upstream

from llmrelay.router import Router
from llmrelay.router.deployments import RouterDeployment
from llmrelay.router.strategies import Candidate, weighted_order
from llmrelay.types.deployment import Deployment
from llmrelay.types.response import hidden_params

MESSAGES = [{"role": "user", "content": "hi"}]


def dep(upstream: Upstream, name: str, group: str = "gpt", **params: object) -> dict[str, object]:
    params = {"model": "openai/gpt-4o-mini", "api_key": "sk-test", "api_base": upstream.base(name), **params}
    return {"model_name": group, "litellm_params": params, "model_info": {"id": name}}


async def _served_by(router: Router, n: int) -> Counter[str]:
    served: Counter[str] = Counter()
    for _ in range(n):
        response = await router.acompletion(model="gpt", messages=MESSAGES)
        served[hidden_params(response)["deployment_id"]] += 1
    return served


def test_weighted_order_first_pick_matches_weights() -> None:
    # 20,000 seeded draws; binomial sd of the 0.75 share is 0.003, so ±0.015 is a 5-sigma band
    rng = random.Random(1)
    deployments = [
        RouterDeployment(id=i, model_name="g", target=Deployment(provider="openai", model="m"), weight=w)
        for i, w in (("a", 1), ("b", 3))
    ]
    picks = Counter(weighted_order([Candidate(d) for d in deployments], rng)[0].id for _ in range(20_000))
    assert abs(picks["b"] / 20_000 - 0.75) < 0.015


async def test_weighted_shuffle_splits_real_traffic(upstream: Upstream) -> None:
    # 400 calls at weights 1:3: expected 300 to b, sd 8.7; tolerance ±35 (4 sd), seeded
    router = Router(model_list=[dep(upstream, "a", weight=1), dep(upstream, "b", weight=3)], seed=3)
    try:
        served = await _served_by(router, 400)
        assert abs(served["b"] - 300) <= 35, served
        assert upstream.received["a"] + upstream.received["b"] == 400
    finally:
        await router.aclose()


async def test_rpm_is_the_weight_when_no_weight_is_given(upstream: Upstream) -> None:
    router = Router(model_list=[dep(upstream, "a", rpm=1000), dep(upstream, "b", rpm=9000)], seed=5)
    try:
        served = await _served_by(router, 200)
        # expected 180 to b (sd 4.2); ±20
        assert abs(served["b"] - 180) <= 20, served
    finally:
        await router.aclose()


async def _until(predicate: object) -> None:
    for _ in range(2000):
        if predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition not reached")


async def test_least_busy_picks_the_deployment_with_fewest_in_flight(upstream: Upstream) -> None:
    gates = {name: asyncio.Event() for name in ("a", "b", "c")}
    upstream.hold.update(gates)
    router = Router(model_list=[dep(upstream, n) for n in "abc"], routing_strategy="least-busy", seed=1)
    try:
        calls = []
        for i in range(3):
            calls.append(asyncio.create_task(router.acompletion(model="gpt", messages=MESSAGES)))
            await _until(lambda i=i: sum(upstream.in_flight.values()) == i + 1)
        # one call in flight on each: least-busy spread them, never two on one
        assert dict(upstream.in_flight) == {"a": 1, "b": 1, "c": 1}
        gates["b"].set()
        done, _ = await asyncio.wait(calls, return_when=asyncio.FIRST_COMPLETED)
        assert [hidden_params(t.result())["deployment_id"] for t in done] == ["b"]
        # b is now the only idle deployment: the next call must go there
        response = await router.acompletion(model="gpt", messages=MESSAGES)
        assert hidden_params(response)["deployment_id"] == "b"
        for gate in gates.values():
            gate.set()
        await asyncio.gather(*calls)
    finally:
        await router.aclose()


async def test_latency_based_prefers_the_fast_deployment(upstream: Upstream) -> None:
    upstream.delay["slow"] = 0.15
    router = Router(
        model_list=[dep(upstream, "fast"), dep(upstream, "slow"), dep(upstream, "warm", "warm")],
        routing_strategy="latency-based-routing",
        routing_strategy_args={"lowest_latency_buffer": 0.5},
        seed=2,
    )
    try:
        # the first call of a process loads the catalog and the adapter (~0.5 s): not a latency
        # the strategy should learn from, so it goes to another group
        await router.acompletion(model="warm", messages=MESSAGES)
        # unmeasured deployments count as fastest, so the first two calls measure both
        warmup = await _served_by(router, 2)
        assert warmup == {"fast": 1, "slow": 1}
        served = await _served_by(router, 20)
        assert served == {"fast": 20}
    finally:
        await router.aclose()


async def test_latency_band_spreads_traffic_between_similar_deployments(upstream: Upstream) -> None:
    # 30 ms and 33 ms: within the 50% band of each other, so neither is herded onto
    upstream.delay.update(a=0.03, b=0.033)
    router = Router(
        model_list=[dep(upstream, "a"), dep(upstream, "b"), dep(upstream, "warm", "warm")],
        routing_strategy="latency-based-routing",
        # a short ttl re-measures a deployment whose first call was slow (cold start)
        routing_strategy_args={"lowest_latency_buffer": 0.5, "ttl": 0.2},
        seed=4,
    )
    try:
        await router.acompletion(model="warm", messages=MESSAGES)  # first-call costs, as above
        served = await _served_by(router, 30)
        # even split expected (15 each); a noisy sample can exclude one for a ttl, so >= 5
        assert served["a"] >= 5 and served["b"] >= 5, served
    finally:
        await router.aclose()


async def test_usage_based_picks_the_least_used_relative_to_limits(upstream: Upstream) -> None:
    router = Router(
        model_list=[dep(upstream, "small", rpm=10), dep(upstream, "big", rpm=100)],
        routing_strategy="usage-based-routing",
        seed=6,
    )
    try:
        served = await _served_by(router, 22)
        # after each call the utilisations are compared: small takes a call only when its 1/10
        # steps keep it at or below big's 1/100 steps, i.e. about 1 in 11 calls
        assert served["small"] <= 3 and served["big"] >= 19, served
    finally:
        await router.aclose()


async def test_cost_based_picks_the_cheapest_deployment(upstream: Upstream) -> None:
    cheap = dep(upstream, "cheap")
    cheap["model_info"] = {"id": "cheap", "input_cost_per_token": 1e-7, "output_cost_per_token": 2e-7}
    dear = dep(upstream, "dear")
    dear["model_info"] = {"id": "dear", "input_cost_per_token": 5e-6, "output_cost_per_token": 1e-5}
    router = Router(model_list=[dear, cheap], routing_strategy="cost-based-routing")
    try:
        assert await _served_by(router, 10) == {"cheap": 10}
    finally:
        await router.aclose()


async def test_order_two_only_when_every_order_one_is_unavailable(upstream: Upstream, clock) -> None:
    from router_upstream import Fault

    upstream.fail("primary", Fault(500))
    router = Router(
        model_list=[dep(upstream, "primary", order=1), dep(upstream, "backup", order=2)],
        num_retries=1,
        allowed_fails=0,
        clock=clock,
        sleep=clock.sleep,
    )
    try:
        # primary answers 500 → cooled (allowed_fails=0) → the retry and later calls go to order 2
        response = await router.acompletion(model="gpt", messages=MESSAGES)
        assert hidden_params(response)["deployment_id"] == "backup"
        assert await _served_by(router, 5) == {"backup": 5}
        assert upstream.received["primary"] == 1
    finally:
        await router.aclose()


async def test_order_one_is_always_preferred_while_healthy(upstream: Upstream) -> None:
    router = Router(model_list=[dep(upstream, "primary", order=1), dep(upstream, "backup", order=2)])
    try:
        assert await _served_by(router, 10) == {"primary": 10}
    finally:
        await router.aclose()


async def test_tags_select_deployments(upstream: Upstream) -> None:
    router = Router(
        model_list=[dep(upstream, "eu", tags=["eu"]), dep(upstream, "us", tags=["us", "default"])]
    )
    try:
        for _ in range(5):
            eu = await router.acompletion(model="gpt", messages=MESSAGES, tags=["eu"])
            assert hidden_params(eu)["deployment_id"] == "eu"
            other = await router.acompletion(model="gpt", messages=MESSAGES, metadata={"tags": ["apac"]})
            assert hidden_params(other)["deployment_id"] == "us"
    finally:
        await router.aclose()
