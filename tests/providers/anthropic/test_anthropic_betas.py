"""The client's `anthropic-beta` features (ChatRequest.anthropic_beta, a call field) go to Anthropic's
API and to Claude on Vertex AI as that header, after the ones a deployment configures; server tools go
to Anthropic only, and no other provider's body ever carries either."""

from __future__ import annotations

import json

import pytest

from llmrelay.providers.anthropic import AnthropicProvider
from llmrelay.providers.anthropic.adapter import with_betas
from llmrelay.providers.gemini import GeminiProvider
from llmrelay.providers.openai.adapter import OpenAICompatible
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.providers.vertex.adapter import VertexAnthropic
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest, Message
from llmrelay.types.deployment import Deployment

SEARCH = {"type": "web_search_20250305", "name": "web_search", "max_uses": 1}


def request(**fields: object) -> ChatRequest:
    return ChatRequest(model="m", messages=[Message(role="user", content="hi")], **fields)  # type: ignore[arg-type]


def test_with_betas_keeps_configured_ones_first_without_repeats() -> None:
    headers = with_betas({"anthropic-beta": "a-1, b-2"}, ["b-2", "c-3"])
    assert headers["anthropic-beta"] == "a-1,b-2,c-3"
    assert with_betas({}, None) == {}


def test_anthropic_and_vertex_claude_send_the_header() -> None:
    betas = request(anthropic_beta=["context-1m-2025-08-07"])
    sent = AnthropicProvider().prepare_chat(betas, Deployment(provider="anthropic", model="c", api_key="k"))
    assert sent.headers["anthropic-beta"] == "context-1m-2025-08-07"
    vertex = Deployment(
        provider="vertex_ai", model="claude-sonnet-4@20250514", api_key="ya29.t",
        options={"vertex_project": "p", "vertex_location": "us-east5"},
    )  # fmt: skip
    assert VertexAnthropic().prepare_chat(betas, vertex).headers["anthropic-beta"] == "context-1m-2025-08-07"


def test_server_tools_go_to_anthropic_and_are_refused_elsewhere() -> None:
    tools = request(server_tools=[SEARCH])
    anthropic = AnthropicProvider()
    checked = anthropic.check_params(tools, drop=False)
    body = json.loads(
        anthropic.prepare_chat(checked, Deployment(provider="anthropic", model="c", api_key="k")).body or b""
    )
    assert body["tools"] == [SEARCH]
    for other in (GeminiProvider(), VertexAnthropic()):
        with pytest.raises(errors.UnsupportedParamsError, match="server_tools"):
            other.check_params(tools, drop=False)


def test_openai_body_never_carries_the_call_fields() -> None:
    openai = ProviderRegistry().get("openai")
    assert isinstance(openai, OpenAICompatible)
    sent = openai.prepare_chat(
        request(anthropic_beta=["x-1"]), Deployment(provider="openai", model="g", api_key="k")
    )
    body = json.loads(sent.body or b"")
    assert "anthropic_beta" not in body and "anthropic-beta" not in sent.headers
