from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_router import FakeRouter
from harness import MASTER_KEY, running

from llmrelay.config.schema import GeneralSettings
from llmrelay.proxy.app import GatewayApp
from llmrelay.proxy.state import GatewayState


@pytest.fixture
def serve_fake() -> Iterator[Callable[..., tuple[str, FakeRouter]]]:
    """serve_fake(router=None, **general_settings) → (base_url, router); servers stop at teardown."""
    stack: list[Any] = []

    def start(router: FakeRouter | None = None, **settings: Any) -> tuple[str, FakeRouter]:
        router = router or FakeRouter()
        settings.setdefault("master_key", MASTER_KEY)
        state = GatewayState(router=router, settings=GeneralSettings(**settings))
        ctx = running(GatewayApp(state, version="test"))
        url = ctx.__enter__()
        stack.append(ctx)
        return url, router

    yield start
    for ctx in reversed(stack):
        ctx.__exit__(None, None, None)
