"""The whole SSO sign-in against the real OpenID Provider (npm oidc-provider), on SQLite and
PostgreSQL: the redirect carries PKCE S256, state and nonce; the callback opens a session whose cookie
is HttpOnly and SameSite=Lax; the user is created with the default role (or the provider's role
claim, or mapped to an existing user by email); the session calls the admin API only with its CSRF
token, never a model route; signing out ends it; and every tampered callback is refused."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

import aiohttp
from sso_helpers import (
    MASTER_KEY,
    GatewayFactory,
    OpenIdProvider,
    browser_like,
    query_of,
    sign_in,
    walk_to_callback,
)
from yarl import URL


def session_cookie(reply: aiohttp.ClientResponse) -> Any:
    cookies = SimpleCookie()
    for header in reply.headers.getall("set-cookie", []):
        cookies.load(header)
    return cookies["llmrelay_session"]


async def session_info(http: aiohttp.ClientSession, base: str) -> tuple[int, Any]:
    async with http.get(base + "/sso/session") as reply:
        return reply.status, await reply.json()


async def admin(
    http: aiohttp.ClientSession, base: str, method: str, path: str, *, csrf: str | None, body: Any = None
) -> tuple[int, Any]:
    headers = {"x-llmrelay-csrf": csrf} if csrf is not None else {}
    async with http.request(method, base + path, json=body, headers=headers) as reply:
        return reply.status, await reply.json()


async def test_sign_in_opens_a_session_for_a_new_user(make_gateway: GatewayFactory) -> None:
    with make_gateway() as gw:
        async with browser_like() as http:
            # the redirect to the provider: the code flow with PKCE S256, state and nonce
            async with http.get(gw.base_url + "/sso/key/generate", allow_redirects=False) as start:
                assert start.status == 302
                sent = query_of(start.headers["location"])
                login_cookie = start.headers["set-cookie"]
            assert sent["response_type"] == "code" and sent["code_challenge_method"] == "S256"
            assert len(sent["code_challenge"]) == 43 and len(sent["state"]) >= 43 and len(sent["nonce"]) >= 43
            assert sent["redirect_uri"] == gw.base_url + "/sso/callback" and "openid" in sent["scope"].split()
            assert "Path=/sso/callback" in login_cookie and "HttpOnly" in login_cookie
            assert "SameSite=Lax" in login_cookie and "Secure" not in login_cookie  # http here

            reply = await sign_in(http, gw.base_url)
            assert reply.status == 303 and reply.headers["location"] == gw.base_url + "/ui"
            cookie = session_cookie(reply)
            assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
            assert int(cookie["max-age"]) == 12 * 3600 and not cookie["secure"]

            status, info = await session_info(http, gw.base_url)
            assert status == 200
            assert (info["user_id"], info["user_email"], info["user_role"]) == (
                "alice", "alice@example.com", "internal_user_viewer",
            )  # fmt: skip
            csrf = info["csrf_token"]
            assert info["csrf_header"] == "x-llmrelay-csrf"

            # the admin API with the session (and its CSRF token): alice's own keys
            status, keys = await admin(http, gw.base_url, "GET", "/key/list", csrf=csrf)
            assert status == 200, keys
            # without the token, or with another, refused before anything runs
            for wrong in (None, csrf[:-2] + "xx"):
                status, refused = await admin(http, gw.base_url, "GET", "/key/list", csrf=wrong)
                assert status == 403 and refused["error"]["param"] == "x-llmrelay-csrf"
                status, refused = await admin(http, gw.base_url, "POST", "/key/generate", csrf=wrong, body={})
                assert status == 403 and refused["error"]["code"] == "csrf_failed"
            # a session never reaches a model
            status, refused = await admin(
                http, gw.base_url, "POST", "/v1/chat/completions", csrf=csrf,
                body={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
            )  # fmt: skip
            assert status == 403 and refused["error"]["code"] == "route_not_allowed"

        user = gw.run(gw.storage().users.get("alice"))
        assert user.user_email == "alice@example.com" and user.user_role == "internal_user_viewer"
        sessions = gw.run(gw.storage().ui_sessions.user_of("x" * 64))
        assert sessions is None


async def test_sign_out_ends_the_session_everywhere(make_gateway: GatewayFactory) -> None:
    with make_gateway() as gw:
        async with browser_like() as http:
            assert (await sign_in(http, gw.base_url)).status == 303
            _, info = await session_info(http, gw.base_url)
            stolen = http.cookie_jar.filter_cookies(URL(gw.base_url))["llmrelay_session"].value
            # signing out needs the CSRF token too (another site cannot sign the user out)
            status, refused = await admin(http, gw.base_url, "POST", "/sso/logout", csrf=None)
            assert status == 403 and refused["error"]["code"] == "csrf_failed"
            status, answer = await admin(http, gw.base_url, "POST", "/sso/logout", csrf=info["csrf_token"])
            assert status == 200 and answer == {"signed_out": True, "logout_url": None}
            assert (await session_info(http, gw.base_url))[0] == 401
        # the session id is dead on the server, not only forgotten by the browser
        async with aiohttp.ClientSession(headers={"cookie": f"llmrelay_session={stolen}"}) as other:
            status, refused = await admin(other, gw.base_url, "GET", "/key/list", csrf=info["csrf_token"])
            assert status == 401 and refused["error"]["code"] == "no_session"


async def test_the_providers_role_claim_and_admin_rights(
    make_gateway: GatewayFactory, provider: OpenIdProvider
) -> None:
    await provider.set_account("root-1", "root@example.com", role="proxy_admin")
    with make_gateway() as gw:
        async with browser_like() as http:
            assert (await sign_in(http, gw.base_url)).status == 303
            status, info = await session_info(http, gw.base_url)
            assert info["user_role"] == "proxy_admin"
            status, made = await admin(
                http,
                gw.base_url,
                "POST",
                "/key/generate",
                csrf=info["csrf_token"],
                body={"key_alias": "by-sso"},
            )
            assert status == 200 and made["key"].startswith("sk-")
            # the audit log names the session's user, marked as an SSO session
            status, audit = await admin(http, gw.base_url, "GET", "/audit", csrf=info["csrf_token"])
            entry = audit["audit_logs"][0]
            assert entry["changed_by"] == "root-1" and entry["changed_by_api_key"] == "sso"
        # the provider is where the role is managed: a later sign-in takes its new role; a sign-in
        # without a role claim keeps the stored one
        await provider.set_account("root-1", "root@example.com", role="internal_user")
        async with browser_like() as http:
            assert (await sign_in(http, gw.base_url)).status == 303
            assert (await session_info(http, gw.base_url))[1]["user_role"] == "internal_user"
        await provider.set_account("root-1", "root@example.com", role="not-a-role")
        async with browser_like() as http:
            assert (await sign_in(http, gw.base_url)).status == 303
            assert (await session_info(http, gw.base_url))[1]["user_role"] == "internal_user"


async def test_first_sign_in_maps_an_existing_user_by_email(
    make_gateway: GatewayFactory, provider: OpenIdProvider
) -> None:
    await provider.set_account("bob-at-idp", "bob@example.com")
    with make_gateway() as gw:
        async with aiohttp.ClientSession(headers={"authorization": f"Bearer {MASTER_KEY}"}) as master:
            body = {"user_id": "bob", "user_email": "bob@example.com", "user_role": "internal_user"}
            async with master.post(gw.base_url + "/user/new", json=body) as reply:
                assert reply.status == 200, await reply.text()
        async with browser_like() as http:
            assert (await sign_in(http, gw.base_url)).status == 303
            _, info = await session_info(http, gw.base_url)
            assert (info["user_id"], info["user_role"]) == ("bob", "internal_user")
        assert gw.run(gw.storage().users.get("bob-at-idp")) is None


async def test_new_users_get_default_internal_user_params(make_gateway: GatewayFactory) -> None:
    defaults = {
        "user_role": "internal_user",
        "max_budget": 5,
        "budget_duration": "30d",
        "models": ["gpt-4o-mini"],
    }
    with make_gateway(default_internal_user_params=defaults) as gw:
        async with browser_like() as http:
            assert (await sign_in(http, gw.base_url)).status == 303
        user = gw.run(gw.storage().users.get("alice"))
        assert (user.user_role, user.max_budget_micros, user.budget_duration, user.models) == (
            "internal_user", 5_000_000, "30d", ["gpt-4o-mini"],
        )  # fmt: skip
        assert user.budget_reset_at is not None


async def test_tampered_callbacks_are_refused(make_gateway: GatewayFactory) -> None:
    with make_gateway() as gw:
        async with browser_like() as http:
            callback = await walk_to_callback(http, gw.base_url + "/sso/key/generate", gw.base_url)
            params = query_of(callback)
            base = gw.base_url + "/sso/callback?"
            # another state than this browser's sign-in (an attacker's callback: login CSRF)
            async with http.get(
                base + urlencode({**params, "state": "x" * 43}), allow_redirects=False
            ) as reply:
                body = await reply.json()
                assert reply.status == 400 and body["error"]["param"] == "state"
            # no code, an oversized code
            for bad in ({"state": params["state"]}, {**params, "code": "c" * 5000}):
                async with http.get(base + urlencode(bad), allow_redirects=False) as reply:
                    assert reply.status == 400 and (await reply.json())["error"]["param"] == "code"
            # the provider's refusal is shown by its error code
            async with http.get(
                base + urlencode({"error": "access_denied", "state": params["state"]})
            ) as reply:
                assert reply.status == 401 and "access_denied" in (await reply.json())["error"]["message"]
            # another browser (without this one's sign-in cookie) cannot complete it
            async with aiohttp.ClientSession() as other, other.get(callback, allow_redirects=False) as reply:
                assert reply.status == 400 and (await reply.json())["error"]["param"] == "state"
            # the real callback signs in; the same code replayed is refused by the provider
            jar_cookie = http.cookie_jar.filter_cookies(URL(callback))["llmrelay_sso_login"].value
            async with http.get(callback, allow_redirects=False) as reply:
                assert reply.status == 303
            async with (
                aiohttp.ClientSession(headers={"cookie": f"llmrelay_sso_login={jar_cookie}"}) as replay,
                replay.get(callback, allow_redirects=False) as reply,
            ):
                refused = await reply.json()
                assert reply.status == 401 and "invalid_grant" in refused["error"]["message"]
                assert "set-cookie" not in reply.headers


async def test_an_unreachable_provider_is_a_503_and_the_gateway_serves_on(
    make_gateway: GatewayFactory,
) -> None:
    from llmrelay.testing.ports import free_port

    with make_gateway(environ={"GENERIC_ISSUER": f"http://127.0.0.1:{free_port()}"}) as gw:
        async with browser_like() as http:
            async with http.get(gw.base_url + "/sso/key/generate", allow_redirects=False) as reply:
                refused = await reply.json()
                assert reply.status == 503 and refused["error"]["code"] == "sso_unavailable"
                assert reply.headers["retry-after"] == "5"
            async with http.get(gw.base_url + "/health/liveliness") as reply:
                assert reply.status == 200
            status, _ = await session_info(http, gw.base_url)
            assert status == 401
