"""Router overhead per call: pick + bookkeeping, without the network.

The router is given an Engine whose `answer` answers at once with a canned response, so what is timed
is the router alone: group lookup, cooldown read, strategy, limit reservation and settlement, the
Served record's routing. Baseline: the same fake engine called directly.

    .venv/bin/python bench/router_overhead.py [--calls 5000] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from typing import Any

import msgspec

from llmrelay.calls.call import Call
from llmrelay.calls.context import EMPTY_CONTEXT
from llmrelay.calls.operation import CHAT
from llmrelay.calls.served import attach_served
from llmrelay.cost.catalog import Catalog
from llmrelay.engine import Engine
from llmrelay.engine.served import served_by
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.router import Router
from llmrelay.transport.http import HttpTransport
from llmrelay.types.chat import ChatRequest, Message
from llmrelay.types.deployment import Deployment
from llmrelay.types.response import ChatResponse, Choice, ResponseMessage, Usage

CANNED = ChatResponse(
    id="x", created=0, model="gpt-4o-mini",
    choices=[Choice(index=0, message=ResponseMessage(content="hi"), finish_reason="stop")],
    usage=Usage(prompt_tokens=5, completion_tokens=3, total_tokens=8),
)  # fmt: skip


class InstantEngine(Engine):
    async def answer(self, operation: Any, request: Any, deployment: Deployment, *, drop_params: bool = False,
                     timeout: float | None) -> Any:  # fmt: skip
        # every call the router makes is a chat here; it carries its Served record, as the engine's
        result = msgspec.structs.replace(CANNED)
        attach_served(result, served_by(deployment, 0))
        return result


class EngineClient:
    """Stands in for an llmrelay.Client: the router only reads `.engine`."""

    def __init__(self) -> None:
        self.engine = InstantEngine(HttpTransport(), ProviderRegistry(), Catalog())


def model_list(n: int, **limits: Any) -> list[dict[str, Any]]:
    params = {"model": "openai/gpt-4o-mini", "api_key": "k", **limits}
    return [
        {
            "model_name": "gpt",
            "litellm_params": {**params, "api_base": f"http://d{i}"},
            "model_info": {"id": f"d{i}"},
        }
        for i in range(n)
    ]


async def time_calls(call: Any, calls: int) -> list[float]:
    for _ in range(200):  # warm up
        await call()
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
    return samples


def report(name: str, samples: list[float], baseline: float) -> None:
    samples.sort()
    median = statistics.median(samples)
    p99 = samples[int(len(samples) * 0.99)]
    print(f"{name:<46} median {median * 1e6:7.1f} µs   p99 {p99 * 1e6:7.1f} µs   "
          f"overhead {max(0.0, median - baseline) * 1e6:7.1f} µs")  # fmt: skip


async def main(calls: int, redis_url: str | None) -> None:
    request = ChatRequest(model="gpt", messages=[Message(role="user", content="hello")])
    engine = EngineClient().engine
    target = Deployment(provider="openai", model="gpt-4o-mini", api_key="k", id="d0")
    direct = await time_calls(lambda: engine.answer(CHAT, request, target, timeout=None), calls)
    baseline = statistics.median(direct)
    report("engine alone (baseline)", direct, baseline)
    configs: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        ("simple-shuffle, 3 deployments, no limits", {}, {}),
        ("simple-shuffle, 3 deployments, rpm+tpm", {"rpm": 10**9, "tpm": 10**12}, {}),
        ("least-busy, 3 deployments", {}, {"routing_strategy": "least-busy"}),
        ("latency-based, 3 deployments", {}, {"routing_strategy": "latency-based-routing"}),
        ("usage-based, 3 deployments, rpm+tpm", {"rpm": 10**9, "tpm": 10**12},
         {"routing_strategy": "usage-based-routing"}),
    ]  # fmt: skip
    if redis_url:
        prefix = f"bench:{uuid.uuid4().hex}:"
        configs += [
            ("redis: simple-shuffle, no limits", {}, {"redis_url": redis_url, "redis_key_prefix": prefix}),
            ("redis: simple-shuffle, rpm+tpm", {"rpm": 10**9, "tpm": 10**12},
             {"redis_url": redis_url, "redis_key_prefix": prefix}),
        ]  # fmt: skip
    for name, limits, settings in configs:
        router = Router(model_list=model_list(3, **limits), client=EngineClient(), **settings)
        samples = await time_calls(
            lambda router=router: router.route(Call(CHAT, request, EMPTY_CONTEXT)), calls
        )
        report(name, samples, baseline)
        await router.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--redis", default=None)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.redis))
