"""One upstream 401 used to cool a deployment until the process restarted (`cooling_until: null`).
Refused credentials now cool it for router_settings.auth_cooldown_time seconds (default 300); the
first call after that probes it again, and /health says until when and why."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from llmrelay.config.loader import parse_config
from llmrelay.router import Router
from llmrelay.testing import RunningSimulator
from llmrelay.types.errors import AuthenticationError, ServiceUnavailableError

MESSAGES = [{"role": "user", "content": "hi"}]
START = 1_800_000_000.0  # a wall-clock time, so /health can give it as a UTC date


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def router(openai_sim: RunningSimulator, clock: Clock) -> Iterator[Router]:
    params = {"model": "openai/gpt-4o-mini", **openai_sim.sdk_kwargs()}
    router = Router(
        [{"model_name": "gpt", "litellm_params": params, "model_info": {"id": "a"}}],
        auth_cooldown_time=120,
        clock=clock,
    )
    yield router
    router.close()


async def test_a_refused_key_cools_the_deployment_for_a_bounded_time_then_it_is_probed(
    router: Router, openai_sim: RunningSimulator, clock: Clock
) -> None:
    openai_sim.faults.fail_next(1, 401)
    with pytest.raises(AuthenticationError):
        await router.acompletion("gpt", MESSAGES)
    health = router.health()[0]
    assert health["state"] == "cooling"
    assert health["cooling_until"] == START + 120
    assert health["cooling_until_utc"] == "2027-01-15T08:02:00+00:00"
    assert health["cooling_reason"] == "auth" and "probes it again" in health["cooling_why"]
    assert "AuthenticationError" in health["last_error"]

    clock.now += 119
    with pytest.raises(ServiceUnavailableError, match="auth") as cooling:
        await router.acompletion("gpt", MESSAGES)
    assert cooling.value.retry_after == pytest.approx(1)  # time does fix it now
    assert len(openai_sim.requests) == 1

    clock.now += 1  # the cooldown is over: the next call probes the deployment, which answers again
    await router.acompletion("gpt", MESSAGES)
    assert len(openai_sim.requests) == 2
    health = router.health()[0]
    assert (health["state"], health["cooling_until"], health["last_error"]) == ("healthy", None, None)


async def test_a_probe_that_is_refused_again_cools_it_again(
    router: Router, openai_sim: RunningSimulator, clock: Clock
) -> None:
    openai_sim.faults.fail_next(2, 401)
    with pytest.raises(AuthenticationError):
        await router.acompletion("gpt", MESSAGES)
    clock.now += 120
    with pytest.raises(AuthenticationError):
        await router.acompletion("gpt", MESSAGES)
    assert router.health()[0]["cooling_until"] == START + 240


def test_the_bound_is_configurable_and_has_a_default() -> None:
    document = {"model_list": [], "router_settings": {"auth_cooldown_time": 45}}
    assert parse_config(document, source="test").router_kwargs()["auth_cooldown_time"] == 45
    router = Router([])
    try:
        assert router._runner.cooldowns.auth_cooldown_time == 300
    finally:
        router.close()
