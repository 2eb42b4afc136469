from __future__ import annotations

from collections.abc import Iterator

import pytest

from llmrelay.testing import RunningSimulator, SimulatorGroup

_ENV = (
    "WATSONX_APIKEY",
    "WATSONX_API_KEY",
    "WX_API_KEY",
    "WATSONX_TOKEN",
    "WATSONX_ZENAPIKEY",
    "WATSONX_IAM_URL",
    "WATSONX_PROJECT_ID",
    "WX_PROJECT_ID",
    "WATSONX_DEPLOYMENT_SPACE_ID",
    "WATSONX_SPACE_ID",
    "WX_SPACE_ID",
    "WATSONX_API_BASE",
    "WATSONX_URL",
    "WX_URL",
    "WML_URL",
)


@pytest.fixture(autouse=True)
def _no_watsonx_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def watsonx_sim(simulators: SimulatorGroup) -> Iterator[RunningSimulator]:
    sim = simulators.watsonx
    sim.reset()
    yield sim
    sim.reset()
