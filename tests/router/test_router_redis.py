"""Two separate OS processes sharing the real Redis: together they never exceed a deployment's rpm
(counted at the simulator), and a cooldown set by one is seen by the other."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from llmrelay.testing import RunningSimulator, start_simulator

WORKER = str(Path(__file__).with_name("redis_worker.py"))
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    from redis.asyncio import Redis

    prefix = f"test:router:{uuid.uuid4().hex}:"
    yield prefix
    redis = Redis.from_url(REDIS_URL)
    keys = [k async for k in redis.scan_iter(match=prefix + "*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with start_simulator("openai") as running:
        yield running


async def _spawn(sim: RunningSimulator, prefix: str, mode: str, calls: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, WORKER, sim.api_base, sim.api_key, prefix, mode, str(calls),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _result(process: asyncio.subprocess.Process) -> dict[str, object]:
    assert process.stdout is not None
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0
    return json.loads(out.decode().strip().splitlines()[-1])  # type: ignore[no-any-return]


async def test_two_processes_never_exceed_rpm_together(sim: RunningSimulator, prefix: str) -> None:
    from redis.asyncio import Redis

    workers = [await _spawn(sim, prefix, "burst", 40) for _ in range(2)]
    for worker in workers:
        assert worker.stdout is not None
        assert (await asyncio.wait_for(worker.stdout.readline(), timeout=30)).strip() == b"ready"
    redis = Redis.from_url(REDIS_URL)
    await redis.rpush(prefix + "go", "1", "1")  # both start together
    await redis.aclose()
    results = [await _result(w) for w in workers]
    assert sum(r["ok"] for r in results) == 30  # type: ignore[misc]
    assert sum(r["refused"] for r in results) == 50  # type: ignore[misc]
    # both processes decided all their calls (no errors other than the refusals)
    assert all(r["ok"] + r["refused"] == 40 and not r["errors"] for r in results)  # type: ignore[operator]
    assert sim.requests.count() == 30


async def test_a_cooldown_set_by_one_process_is_seen_by_the_other(sim: RunningSimulator, prefix: str) -> None:
    sim.faults.fail_next(1, 429, retry_after=30)
    first = await _result(await _spawn(sim, prefix, "call", 1))
    assert first["error"] == "RateLimitError"
    second = await _result(await _spawn(sim, prefix, "call", 1))
    assert second["error"] == "RateLimitError"  # cooling because rate limited: a 429, as LiteLLM answers
    assert 0 < second["retry_after"] <= 30  # type: ignore[operator]
    assert sim.requests.count() == 1  # the second process did not call the cooling deployment


async def test_auth_cooldown_is_shared_and_ends_with_a_new_key(sim: RunningSimulator, prefix: str) -> None:
    from llmrelay.router import Router
    from llmrelay.types.errors import AuthenticationError, ServiceUnavailableError

    def router(key: str) -> Router:
        params = {"model": "openai/gpt-4o-mini", "api_base": sim.api_base, "api_key": key}
        entry = {"model_name": "gpt", "litellm_params": params, "model_info": {"id": "shared-1"}}
        return Router(model_list=[entry], redis_url=REDIS_URL, redis_key_prefix=prefix)

    messages = [{"role": "user", "content": "hi"}]
    bad, same, fixed = router("sk-wrong"), router("sk-wrong"), router(sim.api_key)
    sim.configure(api_keys=frozenset({sim.api_key}))
    try:
        with pytest.raises(AuthenticationError):
            await bad.acompletion(model="gpt", messages=messages)
        with pytest.raises(ServiceUnavailableError, match="auth"):
            await same.acompletion(model="gpt", messages=messages)  # same config: cooling
        await fixed.acompletion(model="gpt", messages=messages)  # new key: a new config, not cooling
        assert sim.requests.count() == 2
    finally:
        for r in (bad, same, fixed):
            await r.aclose()
