"""Path normalisation (hardening issue, "weak today"): `/key/list/` was served as `/key/list` and
dot segments were resolved, so a front proxy's rule on the raw path could be walked around. Now only
canonical paths are routed (src/llmrelay/proxy/paths.py, docs/security.md): dot segments, empty
segments, control characters and backslashes are a 400; a trailing slash is a 308 to the canonical
path. Granian decodes percent-escapes before the app runs, which these tests pin down as documented."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from edge_helpers import MASTER_KEY, serving_fake

from llmrelay.proxy.paths import path_problem, slash_redirect


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serving_fake() as base_url:
        yield base_url


def get(url: str, path: str) -> tuple[int, dict[str, str], bytes]:
    # http.client sends the path as written (aiohttp and urllib would normalise it first)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", path, headers={"authorization": f"Bearer {MASTER_KEY}"})
        reply = conn.getresponse()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    "path",
    [
        "/./v1/models", "/v1/./models", "/x/../v1/models", "/v1/models/..", "/%2e%2e/v1/models",
        "/v1/%2e/models", "/v1//models", "//v1/models", "/v1/models%00", "/v1/mo%0adels",
        "/v1\\models", "/v1/models/gpt/../../../health", "/v1/models/a%2f%2fb", "/" + "a" * 3000,
    ],
)  # fmt: skip
def test_non_canonical_paths_are_refused(url: str, path: str) -> None:
    status, _, body = get(url, path)
    assert status == 400, (path, body[:300])
    error = json.loads(body)["error"]
    assert error["code"] == "invalid_path"
    assert "only canonical paths are routed" in error["message"]


@pytest.mark.parametrize(("path", "location"), [
    ("/v1/models/", "/v1/models"), ("/health//", "/health"), ("/v1/models/?a=1", "/v1/models?a=1"),
])  # fmt: skip
def test_a_trailing_slash_redirects_to_the_canonical_path(url: str, path: str, location: str) -> None:
    status, headers, body = get(url, path)
    assert status == 308, body
    assert headers["location"] == location
    status, _, _ = get(url, location)
    assert status == 200


def test_no_protocol_relative_redirect(url: str) -> None:
    status, headers, _ = get(url, "//evil.example/")
    assert status == 400
    assert "location" not in headers


def test_canonical_paths_are_served(url: str) -> None:
    for path in ("/v1/models", "/models", "/health/liveliness", "/v1/models/gpt"):
        status, _, body = get(url, path)
        assert status == 200, (path, body)


def test_percent_escapes_are_decoded_by_the_server_before_routing(url: str) -> None:
    # documented: Granian hands over the decoded path only, so an escaped letter is the letter
    # itself to llmrelay; a front proxy that filters paths must match decoded paths (docs/security.md)
    status, _, body = get(url, "/v1/%6dodels")
    assert status == 200, body
    # an escaped slash becomes a separator, and `%2e%2e` a dot segment that is refused
    assert get(url, "/v1%2fmodels")[0] == 200
    assert get(url, "/v1/%2e%2e/health")[0] == 400


def test_path_rules() -> None:
    assert path_problem("/") is None
    assert path_problem("/v1/chat/completions") is None
    assert path_problem("/v1/models/openai/gpt-4o.1") is None
    assert path_problem("*") is not None
    assert path_problem("/v1/...") is None  # three dots are a name, not a dot segment
    assert slash_redirect("/") is None
    assert slash_redirect("/a/") == "/a"
    assert slash_redirect("/a/./") is None
