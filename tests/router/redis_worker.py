"""A separate OS process with its own Router on the shared Redis (driven by test_router_redis.py).

usage: redis_worker.py <api_base> <api_key> <prefix> <mode> <calls>
mode "burst": wait for the go signal, fire <calls> concurrent calls; print {"ok": n, "refused": n}
mode "call": one call; print {"ok": 1} or {"error": "<class>", "retry_after": s}"""

from __future__ import annotations

import asyncio
import json
import sys

from redis.asyncio import Redis

from llmrelay.router import Router
from llmrelay.types.errors import LLMError, RateLimitError

REDIS_URL = "redis://127.0.0.1:6379/0"


async def main(api_base: str, api_key: str, prefix: str, mode: str, calls: int) -> None:
    router = Router(
        model_list=[
            {
                "model_name": "gpt",
                "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": api_base, "api_key": api_key,
                                   "rpm": 30},
                "model_info": {"id": "shared-1"},
            }
        ],
        redis_url=REDIS_URL,
        redis_key_prefix=prefix,
    )  # fmt: skip
    messages = [{"role": "user", "content": "hi"}]
    try:
        if mode == "burst":
            redis = Redis.from_url(REDIS_URL)
            print("ready", flush=True)
            await redis.blpop([prefix + "go"], timeout=20)
            await redis.aclose()
            results = await asyncio.gather(
                *(router.acompletion(model="gpt", messages=messages) for _ in range(calls)),
                return_exceptions=True,
            )
            refused = sum(isinstance(r, RateLimitError) for r in results)
            others = [
                repr(r) for r in results if isinstance(r, BaseException) and not isinstance(r, RateLimitError)
            ]
            print(json.dumps({"ok": calls - refused - len(others), "refused": refused, "errors": others}))
        else:
            try:
                await router.acompletion(model="gpt", messages=messages)
                print(json.dumps({"ok": 1}))
            except LLMError as exc:
                print(json.dumps({"error": type(exc).__name__, "retry_after": exc.retry_after}))
    finally:
        await router.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
