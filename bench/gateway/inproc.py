"""The gateway's own CPU per request, in process: no sockets, no server, no upstream.

The bench config's gateway (master key, Router, Prometheus + JSON log sinks) answers requests handed
to it through a fake RSGI request, and its upstream calls get a canned OpenAI answer from a fake
transport. What is timed is exactly what the gateway adds over a bare pass-through (the server and the
HTTP client are shared with the floor, so they are left out). Quiet and repeatable enough to measure
changes of a few microseconds, which the wrk bench cannot.

    .venv/bin/python -m bench.gateway.inproc                    # non-streamed and 20-chunk streams
    .venv/bin/python -m bench.gateway.inproc --profile chat     # cProfile of the non-streamed path

Auth: `master` (the master key: no key lookup, no spend) or `virtual` (the production path: a virtual
key from the embedded SQLite store with rpm/tpm limits and a budget, its spend spooled with fsync and
written to the database, plus the Prometheus and JSON log sinks).

    .venv/bin/python -m bench.gateway.inproc --auth virtual
    .venv/bin/python -m bench.gateway.inproc --auth virtual --kinds chat --concurrency 64

`--concurrency N` keeps N requests in flight at once (N coroutines on the one loop): what group commit
of the spend spool is for (the records of requests in flight together share one fsync). It also
prints requests/s and p50 wall time; with `--auth virtual` these include the real fsync of this disk.

Kinds: `chat` (non-streamed), `stream` (a 20-chunk stream arriving in one read, as the simulator's
stream does under load: it writes every event at once, so the gateway reads the whole stream in one
go; measured with an aiohttp client: 1 read per stream), `stream-reads` (the same stream one event
per read, as from a slow upstream: what the relay costs per read).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import pstats
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from llmrelay.config.loader import parse_config
from llmrelay.proxy.server import build_app, settle_worker_heap
from llmrelay.types.http import HttpRequest, HttpResponse

MASTER_KEY = "sk-bench"
CHUNKS = 20
KINDS = ["chat", "stream", "stream-reads"]

_ANSWER = json.dumps({
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 1795607241, "model": "gpt-4o-mini",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": "Simulated reply", "annotations": []}}],
    "usage": {"prompt_tokens": 8, "completion_tokens": 4, "total_tokens": 12,
              "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
              "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                            "accepted_prediction_tokens": 0,
                                            "rejected_prediction_tokens": 0}},
    "system_fingerprint": "fp_bench", "service_tier": "default",
}).encode()  # fmt: skip


def _stream_events(usage: bool) -> list[bytes]:
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1795607241,
            "model": "gpt-4o-mini", "system_fingerprint": "fp_bench"}  # fmt: skip
    events = []
    for i in range(CHUNKS):
        delta = {"role": "assistant", "content": ""} if i == 0 else {"content": f"w{i} "}
        chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        if usage:
            chunk["usage"] = None
        events.append(b"data: " + json.dumps(chunk).encode() + b"\n\n")
    last = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    if usage:
        last["usage"] = None
    events.append(b"data: " + json.dumps(last).encode() + b"\n\n")
    if usage:
        tail = {
            **base,
            "choices": [],
            "usage": {"prompt_tokens": 8, "completion_tokens": 20, "total_tokens": 28},
        }
        events.append(b"data: " + json.dumps(tail).encode() + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    return events


class _Stream:
    def __init__(self, events: list[bytes], whole: bool) -> None:
        self.status = 200
        self.headers: dict[str, str] = {"content-type": "text/event-stream"}
        self._events = events
        self._reads = [b"".join(events)] if whole else events

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        for data in self._reads:
            yield data

    async def read(self) -> bytes:
        return b"".join(self._events)

    async def aclose(self) -> None:
        return None


class CannedTransport:
    """Answers every call with the same OpenAI body (or SSE events), as the simulator would."""

    async def send(self, request: HttpRequest, timeout: float | None = None) -> HttpResponse:
        return HttpResponse(status=200, body=_ANSWER, headers={"content-type": "application/json"})

    def __init__(self, whole_streams: bool) -> None:
        self._events = {usage: _stream_events(usage) for usage in (False, True)}
        self._whole = whole_streams

    async def open_stream(self, request: HttpRequest, **_: Any) -> _Stream:
        asks_usage = request.body is not None and b'"include_usage":true' in request.body
        return _Stream(self._events[asks_usage], self._whole)

    async def aclose(self) -> None:
        return None

    async def aclose_current_loop(self) -> None:
        return None


class _Headers(dict[str, str]):
    """Granian's headers mapping, as far as the gateway reads it: one value per name here."""

    def get_all(self, name: str) -> list[str]:
        value = self.get(name)
        return [] if value is None else [value]


class _Scope:
    proto = "http"
    method = "POST"
    query_string = ""
    client = "127.0.0.1:50000"

    def __init__(self, body: bytes, key: str = MASTER_KEY, path: str = "/v1/chat/completions") -> None:
        self.path = path
        self.headers = _Headers({"content-type": "application/json", "authorization": f"Bearer {key}",
                                 "content-length": str(len(body))})  # fmt: skip


class _Sink:
    async def send_bytes(self, data: bytes) -> None:
        return None

    async def send_str(self, data: str) -> None:
        return None


