"""A bounded memory soak of the gateway: does its RSS keep growing with the requests it serves?

A gateway worker (`llmrelay serve`, its own process; or, with --in-process, a GatewayThread in this
process so tracemalloc can see it) over the OpenAI simulator, with virtual keys on SQLite, serves a
fixed count of mixed requests from a few concurrent clients: non-streamed and streamed chats with
virtual keys, embeddings, chats naming end users (`user`), and errors — unknown models (404, a new
made-up name each time), unknown keys (401, a new one each time), malformed bodies (400). The worker's
RSS is sampled every --sample requests; after --warmup requests, the growth per request is the slope
of a least-squares line through the samples.

    .venv/bin/python -m bench.soak                                   # ≈ 1-2 minutes
    .venv/bin/python -m bench.soak --requests 100000 --sample 5000   # longer
    .venv/bin/python -m bench.soak --in-process                      # + live objects by type that grew
    .venv/bin/python -m bench.soak --in-process --tracemalloc 15     # + allocation sites that grew (slow)

Results and conclusions: docs/adr/0007-hardening-limits.md."""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp

from llmrelay.testing.gateway import GatewayThread, free_port

MASTER_KEY = "sk-soak-master"
SIM_KEY = "sim-key"
KINDS = ("chat", "stream", "chat", "embedding", "end_user", "stream", "unknown_model", "bad_key", "bad_json")


def config_document(api_base: str, api_key: str, database: str, spool: str) -> dict[str, Any]:
    params = {"api_base": api_base, "api_key": api_key}
    return {
        "model_list": [
            {"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o-mini", **params}},
            {"model_name": "embed", "litellm_params": {"model": "openai/text-embedding-3-small", **params}},
        ],
        "litellm_settings": {"callbacks": ["prometheus"]},
        "general_settings": {
            "master_key": MASTER_KEY,
            "database_url": f"sqlite:///{database}",
            "spend_spool_dir": spool,
        },
    }


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def worker_pid(parent: int, timeout: float = 30) -> int:
    """Granian's worker: the one child of the serving process."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.05)
    raise RuntimeError("the gateway's worker did not start")


@contextmanager
def simulator_process() -> Iterator[str]:
    """The OpenAI simulator in a process of its own (its request log stays out of the measurement)."""
    port = free_port()
    code = "import sys; from llmrelay.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "sim", "--provider", "openai", "--port", str(port)],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the simulator did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


@contextmanager
def gateway_process(document: dict[str, Any], workdir: Path) -> Iterator[tuple[str, Callable[[], int]]]:
    config = workdir / "config.yaml"
    config.write_text(json.dumps(document))
    port = free_port()
    code = "import sys; from llmrelay.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--config", str(config),
         "--host", "127.0.0.1", "--port", str(port)],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/health/readiness", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the gateway did not start") from None
                time.sleep(0.05)
        pid = worker_pid(proc.pid)
        yield url, lambda: rss_bytes(pid)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@contextmanager
def gateway_in_process(document: dict[str, Any]) -> Iterator[tuple[str, Callable[[], int]]]:
    from llmrelay.config.loader import parse_config

    gateway = GatewayThread(parse_config(document, source="soak")).start()
    try:
        yield gateway.base_url, lambda: rss_bytes(os.getpid())
    finally:
        gateway.stop()


class Load:
    """Mixed requests; each kind's body built fresh, so nothing is reused between requests."""

    def __init__(self, session: aiohttp.ClientSession, keys: list[str]) -> None:
        self.session = session
        self.keys = keys
        self.serial = itertools.count()
        self.statuses: dict[tuple[str, int], int] = {}

    async def one(self, kind: str) -> None:
        n = next(self.serial)
        key = self.keys[n % len(self.keys)]
        path = "/v1/chat/completions"
        body: Any = {"model": "gpt", "messages": [{"role": "user", "content": f"hello {n}"}]}
        if kind == "stream":
            body |= {"stream": True, "stream_options": {"include_usage": True}}
        elif kind == "embedding":
            path, body = "/v1/embeddings", {"model": "embed", "input": f"text {n}"}
        elif kind == "end_user":
            body["user"] = f"end-user-{n}"
        elif kind == "unknown_model":
            body["model"] = f"made-up-model-{n}"
        elif kind == "bad_key":
            key = f"sk-unknown-{n:012d}"
        data = b'{"model": "gpt", "messages": [' if kind == "bad_json" else json.dumps(body).encode()
        headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
        async with self.session.post(path, data=data, headers=headers) as reply:
            await reply.read()
            self.statuses[(kind, reply.status)] = self.statuses.get((kind, reply.status), 0) + 1


async def make_keys(url: str, count: int) -> list[str]:
    async with aiohttp.ClientSession(url) as session:
        keys = []
        for i in range(count):
            async with session.post(
                "/key/generate", json={"key_alias": f"soak-{i}", "user_id": f"soak-user-{i % 3}"},
                headers={"authorization": f"Bearer {MASTER_KEY}"},
            ) as reply:  # fmt: skip
                assert reply.status == 200, await reply.text()
                keys.append((await reply.json())["key"])
        return keys


