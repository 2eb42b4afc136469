"""The SDK's own overhead per non-streamed chat call.

    .venv/bin/python bench/sdk_overhead.py [--calls 300] [--rounds 8] [--json out.json]

Three measurements, in one run:

1. `raw` vs `sdk` over the network: a pooled aiohttp POST of a pre-encoded body (read to bytes) and
   `Client.acompletion(...)` against the same upstream — the project's OpenAI simulator in its own
   process, pinned apart from the benchmark when `taskset` exists. Rounds are interleaved (raw, sdk,
   sdk, raw, ...) so drift in machine load hits both; each round is `--calls` sequential calls. Reported:
   median per-call latency over rounds, and CPU time of the benchmark's thread per call
   (`time.thread_time`, so the upstream's CPU is not counted).
2. `sdk-no-network`: the same `acompletion` with a transport that returns a canned response in memory:
   what the SDK itself costs per call (request building, adapter, decode, pricing, bookkeeping).

Overhead = sdk - raw (latency and CPU). Results go to docs/adr/0002-sdk-overhead.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import msgspec

from llmrelay.client import Client
from llmrelay.transport.http import HttpTransport
from llmrelay.types.http import HttpRequest, HttpResponse

MESSAGES = [{"role": "user", "content": "Say hello in five words."}]
MODEL = "openai/gpt-4o-mini"
KEY = "sk-bench"


class CannedTransport(HttpTransport):
    """Answers every request from memory: isolates the SDK's own CPU from the network."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self._response = HttpResponse(status=200, body=body, headers={"content-type": "application/json"})

    async def send(self, request: HttpRequest, timeout: float | None = None) -> HttpResponse:
        return self._response


def start_simulator() -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "llmrelay.testing", "--provider", "openai", "--port", "0", "--api-key", KEY]
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        cmd = ["taskset", "-c", "1", *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        match = re.search(r"api_base=(\S+)", line)
        if match:
            return proc, match.group(1)
    proc.kill()
    raise RuntimeError("simulator did not start")


async def timed_round(call: Callable[[], Awaitable[object]], calls: int) -> tuple[float, float]:
    """(median wall seconds per call, CPU seconds of this thread per call) for one round."""
    walls = []
    cpu_start = time.thread_time()
    for _ in range(calls):
        start = time.perf_counter()
        await call()
        walls.append(time.perf_counter() - start)
    return statistics.median(walls), (time.thread_time() - cpu_start) / calls


async def network_rounds(api_base: str, calls: int, rounds: int) -> dict[str, dict[str, float]]:
    body = msgspec.json.encode({"model": "gpt-4o-mini", "messages": MESSAGES})
    headers = {"content-type": "application/json", "authorization": f"Bearer {KEY}"}
    url = api_base.rstrip("/") + "/chat/completions"
    client = Client()
    connector = aiohttp.TCPConnector(limit=100)
    async with aiohttp.ClientSession(connector=connector, skip_auto_headers=("User-Agent",)) as session:

        async def raw() -> bytes:
            async with session.post(url, data=body, headers=headers) as resp:
                data = await resp.read()
                assert resp.status == 200, data
                return data

        async def sdk() -> object:
            return await client.acompletion(MODEL, MESSAGES, api_base=api_base, api_key=KEY)

        for warm in (raw, sdk):  # pools, imports, catalog load
            for _ in range(50):
                await warm()
        results: dict[str, list[tuple[float, float]]] = {"raw": [], "sdk": []}
        for r in range(rounds):
            order = [("raw", raw), ("sdk", sdk)] if r % 2 == 0 else [("sdk", sdk), ("raw", raw)]
            for name, fn in order:
                results[name].append(await timed_round(fn, calls))
    await client.aclose()
    return {name: summarise(rows) for name, rows in results.items()}


async def in_memory_rounds(body: bytes, calls: int, rounds: int) -> dict[str, float]:
    client = Client(transport=CannedTransport(body))

    async def sdk() -> object:
        return await client.acompletion(MODEL, MESSAGES, api_key=KEY)

    for _ in range(200):
        await sdk()
    rows = [await timed_round(sdk, calls * 5) for _ in range(rounds)]
    return summarise(rows)


def summarise(rows: list[tuple[float, float]]) -> dict[str, float]:
    return {
        "latency_us": statistics.median(w for w, _ in rows) * 1e6,
        "cpu_us": statistics.median(c for _, c in rows) * 1e6,
        "latency_us_min_round": min(w for w, _ in rows) * 1e6,
        "latency_us_max_round": max(w for w, _ in rows) * 1e6,
    }


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    proc, api_base = start_simulator()
    try:
        network = await network_rounds(api_base, args.calls, args.rounds)
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                api_base + "/chat/completions",
                json={"model": "gpt-4o-mini", "messages": MESSAGES},
                headers={"authorization": f"Bearer {KEY}"},
            ) as resp,
        ):
            canned = await resp.read()
    finally:
        proc.terminate()
        proc.wait(10)
    memory = await in_memory_rounds(canned, args.calls, args.rounds)
    return {
        "calls_per_round": args.calls,
        "rounds": args.rounds,
        "raw": network["raw"],
        "sdk": network["sdk"],
        "overhead_latency_us": network["sdk"]["latency_us"] - network["raw"]["latency_us"],
        "overhead_cpu_us": network["sdk"]["cpu_us"] - network["raw"]["cpu_us"],
        "sdk_no_network": memory,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=300, help="sequential calls per round")
    parser.add_argument("--rounds", type=int, default=8, help="interleaved rounds per variant")
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.uvloop:
        import uvloop

        result = uvloop.run(main_async(args))
    else:
        result = asyncio.run(main_async(args))
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
