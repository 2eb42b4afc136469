"""What of a client's request goes upstream: its path below the route, its query, its body untouched
and its headers less those that belong to this hop or carry a credential — and, from the answer,
the headers that go back to the client."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit

# never forwarded either way (RFC 9110 §7.6.1 hop-by-hop headers, and what the two hops set anew)
_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
    "proxy-authenticate", "proxy-authorization", "host", "content-length", "expect",
})  # fmt: skip
# the client's credentials and identity for this gateway: the gateway adds the provider's own
_CLIENT_ONLY = frozenset({
    "authorization", "x-api-key", "api-key", "x-goog-api-key", "cookie", "accept-encoding",
    "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip",
    "x-request-id",
})  # fmt: skip
# headers of the gateway's own (LiteLLM's and llmrelay's): never sent to a provider
_OWN_PREFIXES = ("x-litellm-", "x-llmrelay-", "litellm-", "llmrelay-")
# never relayed back: the answer is re-framed (and aiohttp already decoded a compressed body), the
# request id is the gateway's, and an upstream's cookies are not the client's business
_ANSWER_DROPPED = frozenset({"content-encoding", "set-cookie", "x-request-id", "content-type"})
# query parameters that carry a client's key (Gemini's ?key=): never forwarded
CREDENTIAL_QUERY = frozenset({"key", "api_key"})


def forwarded_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The client's headers that go upstream (anthropic-version, anthropic-beta, content-type...)."""
    out: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        if lower in _HOP_BY_HOP or lower in _CLIENT_ONLY or lower.startswith(_OWN_PREFIXES):
            continue
        out[lower] = f"{out[lower]}, {value}" if lower in out else value
    return out


def relayed_headers(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """The upstream answer's headers that go back to the client (content-type is set apart)."""
    return [
        (name, value)
        for name, value in headers.items()
        if name not in _HOP_BY_HOP and name not in _ANSWER_DROPPED
    ]


def forwarded_query(query: str) -> str:
    """The query string less the parameters that carry a client's key."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(name in CREDENTIAL_QUERY for name, _ in pairs):
        return query
    return urlencode([(name, value) for name, value in pairs if name not in CREDENTIAL_QUERY])


def query_key(query: str) -> str | None:
    """A key sent as `?key=` (Gemini's SDKs and curl examples put it there)."""
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name == "key" and value:
            return value
    return None


def join_url(base: str, subpath: str, query: str) -> str:
    """`subpath` under `base`. When the base ends with the segment the path starts with (an
    OpenAI base `…/v1` and the path `/v1/chat/completions`), the segment is not doubled."""
    base = base.rstrip("/")
    base_path = urlsplit(base).path
    last = base_path.rsplit("/", 1)[-1] if base_path else ""
    if last and (subpath == f"/{last}" or subpath.startswith(f"/{last}/")):
        subpath = subpath[len(last) + 1 :]
    url = base + (subpath if subpath.startswith("/") or not subpath else "/" + subpath)
    return f"{url}?{query}" if query else url
