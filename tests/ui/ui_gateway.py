"""A whole gateway (build_app from a config: virtual keys on SQLite, the admin API, the dashboard)
served by an embedded Granian on its own thread, for the dashboard tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path
from typing import Any

MASTER_KEY = "sk-ui-test-master-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ui_document(directory: Path, **general: Any) -> dict[str, Any]:
    """Two model groups (never called here) and virtual keys in a fresh SQLite file."""
    models = [
        {"model_name": name, "litellm_params": {"model": f"openai/{name}", "api_base": "http://127.0.0.1:9/v1",
                                                 "api_key": "sk-upstream-secret"}}
        for name in ("gpt-4o-mini", "gpt-4o")
    ]  # fmt: skip
    settings = {
        "master_key": MASTER_KEY,
        "database_url": f"sqlite+aiosqlite:///{directory / 'ui.db'}",
        "spend_spool_dir": str(directory / "spool"),
        **general,
    }
    return {"model_list": models, "general_settings": settings}


class UiGateway:
    def __init__(self, document: dict[str, Any]) -> None:
        from granian.constants import Interfaces
        from granian.server.embed import Server

        from llmrelay.config.loader import parse_config
        from llmrelay.proxy.server import build_app

        self.loop = asyncio.new_event_loop()
        self.app = build_app(parse_config(document, source="<test>"))
        self.port = free_port()
        self.server = Server(
            self.app, address="127.0.0.1", port=self.port, interface=Interfaces.RSGI, log_enabled=False
        )
        self.failures: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, name="ui-gateway", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.app.astart())
            self.loop.run_until_complete(self.server.serve())
        except BaseException as exc:
            self.failures.append(exc)
        finally:
            self.loop.run_until_complete(self.app.aclose())
            self.loop.close()

    def start(self) -> UiGateway:
        self.thread.start()
        deadline = time.monotonic() + 20
        while True:
            assert not self.failures, self.failures
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                assert time.monotonic() < deadline, "gateway did not start"
                time.sleep(0.01)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.stop)
        self.thread.join(20)
        assert not self.failures, self.failures

    def run(self, coro: Any, timeout: float = 10) -> Any:
        """Run a coroutine on the gateway's loop (to reach its storage)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def storage(self) -> Any:
        from llmrelay.proxy.keys_setup import KeysRuntime

        runtime = next(s for s in self.app.state.services if isinstance(s, KeysRuntime))
        return runtime.storage
