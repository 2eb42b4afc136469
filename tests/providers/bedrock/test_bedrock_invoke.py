"""`bedrock/invoke/<modelId>`: InvokeModel with each model family's own body, against the Bedrock
simulator (which checks each family's required fields and answers in its shape), and
InvokeModelWithResponseStream's `chunk` events, however their bytes are split."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from helpers import SIGV4_OPTIONS

from llmrelay.client import Client
from llmrelay.providers.bedrock import BedrockProvider
from llmrelay.providers.bedrock.invoke.stream import TextInvokeStream
from llmrelay.testing import RunningSimulator
from llmrelay.testing.bedrock_wire import event, exception
from llmrelay.testing.stream_splits import assert_splits_decode_alike, decoding_with
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.response import ChatResponse

MESSAGES = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "What is the capital of France?"},
]
FAMILIES = {
    "anthropic": "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
    "nova": "amazon.nova-lite-v1:0",
    "meta": "meta.llama3-1-8b-instruct-v1:0",
    "mistral": "mistral.mistral-7b-instruct-v0:2",
    "titan": "amazon.titan-text-express-v1",
}


@pytest.fixture(autouse=True)
def _clean_aws_env(no_aws_credentials: Path) -> None:
    """No AWS credentials but the ones a test gives."""


def sent_body(family: str, **fields: Any) -> dict[str, Any]:
    model = f"bedrock/invoke/{FAMILIES[family]}"
    request = msgspec.convert({"model": model, "messages": MESSAGES, **fields}, ChatRequest)
    deployment = Deployment(
        provider="bedrock", model=f"invoke/{FAMILIES[family]}", options=dict(SIGV4_OPTIONS)
    )
    adapter = BedrockProvider().for_deployment(deployment)
    http = adapter.prepare_chat(adapter.check_params(request, False), deployment)
    assert http.url.endswith("/invoke-with-response-stream" if fields.get("stream") else "/invoke")
    result: dict[str, Any] = json.loads(http.body or b"")
    return result


def test_each_family_body() -> None:
    anthropic = sent_body("anthropic", max_tokens=20)
    assert anthropic["anthropic_version"] == "bedrock-2023-05-31" and "model" not in anthropic
    assert anthropic["system"] == "Be brief." and anthropic["max_tokens"] == 20
    assert "stream" not in sent_body("anthropic", max_tokens=20, stream=True)
    nova = sent_body("nova", max_tokens=20, temperature=0.5)
    assert nova["schemaVersion"] == "messages-v1" and nova["system"] == [{"text": "Be brief."}]
    assert nova["inferenceConfig"] == {"maxTokens": 20, "temperature": 0.5}
    assert nova["messages"] == [{"role": "user", "content": [{"text": "What is the capital of France?"}]}]
    meta = sent_body("meta", max_tokens=20)
    assert meta == {
        "prompt": "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n",
        "max_gen_len": 20,
    }
    mistral = sent_body("mistral", max_tokens=20, top_k=5, stop="\n")
    prompt = "<s>[INST] Be brief.\n\nWhat is the capital of France? [/INST]"
    assert mistral == {"prompt": prompt, "max_tokens": 20, "top_k": 5, "stop": ["\n"]}
    titan = sent_body("titan", max_tokens=20, top_p=0.9)
    assert titan == {"inputText": "Be brief.\nUser: What is the capital of France?\nBot:",
                     "textGenerationConfig": {"maxTokenCount": 20, "topP": 0.9}}  # fmt: skip


def test_unknown_families_and_unsupported_fields_are_refused() -> None:
    with pytest.raises(errors.BadRequestError, match="knows no InvokeModel body"):
        BedrockProvider().for_deployment(Deployment(provider="bedrock", model="invoke/cohere.command-r-v1:0"))
    with pytest.raises(errors.BadRequestError, match="knows no InvokeModel body"):
        BedrockProvider().for_deployment(
            Deployment(provider="bedrock", model="invoke/meta.llama2-13b-chat-v1")
        )
    with pytest.raises(errors.UnsupportedParamsError):
        sent_body("meta", tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}])
    with pytest.raises(errors.BadRequestError, match="only text messages"):
        sent_body(
            "mistral",
            messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]}],
        )


@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_calls_and_streams_against_the_simulator(family: str, bedrock_sim: RunningSimulator) -> None:
    options = {**SIGV4_OPTIONS, "api_base": bedrock_sim.api_base, "max_retries": 0}
    model = f"bedrock/invoke/{FAMILIES[family]}"
    async with Client() as client:
        answer = await client.acompletion(model, MESSAGES, max_tokens=64, **options)
        stream = await client.acompletion(
            model, MESSAGES, max_tokens=64, stream=True, stream_options={"include_usage": True}, **options
        )
        chunks = [chunk async for chunk in stream]
    assert isinstance(answer, ChatResponse) and answer.choices[0].finish_reason == "stop"
    text = answer.choices[0].message.content
    assert text and "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices) == text
    assert answer.usage is not None and answer.usage.prompt_tokens > 0 and answer.usage.completion_tokens > 0
    usage = [ch.usage for ch in chunks if ch.usage is not None]
    assert len(usage) == 1 and usage[0].completion_tokens == answer.usage.completion_tokens
    paths = [r.path.rsplit("/", 1)[-1] for r in bedrock_sim.requests]
    assert paths == ["invoke", "invoke-with-response-stream"]


def _chunk(value: dict[str, Any]) -> bytes:
    return event(
        "chunk", json.dumps({"bytes": base64.b64encode(json.dumps(value).encode()).decode()}).encode()
    )


def test_text_family_stream_decodes_alike_however_split() -> None:
    metrics = {"inputTokenCount": 12, "outputTokenCount": 3}
    raw = (
        _chunk({"outputs": [{"text": "Paris ✓", "stop_reason": None}]})
        + _chunk({"outputs": [{"text": " is", "stop_reason": None}]})
        + _chunk(
            {
                "outputs": [{"text": " it", "stop_reason": "length"}],
                "amazon-bedrock-invocationMetrics": metrics,
            }
        )
    )
    decode = decoding_with(lambda: TextInvokeStream("m", created=1, chunk_id="chatcmpl-test"))
    assert_splits_decode_alike(raw, decode, seed="bedrock-invoke")
    chunks = decode([raw])
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == [
        "length"
    ]
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 15
    with pytest.raises(errors.APIConnectionError):
        decode([raw[: len(raw) // 2]])
    with pytest.raises(errors.RateLimitError, match="slow down"):
        decode(
            [
                raw[:40]
                if False
                else _chunk({"outputs": [{"text": "a"}]})
                + exception("throttlingException", b'{"message": "slow down"}')
            ]
        )
