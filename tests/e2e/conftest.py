"""Fixtures for end-to-end SDK tests: a fresh llmrelay Client per test, closed afterwards, and the
simulator of each provider with the model the tests call it with."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from e2e_helpers import MODELS, Target

import llmrelay
from llmrelay.testing import SimulatorGroup


@pytest.fixture
async def client() -> AsyncIterator[llmrelay.Client]:
    c = llmrelay.Client()
    yield c
    await c.aclose()


@pytest.fixture(params=list(MODELS))
def target(request: pytest.FixtureRequest, simulators: SimulatorGroup) -> Target:
    """Each provider in turn (the test runs three times), its simulator reset."""
    sim = simulators[request.param]
    sim.reset()
    request.addfinalizer(sim.reset)
    return Target(request.param, MODELS[request.param], sim)


@pytest.fixture(scope="session", autouse=True)
def _close_default_client() -> Iterator[None]:
    """The module-level functions' client holds pools on its loop thread: close them at the end."""
    yield
    from llmrelay.client import default_client

    default_client().close()
