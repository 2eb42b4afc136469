"""What served a cached answer survives the response cache: its Served record (calls/served.py) is
what the cache keeps of an answer's origin, what a hit reports (at no cost, no attempt), and what a
hit replayed as a stream carries — for chat and text completions. The gateway's headers and spend
rows read only that record, so a field lost here would silently vanish from them."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from llmrelay.cache.controls import CacheControls
from llmrelay.cache.middleware import ResponseCacheMiddleware
from llmrelay.cache.replay import stream_of_response
from llmrelay.cache.response_cache import ResponseCache
from llmrelay.cache.settings import CacheSettings
from llmrelay.cache.stores import MemoryStore
from llmrelay.calls.call import Call
from llmrelay.calls.context import CallContext
from llmrelay.calls.operation import CHAT, TEXT_COMPLETION
from llmrelay.calls.served import Served, attach_served, served_of
from llmrelay.core.text_stream import TextStream
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextChoice, TextCompletionRequest, TextCompletionResponse
from llmrelay.types.response import ChatResponse, Choice, ResponseMessage, Usage

USAGE = Usage(prompt_tokens=3, completion_tokens=2, total_tokens=5)
# what served the first answer: a fallback, after retries, at a cost
FIRST = Served(
    provider="anthropic", model="anthropic/claude-x", deployment_id="dep-7", model_group="backup",
    api_base="http://upstream.test", attempts=3, fallback_from="primary", cost_micros=1234,
)  # fmt: skip


class WrittenStore(MemoryStore):
    """A memory store that says when a write landed (the cache writes off the caller's path)."""

    def __init__(self) -> None:
        super().__init__()
        self.written = asyncio.Event()

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        await super().set(key, value, ttl)
        self.written.set()


def _chat_answer() -> ChatResponse:
    answer = ChatResponse(
        id="chatcmpl-1", created=1, model="claude-x", usage=USAGE,
        choices=[Choice(index=0, message=ResponseMessage(content="hello"), finish_reason="stop")],
    )  # fmt: skip
    attach_served(answer, FIRST)
    return answer


def _text_answer() -> TextCompletionResponse:
    answer = TextCompletionResponse(
        id="cmpl-1", created=1, model="claude-x", usage=USAGE,
        choices=[TextChoice(index=0, text="hello", finish_reason="stop")],
    )  # fmt: skip
    attach_served(answer, FIRST)
    return answer


def _hit_of(key: str) -> Served:
    """The record of a hit: where the answer first came from, no attempt, no cost."""
    return Served(
        provider="anthropic", model="anthropic/claude-x", deployment_id="dep-7", model_group="backup",
        cache_hit=True, cache_key=key,
    )  # fmt: skip


async def _cached_twice(call: Call[Any], answer: Any) -> tuple[Any, Any, WrittenStore]:
    store = WrittenStore()
    cache = ResponseCacheMiddleware(ResponseCache(CacheSettings(), store))
    calls: list[Call[Any]] = []

    async def router(call: Call[Any]) -> Any:
        calls.append(call)
        return answer

    first = await cache(call, router)
    await store.written.wait()
    again = await cache(call, router)
    assert len(calls) == 1  # the second was a hit
    return first, again, store


async def test_a_hit_reports_where_its_answer_came_from_at_no_cost() -> None:
    request = ChatRequest(model="backup", messages=[{"role": "user", "content": "hi"}])  # type: ignore[list-item]
    first, hit, store = await _cached_twice(Call(CHAT, request, CallContext()), _chat_answer())
    assert served_of(first) == FIRST
    (key,) = store._entries
    assert served_of(hit) == _hit_of(key)
    assert key.startswith("llmrelay:cache:chat:")
    # the gateway's path writes no LiteLLM view: the record is the whole story
    assert getattr(hit, "_hidden_params", None) is None


async def test_a_hit_asked_for_as_a_stream_carries_the_hits_record() -> None:
    messages = [{"role": "user", "content": "hi"}]
    request = ChatRequest(model="backup", messages=messages)  # type: ignore[arg-type]
    streamed = ChatRequest(model="backup", messages=messages, stream=True)  # type: ignore[arg-type]
    store = WrittenStore()
    cache = ResponseCacheMiddleware(ResponseCache(CacheSettings(), store))

    async def router(call: Call[Any]) -> Any:
        return _chat_answer()

    await cache(Call(CHAT, request, CallContext()), router)
    await store.written.wait()
    stream = await cache(Call(CHAT, streamed, CallContext()), router)
    (key,) = store._entries
    assert served_of(stream) == _hit_of(key)
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "hello" and stream.usage == USAGE and stream.cost_micros == 0
    assert stream.hidden_params == {}


async def test_a_text_hit_asked_for_as_a_stream_carries_the_hits_record() -> None:
    request = TextCompletionRequest(model="backup", prompt="say")
    streamed = TextCompletionRequest(model="backup", prompt="say", stream=True)
    store = WrittenStore()
    cache = ResponseCacheMiddleware(ResponseCache(CacheSettings(), store))

    async def router(call: Call[Any]) -> Any:
        return _text_answer()

    await cache(Call(TEXT_COMPLETION, request, CallContext()), router)
    await store.written.wait()
    stream = await cache(Call(TEXT_COMPLETION, streamed, CallContext()), router)
    assert isinstance(stream, TextStream)
    (key,) = store._entries
    assert served_of(stream) == served_of(stream.chat_stream) == _hit_of(key)
    assert "".join([c.choices[0].text async for c in stream if c.choices]) == "hello"
    assert stream.cost_micros == 0


async def test_a_replayed_answer_keeps_its_record_and_cost() -> None:
    """A whole answer replayed as a stream (a cache hit, or a router that answered whole) is
    what served it, priced as it was."""
    request = ChatRequest(model="backup", messages=[{"role": "user", "content": "hi"}], stream=True)  # type: ignore[list-item]
    stream = await stream_of_response(_chat_answer(), request)
    assert served_of(stream) == FIRST
    assert [c async for c in stream]
    assert stream.cost_micros == 1234
    text = await TextStream.of_response(
        _text_answer(), TextCompletionRequest(model="m", prompt="p", stream=True)
    )
    assert served_of(text) == FIRST
    assert [c async for c in text] and text.cost_micros == 1234


async def test_an_entry_kept_by_the_previous_version_reads_the_same() -> None:
    """Entries outlive a deploy (Redis): the origin was stored as an object of the names that are
    set, and still is, so entries written before and after read alike."""
    store = WrittenStore()
    cache = ResponseCache(CacheSettings(), store)
    request = ChatRequest(model="backup", messages=[{"role": "user", "content": "hi"}])  # type: ignore[list-item]
    plan = cache.plan("chat", request, CacheControls())
    assert plan is not None
    origin = {"model": "anthropic/claude-x", "provider": "anthropic", "deployment_id": "dep-7",
              "model_group": "backup"}  # fmt: skip
    old = {"params": origin, "body": msgspec.to_builtins(_chat_answer())}
    await store.set(plan.key, msgspec.json.encode(old), ttl=60)
    hit = await cache.lookup(plan, ChatResponse)
    assert hit is not None and served_of(hit) == _hit_of(plan.key)

    store.written.clear()
    cache.keep(plan, _chat_answer(), FIRST)
    await store.written.wait()
    found = await store.get(plan.key)
    assert found is not None and msgspec.json.decode(found[0])["params"] == origin
    # a record with nothing set keeps nothing
    store.written.clear()
    cache.keep(plan, _chat_answer(), Served(cost_micros=5))
    await store.written.wait()
    found = await store.get(plan.key)
    assert found is not None and msgspec.json.decode(found[0])["params"] == {}
