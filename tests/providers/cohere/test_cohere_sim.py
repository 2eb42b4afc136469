"""`llmrelay.completion(model="cohere/...")` end to end against the Cohere simulator: what reached the
wire, answers, streams, tools, JSON mode, reasoning, embeddings, cost and errors."""

from __future__ import annotations

import json

import pytest

import llmrelay
from llmrelay.testing import RunningSimulator
from llmrelay.testing.content import embedding_vector, reply_text

QUESTION = "Where do penguins live?"
MESSAGES = [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": QUESTION}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture
async def client():  # type: ignore[no-untyped-def]
    c = llmrelay.Client()
    yield c
    await c.aclose()


async def test_chat_reaches_v2_chat_in_cohere_dialect(
    cohere_sim: RunningSimulator, client: llmrelay.Client
) -> None:
    resp = await client.acompletion(
        "cohere/command-a-03-2025", MESSAGES, temperature=0.1, top_p=0.5, top_k=10, max_tokens=100,
        stop=["zzz"], seed=3, **cohere_sim.sdk_kwargs(),
    )  # fmt: skip
    assert resp.choices[0].message.content == reply_text(QUESTION)
    assert resp.choices[0].finish_reason == "stop"
    sent = cohere_sim.requests.last
    assert sent.path == "/v2/chat" and sent.headers["authorization"] == f"Bearer {cohere_sim.api_key}"
    assert sent.body == {
        "model": "command-a-03-2025",
        "messages": [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": QUESTION}],
        "max_tokens": 100,
        "temperature": 0.1,
        "p": 0.5,
        "k": 10,
        "seed": 3,
        "stop_sequences": ["zzz"],
    }
    # usage is what Cohere bills (not the larger processed count), priced from the catalog
    usage = resp.usage
    assert usage is not None and usage.completion_tokens == len(reply_text(QUESTION).split())
    info = client.catalog.get("command-a-03-2025", "cohere")
    assert info is not None and info.input == 2_500_000 and info.output == 10_000_000
    picos = usage.prompt_tokens * info.input + usage.completion_tokens * info.output
    assert resp._hidden_params["cost_micros"] == (picos + 500_000) // 1_000_000 > 0  # type: ignore[attr-defined]


async def test_cohere_chat_spelling_and_bare_model_name(
    cohere_sim: RunningSimulator, client: llmrelay.Client
) -> None:
    for model in ("cohere_chat/command-r7b-12-2024", "command-r7b-12-2024"):
        resp = await client.acompletion(model, MESSAGES, **cohere_sim.sdk_kwargs())
        assert resp.choices[0].message.content == reply_text(QUESTION)
        assert resp._hidden_params["cost_micros"] > 0  # type: ignore[attr-defined]
        assert cohere_sim.requests.last.body["model"] == "command-r7b-12-2024"


async def test_stream_with_usage(cohere_sim: RunningSimulator, client: llmrelay.Client) -> None:
    stream = await client.acompletion(
        "cohere/command-a-03-2025", MESSAGES, stream=True, stream_options={"include_usage": True},
        **cohere_sim.sdk_kwargs(),
    )  # fmt: skip
    chunks = [c async for c in stream]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == reply_text(QUESTION)
    assert chunks[-1].choices == [] and chunks[-1].usage == stream.usage
    plain = await client.acompletion("cohere/command-a-03-2025", MESSAGES, **cohere_sim.sdk_kwargs())
    assert stream.usage == plain.usage and stream.cost_micros == plain._hidden_params["cost_micros"]  # type: ignore[attr-defined]
    assert cohere_sim.requests.last.body.get("stream") is None
    assert plain.usage is not None and plain.usage.prompt_tokens > 0


async def test_tool_round_trip_streamed_and_not(
    cohere_sim: RunningSimulator, client: llmrelay.Client
) -> None:
    question = [{"role": "user", "content": "Weather in Lima?"}]
    kwargs = cohere_sim.sdk_kwargs()
    plain = await client.acompletion("cohere/command-a-03-2025", question, tools=[WEATHER], **kwargs)
    stream = await client.acompletion(
        "cohere/command-a-03-2025", question, tools=[WEATHER], stream=True, **kwargs
    )
    [c async for c in stream]
    built = stream.response()
    for answer in (plain, built):
        choice = answer.choices[0]
        assert choice.finish_reason == "tool_calls"
        assert choice.message.content == "I will use get_weather to answer."
        (call,) = choice.message.tool_calls or []
        assert call.id.startswith("get_weather_") and json.loads(call.function.arguments) == {
            "city": "Weather in Lima?"
        }
    assert built.choices[0].message.tool_calls == plain.choices[0].message.tool_calls
    call = (plain.choices[0].message.tool_calls or [])[0]
    follow = [
        *question,
        plain.choices[0].message.to_dict(),
        {"role": "tool", "tool_call_id": call.id, "content": "18C"},
    ]
    answer = await client.acompletion("cohere/command-a-03-2025", follow, tools=[WEATHER], **kwargs)
    assert answer.choices[0].message.content == "Tool result received: 18C"
    sent = cohere_sim.requests.last.body["messages"]
    assert sent[1]["tool_plan"] == "I will use get_weather to answer." and "content" not in sent[1]
    assert sent[2] == {"role": "tool", "tool_call_id": call.id, "content": "18C"}
    forbidden = await client.acompletion(
        "cohere/command-a-03-2025", question, tools=[WEATHER], tool_choice="none", **kwargs
    )
    assert (
        forbidden.choices[0].message.tool_calls is None
        and cohere_sim.requests.last.body["tool_choice"] == "NONE"
    )


async def test_json_schema_and_reasoning(cohere_sim: RunningSimulator, client: llmrelay.Client) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    resp = await client.acompletion(
        "cohere/command-a-reasoning-08-2025", [{"role": "user", "content": "A number"}],
        response_format={"type": "json_schema", "json_schema": {"name": "num", "schema": schema}},
        thinking={"type": "enabled", "budget_tokens": 500}, **cohere_sim.sdk_kwargs(),
    )  # fmt: skip
    assert json.loads(resp.choices[0].message.content or "") == {"n": 1}
    assert resp.choices[0].message.reasoning_content == "Thinking about: A number"
    body = cohere_sim.requests.last.body
    assert body["response_format"] == {"type": "json_object", "json_schema": schema}
    assert body["thinking"] == {"type": "enabled", "token_budget": 500}


async def test_max_tokens_cut_is_length(cohere_sim: RunningSimulator, client: llmrelay.Client) -> None:
    resp = await client.acompletion(
        "cohere/command-a-03-2025", MESSAGES, max_tokens=2, **cohere_sim.sdk_kwargs()
    )
    assert (
        resp.choices[0].finish_reason == "length"
        and resp.usage is not None
        and resp.usage.completion_tokens == 2
    )


async def test_embeddings(cohere_sim: RunningSimulator, client: llmrelay.Client) -> None:
    resp = await client.aembedding(
        "cohere/embed-english-v3.0", ["alpha", "beta gamma"], **cohere_sim.sdk_kwargs()
    )
    assert [d.index for d in resp.data] == [0, 1]
    assert resp.data[1].embedding == pytest.approx(list(embedding_vector("beta gamma", 1024)))
    assert resp.usage.prompt_tokens == 3
    assert resp._hidden_params["cost_micros"] == (3 * 100_000 + 500_000) // 1_000_000  # type: ignore[attr-defined]
    sent = cohere_sim.requests.last
    assert sent.path == "/v2/embed" and sent.body["input_type"] == "search_document"
    v4 = await client.aembedding(
        "cohere/embed-v4.0",
        "query text",
        dimensions=256,
        input_type="search_query",
        **cohere_sim.sdk_kwargs(),
    )
    assert len(v4.data[0].embedding) == 256
    assert cohere_sim.requests.last.body["input_type"] == "search_query"
    assert cohere_sim.requests.last.body["output_dimension"] == 256


def test_sync_completion_and_embedding(cohere_sim: RunningSimulator) -> None:
    resp = llmrelay.completion("cohere/command-r-08-2024", MESSAGES, **cohere_sim.sdk_kwargs())
    assert resp.choices[0].message.content == reply_text(QUESTION)  # type: ignore[union-attr]
    emb = llmrelay.embedding("cohere/embed-multilingual-v3.0", "hola", **cohere_sim.sdk_kwargs())
    assert len(emb.data[0].embedding) == 1024


async def test_wrong_key_is_an_authentication_error(
    cohere_sim: RunningSimulator, client: llmrelay.Client
) -> None:
    cohere_sim.configure(api_keys={"right-key"})
    with pytest.raises(llmrelay.AuthenticationError, match="invalid api token") as info:
        await client.acompletion(
            "cohere/command-a-03-2025", MESSAGES, api_base=cohere_sim.api_base, api_key="wrong-key"
        )
    assert info.value.provider == "cohere" and "wrong-key" not in str(info.value)


@pytest.mark.parametrize(
    ("fault", "error_class"),
    [
        ({"status": 404, "message": "model 'command-z' not found, make sure the correct model ID was used"},
         llmrelay.NotFoundError),
        ({"status": 429, "retry_after": 7}, llmrelay.RateLimitError),
        ({"kind": "context_window"}, llmrelay.ContextWindowExceededError),
        ({"status": 500}, llmrelay.InternalServerError),
    ],
)  # fmt: skip
async def test_errors(
    cohere_sim: RunningSimulator, client: llmrelay.Client, fault: dict, error_class: type[llmrelay.LLMError]
) -> None:
    cohere_sim.faults.set(**fault)
    with pytest.raises(error_class) as info:
        await client.acompletion(
            "cohere/command-a-03-2025", MESSAGES, num_retries=0, **cohere_sim.sdk_kwargs()
        )
    assert type(info.value) is error_class and info.value.provider == "cohere"
    if "retry_after" in fault:
        assert info.value.retry_after == 7


async def test_in_stream_error_raises(cohere_sim: RunningSimulator, client: llmrelay.Client) -> None:
    cohere_sim.faults.set(error_after=3, message="generation failed")
    with pytest.raises(llmrelay.InternalServerError, match="generation failed"):
        stream = await client.acompletion(
            "cohere/command-a-03-2025", MESSAGES, stream=True, num_retries=0, **cohere_sim.sdk_kwargs()
        )
        [c async for c in stream]
