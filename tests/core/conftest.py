from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sdk_upstream import Upstream, running_upstream

from llmrelay.client import Client
from llmrelay.core.retry import RetryPolicy


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    async for u in running_upstream():
        yield u


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    # retries without real waiting: the backoff math is tested on its own
    c = Client(retry_policy=RetryPolicy(base=0.0, cap=0.0))
    yield c
    await c.aclose()
    c.close()
