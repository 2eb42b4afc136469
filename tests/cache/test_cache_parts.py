"""The response cache's parts: request controls, settings from cache_params, keys, the memory store
and the replay of a cached answer as a stream."""

from __future__ import annotations

import pytest

from llmrelay.cache.controls import CacheControls, parse_controls
from llmrelay.cache.keys import cache_key
from llmrelay.cache.replay import chunks_of_response
from llmrelay.cache.settings import CacheConfigError, cache_settings
from llmrelay.cache.stores import MemoryStore
from llmrelay.core.assemble import stream_chunk_builder
from llmrelay.types.chat import ChatRequest, FunctionCall, ToolCall
from llmrelay.types.errors import BadRequestError
from llmrelay.types.response import ChatResponse, Choice, ResponseMessage, Usage


def test_controls_in_litellm_spelling() -> None:
    assert parse_controls(None) == CacheControls()
    given = parse_controls(
        {"no-cache": True, "no-store": False, "ttl": 30, "s-maxage": 5, "namespace": "eu", "use-cache": True}
    )
    assert given == CacheControls(
        no_cache=True, no_store=False, ttl=30.0, s_maxage=5.0, namespace="eu", use_cache=True
    )
    assert parse_controls({"s-max-age": 2}).s_maxage == 2.0


@pytest.mark.parametrize(
    ("raw", "param"),
    [
        ({"no-cache": "yes"}, "cache.no-cache"),
        ({"ttl": -1}, "cache.ttl"),
        ({"ttl": True}, "cache.ttl"),
        ({"s-maxage": float("nan")}, "cache.s-maxage"),
        ({"namespace": ""}, "cache.namespace"),
        ({"no_cache": True}, "cache.no_cache"),
    ],
)
def test_bad_controls_name_the_field(raw: dict[str, object], param: str) -> None:
    with pytest.raises(BadRequestError) as error:
        parse_controls(raw)
    assert error.value.param == param


def test_settings_from_cache_params() -> None:
    local = cache_settings(None, environ={})
    assert (local.type, local.ttl, local.mode, local.kinds) == (
        "local", 600.0, "default_on", frozenset({"chat", "text", "embedding"}),
    )  # fmt: skip
    only_chat = cache_settings({"supported_call_types": ["acompletion"], "ttl": 5, "mode": "default_off"}, {})
    assert (only_chat.kinds, only_chat.ttl, only_chat.mode) == (frozenset({"chat"}), 5.0, "default_off")
    redis = cache_settings({"type": "redis", "host": "cache", "port": 6380, "password": "p@ss/word"}, {})
    assert redis.redis_url == "redis://:p%40ss%2Fword@cache:6380/0"
    from_env = cache_settings({"type": "redis"}, {"REDIS_HOST": "h", "REDIS_PASSWORD": "x"})
    assert from_env.redis_url == "redis://:x@h:6379/0"
    assert cache_settings({"type": "redis", "url": "redis://u:6379/2"}, {}).redis_url == "redis://u:6379/2"


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"type": "s3"}, "'s3' is not supported"),
        ({"type": "memcached"}, "expected 'local' or 'redis'"),
        ({"ttl": 0}, "cache_params.ttl"),
        ({"mode": "sometimes"}, "cache_params.mode"),
        ({"supported_call_types": ["rerank"]}, "unknown ['rerank']"),
        ({"type": "redis"}, "needs host"),
        ({"max_entries": 0}, "cache_params.max_entries"),
    ],
)
def test_settings_that_cannot_work_are_refused(params: dict[str, object], fragment: str) -> None:
    with pytest.raises(CacheConfigError, match=None) as error:
        cache_settings(params, environ={})
    assert fragment in str(error.value)


def _chat(**fields: object) -> ChatRequest:
    base: dict[str, object] = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    base.update(fields)
    import msgspec

    return msgspec.convert(base, ChatRequest)


def test_keys_follow_what_changes_the_answer() -> None:
    plain = cache_key("chat", _chat(), None)
    assert plain.startswith("llmrelay:cache:chat:")
    # how it is delivered or accounted for does not change the answer
    for delivery in (
        {"stream": True, "stream_options": {"include_usage": True}},
        {"user": "u1"},
        {"metadata": {"tags": ["a"]}},
        {"cache": {"ttl": 5}},
    ):
        assert cache_key("chat", _chat(**delivery), None) == plain, delivery
    for change in (
        {"temperature": 0.5},
        {"model": "gpt-4o-mini"},
        {"messages": [{"role": "user", "content": "hi!"}]},
        {"extra_body": {"top_k": 3}},
    ):
        assert cache_key("chat", _chat(**change), None) != plain, change
    assert cache_key("embedding", _chat(), None) != plain
    assert cache_key("chat", _chat(), "eu").startswith("llmrelay:cache:eu:chat:")


async def test_memory_store_expires_and_evicts_the_least_recent() -> None:
    now = [1000.0]
    store = MemoryStore(max_entries=2, clock=lambda: now[0])
    await store.set("a", b"1", ttl=10)
    await store.set("b", b"2", ttl=100)
    assert await store.get("a") == (b"1", 1000.0)  # a is now the most recent
    await store.set("c", b"3", ttl=100)
    assert await store.get("b") is None and len(store) == 2
    now[0] = 1010.0
    assert await store.get("a") is None  # expired
    assert await store.get("c") == (b"3", 1000.0)


def test_a_replayed_answer_assembles_back_to_itself() -> None:
    call = ToolCall(id="call_1", function=FunctionCall(name="lookup", arguments='{"q": "x"}'))
    response = ChatResponse(
        id="chatcmpl-1",
        created=1,
        model="gpt-4o",
        choices=[
            Choice(index=0, message=ResponseMessage(content="Hello there", reasoning_content="why"),
                   finish_reason="stop"),
            Choice(index=1, message=ResponseMessage(content=None, tool_calls=[call]),
                   finish_reason="tool_calls"),
        ],
        usage=Usage(prompt_tokens=3, completion_tokens=4, total_tokens=7),
    )  # fmt: skip
    chunks = chunks_of_response(response)
    assert chunks[-1].choices == [] and chunks[-1].usage == response.usage
    rebuilt = stream_chunk_builder(chunks)
    assert rebuilt.choices[0].message.content == "Hello there"
    assert rebuilt.choices[0].message.reasoning_content == "why"
    assert rebuilt.choices[1].message.tool_calls == [call]
    assert [c.finish_reason for c in rebuilt.choices] == ["stop", "tool_calls"]
    assert rebuilt.usage == response.usage


async def test_a_damaged_entry_is_a_miss() -> None:
    from llmrelay.cache.response_cache import ResponseCache
    from llmrelay.cache.settings import CacheSettings

    store = MemoryStore()
    cache = ResponseCache(CacheSettings(), store)
    plan = cache.plan("chat", _chat(), CacheControls())
    assert plan is not None
    await store.set(plan.key, b"\x00not json", ttl=60)
    assert await cache.lookup(plan, ChatResponse) is None
    assert (cache.hits, cache.failures) == (0, 1)
