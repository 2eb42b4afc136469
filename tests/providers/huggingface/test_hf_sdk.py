"""`huggingface/...` calls through the llmrelay SDK against the OpenAI simulator, which speaks the
router's wire format (OpenAI chat) and hf-inference feature extraction, and records what it got."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import msgspec
import pytest

import llmrelay
from llmrelay.providers.huggingface.embedding import parse_embedding
from llmrelay.testing import RunningSimulator
from llmrelay.testing.content import embedding_vector, reply_text
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.errors import (
    AuthenticationError,
    BadRequestError,
    ContextWindowExceededError,
    InternalServerError,
    RateLimitError,
)

QUESTION = "Which rivers do otters like?"
MESSAGES = [{"role": "user", "content": QUESTION}]
MODEL = "huggingface/together/deepseek-ai/DeepSeek-R1"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture(autouse=True)
def _no_hf_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HF_TOKEN", "HUGGINGFACE_API_KEY", "HF_API_BASE", "HUGGINGFACE_API_BASE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def client() -> AsyncIterator[llmrelay.Client]:
    c = llmrelay.Client()
    yield c
    await c.aclose()


async def test_chat_names_the_provider_as_the_router_does(
    client: llmrelay.Client, openai_sim: RunningSimulator
) -> None:
    answer = await client.acompletion(MODEL, MESSAGES, max_tokens=40, **openai_sim.sdk_kwargs())
    assert answer.choices[0].message.content == reply_text(QUESTION)
    assert answer.usage is not None and answer.usage.completion_tokens > 0
    sent = openai_sim.requests.last
    assert sent.path == "/v1/chat/completions"
    assert sent.body["model"] == "deepseek-ai/DeepSeek-R1:together" and sent.body["max_tokens"] == 40
    assert sent.headers["authorization"] == f"Bearer {openai_sim.api_key}"
    assert answer._hidden_params["provider"] == "huggingface"  # type: ignore[attr-defined]


async def test_stream_with_usage(client: llmrelay.Client, openai_sim: RunningSimulator) -> None:
    stream = await client.acompletion(
        "huggingface/meta-llama/Llama-3.3-70B-Instruct", MESSAGES, stream=True,
        stream_options={"include_usage": True}, **openai_sim.sdk_kwargs(),
    )  # fmt: skip
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == reply_text(QUESTION)
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert openai_sim.requests.last.body["model"] == "meta-llama/Llama-3.3-70B-Instruct"
    assert openai_sim.requests.last.body["stream_options"] == {"include_usage": True}


async def test_tools_round_trip(client: llmrelay.Client, openai_sim: RunningSimulator) -> None:
    answer = await client.acompletion(MODEL, MESSAGES, tools=[WEATHER], **openai_sim.sdk_kwargs())
    call = (answer.choices[0].message.tool_calls or [])[0]
    assert call.function.name == "get_weather" and "city" in json.loads(call.function.arguments)
    assert openai_sim.requests.last.body["tools"] == [WEATHER]
    stream = await client.acompletion(
        MODEL, MESSAGES, tools=[WEATHER], stream=True, **openai_sim.sdk_kwargs()
    )
    deltas = [d for c in [c async for c in stream] if c.choices for d in c.choices[0].delta.tool_calls or []]
    arguments = "".join(d.function.arguments or "" for d in deltas if d.function)
    assert json.loads(arguments) == json.loads(call.function.arguments)


async def test_dedicated_endpoint_by_root_url(client: llmrelay.Client, openai_sim: RunningSimulator) -> None:
    # an Inference Endpoint / TGI server is given by its root URL; its OpenAI chat lives under /v1
    answer = await client.acompletion(
        "huggingface/tgi", MESSAGES, api_base=openai_sim.base_url, api_key=openai_sim.api_key
    )
    assert answer.choices[0].message.content == reply_text(QUESTION)
    assert openai_sim.requests.last.path == "/v1/chat/completions"
    assert openai_sim.requests.last.body["model"] == "tgi"


async def test_key_from_hf_token(
    client: llmrelay.Client, openai_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", openai_sim.api_key)
    await client.acompletion(MODEL, MESSAGES, api_base=openai_sim.api_base)
    assert openai_sim.requests.last.headers["authorization"] == f"Bearer {openai_sim.api_key}"


async def test_embeddings_through_hf_inference(client: llmrelay.Client, openai_sim: RunningSimulator) -> None:
    model = "sentence-transformers/all-MiniLM-L6-v2"
    result = await client.aembedding(f"huggingface/{model}", ["otters", "rivers"], **openai_sim.sdk_kwargs())
    assert [d.index for d in result.data] == [0, 1]
    assert result.data[1].embedding == pytest.approx(list(embedding_vector("rivers", 384)))
    assert result.usage.prompt_tokens > 0
    sent = openai_sim.requests.last
    assert sent.path == f"/hf-inference/models/{model}/pipeline/feature-extraction"
    assert sent.body == {"inputs": ["otters", "rivers"]}
    one = await client.aembedding(f"huggingface/{model}", "otters", encoding_format="base64",
                                  **openai_sim.sdk_kwargs())  # fmt: skip
    assert isinstance(one.data[0].embedding, str) and len(one.data) == 1


# ---- errors
async def test_wrong_key_is_an_authentication_error(
    client: llmrelay.Client, openai_sim: RunningSimulator
) -> None:
    openai_sim.configure(api_keys={"hf_right_key"})
    with pytest.raises(AuthenticationError) as info:
        await client.acompletion(MODEL, MESSAGES, api_base=openai_sim.api_base, api_key="hf_wrong_key_123456")
    assert info.value.provider == "huggingface" and "hf_wrong_key_123456" not in str(info.value)


async def test_rate_limit_keeps_retry_after(client: llmrelay.Client, openai_sim: RunningSimulator) -> None:
    openai_sim.faults.fail_next(1, 429, retry_after=3)
    with pytest.raises(RateLimitError) as info:
        await client.acompletion(MODEL, MESSAGES, num_retries=0, **openai_sim.sdk_kwargs())
    assert info.value.retry_after == 3


async def test_context_window(client: llmrelay.Client, openai_sim: RunningSimulator) -> None:
    openai_sim.faults.set(kind="context_window", times=1)
    with pytest.raises(ContextWindowExceededError):
        await client.acompletion(MODEL, MESSAGES, **openai_sim.sdk_kwargs())


async def test_bad_model_string_fails_before_sending(
    client: llmrelay.Client, openai_sim: RunningSimulator
) -> None:
    with pytest.raises(BadRequestError, match="too many parts"):
        await client.acompletion("huggingface/a/b/c/d", MESSAGES, **openai_sim.sdk_kwargs())
    assert openai_sim.requests.count() == 0


# ---- feature-extraction answers
def test_parse_embedding_shapes() -> None:
    request = EmbeddingRequest(model="m", input=["a", "b"])
    with pytest.raises(InternalServerError, match="1 embeddings for 2 inputs"):
        parse_embedding(b"[[0.1, 0.2]]", request)
    with pytest.raises(InternalServerError, match="malformed"):
        parse_embedding(b'{"embeddings": []}', request)
    # a model without pooling answers one vector per token: not usable as a text embedding
    with pytest.raises(BadRequestError, match="one vector per token"):
        parse_embedding(msgspec.json.encode([[[0.1], [0.2]], [[0.3]]]), request)
    parsed = parse_embedding(b"[[0.5, 0.25], [1.0, 0.0]]", request)
    assert [d.embedding for d in parsed.data] == [[0.5, 0.25], [1.0, 0.0]]
