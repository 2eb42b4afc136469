"""What the dashboard's files may do, read from the files themselves: the admin endpoints the
JavaScript calls exist in the gateway's route table; nothing parses API data as HTML; the page has no
inline script or style; every file the page or a module loads is one the gateway serves."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from ui_gateway import ui_document

from llmrelay.proxy.ui.assets import ASSET_TYPES

STATIC = Path(__file__).parents[2] / "src" / "llmrelay" / "proxy" / "ui" / "static"
SCRIPTS = {p.name: p.read_text() for p in sorted(STATIC.glob("*.js"))}
API_CALL = re.compile(r"""\bapi\.(get|post)\(\s*(["'`])([^"'`]*)\2""")
# any string literal that looks like a path on the gateway
PATH_LITERAL = re.compile(r"""(["'`])(/[A-Za-z_][^"'`\s]*)\1""")
IMPORT = re.compile(r"""\bfrom\s+["']([^"']+)["']""")
# what api.js calls or navigates to for SSO sign-in, beside the admin API (docs/dashboard.md)
SSO_CALLS = {("GET", "/sso/session"), ("POST", "/sso/logout"), ("GET", "/sso/key/generate")}
SSO_ENVIRONMENT = {
    "GENERIC_CLIENT_ID": "dashboard",
    "GENERIC_CLIENT_SECRET": "a-client-secret",
    "GENERIC_ISSUER": "http://127.0.0.1:9",
    "PROXY_BASE_URL": "http://127.0.0.1:9",
}


def api_calls() -> set[tuple[str, str]]:
    calls = set()
    for source in SCRIPTS.values():
        calls |= {(method.upper(), path) for method, _, path in API_CALL.findall(source)}
    return calls


def full_gateway_routes(tmp_path: Path) -> frozenset[tuple[str, str]]:
    from llmrelay.config.loader import parse_config
    from llmrelay.proxy.server import build_app

    app = build_app(parse_config(ui_document(tmp_path), source="<test>"))
    return app.route_table()


def test_every_admin_call_of_the_dashboard_is_a_gateway_route(tmp_path: Path) -> None:
    calls = api_calls()
    # the views' own list, so a regex that silently stopped matching cannot pass this test
    assert {("GET", "/key/list"), ("POST", "/key/generate"), ("POST", "/key/block"), ("POST", "/key/unblock"),
            ("POST", "/key/delete"), ("GET", "/team/list"), ("GET", "/user/list"), ("GET", "/end_user/list"),
            ("POST", "/end_user/block"), ("POST", "/end_user/unblock"), ("GET", "/spend/daily"),
            ("GET", "/spend/logs"), ("GET", "/model/info"), ("GET", "/health")} <= calls  # fmt: skip
    routes = full_gateway_routes(tmp_path)
    missing = sorted(call for call in calls if call not in routes)
    assert not missing, f"the dashboard calls routes the gateway does not have: {missing}"


def test_the_sso_paths_of_the_dashboard_are_routes_of_a_gateway_with_sso(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = SCRIPTS["api.js"]
    assert {path for _, path in SSO_CALLS} == {path for _, path in PATH_LITERAL.findall(source)} - {
        path for _, path in api_calls()
    }
    for name, value in SSO_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    routes = full_gateway_routes(tmp_path)
    assert routes >= SSO_CALLS
    monkeypatch.delenv("GENERIC_CLIENT_ID")
    assert not SSO_CALLS & full_gateway_routes(tmp_path / "without")


def test_a_renamed_route_is_caught(tmp_path: Path) -> None:
    # the check above against a table without /team/list fails, naming it
    routes = full_gateway_routes(tmp_path) - {("GET", "/team/list")}
    assert [call for call in sorted(api_calls()) if call not in routes] == [("GET", "/team/list")]


def test_no_path_is_called_except_through_the_api_helper() -> None:
    called = {path for _, path in api_calls()}
    sso = {path for _, path in SSO_CALLS}
    for name, source in SCRIPTS.items():
        # only api.js names the SSO routes
        allowed = called | sso if name == "api.js" else called
        for _, path in PATH_LITERAL.findall(source):
            assert path in allowed or path.startswith("/ui/"), f"{name}: stray path literal {path!r}"
        if name != "api.js":
            assert "fetch(" not in source and "XMLHttpRequest" not in source, name


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_no_html_parsing_sinks_and_no_secret_leaks(name: str) -> None:
    source = SCRIPTS[name]
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "setHTMLUnsafe", "createContextualFragment", "DOMParser", "srcdoc"):  # fmt: skip
        assert sink not in source, f"{name} uses {sink}"
    # inline style attributes would break under the CSP; the key never goes to logs or lasting storage
    assert 'setAttribute("style"' not in source and "style:" not in source
    assert "console." not in source and "localStorage" not in source and "document.cookie" not in source


def test_only_api_js_touches_the_key() -> None:
    for name, source in SCRIPTS.items():
        if name != "api.js":
            assert "sessionStorage" not in source and "authorization" not in source.lower(), name
    source = SCRIPTS["api.js"]
    assert "authorization: `Bearer ${key}`" in source
    # the key is read from sessionStorage for each call, and only ever set there
    assert re.findall(r"sessionStorage\.(\w+)", source) == ["getItem", "setItem", "removeItem", "getItem"]


def test_modules_import_only_served_modules() -> None:
    for name, source in SCRIPTS.items():
        for target in IMPORT.findall(source):
            assert target.startswith("./") and target[2:] in ASSET_TYPES, f"{name} imports {target}"


class PageScan(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts = 0
        self.style_elements = 0
        self.bad_attributes: list[str] = []
        self.references: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for attr, _ in attrs:
            if attr == "style" or attr.startswith("on"):
                self.bad_attributes.append(f"<{tag} {attr}>")
        if tag == "script":
            self._in_script = True
            if not values.get("src"):
                self.inline_scripts += 1
        if tag == "style":
            self.style_elements += 1
        for attr in ("src", "href"):
            if values.get(attr):
                self.references.append(values[attr] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


def test_the_page_has_no_inline_script_or_style_and_loads_only_served_files() -> None:
    scan = PageScan()
    scan.feed((STATIC / "index.html").read_text())
    assert scan.inline_scripts == 0 and scan.style_elements == 0
    assert scan.bad_attributes == []
    assert scan.references, "the page loads its files"
    for ref in scan.references:
        assert ref.startswith("/ui/") and ref[4:] in ASSET_TYPES, ref
    # the key input has no name: even a form submitted without its script would not carry the key
    assert re.search(r"<input id=\"key-input\"[^>]*>", (STATIC / "index.html").read_text())
    assert "name=" not in re.search(r"<input id=\"key-input\"[^>]*>", (STATIC / "index.html").read_text())[0]
