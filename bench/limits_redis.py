"""What Redis-shared key limits add to a keyed request's latency, and the Redis round trips it waits for.

Two gateways in one process (bench.gateway.inproc's harness: the bench config, a fake RSGI request, a
canned upstream answer; no sockets but Redis's), each with a virtual key holding rpm and tpm limits
and a budget: `memory` keeps the limits in the worker, `redis` in the real Redis (router_settings
redis_url, as a multi-instance deployment runs). Interleaved rounds of sequential requests; per
variant the median and p99 wall time per request, and for `redis` the Redis commands awaited on the
request's own path and those sent after it (the limit settler's). `redis - memory` is the latency the
shared limits add. Spend is recorded without fsync unless `--fsync`: the fsync (≈ 0.8 ms on this
disk) would bury the round trips measured here.

    .venv/bin/python -m bench.limits_redis                       # 5 rounds of 1000 requests per variant
    .venv/bin/python -m bench.limits_redis --clients 16          # 16 concurrent clients: settlements batch
    .venv/bin/python -m bench.limits_redis --gap-ms 1            # 1 ms between an answer and the next request
    PYTHONPATH=<other checkout>/src .venv/bin/python -m bench.limits_redis   # the same on another version

Results: docs/adr/0011-limits-one-round-trip.md.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.gateway.inproc import MASTER_KEY, CannedTransport, _engine_of, _Proto, _Scope, _virtual_key

from llmrelay.config.loader import parse_config
from llmrelay.proxy.server import build_app

REDIS_URL = "redis://127.0.0.1:6379/0"
CLIENT = "bench-client"


def _document(folder: Path, redis_url: str | None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "model_list": [{"model_name": "bench-model",
                        "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": "http://127.0.0.1:9/v1",
                                           "api_key": "sim-key"}}],
        "router_settings": {"routing_strategy": "simple-shuffle", "num_retries": 1},
        "general_settings": {"master_key": MASTER_KEY, "embedded_database": False,
                             "database_url": f"sqlite:///{folder / 'bench.db'}",
                             "spend_spool_dir": str(folder / "spool")},
    }  # fmt: skip
    if redis_url is not None:
        document["router_settings"]["redis_url"] = redis_url
    return document


class Counter:
    """Redis commands awaited by the tasks serving the requests (on the answer's path) and by others
    (the settler, the key cache's sync)."""

    def __init__(self) -> None:
        self.on_path = 0
        self.after = 0

    def install(self) -> None:
        from redis.asyncio.client import Redis

        original = Redis.execute_command
        counter = self

        async def counted(self: Redis, *args: Any, **options: Any) -> Any:
            task = asyncio.current_task()
            if task is not None and task.get_name().startswith(CLIENT):
                counter.on_path += 1
            else:
                counter.after += 1
            return await original(self, *args, **options)

        Redis.execute_command = counted  # type: ignore[method-assign]


@dataclasses.dataclass
class Variant:
    name: str
    app: Any
    key: str
    times: list[float] = dataclasses.field(default_factory=list)
    # each round's median: the best one is the quietest moment of a busy machine
    round_medians: list[float] = dataclasses.field(default_factory=list)
    cpu: float = 0.0
    on_path: int = 0
    after: int = 0
    requests: int = 0


async def _open(name: str, redis_url: str | None, fsync: bool) -> Variant:
    folder = Path(tempfile.mkdtemp())
    app = build_app(parse_config(_document(folder, redis_url), source="bench"))
    _engine_of(app.state.router).transport = CannedTransport(whole_streams=True)
    runtime = app.state.services[0]
    if not fsync:
        runtime.settings = dataclasses.replace(runtime.settings, durable_spend=False)
    await app.astart()
    return Variant(name, app, await _virtual_key(app))


class AwaitedSettler:
    """The settlement as it was before limits/settler.py: one round trip awaited on the answer's path
    (variant `redis-awaited`, the same run's baseline for that change)."""

    def __init__(self, limiter: Any) -> None:
        self.limiter = limiter

    async def settle(self, reservation: Any, actual_tokens: int | None, *, now: float) -> None:
        await self.limiter.settle(reservation, actual_tokens, now=now)

    async def drain(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


async def _drain(variant: Variant) -> None:
    settler = getattr(variant.app.state.services[0].gate, "settler", None)
    if settler is not None:  # the version under test may settle on the path (no settler)
        await settler.drain()
    await asyncio.sleep(0.01)  # the router's settlements, spawned after the answer


async def _round(variant: Variant, count: int, clients: int, gap: float, counter: Counter) -> None:
    """`count` requests from `clients` concurrent clients, each sending its next when answered."""
    body = json.dumps(
        {"model": "bench-model", "messages": [{"role": "user", "content": "Say hello"}]}
    ).encode()
    scope = _Scope(body, variant.key)
    before = (counter.on_path, counter.after)

    async def client(share: int) -> None:
        for i in range(share):
            proto = _Proto(body)
            began = time.perf_counter()
            await variant.app.__rsgi__(scope, proto)
            variant.times.append(time.perf_counter() - began)
            assert proto.status == 200, proto.status
            if gap:
                await asyncio.sleep(gap)  # a client's think time: work left after the answer runs now
            elif i % 100 == 99:
                await asyncio.sleep(0.005)  # idle time, as between requests under real load

    started = time.process_time()
    first = len(variant.times)
    shares = [count // clients + (i < count % clients) for i in range(clients)]
    await asyncio.gather(
        *(asyncio.create_task(client(n), name=f"{CLIENT}-{i}") for i, n in enumerate(shares))
    )
    variant.round_medians.append(statistics.median(variant.times[first:]))
    await _drain(variant)
    variant.cpu += time.process_time() - started
    variant.on_path += counter.on_path - before[0]
    variant.after += counter.after - before[1]
    variant.requests += count


async def _main(count: int, rounds: int, clients: int, gap: float, redis_url: str, fsync: bool) -> None:
    counter = Counter()
    counter.install()
    variants = [await _open("memory", None, fsync), await _open("redis", redis_url, fsync)]
    gate = variants[1].app.state.services[0].gate
    if hasattr(gate, "settler"):  # this version settles off the path: its awaited baseline too
        awaited = await _open("redis-awaited", redis_url, fsync)
        awaited_gate = awaited.app.state.services[0].gate
        awaited_gate.settler = AwaitedSettler(awaited_gate.limiter)
        variants.append(awaited)
    for variant in variants:  # warm up: connections opened, scripts loaded, caches filled
        await _round(variant, 200, clients, gap, counter)
        variant.times.clear()
        variant.round_medians.clear()
        variant.on_path = variant.after = variant.requests = 0
        variant.cpu = 0.0
    for _ in range(rounds):
        for variant in random.sample(variants, len(variants)):  # shuffled rounds
            await _round(variant, count, clients, gap, counter)
    medians, best = {}, {}
    for variant in variants:
        best[variant.name] = min(variant.round_medians) * 1e6
        times = sorted(variant.times)
        medians[variant.name] = statistics.median(times) * 1e6
        p99 = times[int(len(times) * 0.99)] * 1e6
        print(
            f"{variant.name:13s} wall µs/request: median {medians[variant.name]:7.1f} "
            f"(best round {best[variant.name]:7.1f})  p99 {p99:7.1f}  "
            f"CPU µs/request {variant.cpu / variant.requests * 1e6:6.1f}   "
            f"Redis commands/request: on the path {variant.on_path / variant.requests:4.2f}, "
            f"after it {variant.after / variant.requests:4.2f}"
        )
    for name in ("redis", "redis-awaited"):
        if name in medians:
            print(
                f"added by Redis-shared limits, {name}: median {medians[name] - medians['memory']:+.1f} µs, "
                f"best rounds {best[name] - best['memory']:+.1f} µs"
            )
    for variant in variants:
        await variant.app.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=1, help="concurrent clients (1: latency)")
    parser.add_argument(
        "--gap-ms", type=float, default=0.0, help="each client's pause between an answer and its next request"
    )
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--fsync", action="store_true", help="spend spooled with fsync, as production runs")
    args = parser.parse_args(argv)
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    runner(_main(args.count, args.rounds, args.clients, args.gap_ms / 1000, args.redis_url, args.fsync))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
