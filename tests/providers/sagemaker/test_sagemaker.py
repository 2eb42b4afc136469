"""SageMaker endpoints (`sagemaker/` TGI bodies, `sagemaker_chat/` Messages API bodies) against the
SageMaker simulator: the URL, the SigV4 signature, each body, streams unwrapped from the event
stream's PayloadPart events however they are cut, errors, and credentials from the AWS chain."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from llmrelay.client import Client
from llmrelay.providers.aws.chain import AwsChain
from llmrelay.providers.aws.eventstream import PayloadStreamDecoder
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.providers.sagemaker import SageMakerChatProvider, SageMakerProvider
from llmrelay.providers.tgi.stream import TgiStreamDecoder
from llmrelay.testing import RunningSimulator
from llmrelay.testing.aws_identity import AwsIdentitySimulator, start_aws_identity
from llmrelay.testing.bedrock_wire import event, exception
from llmrelay.testing.sagemaker_sim import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY
from llmrelay.testing.stream_splits import assert_splits_decode_alike, decoding_with
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.response import ChatResponse

USER = [{"role": "user", "content": "What is the capital of France?"}]
KEYS = {
    "aws_access_key_id": ACCESS_KEY_ID,
    "aws_secret_access_key": SECRET_ACCESS_KEY,
    "aws_region_name": REGION,
}


@pytest.fixture(autouse=True)
def _isolated(no_aws_credentials: Path) -> None:
    """No AWS credentials but the ones a test gives."""


def chat(model: str, **fields: Any) -> ChatRequest:
    return msgspec.convert({"model": model, "messages": USER, **fields}, ChatRequest)


def dep(provider: str, name: str = "my-endpoint", **options: Any) -> Deployment:
    return Deployment(provider=provider, model=name, options={**KEYS, **options})


def test_the_registry_serves_both_prefixes() -> None:
    registry = ProviderRegistry()
    assert isinstance(registry.get("sagemaker"), SageMakerProvider)
    assert isinstance(registry.get("sagemaker_chat"), SageMakerChatProvider)


def test_tgi_body_url_and_signature() -> None:
    request = chat("sagemaker/my-endpoint", max_tokens=50, temperature=0, stop="###", seed=7)
    http = SageMakerProvider().prepare_chat(request, dep("sagemaker"))
    assert http.url == f"https://runtime.sagemaker.{REGION}.amazonaws.com/endpoints/my-endpoint/invocations"
    assert json.loads(http.body or b"") == {
        "inputs": "What is the capital of France?",
        "parameters": {"max_new_tokens": 50, "do_sample": False, "stop": ["###"], "seed": 7},
    }
    auth = http.headers["authorization"]
    assert (
        auth.startswith(f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/") and f"/{REGION}/sagemaker/" in auth
    )
    assert SECRET_ACCESS_KEY not in repr(http.headers) + (http.body or b"").decode()
    streamed = SageMakerProvider().prepare_chat(chat("sagemaker/e", stream=True), dep("sagemaker", "e"))
    assert streamed.url.endswith("/endpoints/e/invocations-response-stream") and streamed.stream
    assert json.loads(streamed.body or b"")["stream"] is True


def test_messages_api_body_is_openai_chat() -> None:
    http = SageMakerChatProvider().prepare_chat(
        chat("sagemaker_chat/e", max_tokens=9, stream=True), dep("sagemaker_chat", "e")
    )
    body = json.loads(http.body or b"")
    assert body["messages"] == USER and body["max_tokens"] == 9 and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True} and "authorization" in http.headers
    assert http.url.endswith("/endpoints/e/invocations-response-stream")


def test_refused_settings() -> None:
    with pytest.raises(errors.BadRequestError, match="takes no api_key"):
        SageMakerProvider().prepare_chat(
            chat("sagemaker/e"), Deployment(provider="sagemaker", model="e", api_key="k", options=KEYS)
        )
    with pytest.raises(errors.BadRequestError, match="no AWS region"):
        SageMakerProvider().prepare_chat(chat("sagemaker/e"), Deployment(provider="sagemaker", model="e"))
    with pytest.raises(errors.BadRequestError, match="names one endpoint"):
        SageMakerProvider().prepare_chat(chat("sagemaker/a/b"), dep("sagemaker", "a/b"))
    with pytest.raises(errors.UnsupportedParamsError):
        SageMakerProvider().check_params(
            chat("sagemaker/e", tools=[{"type": "function", "function": {"name": "f"}}]), False
        )


@pytest.mark.parametrize("prefix", ["sagemaker", "sagemaker_chat"])
async def test_calls_and_streams_against_the_simulator(prefix: str, sagemaker_sim: RunningSimulator) -> None:
    async with Client() as client:
        answer = await client.acompletion(f"{prefix}/my-endpoint", USER, **sagemaker_sim.sdk_kwargs())
        stream = await client.acompletion(
            f"{prefix}/my-endpoint", USER, stream=True, **sagemaker_sim.sdk_kwargs()
        )
        chunks = [chunk async for chunk in stream]
    assert isinstance(answer, ChatResponse) and answer.choices[0].message.content
    assert answer.usage is not None and answer.usage.prompt_tokens > 0
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text == answer.choices[0].message.content
    assert [ch.choices[0].finish_reason for ch in chunks if ch.choices and ch.choices[0].finish_reason] == [
        "stop"
    ]
    recorded = sagemaker_sim.requests
    assert [r.path for r in recorded] == [
        "/endpoints/my-endpoint/invocations",
        "/endpoints/my-endpoint/invocations-response-stream",
    ]


async def test_errors_map_to_their_classes(sagemaker_sim: RunningSimulator) -> None:
    async with Client() as client:
        with pytest.raises(errors.BadRequestError, match="not found"):
            await client.acompletion(
                "sagemaker/missing-endpoint", USER, max_retries=0, **sagemaker_sim.sdk_kwargs()
            )
        wrong = {**sagemaker_sim.sdk_kwargs(), "aws_secret_access_key": "wrong"}
        with pytest.raises(errors.AuthenticationError) as caught:
            await client.acompletion("sagemaker/e", USER, max_retries=0, **wrong)
    assert caught.value.provider == "sagemaker" and "wrong" not in str(caught.value)


def _tgi_stream() -> bytes:
    lines = b"".join(
        b'data:{"token":{"id":1,"text":"'
        + word
        + b'","special":false},"generated_text":null,"details":null}\n\n'
        for word in (b"Paris", b" is", b" it")
    )
    lines += b'data:{"token":{"id":2,"text":"</s>","special":true},"generated_text":"Paris is it",'
    lines += b'"details":{"finish_reason":"eos_token","generated_tokens":4}}\n\n'
    return b"".join(event("PayloadPart", lines[i : i + 7]) for i in range(0, len(lines), 7))


def test_tgi_stream_decodes_the_same_however_split() -> None:
    raw = _tgi_stream()

    def new() -> PayloadStreamDecoder:
        return PayloadStreamDecoder(
            TgiStreamDecoder("sagemaker", "e", "hi", created=1, chunk_id="chatcmpl-test"), "sagemaker", "e"
        )

    decode = decoding_with(new)
    assert_splits_decode_alike(raw, decode, seed="sagemaker-tgi")
    chunks = decode([raw])
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Paris is it"
    assert (
        chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 4
    )
    decoder = new()
    decoder.feed(raw[: len(raw) // 2])
    with pytest.raises(errors.APIConnectionError):
        decoder.end()


def test_an_exception_event_raises_its_error() -> None:
    decoder = PayloadStreamDecoder(TgiStreamDecoder("sagemaker", "e", "hi"), "sagemaker", "e")
    frame = exception("ModelStreamError", b'{"Message": "the model failed", "ErrorCode": "ModelStreamError"}')
    with pytest.raises(errors.LLMError, match="the model failed") as caught:
        decoder.feed(frame)
    assert caught.value.provider == "sagemaker"


@pytest.fixture
async def identity(sagemaker_sim: RunningSimulator) -> AsyncIterator[tuple[AwsIdentitySimulator, str]]:
    keys: dict[str, str] = sagemaker_sim.simulator.aws_keys  # type: ignore[attr-defined]
    role = "arn:aws:iam::123456789012:role/sagemaker-caller"
    simulator = AwsIdentitySimulator(aws_keys=keys, roles={role}, web_tokens={"web-token": role})
    before = dict(keys)
    async with start_aws_identity(simulator) as base:
        yield simulator, base
    keys.clear()
    keys.update(before)


async def test_credentials_from_the_aws_chain(
    identity: tuple[AwsIdentitySimulator, str], sagemaker_sim: RunningSimulator
) -> None:
    sim, base = identity
    options = {"aws_region_name": REGION, "aws_role_name": "arn:aws:iam::123456789012:role/sagemaker-caller",
               "aws_web_identity_token": "web-token", "aws_sts_endpoint": base}  # fmt: skip
    grant = SageMakerChatProvider().token_grant(
        Deployment(provider="sagemaker_chat", model="e", options=options)
    )
    assert isinstance(grant, AwsChain)
    async with Client() as client:
        for stream in (False, True):
            answer = await client.acompletion(
                "sagemaker_chat/e", USER, api_base=sagemaker_sim.api_base, stream=stream, **options
            )
            if stream:
                assert [c async for c in answer]  # type: ignore[union-attr]
    assert sim.issued == ["AssumeRoleWithWebIdentity"]
    assert all("Credential=ASIA" in r.headers["authorization"] for r in sagemaker_sim.requests)
