"""One SDK Router with shared state in Redis, called from its own loop thread (the sync API) and from
callers' loops (the async API, several asyncio.run in a row): every call works (each loop gets its
own Redis client: a connection belongs to the loop that opened it) and the rpm limit counts them all."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest

from llmrelay.router import Router
from llmrelay.testing import RunningSimulator
from llmrelay.types.errors import LLMError

REDIS_URL = "redis://127.0.0.1:6379/0"
HELLO = [{"role": "user", "content": "hi"}]


@pytest.fixture
def prefix() -> Iterator[str]:
    prefix = f"test:loops:{uuid.uuid4().hex}:"
    yield prefix

    async def drop() -> None:
        from redis.asyncio import Redis

        redis = Redis.from_url(REDIS_URL)
        keys = [k async for k in redis.scan_iter(match=prefix + "*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()

    asyncio.run(drop())


def test_sync_and_async_calls_on_different_loops_share_redis(
    openai_sim: RunningSimulator, prefix: str
) -> None:
    params = {
        "model": "openai/gpt-4o",
        "api_base": openai_sim.api_base,
        "api_key": openai_sim.api_key,
        "rpm": 4,
    }
    router = Router(model_list=[{"model_name": "m", "litellm_params": params}], redis_url=REDIS_URL,
                    redis_key_prefix=prefix)  # fmt: skip

    async def ask() -> str | None:
        answer = await router.acompletion(model="m", messages=HELLO)
        return answer.choices[0].message.content  # type: ignore[union-attr]

    try:
        assert router.completion(model="m", messages=HELLO).choices[0].message.content  # type: ignore[union-attr]
        assert asyncio.run(ask())  # the caller's loop: a Redis client of its own
        assert asyncio.run(ask())  # a new loop again (the previous one is closed)
        assert router.completion(model="m", messages=HELLO).choices[0].message.content  # type: ignore[union-attr]
        # the four calls above were counted together, in Redis: the fifth is over rpm 4
        with pytest.raises(LLMError):
            asyncio.run(ask())
        assert openai_sim.requests.count("/chat/completions") == 4
    finally:
        router.close()
