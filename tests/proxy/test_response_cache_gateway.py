"""The response cache on the whole gateway (config.yaml `cache: true`, Granian, the OpenAI simulator
upstream): a repeated call is answered without the provider, as JSON or as a stream, at no cost;
LiteLLM's per-request controls; embeddings; the shared Redis backend; a cache that fails is a miss."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from harness import MASTER_KEY, running

from llmrelay.config.loader import parse_config
from llmrelay.proxy.server import build_app
from llmrelay.testing import RunningSimulator

HELLO = [{"role": "user", "content": "tell me about caches"}]
REDIS_URL = "redis://127.0.0.1:6379/0"


def document(sim: RunningSimulator, **cache_params: Any) -> dict[str, Any]:
    params = {"api_base": sim.api_base, "api_key": sim.api_key}
    return {
        "model_list": [
            {"model_name": "gpt-4o", "litellm_params": {"model": "openai/gpt-4o", **params}},
            {"model_name": "embed", "litellm_params": {"model": "openai/text-embedding-3-small", **params}},
        ],
        "litellm_settings": {"cache": True, "cache_params": cache_params},
        "general_settings": {"master_key": MASTER_KEY},
    }


@pytest.fixture
def gateway(openai_sim: RunningSimulator) -> Iterator[str]:
    with running(build_app(parse_config(document(openai_sim), source="test"))) as url:
        yield url


def client(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key=MASTER_KEY, max_retries=0)


def chats(sim: RunningSimulator) -> int:
    return sim.requests.count("/chat/completions")


def test_a_repeated_call_is_answered_from_the_cache(gateway: str, openai_sim: RunningSimulator) -> None:
    oai = client(gateway)
    first = oai.chat.completions.with_raw_response.create(model="gpt-4o", messages=HELLO)
    assert chats(openai_sim) == 1 and "x-litellm-cache-key" not in first.headers
    second = oai.chat.completions.with_raw_response.create(model="gpt-4o", messages=HELLO, user="other")
    assert chats(openai_sim) == 1  # the provider was not asked again
    assert second.parse().choices[0].message.content == first.parse().choices[0].message.content
    assert second.headers["x-litellm-cache-key"].startswith("llmrelay:cache:chat:")
    assert float(second.headers["x-llmrelay-cost"]) == 0 < float(first.headers["x-llmrelay-cost"])
    assert second.headers["x-llmrelay-provider"] == "openai"

    # asked for as a stream, the cached answer is replayed as one
    text = "".join(
        c.choices[0].delta.content or ""
        for c in oai.chat.completions.create(model="gpt-4o", messages=HELLO, stream=True)
        if c.choices
    )
    assert text == first.parse().choices[0].message.content and chats(openai_sim) == 1

    # anything that changes the answer is another entry
    oai.chat.completions.create(model="gpt-4o", messages=HELLO, temperature=0.2)
    assert chats(openai_sim) == 2


def test_a_stream_read_to_its_end_is_kept(gateway: str, openai_sim: RunningSimulator) -> None:
    oai = client(gateway)
    question = [{"role": "user", "content": "stream me something"}]
    streamed = "".join(
        c.choices[0].delta.content or ""
        for c in oai.chat.completions.create(model="gpt-4o", messages=question, stream=True)
        if c.choices
    )
    assert chats(openai_sim) == 1
    cached = oai.chat.completions.create(model="gpt-4o", messages=question)
    assert cached.choices[0].message.content == streamed and chats(openai_sim) == 1


def test_per_request_controls(gateway: str, openai_sim: RunningSimulator) -> None:
    oai = client(gateway)

    def ask(cache: dict[str, Any] | None = None, content: str = "controls") -> None:
        extra = {"cache": cache} if cache is not None else None
        messages = [{"role": "user", "content": content}]
        oai.chat.completions.create(model="gpt-4o", messages=messages, extra_body=extra)  # type: ignore[arg-type]

    ask({"no-store": True})
    ask()
    assert chats(openai_sim) == 2  # the first answer was not kept
    ask()
    assert chats(openai_sim) == 2
    ask({"no-cache": True})
    assert chats(openai_sim) == 3  # a fresh answer, although one was cached
    ask({"s-maxage": 0})
    assert chats(openai_sim) == 4  # the cached one is older than that
    ask({"namespace": "team-a"})
    assert chats(openai_sim) == 5  # another key space
    ask({"use-cache": False})
    assert chats(openai_sim) == 6
    # the controls never reach the provider
    assert "cache" not in openai_sim.requests.last.body

    with pytest.raises(openai.BadRequestError) as error:
        ask({"ttl": "forever"})
    assert error.value.body["param"] == "cache.ttl"  # type: ignore[index]


def test_embeddings_are_cached(gateway: str, openai_sim: RunningSimulator) -> None:
    oai = client(gateway)
    first = oai.embeddings.create(model="embed", input=["a", "b"])
    second = oai.embeddings.create(model="embed", input=["a", "b"])
    assert openai_sim.requests.count("/embeddings") == 1
    assert second.data[1].embedding == first.data[1].embedding


def test_default_off_caches_only_what_asks(openai_sim: RunningSimulator) -> None:
    with running(build_app(parse_config(document(openai_sim, mode="default_off"), source="t"))) as url:
        oai = client(url)
        for _ in range(2):
            oai.chat.completions.create(model="gpt-4o", messages=HELLO)
        assert chats(openai_sim) == 2
        for _ in range(2):
            oai.chat.completions.create(
                model="gpt-4o", messages=HELLO, extra_body={"cache": {"use-cache": True}}
            )
        assert chats(openai_sim) == 3


def test_redis_is_shared_between_gateways(openai_sim: RunningSimulator) -> None:
    namespace = f"test-{uuid.uuid4().hex}"
    doc = document(openai_sim, type="redis", url=REDIS_URL, namespace=namespace)
    with running(build_app(parse_config(doc, source="a"))) as one:
        first = client(one).chat.completions.create(model="gpt-4o", messages=HELLO)
        _wait_for_redis_key(f"llmrelay:cache:{namespace}:chat:*")
    with running(build_app(parse_config(doc, source="b"))) as two:  # another instance
        again = client(two).chat.completions.create(model="gpt-4o", messages=HELLO)
    assert again.choices[0].message.content == first.choices[0].message.content
    assert chats(openai_sim) == 1
    _drop_redis_keys(f"llmrelay:cache:{namespace}:*")


def test_a_cache_that_fails_is_a_miss(openai_sim: RunningSimulator, caplog: pytest.LogCaptureFixture) -> None:
    # nothing listens on port 9 (discard): every cache read and write fails
    doc = document(openai_sim, type="redis", url="redis://127.0.0.1:9/0")
    with (
        caplog.at_level(logging.WARNING, logger="llmrelay.cache"),
        running(build_app(parse_config(doc, source="t"))) as url,
    ):
        oai = client(url)
        for _ in range(2):
            assert oai.chat.completions.create(model="gpt-4o", messages=HELLO).choices[0].message.content
    assert chats(openai_sim) == 2
    assert "response cache read failed" in caplog.text


async def _count_keys(pattern: str) -> int:
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    try:
        return len([k async for k in redis.scan_iter(match=pattern)])
    finally:
        await redis.aclose()


def _wait_for_redis_key(pattern: str) -> None:
    """The write is off the caller's path: wait (bounded) until it has landed."""
    import asyncio

    deadline = time.monotonic() + 5
    while asyncio.run(_count_keys(pattern)) == 0:
        assert time.monotonic() < deadline, "the cached answer never reached Redis"


