"""GET /ui and its files, through the whole gateway: content types, ETags, security headers, and
nothing served but the fixed set of files."""

from __future__ import annotations

import http.client
import re
from pathlib import Path

import aiohttp
import pytest
from ui_gateway import MASTER_KEY, UiGateway, ui_document

from llmrelay.proxy.ui.assets import ASSET_TYPES
from llmrelay.proxy.ui.routes import CONTENT_SECURITY_POLICY

STATIC = Path(__file__).parents[2] / "src" / "llmrelay" / "proxy" / "ui" / "static"
EXPECTED_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


def url_of(name: str) -> str:
    return "/ui" if name == "index.html" else f"/ui/{name}"


def test_the_table_lists_exactly_the_shipped_files() -> None:
    assert set(ASSET_TYPES) == {p.name for p in STATIC.iterdir() if p.is_file()}


def assert_security_headers(headers: dict[str, str]) -> None:
    csp = headers["content-security-policy"]
    assert csp == CONTENT_SECURITY_POLICY
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("name", sorted(ASSET_TYPES))
async def test_every_file_is_served_with_its_type_headers_and_etag(gateway: UiGateway, name: str) -> None:
    async with aiohttp.ClientSession(gateway.base_url) as http, http.get(url_of(name)) as reply:
        assert reply.status == 200
        body = await reply.read()
        headers = {k.lower(): v for k, v in reply.headers.items()}
    assert body == (STATIC / name).read_bytes()
    assert headers["content-type"] == EXPECTED_TYPES[Path(name).suffix]
    assert_security_headers(headers)
    assert headers["cache-control"] == "no-cache"
    etag = headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{20}"', etag)
    # revalidation: the same ETag (plain, weak or in a list) answers 304 without a body
    for sent in (etag, f"W/{etag}", f'"other", {etag}'):
        async with (
            aiohttp.ClientSession(gateway.base_url) as http,
            http.get(url_of(name), headers={"if-none-match": sent}) as again,
        ):
            assert again.status == 304, sent
            assert await again.read() == b""
            assert again.headers["etag"] == etag
    async with (
        aiohttp.ClientSession(gateway.base_url) as http,
        http.get(url_of(name), headers={"if-none-match": '"stale"'}) as changed,
    ):
        assert changed.status == 200
        assert await changed.read() == body


async def test_the_page_with_a_trailing_slash(gateway: UiGateway) -> None:
    async with aiohttp.ClientSession(gateway.base_url) as http, http.get("/ui/") as reply:
        assert reply.status == 200
        assert reply.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "path",
    ["/ui/missing.js", "/ui/index.htm", "/ui/static/app.js", "/ui/App.js", "/ui/app.js.map", "/uix",
     "/ui/assets.py", "/ui/__init__.py"],
)  # fmt: skip
async def test_unknown_files_are_404(gateway: UiGateway, path: str) -> None:
    async with aiohttp.ClientSession(gateway.base_url) as http, http.get(path) as reply:
        assert reply.status == 404
        assert "no route" in (await reply.json())["error"]["message"]


@pytest.mark.parametrize(
    "path",
    ["/ui/../ui/app.js", "/ui/..%2fassets.py", "/ui/%2e%2e/%2e%2e/pyproject.toml", "/ui/../../../etc/passwd",
     "/ui/..\\assets.py", "/ui//etc/passwd", "/ui/%2fetc%2fpasswd", "/ui/./app.js"],
)  # fmt: skip
def test_traversal_attempts_are_404(gateway: UiGateway, path: str) -> None:
    # http.client sends the path as written (aiohttp would normalise the dots away first)
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    try:
        conn.request("GET", path)
        reply = conn.getresponse()
        body = reply.read()
    finally:
        conn.close()
    # 404 where the decoded path is canonical, 400 where it is not (proxy/paths.py)
    assert reply.status in (400, 404), (path, body[:200])
    assert b"root:" not in body and b"import" not in body


async def test_only_get_is_served(gateway: UiGateway) -> None:
    async with aiohttp.ClientSession(gateway.base_url) as http, http.post("/ui/app.js", data=b"x") as reply:
        assert reply.status == 405


def test_disable_admin_ui_removes_every_ui_route(tmp_path: Path) -> None:
    gw = UiGateway(ui_document(tmp_path, disable_admin_ui=True)).start()
    try:
        table = gw.app.route_table()
        assert not [path for _, path in table if path == "/ui" or path.startswith("/ui/")]
        for name in ASSET_TYPES:
            conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
            try:
                conn.request("GET", url_of(name))
                assert conn.getresponse().status == 404, name
            finally:
                conn.close()
        # the admin API itself stays
        conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
        try:
            conn.request("GET", "/key/list", headers={"authorization": f"Bearer {MASTER_KEY}"})
            assert conn.getresponse().status == 200
        finally:
            conn.close()
    finally:
        gw.stop()


def test_disable_admin_ui_is_a_known_general_setting() -> None:
    from llmrelay.config.loader import parse_config

    loaded = parse_config({"general_settings": {"disable_admin_ui": True}}, source="<test>")
    assert loaded.general.disable_admin_ui is True
    assert not [w for w in loaded.warnings if "disable_admin_ui" in w]
