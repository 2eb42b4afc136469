"""Requests without a credential, per client address (issue 16, network policy:
`general_settings.unauthenticated_requests_per_minute`): the public routes and the paths that match
no route are counted per address — behind a trusted proxy, per forwarded client — and answered 429
with retry-after past the limit; the probes and authenticated routes never are."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from llmrelay.config.loader import ConfigError, parse_config
from llmrelay.config.schema import GeneralSettings
from llmrelay.proxy.app import GatewayApp
from llmrelay.proxy.public_throttle import PublicThrottle
from llmrelay.proxy.state import GatewayState
from llmrelay.testing.gateway import GatewayThread
from llmrelay.types.errors import RateLimitError

MASTER_KEY = "sk-public-throttle-tests-master"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_holds_per_address_and_minute() -> None:
    clock = Clock()
    throttle = PublicThrottle(2, clock=clock)
    throttle.hit("198.51.100.1", "/ui")
    throttle.hit("198.51.100.1", "/nope")
    with pytest.raises(RateLimitError) as refused:
        throttle.hit("198.51.100.1", "/docs")
    assert refused.value.status_code == 429 and refused.value.retry_after == 60
    assert refused.value.code == "too_many_unauthenticated_requests"
    throttle.hit("198.51.100.2", "/ui")  # another address counts on its own
    for _ in range(10):
        throttle.hit("198.51.100.1", "/health/readiness")  # the probes are never counted
    clock.now += 59.5
    with pytest.raises(RateLimitError) as later:
        throttle.hit("198.51.100.1", "/ui")
    assert later.value.retry_after == 1
    clock.now += 0.5  # the minute is over: a new one starts
    throttle.hit("198.51.100.1", "/ui")


def test_ipv6_is_counted_per_64_and_the_table_is_bounded() -> None:
    throttle = PublicThrottle(1, max_addresses=3, clock=Clock())
    throttle.hit("2001:db8:0:1::1", "/ui")
    with pytest.raises(RateLimitError):
        throttle.hit("2001:db8:0:1::ffff", "/ui")  # the same /64
    for host in range(10):
        throttle.hit(f"203.0.113.{host}", "/ui")
    assert len(throttle) == 3


def test_the_setting_is_checked() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config({"general_settings": {"unauthenticated_requests_per_minute": -1}}, source="c.yaml")
    assert "unauthenticated_requests_per_minute" in str(refused.value)
    ok = parse_config({"general_settings": {"unauthenticated_requests_per_minute": 30}}, source="c.yaml")
    assert ok.general.unauthenticated_requests_per_minute == 30


class _ModelsOnly:
    def model_names(self) -> list[str]:
        return ["m"]

    def alias_target(self, model: str) -> str | None:
        return None

    def health(self) -> list[Any]:
        return []

    async def route(self, call: object) -> object:
        raise AssertionError("no call is routed here")

    async def aclose(self) -> None:
        return None


async def _get(base_url: str, path: str, *, forwarded: str | None = None, key: str | None = None) -> int:
    headers = {}
    if forwarded is not None:
        headers["x-forwarded-for"] = forwarded
    if key is not None:
        headers["authorization"] = f"Bearer {key}"
    async with (
        aiohttp.ClientSession(base_url) as http,
        http.get(path, headers=headers, allow_redirects=False) as reply,
    ):
        if reply.status == 429:
            assert int(reply.headers["retry-after"]) >= 1
            assert (await reply.json())["error"]["code"] == "too_many_unauthenticated_requests"
        return reply.status


async def test_the_gateway_counts_requests_without_a_credential() -> None:
    # the test talks from 127.0.0.1, a trusted proxy: each forwarded client has its own count
    settings = GeneralSettings(
        master_key=MASTER_KEY,
        unauthenticated_requests_per_minute=3,
        use_x_forwarded_for=True,
        trusted_proxies=["127.0.0.0/8"],
    )
    gw = GatewayThread(GatewayApp(GatewayState(router=_ModelsOnly(), settings=settings))).start()
    try:
        base, one, two = gw.base_url, "198.51.100.1", "198.51.100.2"
        # a public route, a path no route takes, a trailing-slash redirect: three of three
        assert await _get(base, "/openapi.json", forwarded=one) == 200
        assert await _get(base, "/wp-login.php", forwarded=one) == 404
        assert await _get(base, "/v1/models/", forwarded=one) == 308
        assert await _get(base, "/openapi.json", forwarded=one) == 429
        assert await _get(base, "/nothing-here", forwarded=one) == 429
        # the probes and a request with a good key still pass; another client has its own count
        assert await _get(base, "/health/liveliness", forwarded=one) == 200
        assert await _get(base, "/v1/models", forwarded=one, key=MASTER_KEY) == 200
        assert await _get(base, "/openapi.json", forwarded=two) == 200
    finally:
        gw.stop()


async def test_off_by_default() -> None:
    settings = GeneralSettings(master_key=MASTER_KEY)
    assert settings.unauthenticated_requests_per_minute == 0
    gw = GatewayThread(GatewayApp(GatewayState(router=_ModelsOnly(), settings=settings))).start()
    try:
        assert {await _get(gw.base_url, "/nothing-here") for _ in range(50)} == {404}
    finally:
        gw.stop()
