"""A gateway process killed with SIGKILL in the middle of a load run (loopback, simulator upstream,
bounded), then restarted: every answered call is in the spend log, none twice, and the key's spend
counter equals the sum of the logged costs. The only extra rows can be calls that were in flight at
the kill (made durable just before the answer's last byte, which never reached the client)."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import httpx
import openai
import pytest
from keys_helpers import MASTER_KEY, GatewayProcess, gateway_document, write_config

from llmrelay.auth import hash_key
from llmrelay.storage import Storage
from llmrelay.storage.records import SpendLogFilter
from llmrelay.testing import RunningSimulator

CONCURRENCY = 8
HELLO = [{"role": "user", "content": "say hello"}]


class Tally:
    """Answers and failures of the load; `reached` is set once `kill_after` calls were answered."""

    def __init__(self, kill_after: int) -> None:
        self.kill_after = kill_after
        self.reached = asyncio.Event()
        self.answered = 0
        self.costs: set[int] = set()
        self.failed = 0
        self.last_error = ""


async def _worker(base_url: str, key: str, tally: Tally, stop: asyncio.Event, index: int) -> None:
    async with openai.AsyncOpenAI(base_url=base_url + "/v1", api_key=key, max_retries=0, timeout=5) as c:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                if (index + n) % 3 == 0:
                    stream = await c.chat.completions.create(
                        model="gpt-4o-mini",
                        messages=HELLO,
                        stream=True,  # type: ignore[arg-type]
                    )
                    chunks = [chunk async for chunk in stream]
                    assert chunks
                else:
                    raw = await c.chat.completions.with_raw_response.create(
                        model="gpt-4o-mini",
                        messages=HELLO,  # type: ignore[arg-type]
                    )
                    raw.parse()
                    tally.costs.add(round(float(raw.headers["x-llmrelay-cost"]) * 1_000_000))
            # a stream cut by the kill raises httpx's own error from the iteration (the SDK wraps
            # only errors of the request itself)
            except (openai.APIConnectionError, openai.APIStatusError, httpx.TransportError) as exc:
                tally.failed += 1
                tally.last_error = f"{exc!r} {exc.__cause__!r}"
                await asyncio.sleep(0.01)
                continue
            tally.answered += 1
            if tally.answered >= tally.kill_after:
                tally.reached.set()


@pytest.mark.parametrize("seed", [1])
async def test_sigkill_mid_load_then_restart(
    seed: int, storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> None:
    document = gateway_document(
        database_url, openai_sim.api_base, openai_sim.api_key,
        spend_spool_dir=str(tmp_path / "spool"), graceful_shutdown_seconds=5,
    )  # fmt: skip
    config = write_config(tmp_path / "config.yaml", document)
    gateway = GatewayProcess(config).start()
    try:
        key = await _new_key(gateway)
        # the crash comes after a random count of answers, not a random time: on a loaded machine a
        # time window can close before any answer, and the test would then prove nothing
        tally, stop = Tally(kill_after=random.Random(seed).randint(40, 80)), asyncio.Event()
        # warm up (first-use loading of the price catalog and pools) outside the measured run
        async with openai.AsyncOpenAI(base_url=gateway.base_url + "/v1", api_key=MASTER_KEY) as c:
            await c.chat.completions.create(model="gpt-4o-mini", messages=HELLO)  # type: ignore[arg-type]
        workers = [
            asyncio.create_task(_worker(gateway.base_url, key, tally, stop, i)) for i in range(CONCURRENCY)
        ]
        await asyncio.wait_for(tally.reached.wait(), timeout=60)  # the load runs; then the crash
        before_kill = tally.answered
        gateway.kill()
        await asyncio.sleep(0.2)  # let the workers see the dead connections
        stop.set()
        await asyncio.gather(*workers)
    finally:
        gateway.stop()
    assert before_kill > 20, f"too few answered calls to mean anything; last error: {tally.last_error}"

    restarted = GatewayProcess(config, port=gateway.port).start()  # replays the spool on start
    restarted.stop()  # a clean stop writes out everything still spooled

    rows = [r for r in await storage.spend.logs(SpendLogFilter(key_hash=hash_key(key), limit=1000))]
    ok = [r for r in rows if r.status == "success"]
    assert len(tally.costs) == 1, tally.costs  # every answered call cost the same
    (cost,) = tally.costs
    assert cost > 0
    assert tally.answered <= len(ok) <= tally.answered + CONCURRENCY
    assert {r.cost_micros for r in ok} == {cost}
    key_row = await storage.keys.get(hash_key(key))
    assert key_row is not None and key_row.spend_micros == sum(r.cost_micros for r in rows)


async def _new_key(gateway: GatewayProcess) -> str:
    import aiohttp

    headers = {"authorization": f"Bearer {MASTER_KEY}"}
    async with (
        aiohttp.ClientSession(gateway.base_url) as http,
        http.post("/key/generate", json={}, headers=headers) as reply,
    ):
        assert reply.status == 200
        key: str = (await reply.json())["key"]
        return key
