"""The demo gateway (`llmrelay serve --demo`: OpenAI, Anthropic and Gemini models on the simulators)
in-process, for tests that drive it with real client libraries, as a user's first run does."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import yaml

from llmrelay.cli.demo import DEMO_CONFIG, DEMO_MASTER_KEY, demo_environment
from llmrelay.config import parse_config
from llmrelay.testing import SimulatorGroup, simulators_in_thread
from llmrelay.testing.gateway import serving

MASTER_KEY = DEMO_MASTER_KEY


@pytest.fixture(scope="package")
def sims() -> Iterator[SimulatorGroup]:
    with simulators_in_thread() as group:
        yield group


@pytest.fixture(scope="package")
def gateway_url(sims: SimulatorGroup) -> Iterator[str]:
    env = demo_environment(sims.openai.api_base, sims.anthropic.api_base, sims.gemini.api_base,
                           sims.openai.api_key)  # fmt: skip
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        config = parse_config(yaml.safe_load(DEMO_CONFIG.read_text()), source=str(DEMO_CONFIG))
        with serving(config) as url:
            yield url
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def fresh(sims: SimulatorGroup) -> Iterator[SimulatorGroup]:
    """The simulators with their records and faults cleared before and after the test."""
    sims.reset()
    yield sims
    sims.reset()
