"""The Anthropic SDK through /v1/messages: the `anthropic-beta` header and Anthropic's server tools
reach an Anthropic deployment (and are refused, with a clear 400, where no provider can run them);
/v1/messages/count_tokens on a Claude deployment is Anthropic's own count."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import anthropic
import pytest

from llmrelay.cli.demo import DEMO_MASTER_KEY as MASTER_KEY
from llmrelay.testing import SimulatorGroup

WEB_SEARCH = {"type": "web_search_20250305", "name": "web_search", "max_uses": 2}
ASK = [{"role": "user", "content": "Who won the 2025 Tour de France?"}]


@pytest.fixture
def claude(gateway_url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway_url, api_key=MASTER_KEY, max_retries=0)


def test_beta_header_and_server_tools_reach_anthropic(
    claude: anthropic.Anthropic, fresh: SimulatorGroup
) -> None:
    answer = claude.messages.create(
        model="claude-sonnet", max_tokens=64, messages=ASK,  # type: ignore[arg-type]
        tools=[WEB_SEARCH, {"name": "lookup", "input_schema": {"type": "object"}}],  # type: ignore[list-item]
        extra_headers={"anthropic-beta": "context-1m-2025-08-07, web-fetch-2025-09-10"},
    )  # fmt: skip
    assert answer.content
    sent = fresh.anthropic.requests.last
    assert sent.header("anthropic-beta") == "context-1m-2025-08-07,web-fetch-2025-09-10"
    tools = sent.body["tools"]
    assert {"name": "lookup", "input_schema": {"type": "object"}} in tools
    assert WEB_SEARCH in tools  # as the client wrote it, max_uses included


def test_server_tools_are_refused_where_no_provider_runs_them(
    claude: anthropic.Anthropic, fresh: SimulatorGroup
) -> None:
    with pytest.raises(anthropic.BadRequestError, match="server_tools"):
        claude.messages.create(
            model="gemini-flash",
            max_tokens=64,
            messages=ASK,
            tools=[WEB_SEARCH],  # type: ignore[list-item]
        )
    assert fresh.gemini.requests.count() == 0


def test_malformed_beta_header_is_a_400(gateway_url: str, fresh: SimulatorGroup) -> None:
    request = urllib.request.Request(
        gateway_url + "/v1/messages",
        data=json.dumps({"model": "claude-sonnet", "max_tokens": 8, "messages": ASK}).encode(),
        headers={"x-api-key": MASTER_KEY, "anthropic-version": "2023-06-01", "anthropic-beta": "a b;c",
                 "content-type": "application/json"},
    )  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 400
    assert "anthropic-beta" in info.value.read().decode()
    assert fresh.anthropic.requests.count() == 0


def test_count_tokens_on_claude_asks_anthropic(claude: anthropic.Anthropic, fresh: SimulatorGroup) -> None:
    messages = [{"role": "user", "content": "Hello, Claude"}]
    direct = anthropic.Anthropic(
        base_url=fresh.anthropic.api_base, api_key=fresh.anthropic.api_key, max_retries=0
    ).messages.count_tokens(model="claude-sonnet-4-5", messages=messages)  # type: ignore[arg-type]
    fresh.reset()
    counted = claude.messages.count_tokens(
        model="claude-sonnet", messages=messages,  # type: ignore[arg-type]
        extra_headers={"anthropic-beta": "token-counting-2024-11-01"},
    )  # fmt: skip
    assert counted.input_tokens == direct.input_tokens
    sent = fresh.anthropic.requests.last
    assert sent.path.endswith("/v1/messages/count_tokens")
    assert sent.body["model"] == "claude-sonnet-4-5"
    assert sent.header("anthropic-beta") == "token-counting-2024-11-01"


def test_count_tokens_elsewhere_is_the_local_estimate(
    claude: anthropic.Anthropic, fresh: SimulatorGroup
) -> None:
    hello = [{"role": "user", "content": "hello"}]
    counted = claude.messages.count_tokens(model="gpt-4o-mini", messages=hello)  # type: ignore[arg-type]
    assert counted.input_tokens > 0
    assert fresh.anthropic.requests.count() == 0 and fresh.openai.requests.count() == 0
