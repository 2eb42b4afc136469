from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from router_upstream import Upstream, start_upstream


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    server = await start_upstream()
    try:
        yield server
    finally:
        await server.server.close()


class FakeClock:
    """Injectable time: tests move it forward instead of sleeping."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