def _drop_redis_keys(pattern: str) -> None:
    import asyncio

    from redis.asyncio import Redis

    async def drop() -> None:
        redis = Redis.from_url(REDIS_URL)
        try:
            keys = [k async for k in redis.scan_iter(match=pattern)]
            if keys:
                await redis.delete(*keys)
        finally:
            await redis.aclose()

    asyncio.run(drop())


def test_hits_are_reported_to_the_call_sinks(openai_sim: RunningSimulator, tmp_path: Any) -> None:
    import json

    log = tmp_path / "calls.jsonl"
    doc = document(openai_sim)
    doc["litellm_settings"]["callbacks"] = ["json_log", "prometheus"]
    doc["litellm_settings"]["callback_settings"] = {"json_log": {"path": str(log), "flush_seconds": 0.01}}
    with running(build_app(parse_config(doc, source="t"))) as url:
        oai = client(url)
        for _ in range(2):
            oai.chat.completions.create(model="gpt-4o", messages=HELLO)
        oai.embeddings.create(model="embed", input="x")
        oai.embeddings.create(model="embed", input="x")
        # records reach the sinks off the request path (batched): wait, bounded, for the hits to land
        deadline = time.monotonic() + 5
        while 'provider="cache"' not in (metrics := _metrics(url)):
            assert time.monotonic() < deadline, "the cache hits never reached the Prometheus sink"
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["call_type"], e["provider"], e.get("cache_hit", False)) for e in lines] == [
        ("completion", "openai", False),
        ("completion", "cache", True),
        ("embedding", "openai", False),
        ("embedding", "cache", True),
    ]
    assert lines[1]["cost_usd"] == 0 and lines[1]["total_tokens"] == lines[0]["total_tokens"]
    assert 'llmrelay_requests_total{model="gpt-4o",provider="cache",status="ok"} 1.0' in metrics


def _metrics(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url + "/metrics", timeout=10) as reply:
        return reply.read().decode()
