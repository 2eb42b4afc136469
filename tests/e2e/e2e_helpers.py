"""Helpers for the e2e tests: the expected cost from the catalog, collecting a stream, serving a gateway."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import llmrelay
from llmrelay.testing import RunningSimulator
from llmrelay.types.response import Usage


def expected_cost_micros(client: llmrelay.Client, model: str, usage: Usage) -> int:
    """Catalog price times usage for a call without cached or reasoning tokens, rounded half up."""
    provider, _, name = model.partition("/")
    info = client.catalog.get(name, provider)
    assert info is not None and info.input and info.output is not None, f"{model} has no price"
    picos = usage.prompt_tokens * info.input + usage.completion_tokens * info.output
    return (picos + 500_000) // 1_000_000


async def collect(stream: Any) -> list[Any]:
    return [chunk async for chunk in stream]


@dataclass(frozen=True)
class Target:
    """One provider as the e2e tests call it."""

    provider: str
    model: str  # provider/model, priced in the catalog
    sim: RunningSimulator

    def kwargs(self) -> dict[str, str]:
        return self.sim.sdk_kwargs()


MODELS = {
    "openai": "openai/gpt-4o-mini",
    "anthropic": "anthropic/claude-haiku-4-5",
    "gemini": "gemini/gemini-2.5-flash",
    "cohere": "cohere/command-r-08-2024",
    "bedrock": "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",
}


@contextlib.contextmanager
def serve_gateway(app: Any) -> Iterator[str]:
    """A gateway app (what `llmrelay serve` runs) on Granian's embedded server, on a thread of its
    own; yields its base URL."""
    from granian.constants import Interfaces
    from granian.server.embed import Server

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    loop = asyncio.new_event_loop()
    server = Server(app, address="127.0.0.1", port=port, interface=Interfaces.RSGI, log_enabled=False)

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.serve())
            loop.run_until_complete(app.aclose())
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="e2e-gateway", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the gateway did not start") from None
            time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(server.stop)
        thread.join(10)
