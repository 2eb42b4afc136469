"""Benchmark the gateway against the direct simulator and the floor proxy, with wrk.

    .venv/bin/python -m bench.gateway.run [--duration 3] [--rounds 2] [--asgi-floor] [--keyed]
                                          [--peers nginx,litellm,portkey]
                                          [--other-gateway "CMD with {port} and {upstream}"]

Targets (each started once, pinned to core 0; the simulator and wrk pinned to core 1):
  direct     the OpenAI simulator itself (the baseline for "latency added")
  floor      bench/gateway/floor_rsgi.py: bare pass-through on Granian RSGI + llmrelay's HttpTransport
  gateway    `llmrelay serve` with a master key and the router, one worker
  gateway-keyed  the same as production runs it (--keyed): a virtual key with a budget and rpm/tpm
             limits, spend durable in the embedded store, metrics and the call log on
  keyed-var  gateway-keyed served from another source tree (--keyed-variant SRC, first on PYTHONPATH):
             two versions of the production path in one run
  gateway-shared the keyed path on PostgreSQL with Redis-shared limits (--shared), a second instance
             on the same database and Redis running beside it (not loaded)
  nginx, litellm, portkey   the peers (--peers; bench/gateway/peers.py says how each is installed)
  floor-asgi the same floor as raw ASGI on uvicorn (--asgi-floor; needs uvicorn installed)
  other      any command given with --other-gateway (e.g. LiteLLM from its own virtualenv)
Scenarios: 1, 16 and 64 connections non-streamed; 16 connections streaming 20 chunks.
Rounds run the targets in a shuffled order each time; figures are medians over rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.gateway import peers

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MASTER_KEY = "sk-bench"
SIM_KEY = "sim-key"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SCENARIOS = [("c1", 1, False), ("c16", 16, False), ("c64", 64, False), ("stream20", 16, True)]
CHUNKS = 20
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(core: int | str | None, cmd: list[str]) -> list[str]:
    """`cmd` pinned to `core` (a core, or a taskset list such as "0-1"); None: not pinned."""
    if core is None or not (os.cpu_count() or 1) > 1:
        return cmd
    return ["taskset", "-c", str(core), *cmd]


def tree(pid: int) -> list[int]:
    pids = [pid]
    for p in pids:
        try:
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        pids.extend(int(c) for c in children)
    return pids


def cpu_seconds(pid: int) -> float:
    total = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / TICKS


def rss_mb(pid: int) -> float:
    """RSS of the process that serves (the largest in the tree: Granian's worker, not its supervisor)."""
    best = 0
    for p in tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        if match:
            best = max(best, int(match.group(1)))
    return best / 1024


def body(stream: bool, model: str) -> str:
    data = {"model": model, "messages": [{"role": "user", "content": "Say hello to the benchmark"}]}
    if stream:
        data["stream"] = True
    return json.dumps(data)


def first_answer(url: str, model: str, deadline: float, headers: dict[str, str] | None = None) -> None:
    req = urllib.request.Request(
        url + "/v1/chat/completions", data=body(False, model).encode(),
        headers={"content-type": "application/json", **(headers or master_headers())},
    )  # fmt: skip
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                resp.read()
                return
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"no answer from {url}")


def master_headers() -> dict[str, str]:
    return {"authorization": f"Bearer {MASTER_KEY}"}


