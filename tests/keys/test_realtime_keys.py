"""The Realtime WebSocket (/v1/realtime) behind a virtual key, through the official openai client's
realtime support (whole gateway, OpenAI simulator, SQLite and PostgreSQL): answered, billed per
`response.done` at the catalog's text / audio / cached prices into /spend/logs and the key's spend,
closed with an `error` event once the key's budget is used up, and refused at the upgrade to a wrong
key, a model the key may not use, an unknown model, past the key's rpm and parallel limits; the
upstream opened with the gateway's credential, never the client's."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
import websockets
from keys_helpers import GatewayThread, admin, gateway_document
from openai.types.realtime import RealtimeServerEvent

from llmrelay.cost.catalog import Catalog
from llmrelay.gate.runtime import KeysRuntime
from llmrelay.storage import Storage
from llmrelay.testing import RunningSimulator
from llmrelay.testing import content as c

MODEL = "openai/gpt-realtime-mini"
SAID = "hello there, how are you"


@pytest.fixture
def gateway(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> Iterator[GatewayThread]:
    document = gateway_document(
        database_url, openai_sim.api_base, openai_sim.api_key, spend_spool_dir=str(tmp_path / "spool")
    )
    document["model_list"] += [
        {"model_name": "rt", "litellm_params": {"model": MODEL, **openai_sim.sdk_kwargs()}},
        # a provider without a realtime endpoint (never called: refused at the upgrade)
        {
            "model_name": "claude",
            "litellm_params": {"model": "anthropic/claude-sonnet-4-5", "api_key": "sk-ant-x"},
        },
    ]
    gw = GatewayThread(document).start()
    try:
        yield gw
    finally:
        gw.stop()


def client(gateway: GatewayThread, key: str) -> openai.AsyncOpenAI:
    # the beta client connects with wss:// whatever the base URL's scheme: ws:// said explicitly
    websocket_base = "ws://" + gateway.base_url.removeprefix("http://") + "/v1"
    return openai.AsyncOpenAI(
        base_url=gateway.base_url + "/v1", websocket_base_url=websocket_base, api_key=key, max_retries=0
    )


async def spend_rows(gateway: GatewayThread) -> list[dict[str, Any]]:
    runtime = next(s for s in gateway.app.state.services if isinstance(s, KeysRuntime))
    gateway.run(runtime.writer.flush())  # type: ignore[union-attr]
    rows: list[dict[str, Any]] = await admin(gateway, "/spend/logs")
    return rows


async def until(events: AsyncIterator[RealtimeServerEvent], kind: str) -> list[RealtimeServerEvent]:
    seen = []
    async for event in events:
        seen.append(event)
        if event.type == kind:
            return seen
    raise AssertionError(f"the session ended before {kind}: {[e.type for e in seen]}")


def user_item(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def expected_micros(input_text: int, cached_text: int, output_text: int, output_audio: int = 0) -> int:
    info = Catalog().get(MODEL)
    assert info is not None and info.input and info.output and info.cache_read and info.output_audio
    picos = (
        (input_text - cached_text) * info.input + cached_text * info.cache_read
        + output_text * info.output + output_audio * info.output_audio
    )  # fmt: skip
    return (picos + 500_000) // 1_000_000


async def test_a_session_is_answered_and_each_response_billed(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {"models": ["rt"]}))["key"]
    reply = c.reply_text(SAID)
    async with client(gateway, key).realtime.connect(model="rt") as conn:
        await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        await conn.conversation.item.create(item=user_item(SAID))  # type: ignore[arg-type]
        await conn.response.create()
        events = await until(conn, "response.done")
        text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
        assert text == reply
        first = events[-1].response.usage  # type: ignore[union-attr]
        await conn.conversation.item.create(item=user_item("and again"))  # type: ignore[arg-type]
        await conn.response.create()
        second = (await until(conn, "response.done"))[-1].response.usage  # type: ignore[union-attr]
    # the upstream was opened with the gateway's own key, for the deployment's model
    opened = [r for r in openai_sim.requests if r.path == "/v1/realtime"]
    assert len(opened) == 1 and opened[0].query == {"model": "gpt-realtime-mini"}
    assert opened[0].headers["authorization"] == f"Bearer {openai_sim.api_key}"
    assert key not in str(dict(opened[0].headers)) and "openai-beta" not in opened[0].headers
    assert first is not None and second is not None
    said, answered = c.count_tokens(SAID), len(c.word_pieces(reply))
    assert (first.input_tokens, first.output_tokens) == (said, answered)
    rows = sorted(
        (r for r in await spend_rows(gateway) if r["call_type"] == "realtime"),
        key=lambda r: r["total_tokens"],
    )
    assert [(r["model_group"], r["model"], r["total_tokens"]) for r in rows] == [
        ("rt", "rt", first.total_tokens),
        ("rt", "rt", second.total_tokens),
    ]
    costs = [
        expected_micros(said, 0, answered),
        expected_micros(
            second.input_tokens or 0, said + answered, len(c.word_pieces(c.reply_text("and again")))
        ),
    ]
    assert [round(r["spend"] * 1_000_000) for r in rows] == costs
    info = await admin(gateway, f"/key/info?key={key}")
    assert round(info["info"]["spend"] * 1_000_000) == sum(costs)


async def test_the_beta_protocol_and_audio_tokens_at_audio_prices(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {}))["key"]
    reply = c.reply_text(SAID)
    async with client(gateway, key).beta.realtime.connect(model="rt") as conn:
        await conn.session.update(session={"modalities": ["audio", "text"]})
        await conn.conversation.item.create(item=user_item(SAID))  # type: ignore[arg-type]
        await conn.response.create()
        events = await until(conn, "response.done")
    transcript = "".join(e.delta for e in events if e.type == "response.audio_transcript.delta")  # type: ignore[union-attr]
    assert transcript == reply and any(e.type == "response.audio.delta" for e in events)
    assert openai_sim.requests.last.headers["openai-beta"] == "realtime=v1"
    answered = len(c.word_pieces(reply))
    (row,) = [r for r in await spend_rows(gateway) if r["call_type"] == "realtime"]
    assert round(row["spend"] * 1_000_000) == expected_micros(c.count_tokens(SAID), 0, answered, 2 * answered)


async def test_a_used_up_budget_ends_the_session_with_an_error_event_and_refuses_the_next(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {"max_budget": 1e-6}))["key"]
    async with client(gateway, key).realtime.connect(model="rt") as conn:
        await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        await conn.conversation.item.create(item=user_item(SAID))  # type: ignore[arg-type]
        await conn.response.create()
        events = await until(conn, "error")
        # the response ended and was billed before the session was closed
        assert [e.type for e in events][-2:] == ["response.done", "error"]
        error = events[-1].error  # type: ignore[union-attr]
        assert error.type == "budget_exceeded" and "Budget has been exceeded" in error.message
        with pytest.raises(websockets.ConnectionClosed):
            await conn.recv()
    realtime = openai_sim.simulator.realtime  # type: ignore[attr-defined]
    for _ in range(500):  # the upstream's handler ends once it has read the gateway's close
        if realtime.open_sessions == 0:
            break
        await asyncio.sleep(0.01)
    assert realtime.open_sessions == 0 and realtime.ended == [1000]
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with client(gateway, key).realtime.connect(model="rt"):
            pass
    assert refused.value.response.status_code == 400
    rows = [r for r in await spend_rows(gateway) if r["call_type"] == "realtime"]
    assert len(rows) == 1 and rows[0]["spend"] > 1e-6


async def test_refused_at_the_upgrade(gateway: GatewayThread, openai_sim: RunningSimulator) -> None:
    narrow = (await admin(gateway, "/key/generate", {"models": ["gpt-4o", "claude"]}))["key"]
    key = (await admin(gateway, "/key/generate", {}))["key"]
    for api_key, model, status in (
        ("sk-not-a-key", "rt", 401),  # a wrong key
        (narrow, "rt", 401),  # a model the key may not use
        (narrow, "no-such-model", 401),  # checked before the model is looked for
        (narrow, "claude", 400),  # a group without an OpenAI or Azure deployment
        (key, "no-such-model", 404),
    ):
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with client(gateway, api_key).realtime.connect(model=model):
                pass
        assert refused.value.response.status_code == status, (api_key, model)
    assert not [r for r in openai_sim.requests if r.path == "/v1/realtime"]


async def test_rpm_and_parallel_limits_hold_for_sessions(gateway: GatewayThread) -> None:
    parallel = (await admin(gateway, "/key/generate", {"max_parallel_requests": 1}))["key"]
    async with client(gateway, parallel).realtime.connect(model="rt"):
        with pytest.raises(websockets.InvalidStatus) as busy:
            async with client(gateway, parallel).realtime.connect(model="rt"):
                pass
        assert busy.value.response.status_code == 429
    rpm = (await admin(gateway, "/key/generate", {"rpm_limit": 1}))["key"]
    async with client(gateway, rpm).realtime.connect(model="rt"):
        pass
    with pytest.raises(websockets.InvalidStatus) as limited:
        async with client(gateway, rpm).realtime.connect(model="rt"):
            pass
    assert limited.value.response.status_code == 429


async def test_a_vanished_client_gives_its_parallel_slot_back(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {"max_parallel_requests": 1}))["key"]
    url = "ws://" + gateway.base_url.removeprefix("http://") + "/v1/realtime?model=rt"
    ws = await websockets.connect(url, additional_headers={"authorization": f"Bearer {key}"})
    await ws.recv()  # session.created
    ws.transport.abort()  # gone without a close frame
    realtime = openai_sim.simulator.realtime  # type: ignore[attr-defined]
    for _ in range(500):  # the gateway notices, closes the upstream, frees the slot (off its path)
        if realtime.open_sessions == 0:
            try:
                async with client(gateway, key).realtime.connect(model="rt"):
                    return
            except websockets.InvalidStatus as busy:
                assert busy.response.status_code == 429
        await asyncio.sleep(0.01)
    raise AssertionError("the slot was not given back within 5 s")


async def test_a_large_audio_input_is_relayed_whole_and_billed_at_the_audio_rate(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {}))["key"]
    audio = bytes(range(256)) * 4096  # 1 MiB of audio, 1.4 MiB as base64: one message
    async with client(gateway, key).realtime.connect(model="rt") as conn:
        await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        await conn.input_audio_buffer.append(audio=base64.b64encode(audio).decode())
        await conn.input_audio_buffer.commit()
        await conn.response.create()
        usage = (await until(conn, "response.done"))[-1].response.usage  # type: ignore[union-attr]
    audio_tokens = -(-len(audio) // 100)  # the simulator's count: one token per 100 bytes
    assert usage is not None and usage.input_token_details is not None
    assert usage.input_token_details.audio_tokens == audio_tokens
    info = Catalog().get(MODEL)
    assert info is not None and info.input_audio is not None and info.output is not None
    answered = len(c.word_pieces(c.reply_text("")))
    (row,) = [r for r in await spend_rows(gateway) if r["call_type"] == "realtime"]
    assert (
        round(row["spend"] * 1_000_000)
        == (audio_tokens * info.input_audio + answered * info.output + 500_000) // 1_000_000
    )
