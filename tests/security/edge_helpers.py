"""Helpers of the edge tests (connections, paths, bodies, metrics): a GatewayApp over the fake router
of tests/proxy, served on Granian's embedded server."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent.parent / "proxy"))

from fake_router import FakeRouter
from harness import MASTER_KEY, running

from llmrelay.config.schema import GeneralSettings
from llmrelay.proxy.app import GatewayApp
from llmrelay.proxy.state import GatewayState

__all__ = ["MASTER_KEY", "FakeRouter", "serving_fake"]


@contextlib.contextmanager
def serving_fake(router: FakeRouter | None = None, **settings: Any) -> Iterator[str]:
    """A gateway over `router` (default: a FakeRouter) with these general_settings; yields its URL."""
    settings.setdefault("master_key", MASTER_KEY)
    state = GatewayState(router=router or FakeRouter(), settings=GeneralSettings(**settings))
    with running(GatewayApp(state, version="test")) as url:
        yield url
