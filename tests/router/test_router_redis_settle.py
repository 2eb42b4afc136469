"""A Router on the real Redis reserves a limited deployment on the call's path and settles it after the
answer, from a task of its own (`aflush` waits for it): the answer does not wait for that round trip."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from llmrelay.router import Router
from llmrelay.testing import RunningSimulator

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    from redis.asyncio import Redis

    prefix = f"test:router-settle:{uuid.uuid4().hex}:"
    yield prefix
    redis = Redis.from_url(REDIS_URL)
    keys = [k async for k in redis.scan_iter(match=prefix + "*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def test_the_deployment_is_settled_after_the_answer(
    openai_sim: RunningSimulator, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from redis.asyncio.client import Redis

    caller = asyncio.current_task()
    scripts: list[bool] = []  # per script on the limit keys: awaited by the caller's task?
    original = Redis.execute_command

    async def counted(self: Redis, *args: Any, **options: Any) -> Any:
        if str(args[0]).upper() == "EVALSHA" and any(
            isinstance(a, str) and a.startswith(prefix + "limits:") for a in args[3:]
        ):
            scripts.append(asyncio.current_task() is caller)
        return await original(self, *args, **options)

    monkeypatch.setattr(Redis, "execute_command", counted)
    router = Router(
        model_list=[{
            "model_name": "gpt",
            "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": openai_sim.api_base,
                               "api_key": openai_sim.api_key, "rpm": 100, "tpm": 100_000},
            "model_info": {"id": "limited-1"},
        }],
        redis_url=REDIS_URL,
        redis_key_prefix=prefix,
    )  # fmt: skip
    messages = [{"role": "user", "content": "hi"}]
    try:
        await router.acompletion(model="gpt", messages=messages)  # scripts loaded
        await router.aflush()
        scripts.clear()
        tokens = 0
        for _ in range(4):
            answer = await router.acompletion(model="gpt", messages=messages)
            tokens += answer.usage.total_tokens
        await router.aflush()
        # one reservation per call on its path, its settlement off it
        assert scripts.count(True) == 4
        assert scripts.count(False) == 4
        usage = (await router._backends.limiter.usage(["deployment:limited-1"], now=router.clock()))[
            "deployment:limited-1"
        ]
        assert usage.in_flight == 0 and usage.requests == 5
        assert usage.tokens > tokens  # the four calls' real counts, and the first one's
    finally:
        await router.aclose()
