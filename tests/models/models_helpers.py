"""Helpers of the run-time model tests: gateway documents with store_model_in_db, admin calls that
return (status, body), chat calls, and polling without blind sleeps."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

MASTER_KEY = "sk-models-test-master"
REDIS_URL = os.environ.get("LLMRELAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
HELLO = [{"role": "user", "content": "say hello"}]


def file_model(sim_api_base: str, sim_key: str, name: str = "file-model") -> dict[str, Any]:
    return {"model_name": name, "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": sim_api_base,
                                                   "api_key": sim_key}}  # fmt: skip


def document(database_url: str, sim_api_base: str, sim_key: str, tmp: str, **general: Any) -> dict[str, Any]:
    return {
        "model_list": [file_model(sim_api_base, sim_key)],
        "general_settings": {
            "master_key": MASTER_KEY,
            "database_url": database_url,
            "store_model_in_db": True,
            "spend_spool_dir": tmp,
            **general,
        },
    }


async def call(
    base_url: str, method: str, path: str, body: Any = None, key: str = MASTER_KEY
) -> tuple[int, Any]:
    headers = {"authorization": f"Bearer {key}"}
    async with (
        aiohttp.ClientSession(base_url) as http,
        http.request(method, path, json=body, headers=headers) as reply,
    ):
        return reply.status, await reply.json(content_type=None)


async def ok(base_url: str, method: str, path: str, body: Any = None, key: str = MASTER_KEY) -> Any:
    status, answer = await call(base_url, method, path, body, key)
    assert status == 200, answer
    return answer


async def chat(base_url: str, model: str, key: str = MASTER_KEY) -> tuple[int, Any]:
    return await call(base_url, "POST", "/v1/chat/completions", {"model": model, "messages": HELLO}, key)


async def within(seconds: float, check: Callable[[], Awaitable[bool]]) -> float:
    """Seconds until `check` holds; fails after `seconds`."""
    start = time.monotonic()
    while not await check():
        assert time.monotonic() - start < seconds, f"not within {seconds}s"
        await asyncio.sleep(0.01)
    return time.monotonic() - start


async def serves(base_url: str, model: str) -> bool:
    status, _ = await chat(base_url, model)
    return status == 200


class GatewayProcess:
    """`llmrelay serve --config FILE` as its own process group (Granian's parent and its workers)."""

    def __init__(self, config_path: str, *, workers: int = 1, env: dict[str, str] | None = None) -> None:
        from llmrelay.testing.ports import free_port

        self.config_path = config_path
        self.port = free_port()
        self.workers = workers
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> GatewayProcess:
        code = "import sys; from llmrelay.cli import main; sys.exit(main(sys.argv[1:]))"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, "serve", "--config", self.config_path, "--host", "127.0.0.1",
             "--port", str(self.port), "--num_workers", str(self.workers)],
            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env={**os.environ, **(self.env or {})},
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, self.stderr()
            try:
                with urllib.request.urlopen(self.base_url + "/health/readiness", timeout=1) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                pass  # not listening yet
            assert time.monotonic() < deadline, "gateway process did not become ready"
            time.sleep(0.05)

    def stderr(self) -> str:
        assert self.proc is not None and self.proc.stderr is not None
        return self.proc.stderr.read().decode(errors="replace")[-5000:]

    def hangup(self) -> None:
        """SIGHUP to the server's parent process (which passes it on to its workers)."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGHUP)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def write_config(path: Path, doc: dict[str, Any]) -> str:
    path.write_text(json.dumps(doc))  # JSON is YAML
    return str(path)


def write_raw(path: str, text: str) -> None:
    Path(path).write_text(text)