@dataclass
class Target:
    name: str
    cmd: list[str]
    port: int
    model: str
    env: dict[str, str] = field(default_factory=dict)
    # the cores it runs on (taskset's list); the default is core 0, the load and simulator on core 1
    cores: int | str | None = 0
    # what a client sends besides the body (the key; Portkey's provider and upstream)
    headers: dict[str, str] = field(default_factory=master_headers)
    proc: subprocess.Popen[bytes] | None = None
    startup_s: float = 0.0
    rss_idle: float = 0.0
    rss_loaded: float = 0.0
    results: dict[str, list[dict[str, float]]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, core: int | str | None) -> None:
        started = time.monotonic()
        self.proc = subprocess.Popen(
            pinned(core, self.cmd), env={**os.environ, **self.env}, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        first_answer(self.url, self.model, started + 60, self.headers)
        self.startup_s = time.monotonic() - started
        self.rss_idle = rss_mb(self.proc.pid)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)", text)
    assert match, text
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(target: Target, connections: int, stream: bool, duration: float) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(body(stream, target.model))}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
            + "".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n" for k, v in target.headers.items())
        )
    assert target.proc is not None
    cpu_before = cpu_seconds(target.proc.pid)
    out = subprocess.run(
        pinned(1, ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency",
                   "-s", script.name, target.url + "/v1/chat/completions"]),
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    cpu = cpu_seconds(target.proc.pid) - cpu_before
    os.unlink(script.name)
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    latency = dict(re.findall(r"\s+(50|99)%\s+(\S+)", out))
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(latency["50"]),
        "p99_ms": _ms(latency["99"]),
        "cpu_us_per_req": cpu / max(1, requests) * 1e6,
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def gateway_config(upstream: str) -> str:
    """Master key on, routing through the Router, events on (Prometheus + a JSON-lines call log)."""
    # the master key alone: without embedded_database: false a master key and no database_url
    # would open the embedded store (virtual keys and spend), another path than the one measured
    return peers.gateway_config(upstream, SIM_KEY, {"master_key": MASTER_KEY, "embedded_database": False})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per scenario run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--asgi-floor", action="store_true", help="also run the floor on uvicorn (raw ASGI)")
    parser.add_argument(
        "--other-gateway", help="command for another gateway; {port} and {upstream} are filled in"
    )
    parser.add_argument("--other-model", default="bench-model", help="model name the other gateway serves")
    parser.add_argument("--keyed", action="store_true", help="also run gateway-keyed (the production path)")
    parser.add_argument("--keyed-variant", help="also run keyed-var: gateway-keyed from this source tree")
    parser.add_argument(
        "--shared", action="store_true",
        help="also run gateway-shared (keyed, PostgreSQL, Redis-shared limits, a second instance beside it)",
    )  # fmt: skip
    parser.add_argument("--peers", default="", help="comma-separated peers to run: " + ", ".join(peers.PEERS))
    parser.add_argument(
        "--workers", type=int, default=0, metavar="N",
        help="also run gateway-wN: the gateway with N workers pinned to cores 0..N-1 (ratio to one worker)",
    )  # fmt: skip
    parser.add_argument("--workers-unpinned", action="store_true", help="gateway-wN not pinned to cores")
    parser.add_argument("--json", help="write the results here too")
    parser.add_argument(
        "--scenarios", help="comma-separated subset of: " + ", ".join(n for n, _, _ in SCENARIOS)
    )
    args = parser.parse_args(argv)

    sim_port = free_port()
    sim = subprocess.Popen(
        pinned(1, [str(BIN / "llmrelay"), "sim", "--provider", "openai", "--port", str(sim_port),
                   "--chunks", str(CHUNKS)]),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    upstream = f"http://127.0.0.1:{sim_port}/v1"
    targets = [
        Target("direct", [], sim_port, "gpt-4o-mini"),
        Target("floor", [str(BIN / "granian"), "--interface", "rsgi", "--loop", "uvloop", "--port", "{port}",
                         "--no-ws", "--log-level", "warning", "bench.gateway.floor_rsgi:app"],
               0, "gpt-4o-mini", {"FLOOR_UPSTREAM": upstream}),
        Target("gateway", [str(BIN / "llmrelay"), "serve", "--config", gateway_config(upstream),
                           "--host", "127.0.0.1", "--port", "{port}"], 0, "bench-model"),
    ]  # fmt: skip
    if args.asgi_floor:
        targets.append(Target("floor-asgi", [str(BIN / "uvicorn"), "--loop", "uvloop", "--http", "httptools",
                                             "--port", "{port}", "--log-level", "warning",
                                             "bench.gateway.floor_asgi:app"],
                              0, "gpt-4o-mini", {"FLOOR_UPSTREAM": upstream}))  # fmt: skip
    if args.workers > 1:
        # the same gateway with N workers: on cores 0..N-1 (the last shared with the load and the
        # simulator), or wherever the kernel puts them (--workers-unpinned)
        cores = None if args.workers_unpinned else f"0-{args.workers - 1}"
        one = next(t for t in targets if t.name == "gateway")
        name = f"gateway-w{args.workers}"
        targets.append(Target(name, [*one.cmd, "--workers", str(args.workers)], 0, one.model, cores=cores))
    if args.keyed:
        config = peers.keyed_gateway_config(upstream, MASTER_KEY, SIM_KEY)
        serve = [str(BIN / "llmrelay"), "serve", "--config", config, "--host", "127.0.0.1"]
        serve += ["--port", "{port}"]
        targets.append(Target("gateway-keyed", serve, 0, "bench-model"))
    if args.keyed_variant:
        config = peers.keyed_gateway_config(upstream, MASTER_KEY, SIM_KEY)
        serve = [str(BIN / "llmrelay"), "serve", "--config", config, "--host", "127.0.0.1"]
        serve += ["--port", "{port}"]
        targets.append(Target("keyed-var", serve, 0, "bench-model", {"PYTHONPATH": args.keyed_variant}))
    scratch = peers.ScratchDatabase() if args.shared else None
    sibling: Target | None = None
    if scratch is not None:
        config = peers.shared_gateway_config(upstream, MASTER_KEY, SIM_KEY, scratch.__enter__(), REDIS_URL)
        serve = [str(BIN / "llmrelay"), "serve", "--config", config, "--host", "127.0.0.1"]
        targets.append(Target("gateway-shared", [*serve, "--port", "{port}"], 0, "bench-model"))
        sibling = Target("sibling", [*serve, "--port", "{port}"], 0, "bench-model")
    for name in filter(None, args.peers.split(",")):
        port = free_port()
        plan = peers.plan(name, port, sim_port, MASTER_KEY, SIM_KEY)
        if isinstance(plan, str):
            print(f"skipped {name}: {plan}", file=sys.stderr)
            continue
        headers = plan.headers or master_headers()
        targets.append(Target(name, plan.cmd, port, plan.model, plan.env, headers=headers))
    if args.other_gateway:
        targets.append(Target("other", shlex.split(args.other_gateway), 0, args.other_model))
    try:
        first_answer(f"http://127.0.0.1:{sim_port}", "gpt-4o-mini", time.monotonic() + 20)
        for t in targets:
            if t.name == "direct":
                t.proc = sim
                t.rss_idle = rss_mb(sim.pid)
                continue
            t.port = t.port or free_port()
            t.cmd = [c.replace("{port}", str(t.port)).replace("{upstream}", upstream) for c in t.cmd]
            t.start(core=t.cores)
            if t.name == "gateway-shared" and sibling is not None:
                sibling.port = free_port()
                sibling.cmd = [c.replace("{port}", str(sibling.port)) for c in sibling.cmd]
                sibling.start(core=1)
            if t.name in ("gateway-keyed", "gateway-shared", "keyed-var"):
                t.headers = {"authorization": f"Bearer {peers.issue_virtual_key(t.url, MASTER_KEY)}"}
        chosen = set(args.scenarios.split(",")) if args.scenarios else {n for n, _, _ in SCENARIOS}
        for _ in range(args.rounds):
            for name, conns, stream in [s for s in SCENARIOS if s[0] in chosen]:
                for t in random.sample(targets, len(targets)):
                    t.results.setdefault(name, []).append(run_wrk(t, conns, stream, args.duration))
        for t in targets:
            assert t.proc is not None
            t.rss_loaded = rss_mb(t.proc.pid)
    finally:
        for t in [*targets, *([sibling] if sibling else [])]:
            if t.name != "direct":
                t.stop()
        if scratch is not None:
            scratch.__exit__(None, None, None)
        sim.terminate()
        sim.wait(10)
    report = summarize(targets)
    print(render(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


def summarize(targets: list[Target]) -> dict[str, dict[str, object]]:
    report: dict[str, dict[str, object]] = {}
    direct = next(t for t in targets if t.name == "direct")
    for t in targets:
        row: dict[str, object] = {"startup_s": round(t.startup_s, 3), "rss_idle_mb": round(t.rss_idle, 1),
                                  "rss_loaded_mb": round(t.rss_loaded, 1)}  # fmt: skip
        for scenario, runs in t.results.items():
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            base = {k: statistics.median(r[k] for r in direct.results[scenario]) for k in runs[0]}
            med["added_p50_ms"] = med["p50_ms"] - base["p50_ms"]
            med["added_p99_ms"] = med["p99_ms"] - base["p99_ms"]
            if scenario == "stream20":
                med["cpu_us_per_chunk"] = med["cpu_us_per_req"] / CHUNKS
            row[scenario] = {k: round(v, 3) for k, v in med.items()}
        report[t.name] = row
    return report


def render(report: dict[str, dict[str, object]]) -> str:
    lines = []
    for scenario, _, _ in SCENARIOS:
        lines.append(f"\n{scenario}: target | rps | p50 ms | p99 ms | +p50 | +p99 | CPU us/req | errors")
        for name, row in report.items():
            m = row.get(scenario)
            if isinstance(m, dict):
                lines.append(
                    f"  {name:<13} {m['rps']:>9.0f} {m['p50_ms']:>7.2f} {m['p99_ms']:>7.2f} "
                    f"{m['added_p50_ms']:>6.2f} {m['added_p99_ms']:>6.2f} {m['cpu_us_per_req']:>9.0f} "
                    f"{m['errors']:>5.0f}"
                )
    lines += ratios(report)
    lines.append("\ntarget | start to first answer s | RSS idle MB | RSS after load MB")
    for name, row in report.items():
        lines.append(f"  {name:<13} {row['startup_s']:>6} {row['rss_idle_mb']:>7} {row['rss_loaded_mb']:>7}")
    return "\n".join(lines)


def ratios(report: dict[str, dict[str, object]]) -> list[str]:
    """Issue 13's goals as ratios taken in this run: the production path's CPU against the master
    key's, and llmrelay's keyed requests/s against the peers' (each target has one core)."""
    lines = ["\nratios (same run): scenario | CPU us/req against `gateway` | keyed rps against each peer"]
    for scenario, _, _ in SCENARIOS:
        master = report.get("gateway", {}).get(scenario)
        keyed = report.get("gateway-keyed", {}).get(scenario)
        if not isinstance(master, dict):
            continue
        parts = []
        for name, row in report.items():
            m = row.get(scenario)
            if name.startswith("gateway-w") and isinstance(m, dict):
                # requests/s against one worker, and CPU per request (1.0: each worker as efficient
                # as one alone, so N free cores would serve N times as many)
                parts.append(f"{name} rps {m['rps'] / master['rps']:.2f}x, "
                             f"CPU/req {m['cpu_us_per_req'] / master['cpu_us_per_req']:.2f}x")  # fmt: skip
        for name in ("gateway-keyed", "keyed-var", "gateway-shared"):
            m = report.get(name, {}).get(scenario)
            if isinstance(m, dict):
                parts.append(f"{name} {m['cpu_us_per_req'] / master['cpu_us_per_req']:.2f}x")
        if isinstance(keyed, dict):
            for peer in peers.PEERS:
                m = report.get(peer, {}).get(scenario)
                if isinstance(m, dict) and m["rps"]:
                    parts.append(f"keyed/{peer} rps {keyed['rps'] / m['rps']:.1f}x")
        lines.append(f"  {scenario:<9} " + " | ".join(parts))
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
