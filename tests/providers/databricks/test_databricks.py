"""`databricks/<serving endpoint>`: OpenAI's wire under the workspace's /serving-endpoints (checked
against the OpenAI simulator, which speaks it), and the content blocks its Claude and reasoning
endpoints answer with, flattened into OpenAI's shape however a stream's bytes were split."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import llmrelay
from llmrelay.providers.databricks import DatabricksProvider
from llmrelay.testing import RunningSimulator
from llmrelay.testing.content import reply_text
from llmrelay.testing.stream_splits import assert_splits_decode_alike
from llmrelay.types.chat import ChatRequest
from llmrelay.types.errors import BadRequestError, InternalServerError, RateLimitError
from llmrelay.types.http import HttpResponse
from llmrelay.types.response import ChatChunk

RECORDED = Path(__file__).resolve().parents[2] / "conformance" / "recorded" / "databricks"
MESSAGES = [{"role": "user", "content": "Why is the sky blue?"}]
REQUEST = ChatRequest(model="databricks/databricks-claude-3-7-sonnet", messages=[], stream=True)


@pytest.fixture(autouse=True)
def _no_databricks_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABRICKS_API_KEY", "DATABRICKS_API_BASE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def client() -> AsyncIterator[llmrelay.Client]:
    c = llmrelay.Client()
    yield c
    await c.aclose()


async def test_chat_reaches_serving_endpoints_with_the_endpoint_as_model(
    client: llmrelay.Client, openai_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DATABRICKS_API_BASE is the workspace's .../serving-endpoints: the simulator's /v1 stands in
    monkeypatch.setenv("DATABRICKS_API_BASE", openai_sim.api_base)
    monkeypatch.setenv("DATABRICKS_API_KEY", openai_sim.api_key)
    answer = await client.acompletion(
        "databricks/databricks-meta-llama-3-3-70b-instruct", MESSAGES, max_tokens=30
    )
    assert answer.choices[0].message.content == reply_text("Why is the sky blue?")
    sent = openai_sim.requests.last
    assert sent.path == "/v1/chat/completions"
    assert sent.body["model"] == "databricks-meta-llama-3-3-70b-instruct"
    assert sent.headers["authorization"] == f"Bearer {openai_sim.api_key}"
    embedded = await client.aembedding("databricks/databricks-gte-large-en", ["a"])
    assert len(embedded.data) == 1 and openai_sim.requests.last.path == "/v1/embeddings"


async def test_no_workspace_is_refused(client: llmrelay.Client) -> None:
    with pytest.raises(BadRequestError, match="DATABRICKS_API_BASE") as refused:
        await client.acompletion("databricks/x", MESSAGES, api_key="k")
    assert refused.value.param == "api_base"


def test_blocks_become_content_and_reasoning() -> None:
    body = (RECORDED / "chat.json").read_bytes()
    parsed = DatabricksProvider().parse_chat(HttpResponse(status=200, body=body, headers={}), REQUEST)
    message = parsed.choices[0].message
    assert message.content == "Hello! How can I help?"
    assert message.reasoning_content == "A greeting is asked for."


def test_an_unknown_block_is_said_not_dropped() -> None:
    message = {"role": "assistant", "content": [{"type": "image", "url": "u"}]}
    choice = {"index": 0, "finish_reason": "stop", "message": message}
    body = {"id": "x", "created": 1, "model": "m", "object": "chat.completion", "choices": [choice]}
    with pytest.raises(InternalServerError, match="'image'"):
        DatabricksProvider().parse_chat(
            HttpResponse(status=200, body=json.dumps(body).encode(), headers={}), REQUEST
        )


def _plain(pieces: list[bytes]) -> list[dict[str, Any]]:
    decoder = DatabricksProvider().chat_stream_decoder(REQUEST)
    chunks: list[ChatChunk] = [c for piece in pieces for c in decoder.feed(piece)] + decoder.end()
    return [c.to_dict() for c in chunks]


def test_stream_splits_decode_alike() -> None:
    data = (RECORDED / "stream.sse").read_bytes()
    assert_splits_decode_alike(data, _plain, "databricks")
    assert_splits_decode_alike(data.replace(b"\n", b"\r\n"), _plain, "databricks-crlf")
    # the decoder claims no OpenAI dialect: its bytes are never relayed raw to OpenAI clients
    assert getattr(DatabricksProvider().chat_stream_decoder(REQUEST), "wire_dialect", None) is None


def test_databricks_error_codes_are_kept() -> None:
    error = DatabricksProvider().classify_error(
        429, {}, b'{"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "Exceeded workspace QPS"}'
    )
    assert isinstance(error, RateLimitError) and error.code == "REQUEST_LIMIT_EXCEEDED"
    assert "Exceeded workspace QPS" in str(error)
