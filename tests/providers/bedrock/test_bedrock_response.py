"""Converse responses → ChatResponse, embeddings, and Bedrock errors → llmrelay's error classes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import chat

from llmrelay.providers.bedrock import BedrockProvider
from llmrelay.types import errors
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.http import HttpResponse
from llmrelay.types.response import hidden_params


def reply(body: dict[str, Any], **headers: str) -> HttpResponse:
    return HttpResponse(status=200, body=json.dumps(body).encode(), headers=headers)


def converse(content: list[dict[str, Any]], stop: str = "end_turn", **usage: int) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15, **usage},
        "metrics": {"latencyMs": 123},
    }


def test_text_answer_usage_and_request_id() -> None:
    response = BedrockProvider().parse_chat(
        reply(converse([{"text": "Hello"}, {"text": " there"}]), **{"x-amzn-requestid": "req-1"}), chat()
    )
    assert response.id == "chatcmpl-req-1"
    assert response.model == "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0"
    assert response.choices[0].message.content == "Hello there"
    assert response.choices[0].finish_reason == "stop"
    assert response.usage is not None
    assert (response.usage.prompt_tokens, response.usage.completion_tokens, response.usage.total_tokens) == (
        10,
        5,
        15,
    )
    assert hidden_params(response)["bedrock_metrics"] == {"latencyMs": 123}


def test_cache_tokens_count_inside_prompt_tokens() -> None:
    body = converse([{"text": "x"}], cacheReadInputTokens=100, cacheWriteInputTokens=20)
    usage = BedrockProvider().parse_chat(reply(body), chat()).usage
    assert usage is not None
    assert usage.prompt_tokens == 130
    assert usage.cached_tokens == 100
    assert usage.cache_creation_tokens == 20
    assert usage.total_tokens == 135


def test_tool_use_and_reasoning() -> None:
    body = converse(
        [
            {"reasoningContent": {"reasoningText": {"text": "Need weather.", "signature": "sig-1"}}},
            {"reasoningContent": {"redactedContent": "cmVkYWN0ZWQ="}},
            {"text": "Let me check."},
            {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}},
        ],
        stop="tool_use",
    )
    message = BedrockProvider().parse_chat(reply(body), chat()).choices[0]
    assert message.finish_reason == "tool_calls"
    assert message.message.content == "Let me check."
    assert message.message.reasoning_content == "Need weather."
    assert message.message.thinking_blocks == [
        {"type": "thinking", "thinking": "Need weather.", "signature": "sig-1"},
        {"type": "redacted_thinking", "data": "cmVkYWN0ZWQ="},
    ]
    calls = message.message.tool_calls or []
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("tooluse_1", "get_weather", {"city": "Paris"})
    ]


def test_tool_only_answer_has_no_content() -> None:
    body = converse([{"toolUse": {"toolUseId": "t", "name": "f", "input": {}}}], stop="tool_use")
    assert BedrockProvider().parse_chat(reply(body), chat()).choices[0].message.content is None


@pytest.mark.parametrize(
    ("stop", "finish"),
    [("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("tool_use", "tool_calls"),
     ("guardrail_intervened", "content_filter"), ("content_filtered", "content_filter"),
     ("model_context_window_exceeded", "length"), ("something_new", "stop")],
)  # fmt: skip
def test_stop_reasons(stop: str, finish: str) -> None:
    assert (
        BedrockProvider().parse_chat(reply(converse([{"text": "x"}], stop)), chat()).choices[0].finish_reason
        == finish
    )


def test_malformed_answer_is_a_server_error() -> None:
    with pytest.raises(errors.InternalServerError, match="malformed response"):
        BedrockProvider().parse_chat(HttpResponse(status=200, body=b'{"output": 1}'), chat())


# ---- embeddings


def test_titan_and_cohere_embeddings() -> None:
    request = EmbeddingRequest(model="bedrock/amazon.titan-embed-text-v2:0", input="hi")
    titan = BedrockProvider().parse_embedding(
        reply({"embedding": [0.5, 0.25], "inputTextTokenCount": 3}), request
    )
    assert titan.data[0].embedding == [0.5, 0.25]
    assert titan.usage.prompt_tokens == 3
    request = EmbeddingRequest(model="embeddings-alias", input=["a", "b"], encoding_format="base64")
    body = {"embeddings": [[1.0], [2.0]], "id": "x", "response_type": "embeddings_floats"}
    cohere = BedrockProvider().parse_embedding(
        reply(body, **{"x-amzn-bedrock-input-token-count": "4"}), request
    )
    assert [d.index for d in cohere.data] == [0, 1]
    assert cohere.data[0].embedding == "AACAPw=="  # 1.0 as a little-endian float32
    assert cohere.usage.total_tokens == 4


def test_embedding_request_bodies() -> None:
    from llmrelay.providers.bedrock.embedding import embedding_body

    titan = embedding_body(
        EmbeddingRequest(model="m", input="hi", dimensions=256), "amazon.titan-embed-text-v2:0"
    )
    assert titan == {"inputText": "hi", "dimensions": 256}
    cohere = embedding_body(EmbeddingRequest(model="m", input=["a", "b"]), "cohere.embed-english-v3")
    assert cohere == {"texts": ["a", "b"], "input_type": "search_document"}
    query = embedding_body(
        EmbeddingRequest(model="m", input="q", task_type="search_query"), "cohere.embed-english-v3"
    )
    assert query["input_type"] == "search_query"
    with pytest.raises(errors.BadRequestError, match="one text per call"):
        embedding_body(EmbeddingRequest(model="m", input=["a", "b"]), "amazon.titan-embed-text-v2:0")
    with pytest.raises(errors.BadRequestError, match="Titan Text Embeddings and Cohere Embed"):
        embedding_body(EmbeddingRequest(model="m", input="a"), "amazon.nova-pro-v1:0")


# ---- errors


def error(status: int, name: str | None, message: str, *, in_body: bool = False) -> errors.LLMError:
    body: dict[str, Any] = {"message": message}
    headers: dict[str, str] = {}
    if name and in_body:
        body["__type"] = f"com.amazon.coral.service#{name}"
    elif name:
        headers["x-amzn-errortype"] = f"{name}:http://internal.amazon.com/coral/com.amazon.bedrock/"
    return BedrockProvider().classify_error(status, headers, json.dumps(body).encode())


# each status's usual exception (ValidationException, ThrottlingException, AccessDenied...,
# ResourceNotFound..., ModelTimeout..., InternalServer..., ServiceUnavailable...) is checked for every
# adapter in tests/conformance; here the other names Bedrock uses
@pytest.mark.parametrize(
    ("status", "name", "cls"),
    [
        (429, "ModelNotReadyException", errors.RateLimitError),
        (400, "ServiceQuotaExceededException", errors.RateLimitError),
        (424, "ModelErrorException", errors.InternalServerError),
        (403, "InvalidSignatureException", errors.AuthenticationError),
        (403, "UnrecognizedClientException", errors.AuthenticationError),
        (403, "ExpiredTokenException", errors.AuthenticationError),
        (403, "MissingAuthenticationTokenException", errors.AuthenticationError),
        (502, None, errors.BadGatewayError),
    ],
)
def test_error_classes(status: int, name: str | None, cls: type[errors.LLMError]) -> None:
    exc = error(status, name, "boom")
    assert type(exc) is cls
    assert exc.message == "boom"
    assert exc.provider == "bedrock"
    assert exc.code == name


def test_error_type_from_the_body_and_statuses() -> None:
    exc = error(
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
        in_body=True,
    )
    assert isinstance(exc, errors.AuthenticationError)
    assert exc.status_code == 401  # what OpenAI clients expect of an authentication error
    assert error(429, "ThrottlingException", "slow down").status_code == 429


@pytest.mark.parametrize(
    "message",
    [
        "Input is too long for requested model.",
        "input length and `max_tokens` exceed context limit: 199999 + 4096 > 200000",
        "The model returned the following errors: prompt is too long: 210000 tokens > 200000 maximum",
    ],
)
def test_context_window_errors(message: str) -> None:
    assert isinstance(error(400, "ValidationException", message), errors.ContextWindowExceededError)


def test_non_json_error_body_keeps_its_text() -> None:
    exc = BedrockProvider().classify_error(503, {}, b"<html>Service Unavailable</html>")
    assert isinstance(exc, errors.ServiceUnavailableError)
    assert "Service Unavailable" in exc.message
