"""Helpers of the run-time model tests: gateway documents with store_model_in_db, admin calls that
return (status, body), chat calls, and polling without blind sleeps."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

MASTER_KEY = "sk-models-test-master"
REDIS_URL = os.environ.get("LLMRELAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
HELLO = [{"role": "user", "content": "say hello"}]


def file_model(sim_api_base: str, sim_key: str, name: str = "file-model") -> dict[str, Any]:
    return {"model_name": name, "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": sim_api_base,
                                                   "api_key": sim_key}}  # fmt: skip


def document(database_url: str, sim_api_base: str, sim_key: str, tmp: str, **general: Any) -> dict[str, Any]:
    return {
        "model_list": [file_model(sim_api_base, sim_key)],
        "general_settings": {
            "master_key": MASTER_KEY,
            "database_url": database_url,
            "store_model_in_db": True,
            "spend_spool_dir": tmp,
            **general,
        },
    }


async def call(
    base_url: str, method: str, path: str, body: Any = None, key: str = MASTER_KEY
) -> tuple[int, Any]:
    headers = {"authorization": f"Bearer {key}"}
    async with (
        aiohttp.ClientSession(base_url) as http,
        http.request(method, path, json=body, headers=headers) as reply,
    ):
        return reply.status, await reply.json(content_type=None)


async def ok(base_url: str, method: str, path: str, body: Any = None, key: str = MASTER_KEY) -> Any:
    status, answer = await call(base_url, method, path, body, key)
    assert status == 200, answer
    return answer


async def chat(base_url: str, model: str, key: str = MASTER_KEY) -> tuple[int, Any]:
    return await call(base_url, "POST", "/v1/chat/completions", {"model": model, "messages": HELLO}, key)


async def within(seconds: float, check: Callable[[], Awaitable[bool]]) -> float:
    """Seconds until `check` holds; fails after `seconds`."""
    start = time.monotonic()
    while not await check():
        assert time.monotonic() - start < seconds, f"not within {seconds}s"
        await asyncio.sleep(0.01)
    return time.monotonic() - start


async def serves(base_url: str, model: str) -> bool:
    status, _ = await chat(base_url, model)
    return status == 200
