"""The Bedrock adapter end to end through the SDK against the Bedrock simulator, which verifies SigV4
signatures: answers, streams, tool calls, thinking, embeddings, bad signatures, throttling and faults."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

import llmrelay
from llmrelay.client import Client
from llmrelay.testing import RunningSimulator
from llmrelay.testing.bedrock_sim import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY
from llmrelay.testing.content import reply_text, tool_result_reply
from llmrelay.types import errors
from llmrelay.types.response import ChatChunk, ChatResponse

MODEL = "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0"
QUESTION = "What is the capital of France?"
USER = [{"role": "user", "content": QUESTION}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    async with Client() as c:
        yield c


def sigv4(sim: RunningSimulator, **overrides: str) -> dict[str, Any]:
    return {
        "api_base": sim.api_base,
        "aws_region_name": REGION,
        "aws_access_key_id": ACCESS_KEY_ID,
        "aws_secret_access_key": SECRET_ACCESS_KEY,
        "max_retries": 0,
        **overrides,
    }


async def complete(client: Client, sim: RunningSimulator, model: str = MODEL, **params: Any) -> ChatResponse:
    params.setdefault("messages", USER)
    result = await client.acompletion(model, **sigv4(sim), **params)
    assert isinstance(result, ChatResponse)
    return result


async def collect(stream: Any) -> list[ChatChunk]:
    return [chunk async for chunk in stream]


async def test_signed_answer_with_usage_and_price(client: Client, bedrock_sim: RunningSimulator) -> None:
    result = await complete(client, bedrock_sim, temperature=0.2, max_tokens=50)
    assert result.choices[0].message.content == reply_text(QUESTION)
    assert result.choices[0].finish_reason == "stop"
    assert result.usage is not None and result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert result.id.startswith("chatcmpl-")
    # a known catalog model: priced
    assert llmrelay.types.response.hidden_params(result)["cost_micros"] > 0
    sent = bedrock_sim.requests.last
    assert sent.path == "/model/anthropic.claude-3-5-sonnet-20240620-v1:0/converse"
    assert sent.headers["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/")
    assert sent.body["inferenceConfig"] == {"maxTokens": 50, "temperature": 0.2}
    assert SECRET_ACCESS_KEY.encode() not in sent.raw_body


@pytest.mark.parametrize(
    "model",
    [
        "bedrock/converse/anthropic.claude-3-5-sonnet-20240620-v1:0",
        "bedrock/us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        "bedrock/meta.llama3-1-70b-instruct-v1:0",
        "bedrock/amazon.nova-pro-v1:0",
    ],
)
async def test_model_strings(client: Client, bedrock_sim: RunningSimulator, model: str) -> None:
    result = await complete(client, bedrock_sim, model)
    assert result.choices[0].message.content == reply_text(QUESTION)
    assert bedrock_sim.requests.last.path == f"/model/{model.split('/')[-1]}/converse"


async def test_session_token_is_signed(client: Client, bedrock_sim: RunningSimulator) -> None:
    result = await client.acompletion(MODEL, USER, **sigv4(bedrock_sim, aws_session_token="sess-token"))
    assert isinstance(result, ChatResponse)
    sent = bedrock_sim.requests.last
    assert sent.headers["x-amz-security-token"] == "sess-token"
    assert "x-amz-security-token" in sent.headers["authorization"]


async def test_stream_matches_the_answer(client: Client, bedrock_sim: RunningSimulator) -> None:
    whole = await complete(client, bedrock_sim)
    stream = await client.acompletion(
        MODEL, USER, stream=True, stream_options={"include_usage": True}, **sigv4(bedrock_sim)
    )
    chunks = await collect(stream)
    assert bedrock_sim.requests.last.path.endswith("/converse-stream")
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == [
        "stop"
    ]
    assert chunks[-1].usage == whole.usage


async def test_tool_call_round_trip(client: Client, bedrock_sim: RunningSimulator) -> None:
    first = await complete(client, bedrock_sim, tools=[WEATHER], tool_choice="required")
    message = first.choices[0].message
    assert first.choices[0].finish_reason == "tool_calls"
    [call] = message.tool_calls or []
    assert call.function.name == "get_weather" and "city" in json.loads(call.function.arguments)
    assert bedrock_sim.requests.last.body["toolConfig"]["toolChoice"] == {"any": {}}
    history = [
        *USER,
        message.to_dict(),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 C"},
    ]
    second = await complete(client, bedrock_sim, messages=history, tools=[WEATHER])
    assert second.choices[0].message.content == tool_result_reply("sunny, 21 C")
    sent = bedrock_sim.requests.last.body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[2]["content"][0]["toolResult"]["toolUseId"] == call.id


async def test_streamed_tool_call(client: Client, bedrock_sim: RunningSimulator) -> None:
    stream = await client.acompletion(MODEL, USER, stream=True, tools=[WEATHER], **sigv4(bedrock_sim))
    chunks = await collect(stream)
    calls = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or ()]
    assert calls[0].id and calls[0].function is not None and calls[0].function.name == "get_weather"
    arguments = "".join(tc.function.arguments or "" for tc in calls if tc.function)
    assert "city" in json.loads(arguments)
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_thinking_round_trip(client: Client, bedrock_sim: RunningSimulator) -> None:
    result = await complete(client, bedrock_sim, reasoning_effort="low")
    message = result.choices[0].message
    assert message.reasoning_content and message.thinking_blocks
    assert message.thinking_blocks[0]["signature"]
    again = await complete(
        client, bedrock_sim, messages=[*USER, message.to_dict(), {"role": "user", "content": "ok"}]
    )
    assert again.choices[0].finish_reason == "stop"
    replayed = bedrock_sim.requests.last.body["messages"][1]["content"][0]
    assert (
        replayed["reasoningContent"]["reasoningText"]["signature"] == message.thinking_blocks[0]["signature"]
    )


async def test_bad_signature_is_an_authentication_error(
    client: Client, bedrock_sim: RunningSimulator
) -> None:
    with pytest.raises(errors.AuthenticationError, match="signature we calculated does not match") as caught:
        await client.acompletion(MODEL, USER, **sigv4(bedrock_sim, aws_secret_access_key="wrong-secret"))
    assert caught.value.code == "InvalidSignatureException"
    assert "wrong-secret" not in str(caught.value)
    with pytest.raises(errors.AuthenticationError, match="security token included in the request is invalid"):
        await client.acompletion(MODEL, USER, **sigv4(bedrock_sim, aws_access_key_id="AKIAUNKNOWN"))


async def test_bearer_api_key(client: Client, bedrock_sim: RunningSimulator) -> None:
    result = await client.acompletion(MODEL, USER, max_retries=0, **bedrock_sim.sdk_kwargs())
    assert isinstance(result, ChatResponse)
    assert bedrock_sim.requests.last.headers["authorization"] == f"Bearer {bedrock_sim.api_key}"
    bedrock_sim.configure(api_keys={"the-only-key"})
    with pytest.raises(errors.AuthenticationError):
        await client.acompletion(
            MODEL, USER, max_retries=0, **{**bedrock_sim.sdk_kwargs(), "api_key": "other"}
        )


async def test_throttling_is_a_rate_limit_error_and_retried(
    client: Client, bedrock_sim: RunningSimulator
) -> None:
    bedrock_sim.faults.fail_next(1, 429)
    with pytest.raises(errors.RateLimitError) as caught:
        await complete(client, bedrock_sim)
    assert caught.value.code == "ThrottlingException"
    bedrock_sim.faults.fail_next(1, 429)
    params = {**sigv4(bedrock_sim), "max_retries": 1}
    result = await client.acompletion(MODEL, USER, **params)
    assert isinstance(result, ChatResponse) and bedrock_sim.requests.count() == 3


async def test_context_window_and_guardrail(client: Client, bedrock_sim: RunningSimulator) -> None:
    bedrock_sim.faults.set(kind="context_window", times=1)
    with pytest.raises(errors.ContextWindowExceededError, match="Input is too long"):
        await complete(client, bedrock_sim)
    bedrock_sim.faults.set(kind="content_policy", times=1)
    blocked = await complete(client, bedrock_sim)
    assert blocked.choices[0].finish_reason == "content_filter"


async def test_stream_faults(client: Client, bedrock_sim: RunningSimulator) -> None:
    # the error may surface while the stream is opened (its first chunk is read there) or later
    async def read() -> None:
        await collect(await client.acompletion(MODEL, USER, stream=True, **sigv4(bedrock_sim)))

    bedrock_sim.faults.set(error_after=3, times=1)
    with pytest.raises(errors.InternalServerError, match="Internal server error"):
        await read()
    bedrock_sim.faults.set(cut_after=3, times=1)
    with pytest.raises(errors.APIConnectionError):
        await read()
    bedrock_sim.faults.set(invalid_json=True, times=1)
    with pytest.raises(errors.InternalServerError, match="ChecksumMismatch"):
        await read()


async def test_validation_errors_come_back_as_bad_requests(
    client: Client, bedrock_sim: RunningSimulator
) -> None:
    with pytest.raises(errors.BadRequestError, match="temperature"):
        await complete(client, bedrock_sim, temperature=1.5)


async def test_embeddings(client: Client, bedrock_sim: RunningSimulator) -> None:
    titan = await client.aembedding("bedrock/amazon.titan-embed-text-v2:0", "hello world", dimensions=256,
                                    **sigv4(bedrock_sim))  # fmt: skip
    assert len(titan.data) == 1 and len(titan.data[0].embedding) == 256
    assert titan.usage.prompt_tokens == 2
    sent = bedrock_sim.requests.last
    assert sent.path == "/model/amazon.titan-embed-text-v2:0/invoke"
    assert sent.body == {"inputText": "hello world", "dimensions": 256}
    cohere = await client.aembedding("bedrock/cohere.embed-english-v3", ["a b", "c"], **sigv4(bedrock_sim))
    assert [d.index for d in cohere.data] == [0, 1]
    assert cohere.usage.prompt_tokens == 3
    assert bedrock_sim.requests.last.body == {"texts": ["a b", "c"], "input_type": "search_document"}


def test_sync_completion_through_the_module_functions(bedrock_sim: RunningSimulator) -> None:
    result = llmrelay.completion(model=MODEL, messages=USER, **sigv4(bedrock_sim))
    assert isinstance(result, ChatResponse)
    assert result.choices[0].message.content == reply_text(QUESTION)


async def test_credentials_never_reach_callbacks(bedrock_sim: RunningSimulator) -> None:
    records: list[llmrelay.CallRecord] = []

    class Hooks(llmrelay.Callback):
        def on_success(self, record: llmrelay.CallRecord) -> None:
            records.append(record)

    c = llmrelay.Client(callbacks=[Hooks()])
    try:
        await c.acompletion(MODEL, USER, **sigv4(bedrock_sim, aws_session_token="sess-secret"))
        await c.aflush_callbacks()
    finally:
        await c.aclose()
    [record] = records
    shown = repr(record) + repr(record.request)
    assert SECRET_ACCESS_KEY not in shown and "sess-secret" not in shown
    assert record.request.extra_body is None


async def test_a_bare_bedrock_model_id_is_placed_on_bedrock(
    client: Client, bedrock_sim: RunningSimulator
) -> None:
    result = await client.acompletion("amazon.nova-pro-v1:0", USER, **sigv4(bedrock_sim))
    assert isinstance(result, ChatResponse)
    assert llmrelay.types.response.hidden_params(result)["provider"] == "bedrock"
    assert bedrock_sim.requests.last.path == "/model/amazon.nova-pro-v1:0/converse"
    # Nova Pro's list price: $0.80 / $3.20 per million tokens in / out
    assert result.usage is not None
    expected = result.usage.prompt_tokens * 0.8 + result.usage.completion_tokens * 3.2
    assert llmrelay.types.response.hidden_params(result)["cost_micros"] == round(expected)


async def test_structured_output(client: Client, bedrock_sim: RunningSimulator) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "place", "schema": schema}}
    result = await complete(client, bedrock_sim, response_format=fmt)
    assert set(json.loads(result.choices[0].message.content or "")) == {"city"}
