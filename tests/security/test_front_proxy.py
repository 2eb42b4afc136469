"""Behind a front proxy (hardening issue, docs/security.md "Behind a front proxy"): the client address
that the failed-auth throttle and the per-client request cap count by comes from X-Forwarded-For only
when LiteLLM's `use_x_forwarded_for` is on AND the connection comes from a listed trusted proxy;
anyone else's X-Forwarded-For is ignored, so it cannot be used to dodge either limit."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from llmrelay.config.loader import ConfigError, parse_config
from llmrelay.config.schema import GeneralSettings
from llmrelay.proxy.app import GatewayApp
from llmrelay.proxy.auth_throttle import FailedAuthThrottle
from llmrelay.proxy.client_address import ClientAddresses, peer_host
from llmrelay.proxy.state import GatewayState
from llmrelay.testing.gateway import GatewayThread

MASTER_KEY = "sk-front-proxy-tests-master"


class _Scope:
    def __init__(self, client: str, forwarded: str | None = None) -> None:
        self.client = client
        self.headers = {"x-forwarded-for": forwarded} if forwarded is not None else {}


@pytest.mark.parametrize(
    ("client", "host"),
    [
        ("1.2.3.4:5678", "1.2.3.4"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("::1", "::1"),
        ("10.0.0.1", "10.0.0.1"),
    ],
)
def test_the_peer_host_drops_the_port(client: str, host: str) -> None:
    assert peer_host(client) == host


def test_without_trusted_proxies_the_header_is_never_read() -> None:
    addresses = ClientAddresses()
    assert addresses.of(_Scope("203.0.113.9:1000", "198.51.100.7")) == "203.0.113.9"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        # an untrusted peer's header is its own writing: ignored
        ("203.0.113.9:1000", "198.51.100.7", "203.0.113.9"),
        # the trusted proxy says who connected to it
        ("10.0.0.2:1000", "198.51.100.7", "198.51.100.7"),
        # a client's own forged entries sit left of the one the proxy added: never reached
        ("10.0.0.2:1000", "1.1.1.1, 198.51.100.7", "198.51.100.7"),
        # a chain of trusted proxies is walked through
        ("10.0.0.2:1000", "198.51.100.7, 10.0.0.3, 10.0.0.4", "198.51.100.7"),
        # garbage ends the walk at the last address the trusted hops vouched for
        ("10.0.0.2:1000", "198.51.100.7, not-an-ip, 10.0.0.3", "10.0.0.3"),
        # nothing forwarded: the proxy itself
        ("10.0.0.2:1000", "", "10.0.0.2"),
        ("[fd00::2]:1000", "2001:db8::7", "2001:db8::7"),
    ],
)
def test_a_trusted_proxy_names_the_client(peer: str, forwarded: str, client: str) -> None:
    addresses = ClientAddresses(["10.0.0.0/8", "fd00::/8"])
    assert addresses.of(_Scope(peer, forwarded)) == client  # type: ignore[arg-type]


def test_use_x_forwarded_for_needs_the_trusted_proxies() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config({"general_settings": {"use_x_forwarded_for": True}}, source="c.yaml")
    assert "general_settings" in str(refused.value) and "trusted_proxies" in str(refused.value)
    with pytest.raises(ConfigError) as bad:
        parse_config(
            {"general_settings": {"use_x_forwarded_for": True, "trusted_proxies": ["10.0.0.0/33"]}},
            source="c.yaml",
        )
    assert "10.0.0.0/33" in str(bad.value)
    ok = parse_config(
        {"general_settings": {"use_x_forwarded_for": True, "trusted_proxies": ["127.0.0.1"]}}, source="c.yaml"
    )
    assert ok.general.forwarding_proxies() == ["127.0.0.1"]
    # trusted proxies alone do not turn the header on (LiteLLM's switch does)
    alone = parse_config({"general_settings": {"trusted_proxies": ["127.0.0.1"]}}, source="c.yaml")
    assert alone.general.forwarding_proxies() == []


class _ModelsOnly:
    def model_names(self) -> list[str]:
        return ["m"]

    def alias_target(self, model: str) -> str | None:
        return None

    async def route(self, call: object) -> object:
        raise AssertionError("no call is routed here")

    async def aclose(self) -> None:
        return None


async def _status(base_url: str, key: str, forwarded: str) -> int:
    headers = {"authorization": f"Bearer {key}", "x-forwarded-for": forwarded}
    async with aiohttp.ClientSession(base_url) as http, http.get("/v1/models", headers=headers) as reply:
        return reply.status


@pytest.mark.parametrize("trusted", [True, False])
async def test_the_throttle_counts_the_forwarded_client_only_from_a_trusted_proxy(trusted: bool) -> None:
    # the test talks to the gateway from 127.0.0.1: as a trusted proxy, or as an untrusted client
    settings: dict[str, Any] = {"master_key": MASTER_KEY}
    if trusted:
        settings |= {"use_x_forwarded_for": True, "trusted_proxies": ["127.0.0.0/8"]}
    state = GatewayState(
        router=_ModelsOnly(),
        settings=GeneralSettings(**settings),
        auth_throttle=FailedAuthThrottle(limit=2, window=60, max_addresses=100),
    )
    gw = GatewayThread(GatewayApp(state)).start()
    try:
        assert [await _status(gw.base_url, "sk-bad", "198.51.100.1") for _ in range(3)] == [401, 401, 429]
        # another client behind the same proxy: its own count when the proxy is trusted; when it is
        # not, a forged header changes nothing and the peer stays throttled
        expected = 401 if trusted else 429
        assert await _status(gw.base_url, "sk-bad", "198.51.100.2") == expected
    finally:
        gw.stop()
