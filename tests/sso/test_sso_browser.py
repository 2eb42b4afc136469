"""The dashboard's SSO sign-in in a real browser: the system's headless Chromium driven by
Playwright, against the real OpenID Provider (npm oidc-provider), on SQLite and PostgreSQL.

Click "Sign in with SSO", go through the provider and back, and land in the dashboard as the
provider's user; the session cookie is HttpOnly (the page's script cannot read it) and SameSite=Lax;
create a key from the Keys view (a state-changing call the session makes with its CSRF token); a page
of another origin in the same browser cannot make the dashboard's API act, though the browser sends
the cookie along; sign out ends the session; the master key still signs in."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sso_helpers import MASTER_KEY, GatewayFactory, OpenIdProvider, missing

CHROMIUM = Path("/usr/bin/chromium")
HAVE_CHROMIUM = CHROMIUM.exists()


@pytest.fixture
async def browser_page(tmp_path: Path) -> AsyncIterator[tuple[Any, list[str]]]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        missing("the playwright package is not installed")
    if not HAVE_CHROMIUM:
        missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    async with async_playwright() as playwright:
        # the system's Chromium, never a browser Playwright downloads; no sandbox as root in CI
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        context = await browser.new_context()
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))

        def console(message: Any) -> None:
            # a failed HTTP answer the test provokes (the 401 of /sso/session before signing in) is
            # logged by the browser too; anything else (script errors, CSP violations) is a failure
            if message.type == "error" and "Failed to load resource" not in message.text:
                errors.append(message.text)

        page.on("console", console)
        try:
            yield page, errors
        finally:
            await browser.close()


async def master(gw_url: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    headers = {"authorization": f"Bearer {MASTER_KEY}"}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, gw_url + path, json=body, headers=headers) as r,
    ):
        return r.status, await r.json()


async def test_sso_sign_in_through_the_dashboard(
    make_gateway: GatewayFactory, provider: OpenIdProvider, browser_page: tuple[Any, list[str]]
) -> None:
    page, errors = browser_page
    await provider.set_account("dana", "dana@example.com", role="proxy_admin")
    with make_gateway() as gw:
        await page.goto(gw.base_url + "/ui")
        # no session yet: the sign-in form, with the SSO button beside the key
        await page.wait_for_selector("#sso-button", state="visible")
        assert await page.is_visible("#key-input") and not await page.is_visible("#nav")

        await page.click("#sso-button")
        # through the provider and its callback, back to the dashboard, signed in
        await page.wait_for_url(gw.base_url + "/ui")
        await page.wait_for_selector("#nav", state="visible")
        assert await page.text_content("#who") == "dana (proxy_admin)"
        await page.wait_for_selector('#view [data-view="models"]')

        cookies = {c["name"]: c for c in await page.context.cookies(gw.base_url)}
        session = cookies["llmrelay_session"]
        assert session["httpOnly"] and session["sameSite"] == "Lax" and session["path"] == "/"
        assert "llmrelay_sso_login" not in cookies  # the sign-in's cookie is gone
        # HttpOnly: the page's script cannot read it; nothing in storage either
        assert await page.evaluate("document.cookie") == ""
        assert await page.evaluate("sessionStorage.length + localStorage.length") == 0

        # a state-changing call from the dashboard: create a key
        await page.evaluate("location.hash = '#/keys'")
        await page.wait_for_selector('#view [data-view="keys"]')
        await page.evaluate("document.querySelector('#create-key-form').closest('details').open = true")
        await page.fill("#create-key-form [name=key_alias]", "made-by-sso")
        await page.click("#create-key")
        made = await page.wait_for_function("() => document.querySelector('#new-key')?.value")
        key = await made.json_value()
        assert key.startswith("sk-")
        status, info = await master(gw.base_url, "GET", f"/key/info?key={key}")
        assert status == 200 and info["info"]["key_alias"] == "made-by-sso"
        # the audit log says who: the SSO user
        status, audit = await master(gw.base_url, "GET", "/audit")
        assert audit["audit_logs"][0]["changed_by"] == "dana"

        # every view opens with the session
        for view in ("models", "keys", "teams", "users", "end-users", "spend", "audit"):
            await page.evaluate(f"location.hash = '#/{view}'")
        await page.wait_for_selector('#view [data-view="audit"]')
        assert await page.text_content("#status") == ""
        await page.evaluate("location.hash = '#/users'")
        await page.wait_for_selector('#view [data-view="users"]')
        await page.wait_for_function(
            "document.querySelector('#view').textContent.includes('dana@example.com')"
        )

        # another origin (the provider's, same site: the browser does send the cookie) cannot act
        await page.goto(provider.issuer + "/.well-known/openid-configuration")
        forged = await page.evaluate(
            """async (gateway) => {
                 // a simple cross-origin POST needs no preflight and carries the cookie
                 await fetch(gateway + "/key/generate", {method: "POST", mode: "no-cors",
                   credentials: "include", headers: {"content-type": "text/plain"},
                   body: JSON.stringify({key_alias: "forged"})});
                 // reading the session (and its CSRF token) is refused by the same-origin policy
                 try { await fetch(gateway + "/sso/session", {credentials: "include"}); return "read"; }
                 catch { return "refused"; }
               }""",
            gw.base_url,
        )
        assert forged == "refused"
        # the browser said why (no CORS answer): the one error this test provokes
        assert [e for e in errors if "blocked by CORS policy" not in e] == []
        errors.clear()
        status, keys = await master(gw.base_url, "GET", "/key/list?return_full_object=true")
        listed = json.dumps(keys)
        assert status == 200 and "made-by-sso" in listed and "forged" not in listed

        # sign out: the session ends on the server and the sign-in form is back
        await page.goto(gw.base_url + "/ui")
        await page.wait_for_selector("#sign-out", state="visible")
        await page.click("#sign-out")
        await page.wait_for_selector("#sign-in", state="visible")
        assert await page.text_content("#sign-in-error") == "Signed out."
        assert "llmrelay_session" not in {c["name"] for c in await page.context.cookies(gw.base_url)}
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                gw.base_url + "/sso/session", headers={"cookie": f"llmrelay_session={session['value']}"}
            ) as r,
        ):
            assert r.status == 401

        # the master key still signs in
        await page.fill("#key-input", MASTER_KEY)
        await page.click("#sign-in-button")
        await page.wait_for_selector("#nav", state="visible")
        assert not await page.is_visible("#who")
        assert errors == []
