"""Canonical types read like the OpenAI SDK's objects, encode with OpenAI's constant fields, and
never print secrets."""

from __future__ import annotations

import msgspec
import pytest

from llmrelay.core.requests import build_request
from llmrelay.types.chat import (
    ChatRequest,
    FunctionCall,
    FunctionDefinition,
    NamedToolChoice,
    Tool,
    ToolCall,
    ToolChoiceFunction,
)
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingData, EmbeddingResponse, EmbeddingUsage
from llmrelay.types.errors import BadRequestError
from llmrelay.types.http import HttpRequest
from llmrelay.types.response import ChatChunk, ChatResponse, Choice, ResponseMessage, Usage


def test_constant_fields_are_always_encoded() -> None:
    # constructed in code (default values) and written as literals (interned strings) alike
    call = ToolCall(id="c", function=FunctionCall(name="f", arguments="{}"))
    tool = Tool(function=FunctionDefinition(name="f"))
    choice = NamedToolChoice(function=ToolChoiceFunction(name="f"), type="function")
    assert msgspec.to_builtins(call)["type"] == "function"
    assert msgspec.to_builtins(tool) == {"function": {"name": "f"}, "type": "function"}
    assert msgspec.to_builtins(choice)["type"] == "function"
    resp = ChatResponse(id="r", created=1, model="m", choices=[])
    assert msgspec.json.decode(msgspec.json.encode(resp))["object"] == "chat.completion"
    assert ChatChunk(id="r", created=1, model="m", choices=[]).to_dict()["object"] == "chat.completion.chunk"
    emb = EmbeddingResponse(data=[EmbeddingData(index=0, embedding=[1.0])], model="e", usage=EmbeddingUsage())
    assert emb.to_dict()["object"] == "list" and emb.to_dict()["data"][0]["object"] == "embedding"


def test_tools_from_user_dicts_keep_their_type() -> None:
    request = build_request(ChatRequest, {
        "model": "m", "messages": [],
        "tools": [{"type": "function", "function": {"name": "f"}}],
        "tool_choice": {"type": "function", "function": {"name": "f"}},
    })  # fmt: skip
    body = msgspec.json.decode(msgspec.json.encode(request))
    assert body["tools"] == [{"function": {"name": "f"}, "type": "function"}]
    assert body["tool_choice"]["type"] == "function"


def test_reads_like_the_openai_sdk_and_like_a_dict() -> None:
    resp = ChatResponse(
        id="r", created=1, model="m",
        choices=[Choice(index=0, message=ResponseMessage(content="hi"), finish_reason="stop")],
        usage=Usage(prompt_tokens=1, completion_tokens=2, total_tokens=3),
    )  # fmt: skip
    assert resp.choices[0].message.content == "hi" and resp.usage is not None and resp.usage.total_tokens == 3
    assert resp["choices"][0]["message"]["content"] == "hi"
    assert resp.get("missing", 5) == 5
    with pytest.raises(KeyError):
        resp["missing"]
    assert resp.model_dump() == resp.to_dict()
    assert msgspec.json.decode(resp.model_dump_json()) == resp.to_dict()


def test_unknown_fields_go_to_extra_body_and_bad_ones_name_the_path() -> None:
    request = build_request(ChatRequest, {"model": "m", "messages": [], "guided_json": {"a": 1}})
    assert request.extra_body == {"guided_json": {"a": 1}}
    with pytest.raises(BadRequestError) as info:
        build_request(ChatRequest, {"model": "m", "messages": [{"role": "user", "content": 5}]})
    assert info.value.param == "messages[0].content"


def test_usage_details() -> None:
    usage = msgspec.convert(
        {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
         "prompt_tokens_details": {"cached_tokens": 4, "cache_creation_tokens": 2},
         "completion_tokens_details": {"reasoning_tokens": 3}},
        Usage,
    )  # fmt: skip
    assert (usage.cached_tokens, usage.cache_creation_tokens, usage.reasoning_tokens) == (4, 2, 3)
    assert (Usage().cached_tokens, Usage().reasoning_tokens) == (0, 0)


def test_secrets_never_printed() -> None:
    deployment = Deployment(provider="openai", model="gpt-4o", api_key="sk-secret-1")
    assert "sk-secret" not in repr(deployment) and "api_key=set" in repr(deployment)
    request = HttpRequest(url="https://x/v1", headers={"authorization": "Bearer sk-secret-1"}, body=b"{}")
    assert "sk-secret" not in repr(request)
