"""`mcp_servers:` read with LiteLLM's spellings: what is implemented is typed, what is not stops the
start naming the field, secrets never show in a repr, the credential goes in the header its auth_type
names."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from llmrelay.config.errors import ConfigError
from llmrelay.config.loader import parse_config


def servers(entries: dict[str, Any], environ: dict[str, str] | None = None) -> Any:
    return parse_config({"mcp_servers": entries}, source="t.yaml", environ=environ or {}).mcp_servers


def test_stdio_and_http_servers_are_read() -> None:
    read = servers(
        {
            "files": {"transport": "stdio", "command": "npx", "args": ["-y", "server"], "env": {"A": "1"}},
            "web": {
                "url": "https://mcp.example/mcp",
                "auth_type": "bearer_token",
                "authentication_token": "os.environ/MCP_TOKEN",
                "static_headers": {"X-Team": "t1"},
            },
        },
        {"MCP_TOKEN": "tok-123"},
    )
    assert read["files"].command == "npx" and read["files"].args == ["-y", "server"]
    assert read["web"].transport == "http"  # LiteLLM's default
    assert read["web"].headers() == {"X-Team": "t1", "Authorization": "Bearer tok-123"}
    # a repr (logs, tracebacks) never holds the credential
    assert "tok-123" not in repr(read) and "tok-123" in read["web"].secrets()


@pytest.mark.parametrize(
    ("auth_type", "token", "header"),
    [
        ("bearer_token", "Bearer abc", "Bearer abc"),
        ("api_key", "abc", "ApiKey abc"),
        ("token", "abc", "token abc"),
        ("basic", "user:pass", "Basic " + base64.b64encode(b"user:pass").decode()),
        ("authorization", "Custom xyz", "Custom xyz"),
    ],
)
def test_each_auth_type_puts_the_token_in_its_header(auth_type: str, token: str, header: str) -> None:
    read = servers({"s": {"url": "http://x/mcp", "auth_type": auth_type, "authentication_token": token}})
    assert read["s"].headers() == {"Authorization": header}


@pytest.mark.parametrize(
    ("entries", "says"),
    [
        ({"a-b": {"url": "http://x/mcp"}}, "no '-'"),
        ({"a": {"url": "http://x/mcp", "spec_path": "/openapi.json"}}, "spec_path: not supported"),
        ({"a": {"url": "http://x/mcp", "auth_type": "oauth2", "client_id": "c"}}, "client_id: not supported"),
        ({"a": {"url": "http://x/mcp", "extra_headers": ["x-user"]}}, "extra_headers: not supported"),
        ({"a": {"transport": "stdio"}}, "command"),
        ({"a": {"transport": "stdio", "command": "x", "url": "http://x"}}, "url"),
        ({"a": {"url": "ftp://x"}}, "url"),
        ({"a": {"command": "x"}}, "url"),
        ({"a": {"url": "http://x/mcp", "auth_type": "bearer_token"}}, "needs a token"),
        ({"a": {"url": "http://x/mcp", "authentication_token": "t"}}, "auth_type"),
        ({"a": {"url": "http://x/mcp", "auth_type": "aws_sigv4", "authentication_token": "t"}}, "auth_type"),
        ({"a": {"url": "http://x/mcp", "static_headers": {"bad header": "v"}}}, "static_headers"),
        ({"a": {"url": "http://x/mcp", "bogus": 1}}, "bogus"),
        ({"a": {"url": "http://x/mcp", "static_headers": {"X-A": "v\r\nX-B: w"}}}, "control characters"),
        ({"a": {"url": "http://x/mcp", "alias": "b"}, "b": {"url": "http://y/mcp"}}, "prefix"),
        ({"a": {"url": "http://x/mcp", "mcp_info": {"mcp_server_cost_info": {"default_cost_per_query": -1}}}},
         "cost"),
        ({"a": {"url": "http://x/mcp", "mcp_info": {"mcp_server_cost_info": {"per_token": 1}}}}, "per_token"),
    ],
)  # fmt: skip
def test_what_is_not_implemented_or_wrong_stops_the_start(entries: dict[str, Any], says: str) -> None:
    with pytest.raises(ConfigError) as refused:
        servers(entries)
    assert says in str(refused.value)
    assert "mcp_servers" in str(refused.value)


def test_costs_per_call() -> None:
    info = {
        "mcp_server_cost_info": {"default_cost_per_query": 0.01, "tool_name_to_cost_per_query": {"big": 2}}
    }
    read = servers({"a": {"url": "http://x/mcp", "mcp_info": info}})["a"]
    assert read.cost_micros("small") == 10_000 and read.cost_micros("big") == 2_000_000
    assert servers({"b": {"url": "http://x/mcp"}})["b"].cost_micros("any") == 0


def test_litellm_settings_mcp_aliases_is_refused_not_ignored() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config({"litellm_settings": {"mcp_aliases": {"x": "y"}}}, source="t.yaml", environ={})
    assert "mcp_aliases" in str(refused.value)
