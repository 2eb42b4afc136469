"""The Client against a scripted local upstream: per-call options, retries with retry-after, errors,
streaming, drop_params, pricing on the response."""

from __future__ import annotations

import json
import socket

import pytest
from sdk_upstream import CHAT_BODY, Reply, Upstream, stream_body

import llmrelay
from llmrelay.calls.context import StreamTimeouts
from llmrelay.client import Client
from llmrelay.types import errors

MESSAGES = [{"role": "user", "content": "ping"}]


async def test_per_call_options_reach_the_wire(client: Client, upstream: Upstream) -> None:
    resp = await client.acompletion(
        "openai/gpt-4o-mini",
        MESSAGES,
        api_key="sk-call",
        base_url=upstream.base,
        organization="org-1",
        extra_headers={"x-a": "1"},
        headers={"x-b": "2"},
        temperature=0.1,
        metadata={"tenant": "t"},
        some_vendor_flag=True,
    )
    got = upstream.received[0]
    assert got.path == "/v1/chat/completions"
    assert got.headers["authorization"] == "Bearer sk-call"
    assert (got.headers["openai-organization"], got.headers["x-a"], got.headers["x-b"]) == ("org-1", "1", "2")
    # metadata is llmrelay's; unknown keyword arguments pass through to the provider's body
    assert got.body == {
        "model": "gpt-4o-mini",
        "messages": MESSAGES,
        "temperature": 0.1,
        "some_vendor_flag": True,
    }
    assert resp.choices[0].message.content == "pong"
    assert resp.object == "chat.completion"


