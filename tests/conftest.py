"""Shared fixtures: provider simulators for any test folder.

One server thread (started once per session) serves the OpenAI, Anthropic, Gemini, Bedrock, Cohere,
Replicate and Vertex AI simulators; each fixture resets its simulator before and after the test, so
faults and records never leak.
Running on their own thread, they serve sync SDK calls and async tests alike.
Need a second, independent upstream (e.g. two deployments to balance over)? Use `start_sim`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from llmrelay.testing import RunningSimulator, SimulatorGroup, SimulatorThread

# A gateway with a master key and no database_url keeps virtual keys in an embedded store under the
# user's data directory. The suite's master-key gateways test the master-key-only gateway, and no test
# writes to the home directory: the documented opt-out, for every gateway the tests start (in-process
# or as a subprocess). Tests of the embedded store turn it back on with a data directory of their own.
os.environ["LLMRELAY_EMBEDDED_DATABASE"] = "false"

# SQLite + PostgreSQL fixtures (database_url, db, storage) for the folders that test storage
pytest_plugins = ["database_fixtures"]


@pytest.fixture(scope="session")
def simulators() -> Iterator[SimulatorGroup]:
    with SimulatorThread() as group:
        yield group


def _fresh(sim: RunningSimulator) -> Iterator[RunningSimulator]:
    sim.reset()
    yield sim
    sim.reset()


@pytest.fixture
def openai_sim(simulators: SimulatorGroup) -> Iterator[RunningSimulator]:
    yield from _fresh(simulators.openai)


@pytest.fixture
def anthropic_sim(simulators: SimulatorGroup) -> Iterator[RunningSimulator]:
    yield from _fresh(simulators.anthropic)


@pytest.fixture
def gemini_sim(simulators: SimulatorGroup) -> Iterator[RunningSimulator]:
    yield from _fresh(simulators.gemini)


@pytest.fixture
def bedrock_sim(simulators: SimulatorGroup) -> Iterator[RunningSimulator]:
    yield from _fresh(simulators.bedrock)


@pytest.fixture
def cohere_sim(simulators: SimulatorGroup) -> Iterator[RunningSimulator]:
    yield from _fresh(simulators.cohere)


@pytest.fixture
def replicate_sim(simulators: SimulatorGroup) -> Iterator[RunningSimulator]:
    yield from _fresh(simulators.replicate)


@pytest.fixture
def vertex_sim(simulators: SimulatorGroup) -> Iterator[RunningSimulator]:
    yield from _fresh(simulators.vertex)


@pytest.fixture
def ollama_sim(simulators: SimulatorGroup) -> Iterator[RunningSimulator]:
    yield from _fresh(simulators.ollama)


@pytest.fixture
def sagemaker_sim(simulators: SimulatorGroup) -> Iterator[RunningSimulator]:
    yield from _fresh(simulators.sagemaker)


@pytest.fixture
def start_sim() -> Iterator[Callable[..., RunningSimulator]]:
    """Start extra simulators on their own ports for this test: `start_sim("openai", chunks=3)`."""
    threads: list[SimulatorThread] = []

    def start(kind: str, **settings: object) -> RunningSimulator:
        thread = SimulatorThread((kind,), **settings)
        threads.append(thread)
        return thread.start()[kind]

    yield start
    for thread in threads:
        thread.stop()
