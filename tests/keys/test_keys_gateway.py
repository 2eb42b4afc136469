"""A key's models, budget, rpm, tpm, parallel and duration limits, enforced by the whole gateway
(build_app from a config, Granian, the real router, the OpenAI simulator upstream), called with the
official `openai` client; keys are made through the admin API, as LiteLLM users do."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import openai
import pytest
from keys_helpers import MASTER_KEY, GatewayThread, admin, gateway_document

from llmrelay.auth import hash_key
from llmrelay.calls.call import Call
from llmrelay.calls.context import CallContext
from llmrelay.calls.operation import Operation
from llmrelay.calls.principal import Principal
from llmrelay.gate.key_gate import ModelAccessDenied
from llmrelay.gate.runtime import KeysRuntime
from llmrelay.storage import Storage
from llmrelay.storage.records import SpendLogFilter
from llmrelay.testing import RunningSimulator
from llmrelay.types.errors import LLMError

HELLO = [{"role": "user", "content": "say hello"}]


@pytest.fixture
def gateway(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> Iterator[GatewayThread]:
    document = gateway_document(
        database_url, openai_sim.api_base, openai_sim.api_key, spend_spool_dir=str(tmp_path / "spool")
    )
    document["litellm_settings"] = {"max_end_user_budget": 0.000001}
    gw = GatewayThread(document).start()
    try:
        yield gw
    finally:
        gw.stop()


def runtime(gw: GatewayThread) -> KeysRuntime:
    found = gw.app.state.services[0]
    assert isinstance(found, KeysRuntime)
    return found


def client(gw: GatewayThread, key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gw.base_url + "/v1", api_key=key, max_retries=0)


async def chat(gw: GatewayThread, key: str, model: str = "gpt-4o-mini", **kwargs: Any) -> Any:
    async with client(gw, key) as c:
        return await c.chat.completions.create(model=model, messages=HELLO, **kwargs)  # type: ignore[call-overload]


async def test_models_of_a_key(gateway: GatewayThread, openai_sim: RunningSimulator) -> None:
    key = (await admin(gateway, "/key/generate", {"models": ["gpt-4o-mini"]}))["key"]
    assert (await chat(gateway, key)).choices[0].message.content
    with pytest.raises(openai.AuthenticationError) as refused:
        await chat(gateway, key, model="gpt-4o")
    assert refused.value.status_code == 401
    assert refused.value.body["type"] == "key_model_access_denied"  # type: ignore[index]
    assert "gpt-4o-mini" in refused.value.message
    async with client(gateway, key) as c:
        listed = [m.id async for m in c.models.list()]
    assert listed == ["gpt-4o-mini"]
    assert len(openai_sim.requests) == 1  # the refused call never reached the upstream


async def test_rpm_limit(gateway: GatewayThread, openai_sim: RunningSimulator) -> None:
    key = (await admin(gateway, "/key/generate", {"rpm_limit": 3}))["key"]
    for _ in range(3):
        await chat(gateway, key)
    with pytest.raises(openai.RateLimitError) as refused:
        await chat(gateway, key)
    assert "requests per minute limit 3" in refused.value.message
    assert 0 < int(refused.value.response.headers["retry-after"]) <= 61
    assert len(openai_sim.requests) == 3
    # another key is not affected
    other = (await admin(gateway, "/key/generate", {"rpm_limit": 3}))["key"]
    await chat(gateway, other)


async def test_tpm_limit(gateway: GatewayThread) -> None:
    tokens = (await chat(gateway, MASTER_KEY)).usage.total_tokens
    assert tokens >= 2
    # refused once the tokens of the last minute reached the limit: two calls fit, the third not
    key = (await admin(gateway, "/key/generate", {"tpm_limit": 2 * tokens - 1}))["key"]
    await chat(gateway, key)
    await chat(gateway, key)
    with pytest.raises(openai.RateLimitError) as refused:
        await chat(gateway, key)
    assert "tokens per minute" in refused.value.message


async def test_max_parallel_requests(gateway: GatewayThread, openai_sim: RunningSimulator) -> None:
    openai_sim.configure(chunk_delay=0.05)
    key = (await admin(gateway, "/key/generate", {"max_parallel_requests": 1}))["key"]
    async with client(gateway, key) as c:
        stream = await c.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True)
        first = await stream.__anext__()
        assert first.choices
        with pytest.raises(openai.RateLimitError) as refused:
            await chat(gateway, key)
        assert "parallel requests limit 1" in refused.value.message
        rest = [chunk async for chunk in stream]
        assert rest
    await chat(gateway, key)  # the slot was freed when the stream ended


async def test_max_budget_is_enforced_on_the_next_call(gateway: GatewayThread, storage: Storage) -> None:
    await chat(gateway, MASTER_KEY, model="gpt-4o")
    gateway.run(runtime(gateway).writer.flush())  # type: ignore[union-attr]
    cost = (await storage.spend.logs(SpendLogFilter()))[0].cost_micros
    assert cost > 0
    key = (await admin(gateway, "/key/generate", {"max_budget": 2.5 * cost / 1_000_000}))["key"]
    for _ in range(3):  # 0, 1 and 2 calls' spend are under 2.5 calls' worth
        await chat(gateway, key, model="gpt-4o")
    with pytest.raises(openai.BadRequestError) as refused:
        await chat(gateway, key, model="gpt-4o")
    assert refused.value.status_code == 400
    assert refused.value.body["type"] == "budget_exceeded"  # type: ignore[index]
    assert "Budget has been exceeded" in refused.value.message
    # once written, the database holds the same spend, and the key stays refused
    gateway.run(runtime(gateway).writer.flush())  # type: ignore[union-attr]
    info = await admin(gateway, f"/key/info?key={key}")
    assert round(info["info"]["spend"] * 1_000_000) == 3 * cost
    with pytest.raises(openai.BadRequestError):
        await chat(gateway, key, model="gpt-4o")


async def test_duration_expires_the_key(gateway: GatewayThread) -> None:
    key = (await admin(gateway, "/key/generate", {"duration": "2s"}))["key"]
    await chat(gateway, key)
    deadline = time.monotonic() + 5
    while True:
        try:
            await chat(gateway, key)
        except openai.AuthenticationError as exc:
            assert exc.body["code"] == "key_expired"  # type: ignore[index]
            break
        assert time.monotonic() < deadline, "key did not expire"
        await asyncio.sleep(0.1)


async def test_end_user_budget(gateway: GatewayThread) -> None:
    key = (await admin(gateway, "/key/generate", {}))["key"]
    await chat(gateway, key, user="alice")  # the default end-user budget is 1 micro-USD
    with pytest.raises(openai.BadRequestError) as refused:
        await chat(gateway, key, user="alice")
    assert "End User=alice" in refused.value.message
    await chat(gateway, key, user="bob")
    await chat(gateway, key)  # no end user: no end-user budget


async def test_spend_is_attributed_and_reported(gateway: GatewayThread) -> None:
    user = await admin(gateway, "/user/new", {"user_id": "u1", "auto_create_key": False})
    assert user["user_id"] == "u1"
    team = await admin(gateway, "/team/new", {"team_id": "t1"})
    assert team["team_id"] == "t1"
    key = (await admin(gateway, "/key/generate", {"user_id": "u1", "team_id": "t1"}))["key"]
    await chat(gateway, key, user="carol-x")
    await chat(gateway, key)
    gateway.run(runtime(gateway).writer.flush())  # type: ignore[union-attr]
    logs = await admin(gateway, "/spend/logs?user_id=u1")
    assert len(logs) == 2
    assert {row["team_id"] for row in logs} == {"t1"}
    assert {row["end_user"] for row in logs} == {"carol-x", None}
    info = await admin(gateway, "/user/info?user_id=u1")
    assert info["user_info"]["spend"] == pytest.approx(sum(row["spend"] for row in logs))


async def test_admin_api_is_in_the_openapi_document(gateway: GatewayThread) -> None:
    async with aiohttp.ClientSession(gateway.base_url) as http:
        async with http.get("/openapi.json") as reply:
            document = await reply.json()
        async with http.get("/docs") as reply:
            page = await reply.text()
    generate = document["paths"]["/key/generate"]["post"]
    ref = generate["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = document["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
    assert {"models", "max_budget", "rpm_limit", "tpm_limit", "max_parallel_requests", "duration"} <= set(
        fields
    )
    assert "/spend/logs" in document["paths"] and "/team/member_add" in page


async def test_a_stream_the_client_leaves_early_is_still_billed(
    gateway: GatewayThread, storage: Storage, openai_sim: RunningSimulator
) -> None:
    # leaving right after the first words, the client never lets the upstream's usage arrive:
    # without an estimate the call would cost nothing (a way around any budget)
    openai_sim.faults.set(chunk_delay=0.05, times=1)
    key = (await admin(gateway, "/key/generate", {}))["key"]
    async with client(gateway, key) as c:
        stream = await c.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True)
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                break
        await stream.close()
    deadline = time.monotonic() + 5
    while True:
        gateway.run(runtime(gateway).writer.flush())  # type: ignore[union-attr]
        logs = await storage.spend.logs(SpendLogFilter())
        if logs or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    [row] = logs
    assert row.status == "failure" and row.error is not None and "went away" in row.error
    assert row.prompt_tokens > 0 and row.completion_tokens > 0 and row.cost_micros > 0
    info = await admin(gateway, f"/key/info?key={key}")
    assert round(info["info"]["spend"] * 1_000_000) == row.cost_micros


class SpeechRequest(msgspec.Struct, kw_only=True):
    """The body of a call type the gateway has no route or adapter for yet."""

    model: str
    input: str


SPEECH: Operation[SpeechRequest, Any] = Operation(
    "made_up_speech", "speech", SpeechRequest, object,
    usage=lambda response: None, estimate_tokens=lambda request: 1,
)  # fmt: skip


async def test_a_new_call_type_is_gated_like_every_other(gateway: GatewayThread) -> None:
    """A made-up Operation row through the gateway's own chain: the key gate checks it with no line
    written for it (no per-type gate method exists to be forgotten)."""
    key = (await admin(gateway, "/key/generate", {"models": ["gpt-4o-mini"]}))["key"]
    caller = Principal(kind="virtual_key", key_hash=hash_key(key))

    def call(model: str) -> Any:
        request = SpeechRequest(model=model, input="hello")
        return gateway.run(gateway.app.state.call(Call(SPEECH, request, CallContext(principal=caller))))

    with pytest.raises(ModelAccessDenied, match="Tried to access gpt-4o"):
        call("gpt-4o")
    # an allowed model passes the gate and reaches the router (whose engine has no path for it)
    with pytest.raises(LLMError) as passed:
        call("gpt-4o-mini")
    assert not isinstance(passed.value, ModelAccessDenied)
