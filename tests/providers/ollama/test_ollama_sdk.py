"""`ollama_chat/...` (→ /api/chat) and `ollama/...` (→ /api/generate) through the llmrelay SDK against
the Ollama simulator, which speaks Ollama's own API (newline-delimited JSON streams, tool-call
arguments as objects, `{"error": ...}` bodies) and records what it got."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

import llmrelay
from llmrelay.engine.pricing import Pricer
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.testing import RunningSimulator
from llmrelay.testing.content import reply_text, tool_result_reply
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import (
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    UnsupportedParamsError,
)

QUESTION = "Why is the sky blue?"
MESSAGES = [{"role": "user", "content": QUESTION}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


@pytest.fixture(autouse=True)
def _no_ollama_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OLLAMA_API_KEY", "OLLAMA_API_BASE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def client() -> AsyncIterator[llmrelay.Client]:
    c = llmrelay.Client()
    yield c
    await c.aclose()


async def test_chat_calls_api_chat(client: llmrelay.Client, ollama_sim: RunningSimulator) -> None:
    answer = await client.acompletion(
        "ollama_chat/llama3.2", MESSAGES, api_base=ollama_sim.api_base, max_tokens=40, temperature=0.1
    )
    assert answer.choices[0].message.content == reply_text(QUESTION)
    assert answer.choices[0].finish_reason == "stop"
    sent = ollama_sim.requests.last
    assert sent.path == "/api/chat"
    assert sent.body == {
        "model": "llama3.2",
        "messages": [{"role": "user", "content": QUESTION}],
        "stream": False,
        "options": {"temperature": 0.1, "num_predict": 40},
    }
    # a local Ollama takes no key: none is sent
    assert "authorization" not in sent.headers
    assert answer.usage is not None and answer.usage.prompt_tokens > 0 and answer.usage.completion_tokens > 0
    assert answer._hidden_params["provider"] == "ollama_chat"  # type: ignore[attr-defined]


async def test_generate_takes_system_and_prompt(
    client: llmrelay.Client, ollama_sim: RunningSimulator
) -> None:
    messages = [{"role": "system", "content": "Be brief."}, *MESSAGES]
    answer = await client.acompletion("ollama/llama3.2", messages, api_base=ollama_sim.api_base)
    assert answer.choices[0].message.content == reply_text(QUESTION)
    sent = ollama_sim.requests.last
    assert sent.path == "/api/generate"
    assert sent.body == {"model": "llama3.2", "prompt": QUESTION, "stream": False, "system": "Be brief."}


async def test_generate_writes_a_conversation_into_the_prompt(
    client: llmrelay.Client, ollama_sim: RunningSimulator
) -> None:
    messages = [
        *MESSAGES,
        {"role": "assistant", "content": "Rayleigh."},
        {"role": "user", "content": "More?"},
    ]
    await client.acompletion("ollama/llama3.2", messages, api_base=ollama_sim.api_base)
    prompt = ollama_sim.requests.last.body["prompt"]
    assert prompt.index(QUESTION) < prompt.index("Rayleigh.") < prompt.index("More?")
    assert prompt.endswith("### Assistant:\n")


@pytest.mark.parametrize("prefix", ["ollama", "ollama_chat"])
async def test_streams_newline_delimited_json(
    client: llmrelay.Client, ollama_sim: RunningSimulator, prefix: str
) -> None:
    stream = await client.acompletion(
        f"{prefix}/llama3.2", MESSAGES, api_base=ollama_sim.api_base, stream=True,
        stream_options={"include_usage": True},
    )  # fmt: skip
    chunks = [chunk async for chunk in stream]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == reply_text(QUESTION)
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == len(reply_text(QUESTION).split())
    assert ollama_sim.requests.last.body["stream"] is True


async def test_tools_round_trip(client: llmrelay.Client, ollama_sim: RunningSimulator) -> None:
    first = await client.acompletion(
        "ollama_chat/llama3.2", [{"role": "user", "content": "Weather in Lima?"}],
        api_base=ollama_sim.api_base, tools=[WEATHER], tool_choice="auto",
    )  # fmt: skip
    assert first.choices[0].finish_reason == "tool_calls"
    call = (first.choices[0].message.tool_calls or [])[0]
    assert call.function.name == "get_weather" and "city" in json.loads(call.function.arguments)
    sent = ollama_sim.requests.last.body
    assert sent["tools"] == [WEATHER] and "tool_choice" not in sent
    follow = [
        {"role": "user", "content": "Weather in Lima?"},
        {"role": "assistant", "content": None, "tool_calls": [call.to_dict()]},
        {"role": "tool", "tool_call_id": call.id, "content": "18C and cloudy"},
    ]
    answer = await client.acompletion(
        "ollama_chat/llama3.2", follow, api_base=ollama_sim.api_base, tools=[WEATHER]
    )
    assert answer.choices[0].message.content == tool_result_reply("18C and cloudy")
    replayed = ollama_sim.requests.last.body["messages"]
    # Ollama takes arguments as an object, and names the function a tool result answers
    assert replayed[1]["tool_calls"] == [
        {"function": {"name": "get_weather", "arguments": json.loads(call.function.arguments)}}
    ]
    assert replayed[2] == {"role": "tool", "content": "18C and cloudy", "tool_name": "get_weather"}


async def test_tool_choice_none_sends_no_tools(client: llmrelay.Client, ollama_sim: RunningSimulator) -> None:
    answer = await client.acompletion(
        "ollama_chat/llama3.2", MESSAGES, api_base=ollama_sim.api_base, tools=[WEATHER], tool_choice="none"
    )
    assert answer.choices[0].message.content == reply_text(QUESTION)
    assert "tools" not in ollama_sim.requests.last.body


async def test_what_ollama_cannot_take_is_refused_before_sending(
    client: llmrelay.Client, ollama_sim: RunningSimulator
) -> None:
    with pytest.raises(UnsupportedParamsError, match="tool_choice"):
        await client.acompletion(
            "ollama_chat/llama3.2", MESSAGES, api_base=ollama_sim.api_base, tools=[WEATHER],
            tool_choice="required",
        )  # fmt: skip
    # /api/generate takes no tools
    with pytest.raises(UnsupportedParamsError, match="tools"):
        await client.acompletion("ollama/llama3.2", MESSAGES, api_base=ollama_sim.api_base, tools=[WEATHER])
    with pytest.raises(BadRequestError, match="data: URL"):
        await client.acompletion(
            "ollama_chat/llava", [{"role": "user", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
            ]}], api_base=ollama_sim.api_base,
        )  # fmt: skip
    assert ollama_sim.requests.count() == 0


async def test_images_travel_as_base64(client: llmrelay.Client, ollama_sim: RunningSimulator) -> None:
    content = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
    ]
    await client.acompletion(
        "ollama_chat/llava", [{"role": "user", "content": content}], api_base=ollama_sim.api_base
    )
    assert ollama_sim.requests.last.body["messages"] == [
        {"role": "user", "content": "What is this?", "images": [PNG]}
    ]
    await client.acompletion(
        "ollama/llava", [{"role": "user", "content": content}], api_base=ollama_sim.api_base
    )
    assert ollama_sim.requests.last.body["images"] == [PNG]


async def test_json_schema_thinking_and_stop(client: llmrelay.Client, ollama_sim: RunningSimulator) -> None:
    schema = {"type": "object", "properties": {"age": {"type": "integer"}}, "required": ["age"]}
    answer = await client.acompletion(
        "ollama_chat/qwen3", MESSAGES, api_base=ollama_sim.api_base, stop="never-seen",
        response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": schema}},
        reasoning_effort="high",
    )  # fmt: skip
    sent = ollama_sim.requests.last.body
    assert (
        sent["format"] == schema and sent["think"] == "high" and sent["options"] == {"stop": ["never-seen"]}
    )
    assert isinstance(json.loads(answer.choices[0].message.content or "")["age"], int)
    assert answer.choices[0].message.reasoning_content


async def test_embeddings_call_api_embed(client: llmrelay.Client, ollama_sim: RunningSimulator) -> None:
    result = await client.aembedding(
        "ollama/all-minilm", ["Why is the sky blue?", "Why is the grass green?"],
        api_base=ollama_sim.api_base, dimensions=64,
    )  # fmt: skip
    sent = ollama_sim.requests.last
    assert sent.path == "/api/embed"
    assert sent.body == {"model": "all-minilm", "input": ["Why is the sky blue?", "Why is the grass green?"],
                         "dimensions": 64}  # fmt: skip
    assert [len(d.embedding) for d in result.data] == [64, 64]
    assert result.usage.prompt_tokens > 0


async def test_key_and_base_from_the_environment(
    client: llmrelay.Client, start_sim: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = start_sim("ollama", api_keys=["ollama-proxy-key"])  # type: ignore[operator]
    monkeypatch.setenv("OLLAMA_API_BASE", sim.api_base + "/")
    with pytest.raises(AuthenticationError):
        await client.acompletion("ollama_chat/llama3.2", MESSAGES)
    monkeypatch.setenv("OLLAMA_API_KEY", "ollama-proxy-key")
    await client.acompletion("ollama_chat/llama3.2", MESSAGES)
    assert sim.requests.last.headers["authorization"] == "Bearer ollama-proxy-key"
    assert sim.requests.last.path == "/api/chat"


async def test_a_base_naming_v1_or_api_is_cut_to_the_root(
    client: llmrelay.Client, ollama_sim: RunningSimulator
) -> None:
    for base in (ollama_sim.api_base + "/v1", ollama_sim.api_base + "/api"):
        await client.acompletion("ollama/llama3.2", MESSAGES, api_base=base)
        assert ollama_sim.requests.last.path == "/api/generate"


async def test_errors_are_mapped(client: llmrelay.Client, ollama_sim: RunningSimulator) -> None:
    with pytest.raises(NotFoundError, match="not found, try pulling it first") as info:
        await client.acompletion("ollama_chat/missing-model", MESSAGES, api_base=ollama_sim.api_base)
    assert info.value.status_code == 404 and info.value.provider == "ollama_chat"
    ollama_sim.faults.set(error_after=2, message="model runner has unexpectedly stopped", times=3)
    # (the error line may arrive with the first lines: it is raised wherever it is read)
    with pytest.raises(InternalServerError, match="unexpectedly stopped") as raised:
        stream = await client.acompletion(
            "ollama_chat/llama3.2", MESSAGES, api_base=ollama_sim.api_base, stream=True, num_retries=0
        )
        async for _ in stream:
            pass
    assert raised.value.provider == "ollama_chat"


async def test_text_completion_goes_to_generate(
    client: llmrelay.Client, ollama_sim: RunningSimulator
) -> None:
    result = await client.atext_completion(
        "ollama/llama3.2", "Say this is a test", api_base=ollama_sim.api_base
    )
    assert result.choices[0].text == reply_text("Say this is a test")
    assert ollama_sim.requests.last.path == "/api/generate"
    assert ollama_sim.requests.last.body["prompt"] == "Say this is a test"


def test_both_prefixes_find_the_catalogs_ollama_entry() -> None:
    # the catalog lists Ollama's models under `ollama/` only (as LiteLLM's price list does)
    pricer = Pricer(ProviderRegistry(), llmrelay.Client().catalog)
    for prefix in ("ollama", "ollama_chat"):
        info = pricer.model_info(Deployment(provider=prefix, model="llama3"))
        assert info is not None and info.max_input_tokens