class _Proto:
    """One request's RSGI protocol object: the body, and answers that go nowhere."""

    def __init__(self, body: bytes) -> None:
        self._body = body
        self.status = 0

    async def __call__(self) -> bytes:
        return self._body

    def __aiter__(self) -> Any:
        raise NotImplementedError

    async def client_disconnect(self) -> None:
        await asyncio.Event().wait()

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.body = body

    def response_str(self, status: int, headers: list[tuple[str, str]], body: str) -> None:
        self.status = status

    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> _Sink:
        self.status = status
        return _Sink()


def _config_document(folder: Path, auth: str) -> dict[str, Any]:
    # master: the master key alone, no store (a master key without database_url would otherwise open
    # the embedded one); virtual: a database and virtual keys
    general: dict[str, Any] = {"master_key": MASTER_KEY, "embedded_database": False}
    if auth == "virtual":
        general |= {"database_url": f"sqlite:///{folder / 'bench.db'}",
                    "spend_spool_dir": str(folder / "spool")}  # fmt: skip
    return {
        "model_list": [{"model_name": "bench-model",
                        "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": "http://127.0.0.1:9/v1",
                                           "api_key": "sim-key"}}],
        "router_settings": {"routing_strategy": "simple-shuffle", "num_retries": 1},
        "litellm_settings": {"callbacks": ["prometheus", "json_log"],
                             "callback_settings": {"json_log": {"path": str(folder / "calls.jsonl")}}},
        "general_settings": general,
    }  # fmt: skip


async def _virtual_key(app: Any) -> str:
    """A key as production hands them out: limits and a budget to check and settle on every call."""
    body = json.dumps({"models": ["bench-model"], "rpm_limit": 10_000_000, "tpm_limit": 10_000_000_000,
                       "max_budget": 1_000_000.0}).encode()  # fmt: skip
    proto = _Proto(body)
    await app.__rsgi__(_Scope(body, path="/key/generate"), proto)
    assert proto.status == 200, (proto.status, proto.body)
    key: str = json.loads(proto.body)["key"]
    return key


class Figures:
    """One kind's results over every round."""

    def __init__(self) -> None:
        self.cpu_us: list[float] = []  # process CPU µs per request, one per round
        self.rates: list[float] = []  # requests/s of wall time, one per round
        self.durations: list[float] = []  # wall seconds of every request

    def quantile(self, q: float) -> float:
        ordered = sorted(self.durations)
        return ordered[int(len(ordered) * q)] * 1e6


async def _run(
    kind: str, count: int, profile: bool, rounds: int, gc_mode: str, auth: str, concurrency: int = 1
) -> Figures:
    folder = Path(tempfile.mkdtemp())
    app = build_app(parse_config(_config_document(folder, auth), source="inproc"))
    _engine_of(app.state.router).transport = CannedTransport(whole_streams=kind == "stream")
    await app.astart()
    key = await _virtual_key(app) if auth == "virtual" else MASTER_KEY
    gc.unfreeze()
    if gc_mode == "worker":  # what `llmrelay serve` does in each worker once its app is built
        settle_worker_heap()
    stream = kind.startswith("stream")
    body = json.dumps({
        "model": "bench-model", "messages": [{"role": "user", "content": "Say hello to the benchmark"}],
        **({"stream": True} if stream else {}),
    }).encode()  # fmt: skip
    scope = _Scope(body, key)

    async def one() -> None:
        proto = _Proto(body)
        await app.__rsgi__(scope, proto)  # type: ignore[arg-type]
        assert proto.status == 200, proto.status

    for _ in range(200):  # warm up
        await one()
    figures = Figures()
    profiler = cProfile.Profile() if profile else None
    share = count // concurrency

    async def worker() -> None:
        for i in range(share):
            began = time.perf_counter()
            await one()
            figures.durations.append(time.perf_counter() - began)
            if i % 100 == 99:
                # idle time as under real load: the sinks' batch task runs (sleeping costs no CPU)
                await asyncio.sleep(0.006)

    for _ in range(rounds):
        if profiler:
            profiler.enable()
        started, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        done = share * concurrency
        figures.rates.append(done / (time.perf_counter() - wall))
        await asyncio.sleep(0.02)
        figures.cpu_us.append((time.process_time() - started) / done * 1e6)
        if profiler:
            profiler.disable()
    await app.aclose()
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(35)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
    return figures


def _engine_of(router: Any) -> Any:
    # the key gate and the cache wrap the Router; the engine is on the innermost one
    while not hasattr(router, "engine"):
        router = router.inner
    return router.engine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", choices=KINDS)
    parser.add_argument("--kinds", default="chat,stream,stream-reads")
    parser.add_argument("--auth", default="master", choices=["master", "virtual"])
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight at once")
    parser.add_argument(
        "--gc",
        default="worker",
        choices=["worker", "default"],
        help="worker: gc frozen as served; default: no freeze",
    )
    args = parser.parse_args(argv)
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    kinds = [args.profile] if args.profile else args.kinds.split(",")
    for kind in kinds:
        figures = runner(
            _run(
                kind, args.count, args.profile is not None, args.rounds, args.gc, args.auth, args.concurrency
            )
        )
        cpu = sorted(figures.cpu_us)
        rate = sorted(figures.rates)[len(figures.rates) // 2]
        median = cpu[len(cpu) // 2]
        p50, p99 = figures.quantile(0.5), figures.quantile(0.99)
        print(
            f"{kind:12s} c{args.concurrency:<3d} CPU µs/request: min {cpu[0]:6.1f}  median {median:6.1f}"
            f"  req/s {rate:7.0f}  p50 wall {p50:7.1f}  p99 wall {p99:7.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
