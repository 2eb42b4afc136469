"""`cloudflare/@cf/...` through the llmrelay SDK against the Workers AI simulator (its ai/run API and
its {result, success, errors} envelope), and its SSE stream decoded however the bytes were split."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import llmrelay
from llmrelay.core.assemble import stream_chunk_builder
from llmrelay.providers.cloudflare import CloudflareProvider
from llmrelay.testing import RunningSimulator, SimulatorGroup
from llmrelay.testing.cloudflare_sim import ACCOUNT
from llmrelay.testing.content import reply_text
from llmrelay.testing.stream_splits import assert_splits_decode_alike
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import (
    APIConnectionError,
    BadRequestError,
    InternalServerError,
    UnsupportedParamsError,
)
from llmrelay.types.response import ChatChunk

MODEL = "cloudflare/@cf/meta/llama-2-7b-chat-int8"
QUESTION = "Why is the sky blue?"
MESSAGES = [{"role": "user", "content": QUESTION}]
RECORDED = Path(__file__).resolve().parents[2] / "conformance" / "recorded" / "cloudflare"


@pytest.fixture(autouse=True)
def _no_cloudflare_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLOUDFLARE_API_KEY", "CLOUDFLARE_API_BASE", "CLOUDFLARE_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def cloudflare_sim(simulators: SimulatorGroup) -> Iterator[RunningSimulator]:
    simulators.cloudflare.reset()
    yield simulators.cloudflare
    simulators.cloudflare.reset()


@pytest.fixture
async def client() -> AsyncIterator[llmrelay.Client]:
    c = llmrelay.Client()
    yield c
    await c.aclose()


async def test_chat(client: llmrelay.Client, cloudflare_sim: RunningSimulator) -> None:
    answer = await client.acompletion(
        MODEL, MESSAGES, max_completion_tokens=50, temperature=0.3, **cloudflare_sim.sdk_kwargs()
    )
    assert answer.choices[0].message.content == reply_text(QUESTION)
    assert answer.usage is not None and answer.usage.completion_tokens > 0
    assert answer._hidden_params["response_cost"] > 0  # type: ignore[attr-defined]
    sent = cloudflare_sim.requests.last
    assert sent.path == f"/client/v4/accounts/{ACCOUNT}/ai/run/@cf/meta/llama-2-7b-chat-int8"
    assert sent.body == {"messages": MESSAGES, "temperature": 0.3, "max_tokens": 50}


async def test_account_from_the_environment(
    client: llmrelay.Client, cloudflare_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_KEY", cloudflare_sim.api_key)
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "acct-9")
    # with no api_base the account's ai/run URL on api.cloudflare.com is used: shown by the prepared URL
    request = CloudflareProvider().prepare_chat(
        ChatRequest(model=MODEL, messages=[]), Deployment(provider="cloudflare", model="@cf/x/y")
    )
    assert request.url == "https://api.cloudflare.com/client/v4/accounts/acct-9/ai/run/@cf/x/y"
    monkeypatch.delenv("CLOUDFLARE_ACCOUNT_ID")
    with pytest.raises(BadRequestError, match="CLOUDFLARE_ACCOUNT_ID") as refused:
        await client.acompletion(MODEL, MESSAGES)
    assert refused.value.param == "api_base"


async def test_stream(client: llmrelay.Client, cloudflare_sim: RunningSimulator) -> None:
    stream = await client.acompletion(
        MODEL, MESSAGES, stream=True, stream_options={"include_usage": True}, **cloudflare_sim.sdk_kwargs()
    )
    chunks = [chunk async for chunk in stream]
    assert "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices) == reply_text(QUESTION)
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert cloudflare_sim.requests.last.body["stream"] is True


async def test_embeddings(client: llmrelay.Client, cloudflare_sim: RunningSimulator) -> None:
    answer = await client.aembedding(
        "cloudflare/@cf/baai/bge-base-en-v1.5", ["a", "b"], **cloudflare_sim.sdk_kwargs()
    )
    assert [len(d.embedding) for d in answer.data] == [768, 768]
    assert cloudflare_sim.requests.last.body == {"text": ["a", "b"]}


async def test_refusals(client: llmrelay.Client, cloudflare_sim: RunningSimulator) -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    with pytest.raises(UnsupportedParamsError, match="tools"):
        await client.acompletion(MODEL, MESSAGES, tools=[tool], **cloudflare_sim.sdk_kwargs())
    image = [{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]
    with pytest.raises(BadRequestError, match="text turns only"):
        await client.acompletion(MODEL, [{"role": "user", "content": image}], **cloudflare_sim.sdk_kwargs())


async def test_errors_read_the_envelope(client: llmrelay.Client, cloudflare_sim: RunningSimulator) -> None:
    with pytest.raises(BadRequestError, match="No such model") as refused:
        await client.acompletion("cloudflare/@cf/missing/x", MESSAGES, **cloudflare_sim.sdk_kwargs())
    assert refused.value.code == "5007"


# ---- the stream decoder, on the recording from the API reference
def _chunks(pieces: list[bytes]) -> list[ChatChunk]:
    decoder = CloudflareProvider().chat_stream_decoder(ChatRequest(model=MODEL, messages=[], stream=True))
    return [chunk for piece in pieces for chunk in decoder.feed(piece)] + decoder.end()


def _plain(pieces: list[bytes]) -> list[dict[str, Any]]:
    return [{k: v for k, v in c.to_dict().items() if k not in ("id", "created")} for c in _chunks(pieces)]


def test_stream_splits_decode_alike() -> None:
    data = (RECORDED / "stream.sse").read_bytes()
    assert_splits_decode_alike(data, _plain, "cloudflare")
    assert_splits_decode_alike(data.replace(b"\n", b"\r\n"), _plain, "cloudflare-crlf")
    response = stream_chunk_builder(_chunks([data]))
    assert response.choices[0].message.content == "Hello! Héllo wörld 👋"
    assert response.choices[0].finish_reason == "stop"
    assert response.usage is not None and response.usage.total_tokens == 27


def test_a_stream_without_done_was_cut() -> None:
    data = (RECORDED / "stream.sse").read_bytes()
    with pytest.raises(APIConnectionError, match="cut"):
        _chunks([data.replace(b"data: [DONE]\n\n", b"")])


def test_an_error_event_raises() -> None:
    with pytest.raises(InternalServerError, match="internal server error") as raised:
        _chunks([(RECORDED / "stream_error.sse").read_bytes()])
    assert raised.value.code == "3043"
