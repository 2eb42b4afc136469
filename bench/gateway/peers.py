"""The other targets of `bench.gateway.run`: llmrelay on its production path, and the peers.

Each peer function returns what `run.py` needs to start one target on a given port — its command,
the model name it serves, the headers a client sends it — or a string saying why it is skipped (a
peer that is not installed is skipped, not an error: the report says which ran).

- `gateway-keyed`: `llmrelay serve` as production runs it — a virtual key with a budget and rpm/tpm
  limits, spend recorded durably in the embedded store, Prometheus and the call log on;
- `gateway-shared`: the same on PostgreSQL (a scratch database on 127.0.0.1:5432) with limits shared
  through Redis (127.0.0.1:6379), with a second instance on the same database and Redis beside it;
- `nginx`: a bare reverse proxy (Debian's `nginx-light`), one worker process;
- `litellm`: the LiteLLM proxy from its own virtualenv (`LITELLM_BIN`, default
  /opt/litellm/bin/litellm; `python3 -m venv /opt/litellm && /opt/litellm/bin/pip install
  'litellm[proxy]'`), master key only: its virtual keys need its own PostgreSQL schema;
- `portkey`: Portkey's open-source gateway (`PORTKEY_DIR`, default /opt/portkey, after
  `npm install @portkey-ai/gateway` there), which takes the provider and the upstream from the
  `x-portkey-provider` and `x-portkey-custom-host` headers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

PEERS = ("nginx", "litellm", "portkey")


@dataclass
class Plan:
    cmd: list[str]
    model: str
    headers: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


def gateway_config(
    upstream: str,
    sim_key: str,
    general: dict[str, object],
    *,
    redis_url: str | None = None,
    name: str = "bench",
) -> str:
    """The bench's llmrelay config — one model group on the simulator, the Router, Prometheus and a
    JSON-lines call log — with `general` as its general_settings, written to a new folder; in
    `general`, "{folder}" stands for that folder (the store, the spool)."""
    folder = Path(tempfile.mkdtemp())
    path = folder / f"{name}.yaml"
    router: dict[str, object] = {"routing_strategy": "simple-shuffle", "num_retries": 1}
    if redis_url:
        router["redis_url"] = redis_url
    here = str(folder)
    settings = {k: (v.replace("{folder}", here) if isinstance(v, str) else v) for k, v in general.items()}
    path.write_text(json.dumps({
        "model_list": [{"model_name": "bench-model",
                        "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": upstream,
                                           "api_key": sim_key}}],
        "router_settings": router,
        "litellm_settings": {"callbacks": ["prometheus", "json_log"],
                             "callback_settings": {"json_log": {"path": str(folder / "calls.jsonl")}}},
        "general_settings": settings,
    }))  # fmt: skip
    return str(path)


def keyed_gateway_config(upstream: str, master_key: str, sim_key: str) -> str:
    """The bench gateway's config with the embedded store on: virtual keys, durable spend."""
    general = {"master_key": master_key, "database_url": "sqlite:///{folder}/bench.db",
               "spend_spool_dir": "{folder}/spool"}  # fmt: skip
    return gateway_config(upstream, sim_key, general, name="bench-keyed")


def shared_gateway_config(upstream: str, master_key: str, sim_key: str, database: str, redis_url: str) -> str:
    """The keyed gateway as several instances run it: PostgreSQL for keys and spend, Redis for limits."""
    general = {"master_key": master_key, "database_url": f"postgresql://127.0.0.1:5432/{database}",
               "spend_spool_dir": "{folder}/spool"}  # fmt: skip
    return gateway_config(upstream, sim_key, general, redis_url=redis_url, name="bench-shared")


class ScratchDatabase:
    """A PostgreSQL database of the bench's own (127.0.0.1:5432, trust auth), dropped afterwards."""

    def __init__(self) -> None:
        self.name = f"llmrelay_bench_{os.getpid()}"

    def __enter__(self) -> str:
        subprocess.run(["createdb", "-h", "127.0.0.1", self.name], check=True)
        return self.name

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "--if-exists", "--force", self.name], check=False)


def issue_virtual_key(url: str, master_key: str) -> str:
    """A key as production hands them out: limits and a budget checked and settled on every call."""
    body = json.dumps({"models": ["bench-model"], "rpm_limit": 10_000_000, "tpm_limit": 10_000_000_000,
                       "max_budget": 1_000_000.0}).encode()  # fmt: skip
    request = urllib.request.Request(
        url + "/key/generate", data=body,
        headers={"content-type": "application/json", "authorization": f"Bearer {master_key}"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:
        key: str = json.loads(answer.read())["key"]
    return key


def nginx(port: int, upstream_port: int) -> Plan | str:
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        return "nginx not installed (apt-get install -y nginx-light)"
    folder = Path(tempfile.mkdtemp())
    conf = folder / "nginx.conf"
    # one worker (the other targets get one core each), keep-alive to the upstream like the others
    conf.write_text(f"""
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {folder};
  proxy_temp_path {folder};
  upstream sim {{ server 127.0.0.1:{upstream_port}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://sim;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }}
  }}
}}
""")
    return Plan([binary, "-c", str(conf), "-p", str(folder)], "gpt-4o-mini")


def litellm(port: int, upstream: str, master_key: str, sim_key: str) -> Plan | str:
    binary = os.environ.get("LITELLM_BIN", "/opt/litellm/bin/litellm")
    if not Path(binary).exists():
        return f"LiteLLM not installed at {binary} (set LITELLM_BIN)"
    folder = Path(tempfile.mkdtemp())
    conf = folder / "litellm.yaml"
    conf.write_text(json.dumps({
        "model_list": [{"model_name": "bench-model",
                        "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": upstream,
                                           "api_key": sim_key}}],
        "general_settings": {"master_key": master_key},
    }))  # fmt: skip
    return Plan([binary, "--config", str(conf), "--port", str(port), "--num_workers", "1"], "bench-model")


def portkey(port: int, upstream: str, sim_key: str) -> Plan | str:
    folder = Path(os.environ.get("PORTKEY_DIR", "/opt/portkey"))
    script = folder / "node_modules/@portkey-ai/gateway/build/start-server.js"
    node = shutil.which("node")
    if node is None or not script.exists():
        return f"Portkey's gateway not in {folder} (npm install @portkey-ai/gateway; set PORTKEY_DIR)"
    headers = {"x-portkey-provider": "openai", "x-portkey-custom-host": upstream,
               "authorization": f"Bearer {sim_key}"}  # fmt: skip
    return Plan(
        [node, str(script), f"--port={port}", "--headless"],
        "gpt-4o-mini",
        headers,
        {"NODE_ENV": "production"},
    )


def plan(name: str, port: int, upstream_port: int, master_key: str, sim_key: str) -> Plan | str:
    """The peer called `name` on `port`, in front of the simulator on `upstream_port`."""
    upstream = f"http://127.0.0.1:{upstream_port}/v1"
    if name == "nginx":
        return nginx(port, upstream_port)
    if name == "litellm":
        return litellm(port, upstream, master_key, sim_key)
    if name == "portkey":
        return portkey(port, upstream, sim_key)
    raise SystemExit(f"unknown peer {name!r}: choose from {', '.join(PEERS)}")