async def soak(url: str, rss: Callable[[], int], args: argparse.Namespace) -> list[tuple[int, int]]:
    keys = await make_keys(url, 5)
    samples: list[tuple[int, int]] = [(0, rss())]
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(url, connector=connector) as session:
        load = Load(session, keys)
        kinds = itertools.cycle(KINDS)
        done = 0
        snapshot: tracemalloc.Snapshot | None = None
        counts: Counter[str] | None = None
        while done < args.requests:
            batch = min(args.sample, args.requests - done)
            queue = iter(range(batch))

            async def client(queue: Iterator[int] = queue) -> None:
                for _ in queue:
                    await load.one(next(kinds))

            await asyncio.gather(*(client() for _ in range(args.concurrency)))
            done += batch
            samples.append((done, rss()))
            # in process: Python's own count of allocated blocks tells a leak (it grows) from the
            # allocator keeping freed memory (RSS grows, the count does not)
            blocks = f"  blocks {sys.getallocatedblocks():>10}" if args.in_process else ""
            print(f"{done:>8} requests  RSS {samples[-1][1] / 1e6:8.1f} MB{blocks}", flush=True)
            if done >= args.warmup and counts is None and args.in_process:
                counts = object_counts()
                snapshot = tracemalloc.take_snapshot() if args.tracemalloc else None
        if counts is not None:
            report_objects(counts, object_counts())
        if snapshot is not None:
            report_growth(snapshot, tracemalloc.take_snapshot(), args.tracemalloc)
    print("statuses:", ", ".join(f"{k}:{s}={n}" for (k, s), n in sorted(load.statuses.items())))
    return samples


def object_counts() -> Counter[str]:
    """Live objects the garbage collector tracks, by type (a cheap first look at what grows)."""
    gc.collect()
    return Counter(type(o).__qualname__ for o in gc.get_objects())


def report_objects(before: Counter[str], after: Counter[str], top: int = 15) -> None:
    grown = sorted(((after[k] - before[k], k) for k in after), reverse=True)[:top]
    print(f"\nlive objects by type, growth since the warm-up (gc-tracked, whole process): {grown}")


def report_growth(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, top: int) -> None:
    """The allocation sites under src/llmrelay (not the simulators) that grew after the warm-up."""
    # an allocation counts when any of its frames is llmrelay's (msgspec and the stdlib allocate for it)
    keep = [tracemalloc.Filter(True, "*llmrelay*", all_frames=True),
            tracemalloc.Filter(False, "*llmrelay/testing/*", all_frames=True)]  # fmt: skip
    stats = after.filter_traces(keep).compare_to(before.filter_traces(keep), "lineno")
    print(f"\ntracemalloc: top {top} llmrelay allocation sites by growth since the warm-up")
    for stat in stats[:top]:
        print(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks  {stat.traceback}")


def growth_per_request(samples: list[tuple[int, int]], warmup: int) -> float:
    """Bytes per request: the least-squares slope of RSS over requests, after the warm-up."""
    points = [(n, r) for n, r in samples if n >= warmup]
    if len(points) < 2:
        return float("nan")
    mean_n = sum(n for n, _ in points) / len(points)
    mean_r = sum(r for _, r in points) / len(points)
    spread = sum((n - mean_n) ** 2 for n, _ in points)
    return sum((n - mean_n) * (r - mean_r) for n, r in points) / spread


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000, help="requests in all (default 20000)")
    parser.add_argument("--warmup", type=int, default=4_000, help="requests before growth is measured")
    parser.add_argument("--sample", type=int, default=2_000, help="requests between RSS samples")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--in-process", action="store_true", help="the gateway on a thread of this process")
    grown = "with --in-process: the N allocation sites that grew most after the warm-up"
    parser.add_argument("--tracemalloc", type=int, default=0, metavar="N", help=grown)
    args = parser.parse_args(argv)
    if args.tracemalloc and not args.in_process:
        parser.error("--tracemalloc needs --in-process (it sees only this process)")
    if args.tracemalloc:
        tracemalloc.start(4)
    started = time.monotonic()
    with simulator_process() as upstream, tempfile.TemporaryDirectory(prefix="llmrelay-soak-") as tmp:
        work = Path(tmp)
        document = config_document(upstream, SIM_KEY, str(work / "keys.db"), str(work / "spool"))
        serving = gateway_in_process(document) if args.in_process else gateway_process(document, work)
        with serving as (url, rss):
            samples = asyncio.run(soak(url, rss, args))
    slope = growth_per_request(samples, args.warmup)
    after_warmup = [r for n, r in samples if n >= args.warmup]
    mb = [samples[0][1] / 1e6, after_warmup[0] / 1e6, samples[-1][1] / 1e6]
    print(f"\n{args.requests} requests in {time.monotonic() - started:.0f} s; RSS {mb[0]:.1f} MB at start, "
          f"{mb[1]:.1f} MB after the warm-up, {mb[2]:.1f} MB at the end")  # fmt: skip
    print(f"growth after the warm-up: {slope:.0f} bytes per request (least-squares slope)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
