"""A whole gateway in-process for tests: `build_app(config)` served by Granian's embedded server on
a thread and event loop of its own, with its services (virtual keys, health checks) started on that
loop before it answers — the same objects a worker process builds.

    gw = GatewayThread(parse_config(document, source="test")).start()
    ...  # HTTP calls to gw.base_url; gw.run(coro) runs a coroutine on the gateway's loop
    gw.stop()

    with serving(parse_config(document, source="test")) as base_url:   # the same, as a block
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from llmrelay.config.loader import GatewayConfig
from llmrelay.testing.ports import free_port

__all__ = ["GatewayThread", "free_port", "serving"]


class GatewayThread:
    def __init__(self, config: GatewayConfig | Any, *, name: str = "gateway-under-test") -> None:
        """`config`: a loaded config, or an app already built from one (build_app's result)."""
        from granian.constants import Interfaces
        from granian.server.embed import Server

        from llmrelay.proxy.server import build_app

        self.loop = asyncio.new_event_loop()
        self.app = build_app(config) if isinstance(config, GatewayConfig) else config
        self.port = free_port()
        self.server = Server(
            self.app, address="127.0.0.1", port=self.port, interface=Interfaces.RSGI, log_enabled=False
        )
        self.failures: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.app.astart())
            self.loop.run_until_complete(self.server.serve())
        except BaseException as exc:  # noqa: BLE001 - re-raised by start() and stop() on the test thread
            self.failures.append(exc)
        finally:
            self.loop.run_until_complete(self.app.aclose())
            self.loop.close()

    def start(self, timeout: float = 20) -> GatewayThread:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while True:
            if self.failures:
                raise RuntimeError("the gateway failed to start") from self.failures[0]
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError("the gateway did not start listening") from None
                time.sleep(0.01)

    def stop(self, timeout: float = 20) -> None:
        self.loop.call_soon_threadsafe(self.server.stop)
        self.thread.join(timeout)
        if self.failures:
            raise RuntimeError("the gateway failed while serving") from self.failures[0]

    def run(self, coro: Any, timeout: float = 10) -> Any:
        """Run a coroutine on the gateway's loop (to reach its state or storage)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def storage(self) -> Any:
        """The virtual-key runtime's Storage (a gateway with a database_url)."""
        from llmrelay.gate.runtime import KeysRuntime

        runtime = next(s for s in self.app.state.services if isinstance(s, KeysRuntime))
        return runtime.storage


@contextlib.contextmanager
def serving(config: GatewayConfig | Any) -> Iterator[str]:
    """A GatewayThread for the block; yields its base URL."""
    gateway = GatewayThread(config).start()
    try:
        yield gateway.base_url
    finally:
        gateway.stop()
