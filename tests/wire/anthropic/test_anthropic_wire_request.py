"""Inbound Anthropic requests: decoding to ChatRequest, round trips through the Anthropic adapter,
bad input, and token counting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llmrelay.providers.anthropic import AnthropicProvider
from llmrelay.types.chat import ImagePart, NamedToolChoice, TextPart
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError
from llmrelay.wire.anthropic import count_tokens, decode_request

INBOUND = Path(__file__).parents[2] / "fixtures" / "anthropic" / "inbound"


def _fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((INBOUND / f"{name}.json").read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("path", sorted(INBOUND.glob("*.json")), ids=lambda p: p.stem)
@pytest.mark.parametrize("as_bytes", [True, False])
def test_round_trip_through_canonical_reproduces_the_request(path: Path, as_bytes: bool) -> None:
    original = json.loads(path.read_text(encoding="utf-8"))
    request = decode_request(path.read_bytes() if as_bytes else original)
    adapter = AnthropicProvider()
    request = adapter.check_params(request, drop=False)
    deployment = Deployment(provider="anthropic", model=original["model"], api_key="k")
    http = adapter.prepare_chat(request, deployment)
    assert http.body is not None
    assert json.loads(http.body) == original


def test_decoded_request_has_the_canonical_shape() -> None:
    request = decode_request(_fixture("agent_tools"))
    roles = [m.role for m in request.messages]
    assert roles == ["system", "user", "assistant", "tool", "tool", "user"]
    assistant = request.messages[2]
    assert assistant.content == "Listing."
    assert assistant.reasoning_content == "I should call ls."
    assert assistant.tool_calls is not None
    assert [json.loads(c.function.arguments) for c in assistant.tool_calls] == [
        {"command": "ls", "timeout": 30},
        {},
    ]
    assert request.messages[3].tool_call_id == "toolu_01"
    assert request.tool_choice == "auto" and request.parallel_tool_calls is False
    assert request.max_tokens == 32000 and request.thinking == {"type": "enabled", "budget_tokens": 10000}


def test_basic_fields() -> None:
    request = decode_request(_fixture("basic"))
    assert request.stop == ["\n\nHuman:", "END"]
    assert request.user == "13803d75-b4b5-4c3e-b2a2-6f21399b021b"
    assert request.stream is True and request.top_k == 50
    assert (
        request.messages[0].role == "system" and request.messages[0].content == "You are a helpful assistant."
    )


def test_images_and_tool_choices() -> None:
    request = decode_request(_fixture("multimodal"))
    parts = request.messages[0].content
    assert isinstance(parts, list)
    assert (
        isinstance(parts[0], ImagePart)
        and parts[0].image_url.url == "data:image/jpeg;base64,/9j/4AAQSkZJRg=="
    )
    assert isinstance(parts[-1], TextPart)
    assert request.tool_choice == "none"
    forced = decode_request(_fixture("forced_tool"))
    assert isinstance(forced.tool_choice, NamedToolChoice) and forced.tool_choice.function.name == "record"
    assert decode_request(_fixture("any_tool")).tool_choice == "required"


def test_tool_results_go_before_the_turns_other_content() -> None:
    body = {
        "model": "m",
        "max_tokens": 5,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "note"},
                    {"type": "tool_result", "tool_use_id": "t1", "content": "r", "is_error": True},
                ],
            }
        ],
    }
    messages = decode_request(body).messages
    assert [(m.role, m.tool_call_id) for m in messages] == [("tool", "t1"), ("user", None)]


@pytest.mark.parametrize(
    ("body", "param", "fragment"),
    [
        ({"model": "m", "messages": [{"role": "user", "content": "x"}]}, "max_tokens", "max_tokens"),
        ({"model": "m", "max_tokens": "ten", "messages": []}, "max_tokens", "Expected `int"),
        (
            {"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": 5}]},
            "messages[0].content",
            "",
        ),
        (
            {"model": "m", "max_tokens": 1, "messages": [{"role": "system", "content": "x"}]},
            "messages[0].role",
            "",
        ),
        (
            {"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": [{"type": "video"}]}]},
            "messages[0].content[0].type",
            "video",
        ),
        (
            {
                "model": "m",
                "max_tokens": 1,
                "messages": [
                    {"role": "user", "content": [{"type": "tool_use", "id": "a", "name": "b", "input": {}}]}
                ],
            },
            "messages[0].content[0]",
            "user turn",
        ),
        (
            {
                "model": "m",
                "max_tokens": 1,
                "messages": [{"role": "user", "content": "x"}],
                "tools": [{"input_schema": {"type": "object"}}],
            },
            "tools[0]",
            "`name`",
        ),
        (
            {
                "model": "m",
                "max_tokens": 1,
                "messages": [{"role": "user", "content": "x"}],
                "tool_choice": {"type": "tool"},
            },
            "tool_choice.name",
            "required",
        ),
        (
            {
                "model": "m",
                "max_tokens": 1,
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "image", "source": {"type": "file", "file_id": "file_1"}}],
                    }
                ],
            },
            "messages[0].content[0].source",
            "file sources",
        ),
    ],
)
def test_bad_input_is_a_bad_request_naming_the_field(body: dict[str, Any], param: str, fragment: str) -> None:
    with pytest.raises(BadRequestError) as info:
        decode_request(body)
    assert info.value.param == param
    assert fragment in info.value.message
    assert info.value.status_code == 400


def test_invalid_json_is_a_bad_request() -> None:
    with pytest.raises(BadRequestError, match="not valid JSON"):
        decode_request(b'{"model": ')


def test_count_tokens_estimates_without_max_tokens() -> None:
    short = count_tokens({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hello"}]})
    long_text = "The quick brown fox jumps over the lazy dog. " * 50
    long = count_tokens(
        json.dumps(
            {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": long_text}]}
        ).encode()
    )
    assert set(short) == {"input_tokens"}
    assert 1 <= short["input_tokens"] < 20
    # 50 repetitions of a 10-word sentence: several hundred tokens, whatever the exact tokenizer
    assert 400 <= long["input_tokens"] <= 700
    with_tools = count_tokens(
        {
            "model": "claude-sonnet-4-5",
            "messages": [{"role": "user", "content": "Hello"}],
            "tools": [
                {
                    "name": "get_weather",
                    "description": "Weather for a city",
                    "input_schema": {"type": "object"},
                }
            ],
        }
    )
    assert with_tools["input_tokens"] > short["input_tokens"]


def test_server_tools_are_kept_as_written_beside_client_tools() -> None:
    search = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
    client_tool = {"name": "lookup", "input_schema": {"type": "object"}}
    request = decode_request(
        {"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": "x"}],
         "tools": [search, client_tool]}
    )  # fmt: skip
    assert request.server_tools == [search]
    assert request.tools is not None and [t.function.name for t in request.tools] == ["lookup"]
