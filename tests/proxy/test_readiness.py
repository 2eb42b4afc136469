"""GET /health/readiness: 200 when every dependency answers, 503 naming the one that does not (by
class name only), and the database probe itself against a real database and an unreachable one."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from fake_router import FakeRouter
from harness import running

from llmrelay.config.schema import GeneralSettings
from llmrelay.proxy.app import GatewayApp
from llmrelay.proxy.state import GatewayState


def readiness(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url + "/health/readiness", timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_dependency_that_does_not_answer_makes_the_gateway_unready() -> None:
    answering = {"db": True}

    async def probe() -> None:
        if not answering["db"]:
            raise ConnectionError("database: OperationalError")

    state = GatewayState(router=FakeRouter(), settings=GeneralSettings())
    state.readiness_probes["db"] = probe
    with running(GatewayApp(state, version="test")) as url:
        status, body = readiness(url)
        assert (status, body["status"], body["db"]) == (200, "healthy", "connected")
        answering["db"] = False
        status, body = readiness(url)
        assert (status, body["status"]) == (503, "unhealthy")
        assert body["db"] == "unreachable (ConnectionError)"
    without = GatewayState(router=FakeRouter(), settings=GeneralSettings())
    with running(GatewayApp(without, version="test")) as url:
        assert readiness(url)[1]["db"] == "Not connected"


async def test_the_database_probe(database_url: str) -> None:
    from llmrelay.gate.runtime import KeysRuntime
    from llmrelay.gate.settings import KeysSettings

    runtime = KeysRuntime(KeysSettings(database_url=database_url, master_key="sk-m"))
    try:
        await runtime.ping_database()
    finally:
        await runtime.db.close()
    unreachable = KeysRuntime(
        KeysSettings(database_url="postgresql+asyncpg://llmrelay@127.0.0.1:9/none", master_key="sk-m")
    )
    try:
        with pytest.raises(ConnectionError):
            await unreachable.ping_database()
    finally:
        await unreachable.db.close()
