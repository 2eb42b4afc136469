"""Network policy (issue 16, docs/security.md "Network policy"): `allowed_ips` (addresses and CIDR
networks, IPv4 and IPv6) on the client address — the TCP peer, or behind a trusted proxy the
right-most untrusted X-Forwarded-For entry, so a spoofed header from anyone else changes nothing —
and LiteLLM's route rules (`admin_only_routes`, `allowed_routes`, route groups), with their
OpenAI-style 403s. The rules on virtual keys and roles: tests/keys/test_key_allowed_routes.py."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from llmrelay.calls.key_principal import KeyPrincipal
from llmrelay.calls.principal import MASTER, Principal
from llmrelay.config.loader import ConfigError, parse_config
from llmrelay.config.route_rules import ROUTE_GROUPS, RouteRules
from llmrelay.config.schema import GeneralSettings
from llmrelay.proxy.app import GatewayApp
from llmrelay.proxy.network_policy import NetworkPolicy
from llmrelay.proxy.state import GatewayState
from llmrelay.testing.gateway import GatewayThread
from llmrelay.types.errors import PermissionDeniedError

MASTER_KEY = "sk-network-policy-tests-master"


@pytest.mark.parametrize(
    ("entries", "path", "matches"),
    [
        (["/chat/completions"], "/chat/completions", True),
        # the /v1 spelling is the same route: a rule on one holds the other
        (["/chat/completions"], "/v1/chat/completions", True),
        (["/v1/embeddings"], "/embeddings", True),
        (["/chat/completions"], "/chat/completions/x", False),
        (["/key/*"], "/key/generate", True),
        (["/key/*"], "/keys", False),
        (["/team/{team_id}"], "/team/abc", True),
        (["/team/{team_id}"], "/team/abc/def", False),
        (["llm_api_routes"], "/v1/chat/completions", True),
        (["llm_api_routes"], "/v1/messages", True),
        (["llm_api_routes"], "/models/gpt-4o", True),
        (["llm_api_routes"], "/key/generate", False),
        # stored Responses are OpenAI routes: a key limited to them reads its responses
        (["openai_routes"], "/v1/responses/resp_1", True),
        (["openai_routes"], "/responses/resp_1/input_items", True),
        (["openai_routes"], "/v1/responses/resp_1/other", False),
        (["info_routes"], "/key/info", True),
        (["info_routes"], "/key/generate", False),
        (["management_routes"], "/team/new", True),
        (["management_routes"], "/organization/new", True),
        (["management_routes"], "/organization/chat", False),
        ([], "/chat/completions", False),
    ],
)
def test_route_entries(entries: list[str], path: str, matches: bool) -> None:
    assert RouteRules(entries).matches(path) is matches


def test_entries_that_are_neither_paths_nor_groups_are_refused_at_startup() -> None:
    for setting in ("allowed_routes", "admin_only_routes"):
        with pytest.raises(ConfigError) as refused:
            parse_config({"general_settings": {setting: ["llm_routes"]}}, source="c.yaml")
        assert "general_settings" in str(refused.value) and "'llm_routes'" in str(refused.value)
    with pytest.raises(ConfigError) as role:
        parse_config(
            {"general_settings": {"role_allowed_routes": {"proxy_admin": ["info_routes"]}}}, source="c.yaml"
        )
    assert "proxy_admin" in str(role.value)
    assert set(ROUTE_GROUPS) >= {"llm_api_routes", "info_routes", "management_routes", "openai_routes"}


def test_allowed_ips_are_checked_when_the_config_loads() -> None:
    with pytest.raises(ConfigError) as bad:
        parse_config({"general_settings": {"allowed_ips": ["10.0.0.0/33"]}}, source="c.yaml")
    assert "10.0.0.0/33" in str(bad.value)
    with pytest.raises(ConfigError) as empty:
        parse_config({"general_settings": {"allowed_ips": []}}, source="c.yaml")
    assert "refuse every client" in str(empty.value)
    config = parse_config(
        {"general_settings": {"allowed_ips": ["10.1.2.3", "2001:db8::/32"], "admin_only_routes": ["/key/*"]}},
        source="c.yaml",
    )
    # implemented now: no longer refused as unsupported, no warning
    assert config.general.allowed_ips == ["10.1.2.3", "2001:db8::/32"]
    assert not [w for w in config.warnings if "allowed_ips" in w or "admin_only_routes" in w]


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("10.1.2.3", True),
        ("10.1.2.4", False),
        ("192.168.7.9", True),
        ("2001:db8::1", True),
        ("[2001:db8::1]", True),  # a peer key as the in-flight table keeps it
        ("2001:db9::1", False),
        ("not-an-address", False),
    ],
)
def test_allowed_ips_v4_v6_and_networks(host: str, allowed: bool) -> None:
    policy = NetworkPolicy(allowed_ips=["10.1.2.3", "192.168.0.0/16", "2001:db8::/32"])
    if allowed:
        policy.check_address(host, "/v1/models")
    else:
        with pytest.raises(PermissionDeniedError) as refused:
            policy.check_address(host, "/v1/models")
        assert refused.value.code == "ip_not_allowed"
    # the probes answer an orchestrator whatever its address
    policy.check_address("10.1.2.4", "/health/liveliness")


def _virtual(routes: tuple[str, ...] = (), role: str | None = "internal_user") -> Principal:
    key = KeyPrincipal(key_hash="h", key_name="sk-...x", user_role=role, allowed_routes=routes)
    return Principal(kind="virtual_key", key_hash="h", key=key)


def test_route_rules_for_admins_and_others() -> None:
    policy = NetworkPolicy(
        admin_only_routes=["/v1/models"],
        allowed_routes=["llm_api_routes", "info_routes"],
        role_allowed_routes={"internal_user_viewer": ["info_routes"]},
        key_routes=True,
    )
    policy.check_route(MASTER, "/models")
    policy.check_route(MASTER, "/team/new")  # an admin passes every rule
    admin_user = Principal(kind="virtual_key", proxy_admin=True, key=_virtual().key)
    policy.check_route(admin_user, "/v1/models")
    user = _virtual()
    policy.check_route(user, "/v1/chat/completions")
    for path, why in [
        ("/models", "admin_only_routes"),
        ("/v1/models", "admin_only_routes"),
        ("/team/new", "general_settings.allowed_routes"),
    ]:
        with pytest.raises(PermissionDeniedError) as refused:
            policy.check_route(user, path)
        assert refused.value.code == "route_not_allowed" and why in refused.value.message
    viewer = _virtual(role="internal_user_viewer")
    policy.check_route(viewer, "/key/info")
    with pytest.raises(PermissionDeniedError, match="role_allowed_routes of the role internal_user_viewer"):
        policy.check_route(viewer, "/chat/completions")
    narrow = _virtual(routes=("/chat/completions",))
    policy.check_route(narrow, "/v1/chat/completions")
    with pytest.raises(PermissionDeniedError, match="this key's allowed_routes"):
        policy.check_route(narrow, "/v1/embeddings")


def test_nothing_is_built_when_nothing_is_set() -> None:
    assert NetworkPolicy.from_settings(GeneralSettings(), key_routes=False) is None
    assert (
        NetworkPolicy.from_settings(GeneralSettings(allowed_ips=["10.0.0.1"]), key_routes=False) is not None
    )


class _ModelsOnly:
    def model_names(self) -> list[str]:
        return ["m"]

    def alias_target(self, model: str) -> str | None:
        return None

    async def route(self, call: object) -> object:
        raise AssertionError("no call is routed here")

    async def aclose(self) -> None:
        return None


async def _get(base_url: str, path: str, forwarded: str | None = None) -> tuple[int, Any]:
    headers = {"authorization": f"Bearer {MASTER_KEY}"}
    if forwarded is not None:
        headers["x-forwarded-for"] = forwarded
    async with aiohttp.ClientSession(base_url) as http, http.get(path, headers=headers) as reply:
        return reply.status, await reply.json(content_type=None)


def _serve(**settings: Any) -> GatewayThread:
    state = GatewayState(router=_ModelsOnly(), settings=GeneralSettings(master_key=MASTER_KEY, **settings))
    return GatewayThread(GatewayApp(state)).start()


async def test_an_address_outside_allowed_ips_gets_an_openai_403() -> None:
    gw = _serve(allowed_ips=["10.0.0.0/8", "fd00::/8"])  # the test connects from 127.0.0.1
    try:
        status, body = await _get(gw.base_url, "/v1/models")
        assert status == 403
        assert body["error"]["code"] == "ip_not_allowed" and body["error"]["type"] == "permission_error"
        assert "127.0.0.1" in body["error"]["message"]
        # an orchestrator's probe still answers
        assert (await _get(gw.base_url, "/health/liveliness"))[0] == 200
    finally:
        gw.stop()
    allowed = _serve(allowed_ips=["127.0.0.1"])
    try:
        assert (await _get(allowed.base_url, "/v1/models"))[0] == 200
    finally:
        allowed.stop()


async def test_a_spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing() -> None:
    # X-Forwarded-For is not believed (no trusted proxies): the peer, 127.0.0.1, is the client
    gw = _serve(allowed_ips=["198.51.100.0/24"])
    try:
        assert (await _get(gw.base_url, "/v1/models", forwarded="198.51.100.7"))[0] == 403
    finally:
        gw.stop()
    # use_x_forwarded_for on, but the peer is not a trusted proxy: still ignored
    untrusted = _serve(
        allowed_ips=["198.51.100.0/24"], use_x_forwarded_for=True, trusted_proxies=["10.9.9.9"]
    )
    try:
        assert (await _get(untrusted.base_url, "/v1/models", forwarded="198.51.100.7"))[0] == 403
    finally:
        untrusted.stop()


async def test_behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client() -> None:
    gw = _serve(allowed_ips=["198.51.100.0/24"], use_x_forwarded_for=True, trusted_proxies=["127.0.0.0/8"])
    try:
        # the proxy (127.0.0.1) appended the address that connected to it
        assert (await _get(gw.base_url, "/v1/models", forwarded="198.51.100.7"))[0] == 200
        # a client outside the list wrote an allowed address itself; the proxy appended the real one
        status, body = await _get(gw.base_url, "/v1/models", forwarded="198.51.100.7, 203.0.113.5")
        assert status == 403 and "203.0.113.5" in body["error"]["message"]
        # trusted hops between are walked past
        assert (await _get(gw.base_url, "/v1/models", forwarded="198.51.100.7, 127.0.0.2"))[0] == 200
    finally:
        gw.stop()


async def test_admin_only_routes_leave_the_master_key_through() -> None:
    gw = _serve(admin_only_routes=["/v1/models", "/model/info"])
    try:
        assert (await _get(gw.base_url, "/models"))[0] == 200
        assert (await _get(gw.base_url, "/model/info"))[0] == 200
    finally:
        gw.stop()
