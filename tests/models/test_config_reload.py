"""Config reload: POST /config/reload and SIGHUP read config.yaml again, check it whole and swap its
model_list and credential_list in without dropping a request; a file that fails is refused, the
running config kept, the error logged and shown on /health; settings only a restart applies are named."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from models_helpers import (
    MASTER_KEY,
    GatewayProcess,
    call,
    chat,
    file_model,
    ok,
    serves,
    within,
    write_config,
    write_raw,
)

from llmrelay.config.loader import load_config
from llmrelay.storage import Database
from llmrelay.testing import RunningSimulator
from llmrelay.testing.gateway import GatewayThread


def plain(sim: RunningSimulator, *names: str, **sections: Any) -> dict[str, Any]:
    return {"model_list": [file_model(sim.api_base, sim.api_key, n) for n in names],
            "general_settings": {"master_key": MASTER_KEY}, **sections}  # fmt: skip


@pytest.fixture
def config_file(tmp_path: Path, openai_sim: RunningSimulator) -> str:
    return write_config(tmp_path / "config.yaml", plain(openai_sim, "a"))


@pytest.fixture
def gateway(config_file: str) -> Iterator[str]:
    gw = GatewayThread(load_config(config_file)).start()
    try:
        yield gw.base_url
    finally:
        gw.stop()


async def test_reload_applies_models_and_names_what_needs_a_restart(
    gateway: str, config_file: str, openai_sim: RunningSimulator
) -> None:
    health = await ok(gateway, "GET", "/health")
    assert health["config_reload"]["state"] == "never"
    write_config(Path(config_file), plain(openai_sim, "a", "b", router_settings={"num_retries": 4}))
    status = await ok(gateway, "POST", "/config/reload")
    assert status["state"] == "applied" and status["needs_restart"] == ["router_settings.num_retries"]
    assert (await chat(gateway, "b"))[0] == 200
    write_config(Path(config_file), plain(openai_sim, "b"))
    await ok(gateway, "POST", "/config/reload")
    assert (await chat(gateway, "a"))[0] == 404 and (await chat(gateway, "b"))[0] == 200
    models = await ok(gateway, "GET", "/v1/models")
    assert [m["id"] for m in models["data"]] == ["b"]
    health = await ok(gateway, "GET", "/health")
    assert health["config_reload"]["state"] == "applied" and health["config_reload"]["applied"] == 2


@pytest.mark.parametrize(
    ("broken", "named"),
    [
        ("model_list: [\n  - model_name: a\n", "not valid YAML"),
        (
            json.dumps(
                {"model_list": [{"model_name": "x", "litellm_params": {"model": "nosuchprovider/x"}}]}
            ),
            "model_list[0].litellm_params.model",
        ),
        (
            json.dumps({"model_list": [], "router_settings": {"routing_strategy": "nonsense"}}),
            "routing_strategy",
        ),
        (
            json.dumps({"model_list": [], "general_settings": {"store_model_in_db": "yes please"}}),
            "general_settings.store_model_in_db",
        ),
    ],
)
async def test_an_invalid_file_is_refused_and_the_running_config_kept(
    gateway: str, config_file: str, broken: str, named: str, caplog: pytest.LogCaptureFixture
) -> None:
    write_raw(config_file, broken)
    status, answer = await call(gateway, "POST", "/config/reload")
    assert status == 400 and answer["state"] == "refused" and named in answer["error"], answer
    assert (await chat(gateway, "a"))[0] == 200
    health = await ok(gateway, "GET", "/health")
    assert health["config_reload"]["state"] == "refused" and named in health["config_reload"]["error"]
    assert any("config reload refused" in r.getMessage() and named in r.getMessage() for r in caplog.records)


async def test_reload_needs_an_admin(gateway: str) -> None:
    status, _ = await call(gateway, "POST", "/config/reload", key="sk-not-the-master-key")
    assert status == 401


async def test_reloads_under_load_drop_no_request(
    gateway: str, config_file: str, openai_sim: RunningSimulator, start_sim: Callable[..., RunningSimulator]
) -> None:
    other = start_sim("openai")
    openai_sim.faults.set(latency=0.02)
    other.faults.set(latency=0.02)
    versions = [
        plain(openai_sim, "a"),
        {**plain(other, "a"), "model_list": [file_model(other.api_base, other.api_key, "a")]},
    ]
    answered: list[int] = []
    stop = asyncio.Event()
    body = {"model": "a", "messages": [{"role": "user", "content": "hi"}]}
    headers = {"authorization": f"Bearer {MASTER_KEY}"}

    async def client(http: aiohttp.ClientSession) -> None:
        while not stop.is_set():
            async with http.post("/v1/chat/completions", json=body, headers=headers) as reply:
                await reply.read()
                answered.append(reply.status)

    async with aiohttp.ClientSession(gateway) as http:
        clients = [asyncio.create_task(client(http)) for _ in range(16)]
        for i in range(12):
            write_config(Path(config_file), versions[i % 2])
            assert (await ok(gateway, "POST", "/config/reload"))["state"] == "applied"
            await asyncio.sleep(0.05)  # let requests start on this version before the next swap
        stop.set()
        await asyncio.gather(*clients)
    assert len(answered) > 100
    assert set(answered) == {200}, {s: answered.count(s) for s in set(answered)}
    assert openai_sim.requests.count() > 0 and other.requests.count() > 0
    assert openai_sim.requests.count() + other.requests.count() == len(answered)


async def test_reload_keeps_the_models_of_the_database(
    db: Database, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> None:
    doc = plain(openai_sim, "a")
    doc["general_settings"].update(database_url=database_url, store_model_in_db=True,
                                   spend_spool_dir=str(tmp_path / "spool"))  # fmt: skip
    path = write_config(tmp_path / "config.yaml", doc)
    gw = GatewayThread(load_config(path)).start()
    try:
        body = {"model_name": "db-model", "litellm_params": {"model": "openai/gpt-4o",
                "api_base": openai_sim.api_base, "api_key": openai_sim.api_key}}  # fmt: skip
        await ok(gw.base_url, "POST", "/model/new", body)
        doc["model_list"] = [file_model(openai_sim.api_base, openai_sim.api_key, "b")]
        write_config(Path(path), doc)
        await ok(gw.base_url, "POST", "/config/reload")
        assert [await serves(gw.base_url, m) for m in ("a", "b", "db-model")] == [False, True, True]
    finally:
        gw.stop()


async def test_sighup_reloads_every_worker_process(tmp_path: Path, openai_sim: RunningSimulator) -> None:
    path = write_config(tmp_path / "config.yaml", plain(openai_sim, "a"))
    gw = GatewayProcess(path, workers=2).start()
    try:
        write_config(Path(path), plain(openai_sim, "a", "b"))
        gw.hangup()

        async def every_worker_serves_b() -> bool:
            # the kernel spreads connections over both workers: twenty answers in a row from new ones
            results = [await serves(gw.base_url, "b") for _ in range(20)]
            return all(results)

        await within(10.0, every_worker_serves_b)
        write_raw(path, "model_list: [")
        gw.hangup()

        async def refused() -> bool:
            health = await ok(gw.base_url, "GET", "/health")
            return bool(health["config_reload"]["state"] == "refused")

        await within(10.0, refused)
        assert await serves(gw.base_url, "b")
        assert gw.proc is not None and gw.proc.poll() is None  # SIGHUP ended nothing
    finally:
        gw.stop()


async def test_sighup_reloads_under_load_drop_no_request(
    tmp_path: Path, openai_sim: RunningSimulator, start_sim: Callable[..., RunningSimulator]
) -> None:
    """The real server (two worker processes): requests on kept-alive and new connections while the
    file changes and SIGHUP arrives again and again; every one is answered 200, counted here."""
    other = start_sim("openai")
    openai_sim.faults.set(latency=0.02)
    other.faults.set(latency=0.02)
    versions = [plain(openai_sim, "a"), plain(other, "a")]
    path = write_config(tmp_path / "config.yaml", versions[0])
    gw = GatewayProcess(path, workers=2).start()
    answered: list[int] = []
    stop = asyncio.Event()
    body = {"model": "a", "messages": [{"role": "user", "content": "hi"}]}
    headers = {"authorization": f"Bearer {MASTER_KEY}"}

    async def client(fresh_connections: bool) -> None:
        connector = aiohttp.TCPConnector(force_close=fresh_connections)
        async with aiohttp.ClientSession(gw.base_url, connector=connector) as http:
            while not stop.is_set():
                async with http.post("/v1/chat/completions", json=body, headers=headers) as reply:
                    await reply.read()
                    answered.append(reply.status)

    try:
        clients = [asyncio.create_task(client(fresh_connections=i % 2 == 0)) for i in range(12)]
        for i in range(8):
            write_config(Path(path), versions[(i + 1) % 2])
            gw.hangup()
            await asyncio.sleep(0.25)
        stop.set()
        await asyncio.gather(*clients)
        assert len(answered) > 50
        assert set(answered) == {200}, {s: answered.count(s) for s in set(answered)}
        assert other.requests.count() > 0  # the reloads took effect
        health = await ok(gw.base_url, "GET", "/health")
        assert health["config_reload"]["state"] == "applied"
    finally:
        gw.stop()
