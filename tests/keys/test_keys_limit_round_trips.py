"""Redis round trips of a keyed call's limits, counted at the Redis client of a whole gateway (build_app,
Granian, the router, the OpenAI simulator): every scope of the key (key, team, the key's per-model
limit) reserved in one round trip on the call's path, and settled in one after it, by the settler's
task — never by the task answering the client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from keys_helpers import REDIS_URL, GatewayThread, admin, gateway_document

from llmrelay.gate.runtime import KeysRuntime
from llmrelay.storage import Storage
from llmrelay.testing import RunningSimulator

HELLO = [{"role": "user", "content": "say hello"}]
LIMITS_PREFIX = "llmrelay:keys:limits:"


class RoundTrips:
    """Every script the gateway runs on the key limits' Redis keys, with the task that awaited it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []  # (task name, command)

    def on_path(self) -> int:
        return sum(task != "llmrelay-limit-settler" for task, _ in self.calls)

    def settling(self) -> int:
        return sum(task == "llmrelay-limit-settler" for task, _ in self.calls)


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> RoundTrips:
    from redis.asyncio.client import Redis

    seen = RoundTrips()
    original = Redis.execute_command

    async def counted(self: Redis, *args: Any, **options: Any) -> Any:
        command = str(args[0]).upper()
        # EVALSHA sha numkeys key...: a script on the gate's limit keys (NOSCRIPT's reload included)
        if command in ("EVALSHA", "EVAL") and any(
            isinstance(a, str) and a.startswith(LIMITS_PREFIX) for a in args[3:]
        ):
            task = asyncio.current_task()
            seen.calls.append((task.get_name() if task is not None else "", command))
        return await original(self, *args, **options)

    monkeypatch.setattr(Redis, "execute_command", counted)
    return seen


@pytest.fixture
def gateway(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> Iterator[GatewayThread]:
    document = gateway_document(
        database_url, openai_sim.api_base, openai_sim.api_key, spend_spool_dir=str(tmp_path / "spool")
    )
    document["router_settings"] = {"redis_url": REDIS_URL}
    gw = GatewayThread(document).start()
    try:
        yield gw
    finally:
        gw.stop()


def _settler_drained(gw: GatewayThread) -> None:
    found = gw.app.state.services[0]
    assert isinstance(found, KeysRuntime)
    gw.run(found.gate.settler.drain())


@pytest.mark.parametrize("stream", [False, True])
async def test_one_round_trip_to_reserve_and_one_after_the_answer_to_settle(
    gateway: GatewayThread, round_trips: RoundTrips, stream: bool
) -> None:
    team = (await admin(gateway, "/team/new", {"rpm_limit": 1000, "tpm_limit": 1_000_000}))["team_id"]
    key = (await admin(gateway, "/key/generate", {
        "team_id": team, "rpm_limit": 1000, "tpm_limit": 1_000_000, "max_parallel_requests": 10,
        "metadata": {"model_rpm_limit": {"gpt-4o-mini": 500}},
    }))["key"]  # fmt: skip
    async with openai.AsyncOpenAI(base_url=gateway.base_url + "/v1", api_key=key, max_retries=0) as c:

        async def call() -> None:
            if stream:
                chunks = await c.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True)
                assert [chunk async for chunk in chunks]
            else:
                assert (await c.chat.completions.create(model="gpt-4o-mini", messages=HELLO)).choices

        await call()  # the scripts are loaded (a NOSCRIPT answer is one more round trip, once)
        _settler_drained(gateway)
        round_trips.calls.clear()
        calls = 5
        for _ in range(calls):
            await call()
            _settler_drained(gateway)
    # three scopes (key, team, key-model), one round trip each way per call
    assert round_trips.on_path() == calls
    assert round_trips.settling() == calls
    assert {command for _, command in round_trips.calls} == {"EVALSHA"}
