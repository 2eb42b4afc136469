"""The Realtime WebSocket's protocol edges on a master-key gateway over the OpenAI simulator (no
database: nothing billed): where a key may be presented (header, `api-key`, the browsers'
subprotocol; two different keys refused), an Azure OpenAI deployment opened at its own URL with its
own header, the message size bound, the idle bound, either side vanishing without a close frame,
an upstream's error event relayed with the gateway's key scrubbed, an upstream that refuses the
opening, and a missing `model`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import openai
import pytest
import websockets
from aiohttp import web
from websockets.asyncio.client import ClientConnection, connect

from llmrelay.config.loader import parse_config
from llmrelay.testing import RunningSimulator
from llmrelay.testing import content as c
from llmrelay.testing.gateway import GatewayThread
from llmrelay.testing.openai_sim import OpenAISimulator
from llmrelay.testing.receiver import ReceiverThread

MASTER = "sk-realtime-master-key"
SIM_KEY = "sk-sim-upstream-secret-0123456789abcdef"


@pytest.fixture
def sim(openai_sim: RunningSimulator) -> RunningSimulator:
    openai_sim.simulator.configure(api_keys=[SIM_KEY])
    return openai_sim


def start(sim: RunningSimulator, **general: Any) -> GatewayThread:
    upstream = {"api_base": sim.api_base, "api_key": SIM_KEY}
    document = {
        "model_list": [
            {"model_name": "rt", "litellm_params": {"model": "openai/gpt-realtime-mini", **upstream}},
            {"model_name": "azure-rt", "litellm_params": {
                "model": "azure/my-realtime", "api_base": sim.base_url, "api_key": SIM_KEY,
                "api_version": "2025-04-01-preview"}},
            {"model_name": "refused", "litellm_params": {
                "model": "openai/gpt-realtime", "api_base": sim.api_base, "api_key": "sk-bad-upstream"}},
        ],
        "general_settings": {"master_key": MASTER, "embedded_database": False, **general},
    }  # fmt: skip
    return GatewayThread(parse_config(document, source="<test>"), name="realtime-gateway").start()


@pytest.fixture
def gateway(sim: RunningSimulator) -> Iterator[GatewayThread]:
    gw = start(sim)
    try:
        yield gw
    finally:
        gw.stop()


def ws_url(gateway: GatewayThread, model: str = "rt", path: str = "/v1/realtime") -> str:
    return "ws://" + gateway.base_url.removeprefix("http://") + f"{path}?model={model}"


async def next_event(ws: ClientConnection, kind: str) -> dict[str, Any]:
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if event["type"] == kind:
            return event  # type: ignore[no-any-return]


async def ask(ws: ClientConnection, text: str) -> None:
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
    await ws.send(json.dumps({"type": "response.create"}))


async def settled(check: Any) -> None:
    """Wait (bounded) for a state another thread reaches: the gateway's or the simulator's."""
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not reached within 5 s")


@pytest.mark.parametrize("where", ["authorization", "api-key", "subprotocol"])
async def test_a_key_in_each_place_a_client_puts_it(
    gateway: GatewayThread, sim: RunningSimulator, where: str
) -> None:
    headers = {"authorization": f"Bearer {MASTER}"} if where == "authorization" else {}
    if where == "api-key":
        headers = {"api-key": MASTER}
    protocols = ["realtime", f"openai-insecure-api-key.{MASTER}"] if where == "subprotocol" else None
    async with connect(ws_url(gateway), additional_headers=headers, subprotocols=protocols) as ws:  # type: ignore[arg-type]
        await next_event(ws, "session.created")
        await ask(ws, "hello")
        done = await next_event(ws, "response.done")
        assert done["response"]["status"] == "completed"
    received = sim.requests.last
    assert received.headers["authorization"] == f"Bearer {SIM_KEY}"
    assert "sec-websocket-protocol" not in received.headers and "api-key" not in received.headers


async def test_two_different_keys_or_none_are_refused(gateway: GatewayThread, sim: RunningSimulator) -> None:
    cases = [
        ({"authorization": f"Bearer {MASTER}"}, ["openai-insecure-api-key.sk-other"], 400),
        ({"authorization": f"Bearer {MASTER}", "api-key": "sk-other"}, None, 400),
        ({}, ["realtime"], 401),
    ]
    for headers, protocols, status in cases:
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with connect(ws_url(gateway), additional_headers=headers, subprotocols=protocols):  # type: ignore[arg-type]
                pass
        assert refused.value.response.status_code == status
    with pytest.raises(websockets.InvalidStatus) as other_parameter:
        async with connect(
            ws_url(gateway) + "&intent=transcription",
            additional_headers={"authorization": f"Bearer {MASTER}"},
        ):
            pass
    assert other_parameter.value.response.status_code == 400
    with pytest.raises(websockets.InvalidStatus) as no_model:
        async with connect(
            ws_url(gateway).split("?")[0], additional_headers={"authorization": f"Bearer {MASTER}"}
        ):
            pass
    assert no_model.value.response.status_code == 400
    assert not [r for r in sim.requests if r.path.endswith("/realtime")]


@pytest.mark.parametrize("path", ["/realtime", "/openai/v1/realtime"])
async def test_the_other_paths(gateway: GatewayThread, path: str) -> None:
    url = ws_url(gateway, path=path)
    async with connect(url, additional_headers={"authorization": f"Bearer {MASTER}"}) as ws:
        await next_event(ws, "session.created")


async def test_an_azure_deployment_is_opened_at_its_url_with_its_header(
    gateway: GatewayThread, sim: RunningSimulator
) -> None:
    api = openai.AsyncOpenAI(base_url=gateway.base_url + "/v1", api_key=MASTER, max_retries=0)
    async with api.realtime.connect(model="azure-rt") as conn:
        await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        await conn.conversation.item.create(
            item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi azure"}]}
        )
        await conn.response.create()
        text = ""
        async for event in conn:
            if event.type == "response.output_text.delta":
                text += event.delta
            if event.type == "response.done":
                break
    assert text == c.reply_text("hi azure")
    received = sim.requests.last
    assert received.path == "/openai/realtime" and received.headers["api-key"] == SIM_KEY
    assert received.query == {"api-version": "2025-04-01-preview", "deployment": "my-realtime"}


async def test_an_oversized_message_ends_the_session_with_an_error_event(sim: RunningSimulator) -> None:
    gateway = start(sim, realtime_max_message_bytes=4096)
    try:
        async with connect(ws_url(gateway), additional_headers={"authorization": f"Bearer {MASTER}"}) as ws:
            await next_event(ws, "session.created")
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": "A" * 3000}))  # under
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": "A" * 5000}))
            error = await next_event(ws, "error")
            assert error["error"]["code"] == "message_too_large" and "4096" in error["error"]["message"]
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
        await settled(lambda: sim.simulator.realtime.open_sessions == 0)  # type: ignore[attr-defined]
        # the same bound on what the upstream sends
        async with connect(ws_url(gateway), additional_headers={"authorization": f"Bearer {MASTER}"}) as ws:
            await next_event(ws, "session.created")
            await ask(ws, "__big__")
            error = await next_event(ws, "error")
            assert error["error"]["code"] == "upstream_closed" and "1009" in error["error"]["message"]
    finally:
        gateway.stop()


async def test_an_idle_session_is_closed(sim: RunningSimulator) -> None:
    gateway = start(sim, realtime_idle_timeout_seconds=0.3)
    try:
        async with connect(ws_url(gateway), additional_headers={"authorization": f"Bearer {MASTER}"}) as ws:
            await next_event(ws, "session.created")
            error = await next_event(ws, "error")
            assert error["error"]["code"] == "session_idle"
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
    finally:
        gateway.stop()


async def test_an_upstream_that_vanishes_closes_the_client(gateway: GatewayThread) -> None:
    async with connect(ws_url(gateway), additional_headers={"authorization": f"Bearer {MASTER}"}) as ws:
        await next_event(ws, "session.created")
        await ask(ws, "__drop__")
        error = await next_event(ws, "error")
        assert error["error"]["code"] == "upstream_closed"
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)


async def test_an_upstream_error_and_close_are_relayed(gateway: GatewayThread) -> None:
    async with connect(ws_url(gateway), additional_headers={"authorization": f"Bearer {MASTER}"}) as ws:
        await next_event(ws, "session.created")
        await ask(ws, "__close__")
        relayed = await next_event(ws, "error")
        assert relayed["error"]["code"] == "server_error"  # the upstream's own event
        ours = await next_event(ws, "error")
        assert ours["error"]["code"] == "upstream_closed" and "1011" in ours["error"]["message"]


async def test_a_client_that_vanishes_closes_the_upstream(
    gateway: GatewayThread, sim: RunningSimulator
) -> None:
    ws = await connect(ws_url(gateway), additional_headers={"authorization": f"Bearer {MASTER}"})
    await next_event(ws, "session.created")
    assert sim.simulator.realtime.open_sessions == 1  # type: ignore[attr-defined]
    ws.transport.abort()  # no close frame
    await settled(lambda: sim.simulator.realtime.open_sessions == 0)  # type: ignore[attr-defined]
    assert sim.simulator.realtime.ended[-1] == 1001  # type: ignore[attr-defined]


async def test_the_gateways_key_is_scrubbed_from_an_upstream_error(gateway: GatewayThread) -> None:
    async with connect(ws_url(gateway), additional_headers={"authorization": f"Bearer {MASTER}"}) as ws:
        await next_event(ws, "session.created")
        await ask(ws, "__echo_key__")
        error = await next_event(ws, "error")
    assert SIM_KEY not in json.dumps(error) and "Incorrect API key provided" in error["error"]["message"]


async def test_an_upstream_that_refuses_the_opening(gateway: GatewayThread) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connect(
            ws_url(gateway, "refused"), additional_headers={"authorization": f"Bearer {MASTER}"}
        ):
            pass
    assert refused.value.response.status_code == 401
    assert b"sk-bad-upstream" not in (refused.value.response.body or b"")


async def test_an_upstream_redirect_is_not_followed(sim: RunningSimulator) -> None:
    """aiohttp's ws_connect follows redirects with every header but Authorization: an Azure `api-key`
    would go wherever the Location points. The opening is refused instead (502)."""

    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPTemporaryRedirect(sim.base_url + "/openai/realtime?" + request.query_string)

    receiver = ReceiverThread([("GET", "/openai/realtime", redirect)])
    base = receiver.start()
    document = {
        "model_list": [{"model_name": "moved", "litellm_params": {
            "model": "azure/my-realtime", "api_base": base, "api_key": SIM_KEY}}],
        "general_settings": {"master_key": MASTER, "embedded_database": False},
    }  # fmt: skip
    gateway = GatewayThread(parse_config(document, source="<test>")).start()
    try:
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with connect(
                ws_url(gateway, "moved"), additional_headers={"authorization": f"Bearer {MASTER}"}
            ):
                pass
        assert refused.value.response.status_code == 502
        assert not [r for r in sim.requests if r.path == "/openai/realtime"]
    finally:
        gateway.stop()
        receiver.stop()


async def test_a_plain_request_on_the_route_is_told_to_upgrade(gateway: GatewayThread) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            gateway.base_url + "/v1/realtime?model=rt", headers={"authorization": f"Bearer {MASTER}"}
        ) as reply,
    ):
        assert reply.status == 426 and reply.headers["upgrade"] == "websocket"
        assert (await reply.json())["error"]["code"] == "upgrade_required"


async def test_an_azure_app_registration_mints_the_sockets_token(sim: RunningSimulator) -> None:
    simulator = sim.simulator
    assert isinstance(simulator, OpenAISimulator)
    simulator.entra.register_app("contoso-tenant", "app-1234", "s3cr3t-entra-value")
    params = {"model": "azure/my-realtime", "api_base": sim.base_url, "tenant_id": "contoso-tenant",
              "client_id": "app-1234", "client_secret": "s3cr3t-entra-value",
              "azure_authority_host": sim.base_url}  # fmt: skip
    document = {
        "model_list": [{"model_name": "entra-rt", "litellm_params": params}],
        "general_settings": {"master_key": MASTER, "embedded_database": False},
    }
    gateway = GatewayThread(parse_config(document, source="<test>")).start()
    try:
        for _ in range(2):
            async with connect(
                ws_url(gateway, "entra-rt"), additional_headers={"authorization": f"Bearer {MASTER}"}
            ) as ws:
                await next_event(ws, "session.created")
    finally:
        gateway.stop()
    assert simulator.entra.tokens_issued == 1  # cached for the second socket
    received = sim.requests.last
    assert received.path == "/openai/realtime" and received.headers["authorization"].startswith("Bearer ")
    assert "api-key" not in received.headers


async def test_a_session_ends_at_its_longest_life(sim: RunningSimulator) -> None:
    gateway = start(sim, realtime_max_session_seconds=0.5)
    try:
        async with connect(ws_url(gateway), additional_headers={"authorization": f"Bearer {MASTER}"}) as ws:
            await next_event(ws, "session.created")
            await ask(ws, "still talking")  # not idle: the session's age ends it
            error = await next_event(ws, "error")
            assert error["error"]["code"] == "session_expired"
    finally:
        gateway.stop()


async def test_the_size_bound_counts_utf8_bytes_not_characters(sim: RunningSimulator) -> None:
    gateway = start(sim, realtime_max_message_bytes=4096)
    try:
        async with connect(ws_url(gateway), additional_headers={"authorization": f"Bearer {MASTER}"}) as ws:
            await next_event(ws, "session.created")
            # about 1,600 characters, 4,600 bytes (each € is 3): over the bound
            item = {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "€" * 1500}],
            }
            await ws.send(json.dumps({"type": "conversation.item.create", "item": item}, ensure_ascii=False))
            error = await next_event(ws, "error")
            assert error["error"]["code"] == "message_too_large"
    finally:
        gateway.stop()
