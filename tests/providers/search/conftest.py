from __future__ import annotations

from collections.abc import Iterator

import pytest

from llmrelay.testing import RunningSimulator, SimulatorGroup

_ENV = ("VOYAGE_API_KEY", "VOYAGE_AI_API_KEY", "VOYAGE_AI_TOKEN", "VOYAGE_API_BASE", "JINA_AI_API_KEY",
        "JINA_AI_TOKEN", "JINA_AI_API_BASE")  # fmt: skip


@pytest.fixture(autouse=True)
def _no_provider_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def voyage_sim(simulators: SimulatorGroup) -> Iterator[RunningSimulator]:
    simulators.voyage.reset()
    yield simulators.voyage
    simulators.voyage.reset()


@pytest.fixture
def jina_sim(simulators: SimulatorGroup) -> Iterator[RunningSimulator]:
    simulators.jina.reset()
    yield simulators.jina
    simulators.jina.reset()