async def test_env_key_and_base(client: Client, upstream: Upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_API_BASE", upstream.base)
    await client.acompletion("gpt-4o-mini", MESSAGES)
    assert upstream.received[0].headers["authorization"] == "Bearer sk-env"


async def test_cost_is_priced_from_the_catalog(client: Client, upstream: Upstream) -> None:
    resp = await client.acompletion("openai/gpt-4o-mini", MESSAGES, api_key="k", api_base=upstream.base)
    info = client.catalog.get("gpt-4o-mini", "openai")
    assert info is not None and info.input is not None and info.output is not None
    picos = 1000 * info.input + 100 * info.output
    expected_micros = (picos + 500_000) // 1_000_000
    assert resp._hidden_params["cost_micros"] == expected_micros
    assert llmrelay.completion_cost(resp) == expected_micros / 1e6
    assert resp._hidden_params["provider"] == "openai"


async def test_retries_honour_retry_after_ms(
    client: Client, upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    real_sleep = __import__("asyncio").sleep

    async def fake_sleep(delay: float) -> None:
        waits.append(delay)
        await real_sleep(0)

    monkeypatch.setattr("llmrelay.client.asyncio.sleep", fake_sleep)
    client.retry_policy = llmrelay.client.RetryPolicy(base=0.5, cap=30.0)
    rate_limited = json.dumps(
        {"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}}
    )
    upstream.queue(
        Reply(429, rate_limited.encode(), {"retry-after-ms": "20"}),
        Reply(503, b'{"error": {"message": "overloaded"}}', {"retry-after": "0"}),
        Reply(),
    )
    resp = await client.acompletion(
        "openai/gpt-4o-mini", MESSAGES, api_key="k", api_base=upstream.base, num_retries=2
    )
    assert resp.choices[0].message.content == "pong"
    assert waits == [0.02, 0.0]
    assert resp._hidden_params["attempts"] == 3
    assert len(upstream.received) == 3


async def test_retries_stop_at_the_limit(client: Client, upstream: Upstream) -> None:
    upstream.queue(*[Reply(500, b'{"error": {"message": "boom"}}') for _ in range(3)])
    with pytest.raises(errors.InternalServerError, match="boom") as info:
        await client.acompletion(
            "openai/gpt-4o-mini", MESSAGES, api_key="k", api_base=upstream.base, max_retries=1
        )
    assert len(upstream.received) == 2
    assert (info.value.provider, info.value.model, info.value.status_code) == ("openai", "gpt-4o-mini", 500)


async def test_client_errors_are_not_retried(client: Client, upstream: Upstream) -> None:
    upstream.queue(Reply(401, b'{"error": {"message": "bad key", "code": "invalid_api_key"}}'))
    with pytest.raises(llmrelay.AuthenticationError) as info:
        await client.acompletion(
            "openai/gpt-4o-mini", MESSAGES, api_key="k", api_base=upstream.base, num_retries=3
        )
    assert len(upstream.received) == 1
    assert info.value.code == "invalid_api_key"
    assert "k" not in info.value.message.split()


async def test_request_too_large(client: Client, upstream: Upstream) -> None:
    upstream.queue(Reply(413, b"<html>413 Request Entity Too Large</html>"))
    with pytest.raises(llmrelay.RequestTooLargeError):
        await client.acompletion("openai/gpt-4o-mini", MESSAGES, api_key="k", api_base=upstream.base)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_connection_refused_is_api_connection_error(client: Client) -> None:
    base = f"http://127.0.0.1:{_closed_port()}/v1?key=secret"
    with pytest.raises(llmrelay.APIConnectionError) as info:
        await client.acompletion("openai/gpt-4o-mini", MESSAGES, api_key="k", api_base=base, num_retries=1)
    assert info.value.retryable and info.value.provider == "openai"
    assert "secret" not in str(info.value)


async def test_unsupported_param_raises_or_drops(client: Client, upstream: Upstream) -> None:
    with pytest.raises(llmrelay.UnsupportedParamsError, match="perplexity") as info:
        await client.acompletion("perplexity/sonar", MESSAGES, api_key="k", api_base=upstream.base, seed=1)
    assert info.value.param == "seed"
    assert upstream.received == []
    await client.acompletion(
        "perplexity/sonar", MESSAGES, api_key="k", api_base=upstream.base, seed=1, drop_params=True
    )
    assert "seed" not in upstream.received[0].body


async def test_invalid_request_names_the_field(client: Client) -> None:
    with pytest.raises(llmrelay.BadRequestError) as info:
        await client.acompletion("openai/gpt-4o", [{"role": "wizard", "content": "x"}], api_key="k")
    assert info.value.param == "messages[0].role"


async def test_unknown_provider_is_a_clear_error(client: Client) -> None:
    with pytest.raises(llmrelay.BadRequestError, match="provider/model"):
        await client.acompletion("mystery-model-9", MESSAGES)
    with pytest.raises(llmrelay.BadRequestError) as info:
        await client.acompletion("m", MESSAGES, custom_llm_provider="nope")
    assert info.value.param == "custom_llm_provider"


async def test_custom_llm_provider_keeps_slashes_in_model(client: Client, upstream: Upstream) -> None:
    await client.acompletion(
        "meta-llama/Llama-3-8b",
        MESSAGES,
        custom_llm_provider="together_ai",
        api_key="k",
        api_base=upstream.base,
    )
    assert upstream.received[0].body["model"] == "meta-llama/Llama-3-8b"


async def test_stream_text_usage_and_cost(client: Client, upstream: Upstream) -> None:
    upstream.queue(Reply(body=stream_body(["Hel", "lo"]), stream=True))
    stream = await client.acompletion(
        "openai/gpt-4o-mini",
        MESSAGES,
        stream=True,
        api_key="k",
        api_base=upstream.base,
        stream_options={"include_usage": True},
    )
    chunks = [c async for c in stream]
    assert upstream.received[0].body["stream_options"] == {"include_usage": True}
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert stream.usage is not None and stream.usage.total_tokens == 12
    assert stream.cost_micros > 0 and stream.time_to_first_token is not None


async def test_stream_hides_usage_chunk_unless_asked(client: Client, upstream: Upstream) -> None:
    upstream.queue(Reply(body=stream_body(["a"]), stream=True))
    stream = await client.acompletion(
        "openai/gpt-4o-mini", MESSAGES, stream=True, api_key="k", api_base=upstream.base
    )
    chunks = [c async for c in stream]
    assert all(c.choices for c in chunks)
    assert stream.usage is not None  # still known, for cost


async def test_stream_error_before_first_chunk_is_retried(client: Client, upstream: Upstream) -> None:
    upstream.queue(
        Reply(429, b'{"error": {"message": "busy"}}', {"retry-after": "0"}),
        Reply(body=stream_body(["ok"]), stream=True),
    )
    stream = await client.acompletion(
        "openai/gpt-4o-mini", MESSAGES, stream=True, api_key="k", api_base=upstream.base, num_retries=1
    )
    assert "".join([c.choices[0].delta.content or "" async for c in stream]) == "ok"


async def test_stream_cut_mid_way_raises_connection_error(client: Client, upstream: Upstream) -> None:
    upstream.queue(Reply(body=stream_body(["a", "b"], done=False), stream=True))
    stream = await client.acompletion(
        "openai/gpt-4o-mini",
        MESSAGES,
        stream=True,
        api_key="k",
        api_base=upstream.base,
        stream_timeouts=StreamTimeouts(first_token=5, between_chunks=5),
    )
    with pytest.raises(llmrelay.APIConnectionError, match="DONE"):
        async for _ in stream:
            pass


async def test_embedding_and_text_completion(client: Client, upstream: Upstream) -> None:
    upstream.queue(
        Reply(
            body=json.dumps(
                {
                    "object": "list",
                    "model": "text-embedding-3-small",
                    "data": [{"object": "embedding", "index": 0, "embedding": [0.5]}],
                    "usage": {"prompt_tokens": 3, "total_tokens": 3},
                }
            ).encode()
        ),
        Reply(
            body=json.dumps(
                {
                    "id": "c",
                    "object": "text_completion",
                    "created": 1,
                    "model": "gpt-3.5-turbo-instruct",
                    "choices": [{"index": 0, "text": "hi", "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 2, "completion_tokens": 1, "total_tokens": 3},
                }
            ).encode()
        ),
    )
    emb = await client.aembedding("text-embedding-3-small", "abc", api_key="k", api_base=upstream.base)
    assert emb.data[0].embedding == [0.5] and upstream.received[0].path == "/v1/embeddings"
    text = await client.atext_completion(
        "openai/gpt-3.5-turbo-instruct", "say", api_key="k", api_base=upstream.base
    )
    assert text.choices[0].text == "hi" and upstream.received[1].path == "/v1/completions"


async def test_text_completion_through_chat_for_chat_only_providers(
    client: Client, upstream: Upstream
) -> None:
    upstream.queue(Reply(body=json.dumps(CHAT_BODY).encode()))
    text = await client.atext_completion(
        "groq/llama-3.1-8b-instant", "say", api_key="k", api_base=upstream.base
    )
    assert upstream.received[0].path == "/v1/chat/completions"
    assert upstream.received[0].body["messages"] == [{"role": "user", "content": "say"}]
    assert text.choices[0].text == "pong"


def test_sync_wrappers_run_the_async_core() -> None:
    # no event loop here: the sync API runs on the client's own loop thread
    client = Client()
    try:
        resp = client.completion("gpt-4o", MESSAGES, mock_response="sync ok")
        assert resp.choices[0].message.content == "sync ok"
        stream = client.completion("gpt-4o", MESSAGES, mock_response="a b", stream=True)
        assert "".join(c.choices[0].delta.content or "" for c in stream) == "a b"
        assert stream.usage is not None
    finally:
        client.close()


async def test_stream_reports_once_per_logical_call(upstream: Upstream) -> None:
    records: list[tuple[str, object]] = []

    class Hooks(llmrelay.Callback):
        def on_failure(self, record: llmrelay.CallRecord) -> None:
            records.append(("failure", type(record.error).__name__))

        def on_stream_complete(self, record: llmrelay.CallRecord) -> None:
            records.append(("stream", record.attempts))

    client = Client(callbacks=[Hooks()], retry_policy=llmrelay.client.RetryPolicy(0, 0))
    try:
        # a failed first attempt, then a good stream: one stream-complete record, no failure
        upstream.queue(
            Reply(503, b'{"error": {"message": "busy"}}'), Reply(body=stream_body(["x"]), stream=True)
        )
        stream = await client.acompletion(
            "openai/gpt-4o-mini", MESSAGES, stream=True, api_key="k", api_base=upstream.base, num_retries=1
        )
        [c async for c in stream]
        # a stream cut mid-way: one failure record
        upstream.queue(Reply(body=stream_body(["a", "b"], done=False), stream=True))
        stream = await client.acompletion(
            "openai/gpt-4o-mini", MESSAGES, stream=True, api_key="k", api_base=upstream.base
        )
        with pytest.raises(llmrelay.APIConnectionError):
            [c async for c in stream]
        await client.aflush_callbacks()
        assert records == [("stream", 2), ("failure", "APIConnectionError")]
    finally:
        await client.aclose()
        client.close()


async def test_a_stream_closed_early_is_reported_with_an_estimate_of_its_usage(upstream: Upstream) -> None:
    from llmrelay.cost.tokens import count_text, token_counter

    failures: list[llmrelay.CallRecord] = []

    class Hooks(llmrelay.Callback):
        def on_failure(self, record: llmrelay.CallRecord) -> None:
            failures.append(record)

    client = Client(callbacks=[Hooks()])
    try:
        upstream.queue(Reply(body=stream_body(["Hello", " there", " friend"]), stream=True))
        stream = await client.acompletion(
            "openai/gpt-4o-mini", MESSAGES, stream=True, api_key="k", api_base=upstream.base
        )
        chunks = [await stream.__anext__() for _ in range(2)]  # the role chunk, then "Hello"
        assert chunks[1].choices[0].delta.content == "Hello"
        await stream.aclose()  # the caller stops reading: the upstream's usage never arrives
        await client.aflush_callbacks()
        [record] = failures
        assert isinstance(record.error, llmrelay.StreamClosedEarly) and record.error.status_code == 499
        # billed as far as it is known: the prompt, and the answer read so far
        prompt, completion = token_counter("gpt-4o-mini", MESSAGES), count_text("Hello")
        assert record.usage == llmrelay.Usage(
            prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
        )
        assert record.cost_micros == stream.cost_micros > 0
        await stream.aclose()  # closing again reports nothing more
        await client.aflush_callbacks()
        assert len(failures) == 1
    finally:
        await client.aclose()
        client.close()
