"""The pass-through routes' parts: usage read from an answer however its bytes are split, the URL and
headers built for the upstream, and general_settings.pass_through_endpoints read from a config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from llmrelay.config.errors import ConfigError
from llmrelay.config.loader import parse_config
from llmrelay.config.pass_through import PROVIDER_SEGMENTS
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.proxy.passthrough.meter import meter_for, metered_format
from llmrelay.proxy.passthrough.prefixes import PROVIDER_ROUTES
from llmrelay.proxy.passthrough.upstream import (
    forwarded_headers,
    forwarded_query,
    join_url,
    query_key,
    relayed_headers,
)
from llmrelay.testing.stream_splits import split_at

FIXTURES = Path(__file__).parents[1] / "fixtures"


def _usage(provider: str, subpath: str, pieces: list[bytes]) -> Any:
    meter = meter_for(ProviderRegistry(), provider, subpath, "some-model")
    assert meter is not None
    for piece in pieces:
        meter.feed(piece)
    meter.end()
    return meter.usage


@pytest.mark.parametrize(
    ("provider", "subpath", "stream"),
    [
        ("anthropic", "/v1/messages", "anthropic/streams/text.sse"),
        ("anthropic", "/v1/messages", "anthropic/streams/tools.sse"),
        ("gemini", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", "gemini/streams/text.sse"),
    ],
)
def test_a_streams_usage_does_not_depend_on_its_splits(provider: str, subpath: str, stream: str) -> None:
    import random

    data = (FIXTURES / stream).read_bytes()
    whole = _usage(provider, subpath, [data])
    assert whole is not None and whole.total_tokens > 0
    rng = random.Random(stream)
    for _ in range(50):
        cuts = [rng.randrange(len(data) + 1) for _ in range(rng.randrange(1, 40))]
        assert _usage(provider, subpath, split_at(data, cuts)) == whole
    assert _usage(provider, subpath, [data[i : i + 1] for i in range(len(data))]) == whole


def test_an_unreadable_answer_is_not_metered_and_not_an_error() -> None:
    meter = meter_for(ProviderRegistry(), "anthropic", "/v1/messages", "m")
    assert meter is not None
    meter.whole(b"not json")
    assert meter.usage is None
    meter.feed(b"data: {broken\n\n")
    meter.end()
    assert meter.usage is None


def test_what_is_metered() -> None:
    assert metered_format("openai", "/v1/chat/completions") == "openai"
    vertex = "/v1/projects/p/locations/l/publishers"
    assert metered_format("vertex_ai", f"{vertex}/google/models/g:generateContent") == "gemini"
    assert metered_format("vertex_ai", f"{vertex}/anthropic/models/c:rawPredict") == "anthropic"
    assert metered_format("bedrock", "/model/anthropic.claude-v2/converse") == "bedrock"
    assert metered_format("openai", "/v1/files") is None
    assert meter_for(ProviderRegistry(), "anthropic", "/v1/messages", None) is None  # no model named


def test_the_upstream_url() -> None:
    assert join_url("https://api.openai.com/v1", "/v1/chat/completions", "") == (
        "https://api.openai.com/v1/chat/completions"
    )
    assert join_url("https://api.anthropic.com", "/v1/messages", "beta=true") == (
        "https://api.anthropic.com/v1/messages?beta=true"
    )
    assert join_url("https://x/v1beta/", "/v1beta/models/g:generateContent", "alt=sse") == (
        "https://x/v1beta/models/g:generateContent?alt=sse"
    )
    assert join_url("https://x/v1", "/v1x/y", "") == "https://x/v1/v1x/y"


def test_keys_in_the_query_are_not_forwarded() -> None:
    assert forwarded_query("alt=sse&key=sk-1") == "alt=sse"
    assert forwarded_query("alt=sse") == "alt=sse"
    assert query_key("alt=sse&key=sk-1") == "sk-1"
    assert query_key("alt=sse") is None


def test_headers_each_way() -> None:
    sent = forwarded_headers([
        ("Authorization", "Bearer sk-client"), ("X-Api-Key", "sk-client"), ("x-goog-api-key", "k"),
        ("Connection", "close"), ("Host", "gw"), ("Content-Length", "3"), ("anthropic-beta", "a"),
        ("anthropic-beta", "b"), ("x-litellm-api-key", "sk"), ("X-LLMRelay-Debug", "1"),
        ("x-forwarded-for", "10.0.0.1"), ("content-type", "application/json"),
    ])  # fmt: skip
    assert sent == {"anthropic-beta": "a, b", "content-type": "application/json"}
    back = relayed_headers({
        "content-encoding": "gzip", "set-cookie": "a", "request-id": "r", "transfer-encoding": "chunked",
        "content-type": "x", "x-request-id": "u",
    })  # fmt: skip
    assert back == [("request-id", "r")]


def test_every_provider_route_is_reserved_from_custom_paths() -> None:
    assert {route.prefix[1:] for route in PROVIDER_ROUTES} == PROVIDER_SEGMENTS


def _config(endpoint: dict[str, Any]) -> Any:
    return parse_config({"general_settings": {"pass_through_endpoints": [endpoint]}}, source="<test>")


def test_pass_through_endpoints_are_read() -> None:
    config = _config({"path": "/bria/", "target": "https://engine.example/v1", "include_subpath": True,
                      "headers": {"Authorization": "Bearer x"}, "auth": True, "cost_per_request": 0.5,
                      "methods": ["get", "POST"]})  # fmt: skip
    (endpoint,) = config.general.pass_through_endpoints
    assert endpoint.path == "/bria" and endpoint.include_subpath and endpoint.auth
    assert endpoint.methods == ["GET", "POST"] and endpoint.serves("GET") and not endpoint.serves("PUT")


@pytest.mark.parametrize(
    ("endpoint", "named"),
    [
        ({"path": "/x", "target": "https://t", "guardrails": {"g": None}}, "guardrails"),
        ({"path": "/x", "target": "https://t", "unknown_field": 1}, "unknown_field"),
        ({"path": "/anthropic/x", "target": "https://t"}, "provider"),
        ({"path": "x", "target": "https://t"}, "path"),
        ({"path": "/", "target": "https://t"}, "path"),
        ({"path": "/x", "target": "file:///etc/passwd"}, "target"),
        ({"path": "/x", "target": "https://t", "methods": ["TRACE"]}, "methods"),
    ],
)
def test_what_pass_through_endpoints_refuse(endpoint: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError) as refused:
        _config(endpoint)
    assert named in str(refused.value) and "pass_through_endpoints[0]" in str(refused.value)
