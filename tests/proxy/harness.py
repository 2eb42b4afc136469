"""Run a GatewayApp on Granian's embedded server in a background thread, for tests."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from llmrelay.testing.ports import free_port

# the master key of the gateways these tests start
MASTER_KEY = "sk-master-test"


@contextlib.contextmanager
def running(app: Any) -> Iterator[str]:
    """Serve `app` (an RSGI app) on 127.0.0.1; yields the base URL; stops the server after."""
    from granian.constants import Interfaces
    from granian.server.embed import Server

    port = free_port()
    loop = asyncio.new_event_loop()
    server = Server(app, address="127.0.0.1", port=port, interface=Interfaces.RSGI, log_enabled=False)
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.serve())
            if hasattr(app, "aclose"):
                loop.run_until_complete(app.aclose())
        except BaseException as exc:
            failure.append(exc)
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="gateway-under-test", daemon=True)
    thread.start()
    _wait_listening(port, thread, failure)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(server.stop)
        thread.join(10)


def _wait_listening(port: int, thread: threading.Thread, failure: list[BaseException]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if failure:
            raise RuntimeError("gateway failed to start") from failure[0]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"gateway did not listen on {port}")
