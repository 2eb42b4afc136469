"""Helpers of the key tests: a gateway built from a config and served on its own thread."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from llmrelay.testing import gateway as testing_gateway
from llmrelay.testing.gateway import free_port

REDIS_URL = os.environ.get("LLMRELAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
MASTER_KEY = "sk-keys-test-master"


def gateway_document(database_url: str, sim_api_base: str, sim_key: str, **general: Any) -> dict[str, Any]:
    """A config with two model groups on the OpenAI simulator and virtual keys on `database_url`."""
    models = [
        {"model_name": name, "litellm_params": {"model": f"openai/{name}", "api_base": sim_api_base,
                                                 "api_key": sim_key}}
        for name in ("gpt-4o-mini", "gpt-4o")
    ]  # fmt: skip
    return {
        "model_list": models,
        "general_settings": {"master_key": MASTER_KEY, "database_url": database_url, **general},
    }


class GatewayThread(testing_gateway.GatewayThread):
    """llmrelay.testing.gateway.GatewayThread from a config document."""

    def __init__(self, document: dict[str, Any]) -> None:
        from llmrelay.config.loader import parse_config

        super().__init__(parse_config(document, source="<test>"), name="keys-gateway")


class GatewayProcess:
    """`llmrelay serve --config FILE` as its own process group (Granian's parent and worker), so a
    SIGKILL takes the whole gateway down at once, as a crash or an OOM kill would."""

    def __init__(self, config_path: str, port: int | None = None) -> None:
        self.config_path = config_path
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> GatewayProcess:
        code = "import sys; from llmrelay.cli import main; sys.exit(main(sys.argv[1:]))"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, "serve", "--config", self.config_path,
             "--host", "127.0.0.1", "--port", str(self.port)],
            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, self._stderr()
            try:
                with urllib.request.urlopen(self.base_url + "/health/readiness", timeout=1) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                pass  # not listening yet
            assert time.monotonic() < deadline, "gateway process did not become ready"
            time.sleep(0.05)

    def _stderr(self) -> str:
        assert self.proc is not None and self.proc.stderr is not None
        return self.proc.stderr.read().decode(errors="replace")[-3000:]

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def write_config(path: Path, document: dict[str, Any]) -> str:
    path.write_text(json.dumps(document))  # JSON is YAML
    return str(path)


async def admin(gw: GatewayThread, path: str, body: dict[str, Any] | None = None) -> Any:
    """An admin API call with the master key: POST with a body, GET without; must answer 200."""
    import aiohttp

    headers = {"authorization": f"Bearer {MASTER_KEY}"}
    async with aiohttp.ClientSession(gw.base_url) as http:
        method = "POST" if body is not None else "GET"
        async with http.request(method, path, json=body, headers=headers) as reply:
            assert reply.status == 200, await reply.text()
            return await reply.json()
