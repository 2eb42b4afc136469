"""What virtual keys add per request: auth (key cache) + the call gate (model check, budgets, rpm /
tpm / parallel reservation and settlement) + the durable spend write, against the same gateway
without keys, in the same run.

    .venv/bin/python -m bench.gateway.auth_overhead [--requests 2000] [--rounds 3]

1. In-process, per call (CPU, no HTTP): authenticate + admit + settle, memory limiter, warm cache.
2. Through HTTP (embedded Granian, one keep-alive connection, sequential requests, a router stub that
   answers at once so only the gateway is measured): median latency of
     nokeys     master key only (the gateway before virtual keys)
     keys       virtual key with rpm, tpm, parallel and a budget; spend recording off
     keys+spend the same with the spend spool on (write + fsync before the answer)
   Rounds alternate the targets; the figures are medians over every request of every round.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from llmrelay.auth import display_name, generate_key, hash_key
from llmrelay.calls.call import Call
from llmrelay.calls.principal import MASTER
from llmrelay.calls.served import Served as ServedRecord
from llmrelay.calls.served import attach_served
from llmrelay.gate.admission import CallInfo
from llmrelay.gate.middleware import KeyGateMiddleware
from llmrelay.gate.runtime import KeysRuntime
from llmrelay.gate.settings import KeysSettings
from llmrelay.proxy.app import GatewayApp
from llmrelay.proxy.state import GatewayState
from llmrelay.storage.records import NewKey
from llmrelay.types.response import ChatResponse, Choice, ResponseMessage, Usage

MASTER_KEY = "sk-bench-master"
BODY = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()


class InstantRouter:
    """Answers every chat at once, with usage and a cost, as a router would after an upstream call."""

    async def route(self, call: Call[Any]) -> ChatResponse:
        if call.operation.name != "chat":
            raise NotImplementedError
        response = ChatResponse(
            id="chatcmpl-b", created=1, model="m",
            choices=[Choice(index=0, message=ResponseMessage(content="ok"), finish_reason="stop")],
            usage=Usage(prompt_tokens=5, completion_tokens=2, total_tokens=7),
        )  # fmt: skip
        attach_served(response, ServedRecord(provider="openai", deployment_id="d", cost_micros=3))
        return response

    def alias_target(self, model: str) -> str | None:
        return None

    def default_model(self, mode: str) -> str | None:
        return None

    def model_names(self) -> list[str]:
        return ["m"]

    def deployments(self, model_name: str | None = None) -> list[Any]:
        return []

    def health(self) -> list[dict[str, Any]]:
        return []

    def add_callback(self, callback: Any) -> None:
        return None

    async def aclose(self) -> None:
        return None


async def _runtime(directory: Path, record_spend: bool) -> tuple[KeysRuntime, str]:
    settings = KeysSettings(
        database_url=f"sqlite+aiosqlite:///{directory / 'bench.db'}",
        master_key=MASTER_KEY,
        spool_dir=directory / "spool",
        record_spend=record_spend,
    )
    runtime = KeysRuntime(settings)
    await runtime.db.migrate()
    key = generate_key()
    await runtime.storage.keys.create(
        NewKey(
            key_hash=hash_key(key), key_name=display_name(key), models=["m"],
            rpm_limit=10**9, tpm_limit=10**12, max_parallel_requests=1000, max_budget_micros=10**15,
        )
    )  # fmt: skip
    return runtime, key


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Served:
    def __init__(self, state: GatewayState, runtime: KeysRuntime | None, loop: asyncio.AbstractEventLoop):
        from granian.constants import Interfaces
        from granian.server.embed import Server

        self.app = GatewayApp(state)
        self.runtime = runtime
        self.loop = loop
        self.port = _free_port()
        self.server = Server(self.app, address="127.0.0.1", port=self.port, interface=Interfaces.RSGI,
                             log_enabled=False)  # fmt: skip
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.01)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        if self.runtime is not None:
            self.loop.run_until_complete(self.app.astart())
        self.loop.run_until_complete(self.server.serve())
        self.loop.run_until_complete(self.app.aclose())

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.stop)
        self.thread.join(20)


def _build(kind: str, directory: Path) -> tuple[Served, str]:
    loop = asyncio.new_event_loop()
    if kind == "nokeys":
        state = GatewayState(router=InstantRouter(), settings=_settings())
        return Served(state, None, loop), MASTER_KEY
    (directory / kind).mkdir()
    runtime, key = loop.run_until_complete(_runtime(directory / kind, record_spend=kind == "keys+spend"))
    router = InstantRouter()
    gate = KeyGateMiddleware(runtime.gate, router)
    state = GatewayState(router=router, middlewares=[gate], settings=_settings(),
                         authenticate=runtime.authenticator, services=[runtime])  # fmt: skip
    return Served(state, runtime, loop), key


def _settings() -> Any:
    from llmrelay.config.schema import GeneralSettings

    return GeneralSettings(master_key=MASTER_KEY)


def _latencies(port: int, key: str, n: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
    out = []
    for _ in range(n):
        start = time.perf_counter()
        conn.request("POST", "/v1/chat/completions", BODY, headers)
        reply = conn.getresponse()
        reply.read()
        out.append(time.perf_counter() - start)
        assert reply.status == 200, reply.status
    conn.close()
    return out


def in_process(calls: int) -> float:
    """Median µs per authenticate + admit + settle (no spend writer), warm cache, memory limiter."""

    async def run() -> float:
        with tempfile.TemporaryDirectory() as tmp:
            runtime, key = await _runtime(Path(tmp), record_spend=False)
            await runtime.start()
            try:
                header = {"authorization": f"Bearer {key}"}.get
                usage, served = (
                    Usage(prompt_tokens=5, completion_tokens=2, total_tokens=7),
                    ServedRecord(cost_micros=3),
                )
                samples = []
                for _ in range(calls):
                    start = time.perf_counter()
                    principal = runtime.authenticator(header, anthropic_dialect=False)
                    pass_ = await runtime.gate.admit(principal, CallInfo("completion", "m", None))
                    await pass_.succeeded(usage, served)
                    samples.append(time.perf_counter() - start)
                assert principal is not MASTER
                return statistics.median(samples) * 1e6
            finally:
                await runtime.stop()

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"in-process auth + gate (memory limiter): {in_process(20_000):.1f} µs median per call")
    kinds = ["nokeys", "keys", "keys+spend"]
    samples: dict[str, list[float]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        served = {k: _build(k, Path(tmp)) for k in kinds}
        try:
            for server, key in served.values():
                _latencies(server.port, key, 200)  # warm up
            for round_ in range(args.rounds):
                for kind in kinds if round_ % 2 == 0 else reversed(kinds):
                    server, key = served[kind]
                    samples[kind] += _latencies(server.port, key, args.requests)
        finally:
            for server, _ in served.values():
                server.stop()
    base = statistics.median(samples["nokeys"]) * 1e6
    for kind in kinds:
        median = statistics.median(samples[kind]) * 1e6
        print(f"{kind:11s} median {median:7.1f} µs   added {median - base:+7.1f} µs")


if __name__ == "__main__":
    main()
