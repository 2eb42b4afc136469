"""The official `openai` and `anthropic` SDKs talk to the simulators unchanged: proof that the
simulators speak the real wire formats (the SDKs validate shapes, SSE framing and error bodies)."""

from __future__ import annotations

import anthropic
import openai
import pytest

from llmrelay.testing import RunningSimulator
from llmrelay.testing.content import embedding_vector, reply_text

QUESTION = "Which planet is largest?"
TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
    },
}


@pytest.fixture
def oai(openai_sim: RunningSimulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=openai_sim.api_base, api_key=openai_sim.api_key, max_retries=0)


@pytest.fixture
def claude(anthropic_sim: RunningSimulator) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=anthropic_sim.base_url, api_key=anthropic_sim.api_key, max_retries=0)


# ---- openai
def test_openai_sdk_chat(oai: openai.OpenAI) -> None:
    resp = oai.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": QUESTION}])
    assert resp.choices[0].message.content == reply_text(QUESTION)
    assert resp.usage is not None and resp.usage.total_tokens > 0


def test_openai_sdk_stream_with_usage(oai: openai.OpenAI) -> None:
    stream = oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": QUESTION}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == reply_text(QUESTION)
    assert chunks[-1].choices == [] and chunks[-1].usage is not None


def test_openai_sdk_streamed_tool_call(oai: openai.OpenAI) -> None:
    with oai.chat.completions.stream(
        model="gpt-4o-mini", messages=[{"role": "user", "content": QUESTION}], tools=[TOOL]
    ) as stream:
        final = stream.get_final_completion()
    (call,) = final.choices[0].message.tool_calls or []
    assert call.function.name == "lookup" and call.function.arguments == '{"q":"Which planet is largest?"}'


def test_openai_sdk_embeddings_default_base64(oai: openai.OpenAI, openai_sim: RunningSimulator) -> None:
    resp = oai.embeddings.create(model="text-embedding-3-small", input=["one", "two"])
    # the SDK asks for base64 by default and decodes it
    assert openai_sim.requests.last.body["encoding_format"] == "base64"
    assert resp.data[1].embedding == pytest.approx(list(embedding_vector("two", 1536)))


def test_openai_sdk_completions_and_models(oai: openai.OpenAI) -> None:
    resp = oai.completions.create(model="gpt-3.5-turbo-instruct", prompt="Hello", max_tokens=40)
    assert resp.choices[0].text == reply_text("Hello")
    assert "gpt-4o-mini" in [m.id for m in oai.models.list()]


def test_openai_sdk_error_classes(oai: openai.OpenAI, openai_sim: RunningSimulator) -> None:
    messages = [{"role": "user", "content": QUESTION}]
    openai_sim.configure(api_keys={"only-this"})
    with pytest.raises(openai.AuthenticationError):
        oai.chat.completions.create(model="m", messages=messages)  # type: ignore[arg-type]
    openai_sim.reset()
    openai_sim.faults.set(status=429, retry_after=3, times=1)
    with pytest.raises(openai.RateLimitError) as info:
        oai.chat.completions.create(model="m", messages=messages)  # type: ignore[arg-type]
    assert info.value.response.headers["retry-after"] == "3"
    openai_sim.faults.set(kind="context_window", times=1)
    with pytest.raises(openai.BadRequestError) as bad:
        oai.chat.completions.create(model="m", messages=messages)  # type: ignore[arg-type]
    assert bad.value.code == "context_length_exceeded"


# ---- anthropic
def test_anthropic_sdk_message(claude: anthropic.Anthropic, anthropic_sim: RunningSimulator) -> None:
    msg = claude.messages.create(
        model="claude-haiku-4-5",
        max_tokens=100,
        system="Be brief",
        messages=[{"role": "user", "content": QUESTION}],
    )
    assert msg.content[0].type == "text" and msg.content[0].text == reply_text(QUESTION)
    assert msg.usage.output_tokens == len(reply_text(QUESTION).split())
    assert anthropic_sim.requests.last.header("anthropic-version")


def test_anthropic_sdk_stream_tool_use(claude: anthropic.Anthropic) -> None:
    tool = {"name": "lookup", "input_schema": TOOL["function"]["parameters"]}  # type: ignore[index]
    with claude.messages.stream(
        model="claude-haiku-4-5",
        max_tokens=100,
        messages=[{"role": "user", "content": QUESTION}],
        tools=[tool],
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    tool_use = final.content[-1]
    assert tool_use.type == "tool_use" and tool_use.input == {"q": QUESTION}


def test_anthropic_sdk_thinking_stream(claude: anthropic.Anthropic) -> None:
    with claude.messages.stream(
        model="claude-haiku-4-5",
        max_tokens=2000,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": QUESTION}],
    ) as stream:
        final = stream.get_final_message()
    thinking = final.content[0]
    assert (
        thinking.type == "thinking" and thinking.signature and thinking.thinking.startswith("Thinking about")
    )
    assert final.content[1].type == "text"


def test_anthropic_sdk_count_tokens(claude: anthropic.Anthropic) -> None:
    count = claude.messages.count_tokens(
        model="claude-haiku-4-5", messages=[{"role": "user", "content": QUESTION}]
    )
    assert count.input_tokens > 0


def test_anthropic_sdk_error_classes(claude: anthropic.Anthropic, anthropic_sim: RunningSimulator) -> None:
    messages = [{"role": "user", "content": QUESTION}]
    anthropic_sim.configure(api_keys={"only-this"})
    with pytest.raises(anthropic.AuthenticationError):
        claude.messages.create(model="m", max_tokens=10, messages=messages)  # type: ignore[arg-type]
    anthropic_sim.reset()
    anthropic_sim.faults.set(status=529, times=1)
    with pytest.raises(anthropic.APIStatusError) as info:
        claude.messages.create(model="m", max_tokens=10, messages=messages)  # type: ignore[arg-type]
    assert info.value.status_code == 529
    assert info.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]
