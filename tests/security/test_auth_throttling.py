"""Throttling of failed authentication per client address (hardening issue): past the limit, a
client's further 401s become 429 with retry-after until its window ends; a good key is never
throttled; the table of addresses stays bounded whatever the spray. No sleeps: the clock is injected."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import pytest

from llmrelay.config.loader import ConfigError, parse_config
from llmrelay.config.schema import GeneralSettings
from llmrelay.proxy.app import GatewayApp
from llmrelay.proxy.auth_throttle import FailedAuthThrottle, client_address
from llmrelay.proxy.state import GatewayState
from llmrelay.testing.gateway import GatewayThread
from llmrelay.types.errors import RateLimitError

MASTER_KEY = "sk-throttle-tests-master"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class ModelsOnly:
    """Just enough of a router for GET /v1/models."""

    def model_names(self) -> list[str]:
        return ["m"]

    def alias_target(self, model: str) -> str | None:
        return None

    async def route(self, call: object) -> object:
        raise AssertionError("no call is routed here")

    async def aclose(self) -> None:
        return None


async def _models(base_url: str, key: str | None) -> tuple[int, Any, str | None]:
    headers = {"authorization": f"Bearer {key}"} if key is not None else {}
    async with aiohttp.ClientSession(base_url) as http, http.get("/v1/models", headers=headers) as reply:
        return reply.status, await reply.json(), reply.headers.get("retry-after")


async def test_failures_past_the_limit_are_429_and_good_keys_pass() -> None:
    clock = FakeClock()
    throttle = FailedAuthThrottle(limit=3, window=60, max_addresses=100, clock=clock)
    settings = GeneralSettings(master_key=MASTER_KEY)
    state = GatewayState(router=ModelsOnly(), settings=settings, auth_throttle=throttle)
    gw = GatewayThread(GatewayApp(state)).start()
    try:
        for key in ("sk-wrong-1", None, "sk-wrong-2"):
            status, body, _ = await _models(gw.base_url, key)
            assert status == 401, body
        for _ in range(5):
            # a good key is neither refused nor counted, however throttled its address is
            assert (await _models(gw.base_url, MASTER_KEY))[0] == 200
            status, body, retry_after = await _models(gw.base_url, "sk-wrong-3")
            assert status == 429 and body["error"]["code"] == "auth_throttled", body
            assert retry_after == "60"
        clock.now += 59.5
        assert (await _models(gw.base_url, "sk-wrong-4"))[2] == "1"
        clock.now += 0.5  # the window is over: the next failure is a plain 401 again
        assert (await _models(gw.base_url, "sk-wrong-5"))[0] == 401
    finally:
        gw.stop()


def test_an_address_going_over_is_logged_once_per_window(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    throttle = FailedAuthThrottle(limit=2, window=60, clock=clock)
    with caplog.at_level(logging.WARNING, logger="llmrelay.proxy"):
        for _ in range(2):
            throttle.failed("192.0.2.1:1")
        for _ in range(10):
            with pytest.raises(RateLimitError):
                throttle.failed("192.0.2.1:1")
    assert [r.getMessage() for r in caplog.records] == [
        "throttling failed authentication from 192.0.2.1: over 2 in 60s"
    ]


def test_the_table_of_addresses_is_bounded() -> None:
    clock = FakeClock()
    throttle = FailedAuthThrottle(limit=1, window=60, max_addresses=100, clock=clock)
    for i in range(10_000):
        throttle.failed(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}:4000")
        assert len(throttle) <= 100
    # the most recent addresses are remembered, the oldest forgotten
    with pytest.raises(RateLimitError):
        throttle.failed("10.0.39.15:4001")  # address 9999, seen last
    throttle.failed("10.0.0.0:4001")  # address 0: forgotten, a first failure again


def test_addresses_ipv4_by_host_ipv6_by_64() -> None:
    assert client_address("192.0.2.7:51234") == "192.0.2.7"
    assert client_address("[2001:db8:1:2::1]:443") == client_address("[2001:db8:1:2:ffff::9]:80")
    assert client_address("[2001:db8:1:2::1]:443") != client_address("[2001:db8:1:3::1]:443")
    throttle = FailedAuthThrottle(limit=1, clock=FakeClock())
    throttle.failed("[2001:db8::1]:1000")
    with pytest.raises(RateLimitError):
        throttle.failed("[2001:db8::abcd]:2000")  # the same /64


def test_settings() -> None:
    state = GatewayState(router=ModelsOnly())
    assert state.auth_throttle is not None
    assert (state.auth_throttle.limit, state.auth_throttle.window, state.auth_throttle.max_addresses) == (
        20, 60.0, 10_000,
    )  # fmt: skip
    config = parse_config(
        {"general_settings": {"auth_failures_per_window": 0}, "model_list": []}, source="<test>"
    )
    assert GatewayState(router=ModelsOnly(), settings=config.general).auth_throttle is None
    for bad in ({"auth_failures_per_window": -1}, {"auth_failure_window_seconds": 0},
                {"auth_failure_max_addresses": 0}):  # fmt: skip
        with pytest.raises(ConfigError):
            parse_config({"general_settings": bad, "model_list": []}, source="<test>")
