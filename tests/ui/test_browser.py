"""The dashboard in a real browser (the system's headless Chromium over the DevTools Protocol): sign
in with a wrong key (the API's error is shown) and the master key, then create a key (shown once),
block, unblock and delete it, and open every view — with no script error, no CSP violation, and the
key never in the URL or lasting storage. Skipped when Chromium is not installed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cdp import Page, chromium_path, launched
from ui_gateway import MASTER_KEY, UiGateway, ui_document

from llmrelay.storage.records import SpendLogRecord

CHROMIUM = chromium_path()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install chromium)")


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Page]:
    assert CHROMIUM is not None
    async with launched(CHROMIUM, tmp_path / "profile") as browser:
        yield await browser.new_page()


async def admin(
    gw: UiGateway, method: str, path: str, body: Any = None, key: str = MASTER_KEY
) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession(gw.base_url) as http,
        http.request(method, path, json=body, headers={"authorization": f"Bearer {key}"}) as reply,
    ):
        return reply.status, await reply.json()


def js(value: str) -> str:
    return json.dumps(value)


async def sign_in(page: Page, key: str) -> None:
    await page.evaluate(
        f"document.querySelector('#key-input').value = {js(key)};"
        "document.querySelector('#sign-in-button').click(); true"
    )


async def open_view(page: Page, view: str) -> None:
    await page.evaluate(f"location.hash = '#/{view}'; true")
    await page.wait_for(f"document.querySelector('#view [data-view=\"{view}\"]')")
    assert await page.evaluate("document.querySelector('#status').textContent") == ""


def row(alias: str) -> str:
    return f"document.querySelector('#keys-list tr[data-alias=\"{alias}\"]')"


async def click(page: Page, within: str, label: str) -> None:
    """Click the button labelled `label` inside the element the expression `within` names."""
    buttons = f"[...{within}.querySelectorAll('button')]"
    await page.evaluate(f"{buttons}.find((b) => b.textContent === {js(label)}).click(); true")


async def click_in_row(page: Page, alias: str, label: str) -> None:
    await click(page, row(alias), label)


async def test_sign_in_and_manage_keys(gateway: UiGateway, page: Page) -> None:
    await page.goto(gateway.base_url + "/ui")
    await page.wait_for("!document.querySelector('#sign-in').hidden && document.querySelector('#nav').hidden")

    # a wrong key: the admin API's own message, and nothing kept
    wrong = "sk-not-a-real-key-000000"
    status, refused = await admin(gateway, "GET", "/key/list", key=wrong)
    assert status == 401
    await sign_in(page, wrong)
    shown = await page.wait_for("document.querySelector('#sign-in-error').textContent")
    assert shown == refused["error"]["message"]
    assert await page.evaluate("sessionStorage.length") == 0

    await sign_in(page, MASTER_KEY)
    await page.wait_for("document.querySelector('#view [data-view=\"models\"]')")
    assert await page.evaluate("document.querySelector('#view').textContent.includes('gpt-4o-mini')")
    # the key: in this tab's session storage only, never in the URL, a cookie or local storage
    assert await page.evaluate("Object.values(sessionStorage)") == [MASTER_KEY]
    assert MASTER_KEY not in await page.evaluate("location.href")
    assert await page.evaluate("document.cookie + localStorage.length") == "0"
    assert await page.evaluate("document.querySelector('#key-input').value") == ""

    # create a key: shown once, and it is a working key of the gateway
    await open_view(page, "keys")
    await page.evaluate(
        "document.querySelector('#create-key-form').closest('details').open = true;"
        "document.querySelector('#create-key-form [name=key_alias]').value = 'from-the-ui';"
        "document.querySelector('#create-key-form [name=models]').value = 'gpt-4o-mini';"
        "document.querySelector('#create-key').click(); true"
    )
    made = await page.wait_for("document.querySelector('#new-key')?.value")
    assert made.startswith("sk-")
    await page.wait_for(row("from-the-ui"))
    status, info = await admin(gateway, "GET", f"/key/info?key={made}")
    assert status == 200
    assert info["info"]["key_alias"] == "from-the-ui" and info["info"]["models"] == ["gpt-4o-mini"]
    async with (
        aiohttp.ClientSession(gateway.base_url) as http,
        http.get("/v1/models", headers={"authorization": f"Bearer {made}"}) as reply,
    ):
        assert reply.status == 200
        assert [m["id"] for m in (await reply.json())["data"]] == ["gpt-4o-mini"]
    # the list names the key by its short name only; "Done" takes the key out of the page
    listed = await page.evaluate(f"{row('from-the-ui')}.textContent")
    assert made not in listed and info["info"]["key_name"] in listed
    await click(page, "document.querySelector('#new-key-panel')", "Done")
    await page.wait_for("!document.querySelector('#new-key')")
    assert made not in await page.evaluate("document.body.textContent")

    # block, unblock
    await click_in_row(page, "from-the-ui", "Block")
    await page.wait_for(f"{row('from-the-ui')}.querySelector('.tag').textContent === 'blocked'")
    assert (await admin(gateway, "GET", f"/key/info?key={made}"))[1]["info"]["blocked"] is True
    await click_in_row(page, "from-the-ui", "Unblock")
    await page.wait_for(f"{row('from-the-ui')}.querySelector('.tag').textContent === 'active'")
    assert (await admin(gateway, "GET", f"/key/info?key={made}"))[1]["info"]["blocked"] is False

    # delete asks once more, then the key is gone
    await click_in_row(page, "from-the-ui", "Delete")
    assert await page.evaluate(f"!!{row('from-the-ui')}")
    assert (await admin(gateway, "GET", f"/key/info?key={made}"))[0] == 200
    await click_in_row(page, "from-the-ui", "Really delete?")
    await page.wait_for(f"!{row('from-the-ui')}")
    assert (await admin(gateway, "GET", f"/key/info?key={made}"))[0] == 404

    # an API error on an action is shown above the view
    await page.evaluate(
        "document.querySelector('#create-key-form [name=duration]').value = 'soon';"
        "document.querySelector('#create-key').click(); true"
    )
    assert "duration" in await page.wait_for("document.querySelector('#status').textContent")

    assert page.errors() == []
    # the CSP's Trusted Types stop any HTML-parsing sink, whoever calls it (and the browser says so)
    blocked = await page.evaluate(
        "(() => { try { document.body.innerHTML = '<b>x</b>'; return 'allowed'; }"
        " catch (e) { return e.name; } })()"
    )
    assert blocked == "TypeError"

    await page.evaluate("document.querySelector('#sign-out').click(); true")
    await page.wait_for("!document.querySelector('#sign-in').hidden")
    assert await page.evaluate("sessionStorage.length") == 0
    assert [e for e in page.errors() if "TrustedHTML" not in e] == []
    assert len(page.errors()) == 1


async def test_every_view_shows_the_gateway_data(gateway: UiGateway, page: Page) -> None:
    lead = {"user_id": "ann", "role": "admin"}
    await admin(
        gateway,
        "POST",
        "/team/new",
        {"team_id": "core", "team_alias": "Core team", "members_with_roles": [lead]},
    )
    await admin(gateway, "POST", "/end_user/block", {"user_ids": ["customer-7"]})
    now = datetime.now(UTC)
    logs = [
        SpendLogRecord(
            request_id=f"call-{i}",
            call_type="chat",
            start_time=now - timedelta(minutes=i),
            end_time=now - timedelta(minutes=i),
            model=model,
            model_group=model,
            provider="openai",
            prompt_tokens=10,
            completion_tokens=5,
            total_tokens=15,
            cost_micros=cost,
            user_id="ann",
            team_id="core",
        )
        for i, (model, cost) in enumerate([("gpt-4o", 30_000), ("gpt-4o", 20_000), ("gpt-4o-mini", 1_000)])
    ]
    gateway.run(gateway.storage().spend.apply(logs))

    await page.goto(gateway.base_url + "/ui#/spend")
    await sign_in(page, MASTER_KEY)
    await page.wait_for("document.querySelector('#view [data-view=\"spend\"]')")
    # spend by model: table rows sorted by spend, one bar per model, the recent calls
    cells = await page.evaluate(
        "[...document.querySelectorAll('#view table')[0].querySelectorAll('tbody tr')]"
        ".map((r) => [...r.cells].slice(0, 3).map((c) => c.textContent))"
    )
    assert cells == [["gpt-4o", "$0.05", "2"], ["gpt-4o-mini", "$0.001", "1"]]
    assert await page.evaluate("document.querySelectorAll('#view svg.chart rect.bar').length") == 2
    recent = "document.querySelectorAll('#view table')[1].querySelectorAll('tbody tr')"
    assert await page.evaluate(f"{recent}.length") == 3
    # grouped by team instead
    await page.evaluate(
        "const s = document.querySelector('select[aria-label=\"Group by\"]'); s.value = 'team_id';"
        "s.dispatchEvent(new Event('change')); true"
    )
    await page.wait_for("document.querySelector('#view table tbody tr')?.cells[0].textContent === 'core'")

    await open_view(page, "teams")
    text = await page.evaluate("document.querySelector('#view').textContent")
    assert "Core team" in text and "ann (admin)" in text
    await open_view(page, "users")
    assert "ann" in await page.evaluate("document.querySelector('#view table').textContent")
    await open_view(page, "end-users")
    assert "customer-7" in await page.evaluate("document.querySelector('#view table').textContent")
    await click(page, "document.querySelector('#view table')", "Unblock")
    await page.wait_for("document.querySelector('#view table .tag')?.textContent === 'active'")
    status, listed = await admin(gateway, "GET", "/end_user/list")
    assert status == 200 and [e["blocked"] for e in listed] == [False]
    # the audit log: newest first, the unblock just made through the dashboard on top
    await open_view(page, "audit")
    rows = await page.evaluate(
        "[...document.querySelectorAll('#view table tbody tr')]"
        ".map((r) => [r.cells[3].textContent, r.cells[4].textContent, r.cells[6].textContent])"
    )
    assert rows[:3] == [["unblocked", "end user", "blocked"], ["blocked", "end user", "—"],
                        ["created", "team", "—"]]  # fmt: skip
    await open_view(page, "models")
    assert page.errors() == []


async def test_a_gateway_without_admin_api_says_what_is_missing(tmp_path: Path, page: Page) -> None:
    document = ui_document(tmp_path)
    del document["general_settings"]["database_url"]
    gw = UiGateway(document).start()
    try:
        await page.goto(gw.base_url + "/ui")
        await sign_in(page, MASTER_KEY)
        shown = await page.wait_for("document.querySelector('#sign-in-error').textContent")
        assert "no admin API" in shown and "database_url" in shown
        assert await page.evaluate("sessionStorage.length") == 0
    finally:
        gw.stop()
    assert page.errors() == []
