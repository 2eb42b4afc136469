"""Helpers of the edge tests (connections, paths, bodies, metrics): a GatewayApp over the fake router
of tests/proxy, served on Granian's embedded server."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent.parent / "proxy"))

from fake_router import FakeRouter
from harness import MASTER_KEY, running

from llmrelay.config.schema import GeneralSettings
from llmrelay.proxy.app import GatewayApp
from llmrelay.proxy.state import GatewayState

__all__ = ["MASTER_KEY", "FakeRouter", "ServerProcess", "serving_fake", "serving_process"]


@contextlib.contextmanager
def serving_fake(router: FakeRouter | None = None, **settings: Any) -> Iterator[str]:
    """A gateway over `router` (default: a FakeRouter) with these general_settings; yields its URL."""
    settings.setdefault("master_key", MASTER_KEY)
    state = GatewayState(router=router or FakeRouter(), settings=GeneralSettings(**settings))
    with running(GatewayApp(state, version="test")) as url:
        yield url


class ServerProcess:
    """`llmrelay serve --config FILE` in a process group of its own (Granian's parent and worker),
    optionally under `prlimit` (an open-files limit); stopped by SIGTERM to that group."""

    def __init__(self, config_path: str, *, nofile: int | None = None) -> None:
        from llmrelay.testing.gateway import free_port

        self.config_path = config_path
        self.port = free_port()
        self.nofile = nofile
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> ServerProcess:
        code = "import sys; from llmrelay.cli import main; sys.exit(main(sys.argv[1:]))"
        command = [sys.executable, "-c", code, "serve", "--config", self.config_path,
                   "--host", "127.0.0.1", "--port", str(self.port)]  # fmt: skip
        if self.nofile is not None:
            command = ["prlimit", f"--nofile={self.nofile}:{self.nofile}", "--", *command]
        self.proc = subprocess.Popen(
            command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, (
                self.proc.stderr.read().decode()[-3000:] if self.proc.stderr else ""
            )
            try:
                with urllib.request.urlopen(self.base_url + "/health/liveliness", timeout=1) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                pass  # not listening yet
            assert time.monotonic() < deadline, "gateway process did not become ready"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


@contextlib.contextmanager
def serving_process(
    tmp_path: Path, document: dict[str, Any], *, nofile: int | None = None
) -> Iterator[ServerProcess]:
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps(document))  # JSON is YAML
    server = ServerProcess(str(config), nofile=nofile).start()
    try:
        yield server
    finally:
        server.stop()
