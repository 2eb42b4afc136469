"""Behaviour of the Anthropic adapter beyond the golden fixtures: endpoint, headers, parameter policy,
mapping edge cases and input errors."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from llmrelay.providers.anthropic import AnthropicProvider
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment


def _req(**fields: Any) -> ChatRequest:
    fields.setdefault("messages", [{"role": "user", "content": "hi"}])
    return msgspec.convert({"model": "claude-sonnet-4-5", **fields}, ChatRequest)


def _body(request: ChatRequest, **deployment: Any) -> dict[str, Any]:
    dep = Deployment(provider="anthropic", model="claude-sonnet-4-5", api_key="k", **deployment)
    http = AnthropicProvider().prepare_chat(request, dep)
    assert http.body is not None
    data: dict[str, Any] = json.loads(http.body)
    return data


def test_registry_builds_the_native_adapter() -> None:
    assert isinstance(ProviderRegistry().get("anthropic"), AnthropicProvider)


@pytest.mark.parametrize(
    ("api_base", "url"),
    [
        (None, "https://api.anthropic.com/v1/messages"),
        ("https://proxy.example.com/", "https://proxy.example.com/v1/messages"),
        ("https://proxy.example.com/anthropic/v1", "https://proxy.example.com/anthropic/v1/messages"),
        ("http://127.0.0.1:9000/v1/messages", "http://127.0.0.1:9000/v1/messages"),
    ],
)
def test_api_base_is_the_host_root(api_base: str | None, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_BASE", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    dep = Deployment(provider="anthropic", model="m", api_key="k", api_base=api_base)
    assert AnthropicProvider().prepare_chat(_req(), dep).url == url


def test_env_supplies_key_and_base(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env")
    monkeypatch.delenv("ANTHROPIC_API_BASE", raising=False)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://gw.example.com")
    http = AnthropicProvider().prepare_chat(_req(), Deployment(provider="anthropic", model="m"))
    assert http.url == "https://gw.example.com/v1/messages"
    assert http.headers["x-api-key"] == "sk-ant-env"
    assert "sk-ant-env" not in repr(http)


def test_missing_key_is_an_authentication_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(errors.AuthenticationError, match="ANTHROPIC_API_KEY"):
        AnthropicProvider().prepare_chat(_req(), Deployment(provider="anthropic", model="m"))


def test_headers_and_extra_headers() -> None:
    dep = Deployment(
        provider="anthropic",
        model="m",
        api_key="sk",
        extra_headers={"Anthropic-Beta": "files-api-2025-04-14"},
    )
    headers = AnthropicProvider().prepare_chat(_req(), dep).headers
    assert headers == {
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
        "x-api-key": "sk",
        "anthropic-beta": "files-api-2025-04-14",
    }


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"n": 2}, "n"),
        ({"logprobs": True}, "logprobs"),
        ({"presence_penalty": 0.5}, "presence_penalty"),
        ({"seed": 7}, "seed"),
        ({"logit_bias": {"1": 2.0}}, "logit_bias"),
    ],
)
def test_unsupported_params_are_refused_or_dropped(fields: dict[str, Any], param: str) -> None:
    adapter = AnthropicProvider()
    with pytest.raises(errors.UnsupportedParamsError) as info:
        adapter.check_params(_req(**fields), drop=False)
    assert info.value.param == param
    assert getattr(adapter.check_params(_req(**fields), drop=True), param) is None


def test_n_of_one_is_accepted() -> None:
    assert AnthropicProvider().check_params(_req(n=1, temperature=0.1), drop=False).n is None


def test_parallel_tool_calls_false_without_tool_choice() -> None:
    tools = [{"type": "function", "function": {"name": "f"}}]
    body = _body(_req(tools=tools, parallel_tool_calls=False))
    assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}


def test_tool_choice_none_is_sent_as_none() -> None:
    tools = [{"type": "function", "function": {"name": "f"}}]
    assert _body(_req(tools=tools, tool_choice="none"))["tool_choice"] == {"type": "none"}


def test_json_mode_with_own_tools_does_not_force_the_json_tool() -> None:
    tools = [{"type": "function", "function": {"name": "f"}}]
    body = _body(_req(tools=tools, response_format={"type": "json_object"}))
    assert [t["name"] for t in body["tools"]] == ["f", "json_response"]
    assert "tool_choice" not in body


def test_json_mode_with_thinking_does_not_force_the_json_tool() -> None:
    body = _body(_req(response_format={"type": "json_object"}, reasoning_effort="low"))
    assert "tool_choice" not in body
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert body["max_tokens"] == 4096 + 2048


@pytest.mark.parametrize(
    ("effort", "budget"),
    [("minimal", 1024), ("low", 2048), ("medium", 4096), ("high", 8192), ("xhigh", 16384)],
)
def test_reasoning_effort_budgets(effort: str, budget: int) -> None:
    body = _body(_req(reasoning_effort=effort, max_tokens=50000))
    assert body["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert body["max_tokens"] == 50000


def test_reasoning_effort_none_sends_no_thinking() -> None:
    body = _body(_req(reasoning_effort="none"))
    assert "thinking" not in body and body["max_tokens"] == 4096


def test_consecutive_same_role_turns_are_merged() -> None:
    body = _body(
        _req(
            messages=[
                {"role": "user", "content": "a"},
                {"role": "user", "content": [{"type": "text", "text": "b"}]},
                {"role": "assistant", "content": ""},
                {"role": "user", "content": "c"},
            ]
        )
    )
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "a"},
                {"type": "text", "text": "b"},
                {"type": "text", "text": "c"},
            ],
        }
    ]


def test_message_level_cache_control_marks_the_last_block() -> None:
    body = _body(
        _req(
            messages=[
                {"role": "user", "content": "q"},
                {
                    "role": "assistant",
                    "content": "x",
                    "tool_calls": [{"id": "t1", "function": {"name": "f", "arguments": ""}}],
                    "cache_control": {"type": "ephemeral"},
                },
                {
                    "role": "tool",
                    "tool_call_id": "t1",
                    "content": "r",
                    "cache_control": {"type": "ephemeral"},
                },
            ]
        )
    )
    assistant, tool_turn = body["messages"][1], body["messages"][2]
    assert assistant["content"][-1] == {
        "type": "tool_use",
        "id": "t1",
        "name": "f",
        "input": {},
        "cache_control": {"type": "ephemeral"},
    }
    assert tool_turn["content"] == [
        {"type": "tool_result", "tool_use_id": "t1", "content": "r", "cache_control": {"type": "ephemeral"}}
    ]


@pytest.mark.parametrize(
    ("messages", "exc", "fragment"),
    [
        (
            [
                {
                    "role": "user",
                    "content": [{"type": "input_audio", "input_audio": {"data": "AA", "format": "wav"}}],
                }
            ],
            errors.UnsupportedParamsError,
            "audio",
        ),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x/y.png"}}]}],
            errors.BadRequestError,
            "messages[0].content[0]",
        ),
        (
            [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "data:image/png,raw"}}],
                }
            ],
            errors.BadRequestError,
            "base64 data URL",
        ),
        (
            [
                {"role": "user", "content": "q"},
                {
                    "role": "assistant",
                    "tool_calls": [{"id": "t", "function": {"name": "f", "arguments": "{bad"}}],
                },
            ],
            errors.BadRequestError,
            "messages[1].tool_calls[0].function.arguments",
        ),
        ([{"role": "function", "name": "f", "content": "x"}], errors.BadRequestError, "messages[0].role"),
        ([{"role": "tool", "content": "x"}], errors.BadRequestError, "tool_call_id"),
        ([{"role": "system", "content": "only a system prompt"}], errors.BadRequestError, "at least one"),
    ],
)
def test_bad_input_names_the_field(
    messages: list[dict[str, Any]], exc: type[Exception], fragment: str
) -> None:
    with pytest.raises(exc, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        _body(_req(messages=messages))


def test_malformed_response_body_is_a_server_error() -> None:
    from llmrelay.types.http import HttpResponse

    with pytest.raises(errors.InternalServerError, match="malformed response"):
        AnthropicProvider().parse_chat(HttpResponse(status=200, body=b'{"id": 1}'), _req())
