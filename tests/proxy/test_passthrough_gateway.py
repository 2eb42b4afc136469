"""Pass-through routes against a scripted upstream (a master-key gateway, no database): a stream
relayed byte for byte however the upstream splits it, hop-by-hop and credential headers dropped,
no redirect followed, an upstream error's body passed on with the gateway's key scrubbed, the body
cap, and a route with no credential refused with a 503 naming what is missing."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from llmrelay.config.loader import parse_config
from llmrelay.testing.gateway import GatewayThread
from llmrelay.testing.receiver import ReceiverLog, ReceiverThread, read_received
from llmrelay.testing.stream_splits import split_at

MASTER = "sk-passthrough-master"
GATEWAY_KEY = "sk-ant-gateway-own-secret-0123456789"
STREAM = (Path(__file__).parents[1] / "fixtures/anthropic/streams/text.sse").read_bytes()
SEEDS = range(5)


class Upstream:
    def __init__(self) -> None:
        self.log = ReceiverLog()
        self.seed = 0
        self.first_seen = threading.Event()

    async def messages(self, request: web.Request) -> web.StreamResponse:
        self.log.add(await read_received(request))
        rng = random.Random(self.seed)
        reply = web.StreamResponse(headers={"content-type": "text/event-stream", "request-id": "req_1"})
        await reply.prepare(request)
        for piece in split_at(STREAM, [rng.randrange(len(STREAM)) for _ in range(rng.randrange(1, 30))]):
            await reply.write(piece)
        await reply.write_eof()
        return reply

    async def redirect(self, request: web.Request) -> web.StreamResponse:
        self.log.add(await read_received(request))
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data")

    async def held(self, request: web.Request) -> web.StreamResponse:
        """The first event, then the rest only once the test saw that first event arrive."""
        self.log.add(await read_received(request))
        reply = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await reply.prepare(request)
        first, rest = STREAM.split(b"\n\n", 1)
        await reply.write(first + b"\n\n")
        assert await asyncio.to_thread(self.first_seen.wait, 10)
        await reply.write(rest)
        await reply.write_eof()
        return reply

    async def slow(self, request: web.Request) -> web.StreamResponse:
        self.log.add(await read_received(request))
        await asyncio.sleep(5)  # an upstream that does not answer within the endpoint's timeout
        return web.json_response({})

    async def refuse(self, request: web.Request) -> web.StreamResponse:
        self.log.add(await read_received(request))
        body = {"error": {"message": f"invalid x-api-key {GATEWAY_KEY} at {request.host}"}}
        return web.json_response(body, status=401)


@pytest.fixture
def upstream() -> Iterator[tuple[Upstream, str]]:
    scripted = Upstream()
    receiver = ReceiverThread([
        ("POST", "/v1/messages", scripted.messages),
        ("GET", "/v1/models", scripted.redirect),
        ("POST", "/v1/messages/count_tokens", scripted.refuse),
        ("POST", "/slow", scripted.slow),
        ("POST", "/v1/complete", scripted.held),
    ])  # fmt: skip
    base = receiver.start()
    try:
        yield scripted, base
    finally:
        receiver.stop()


@pytest.fixture
def gateway(upstream: tuple[Upstream, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[GatewayThread]:
    for name in ("OPENAI_API_KEY", "COHERE_API_KEY", "CO_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    document: dict[str, Any] = {
        "model_list": [{"model_name": "claude", "litellm_params": {
            "model": "anthropic/claude-sonnet-4-5", "api_base": upstream[1], "api_key": GATEWAY_KEY}}],
        "general_settings": {"master_key": MASTER, "embedded_database": False, "max_request_size_mb": 0.01,
            "pass_through_endpoints": [{"path": "/slow", "target": upstream[1] + "/slow", "timeout": 0.3,
                                        "methods": ["POST"]}]},
    }  # fmt: skip
    gw = GatewayThread(parse_config(document, source="<test>"), name="passthrough-gateway").start()
    try:
        yield gw
    finally:
        gw.stop()


async def call(gw: GatewayThread, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, str], bytes]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, gw.base_url + path, **kwargs) as reply,
    ):
        return reply.status, {k.lower(): v for k, v in reply.headers.items()}, await reply.read()


MESSAGE = {
    "model": "claude-sonnet-4-5", "max_tokens": 8, "stream": True,
    "messages": [{"role": "user", "content": "hi"}],
}  # fmt: skip


@pytest.mark.parametrize("seed", SEEDS)
async def test_a_stream_is_relayed_byte_for_byte(
    gateway: GatewayThread, upstream: tuple[Upstream, str], seed: int
) -> None:
    scripted, _ = upstream
    scripted.seed = seed
    headers = {
        "x-api-key": MASTER, "anthropic-version": "2023-06-01", "anthropic-beta": "a-beta,b-beta",
        "connection": "keep-alive", "x-litellm-tags": "mine", "cookie": "session=1",
        "content-type": "application/json",
    }  # fmt: skip
    # spaced as no JSON encoder would: the bytes must arrive as they were sent
    sent = b'{"model" :  "claude-sonnet-4-5", "stream": true, "max_tokens": 8, "messages": []}'
    status, answer_headers, body = await call(
        gateway, "POST", "/anthropic/v1/messages", data=sent, headers=headers
    )
    assert status == 200 and body == STREAM
    assert answer_headers["content-type"] == "text/event-stream" and answer_headers["request-id"] == "req_1"
    received = scripted.log.items[-1]
    assert received.headers["x-api-key"] == GATEWAY_KEY
    assert received.headers["anthropic-beta"] == "a-beta,b-beta"
    assert received.headers["anthropic-version"] == "2023-06-01"
    for dropped in ("authorization", "x-litellm-tags", "cookie"):
        assert dropped not in received.headers
    assert received.body == sent


async def test_no_redirect_is_followed(gateway: GatewayThread, upstream: tuple[Upstream, str]) -> None:
    status, _, body = await call(gateway, "GET", "/anthropic/v1/models", headers={"x-api-key": MASTER})
    assert status == 502 and b"redirect" in body and b"169.254" not in body
    assert len(upstream[0].log.items) == 1


async def test_an_upstream_error_is_passed_on_scrubbed(
    gateway: GatewayThread, upstream: tuple[Upstream, str]
) -> None:
    status, _, body = await call(
        gateway, "POST", "/anthropic/v1/messages/count_tokens", json=MESSAGE, headers={"x-api-key": MASTER}
    )
    assert status == 401 and b"invalid x-api-key" in body
    assert GATEWAY_KEY.encode() not in body and upstream[1].split("//")[1].encode() not in body


async def test_hostile_bodies_are_refused(gateway: GatewayThread, upstream: tuple[Upstream, str]) -> None:
    key = {"x-api-key": MASTER}
    status, _, body = await call(gateway, "POST", "/anthropic/v1/messages", data=b"x" * 20_000, headers=key)
    assert status == 413
    deep = b"[" * 5000 + b"]" * 5000
    status, _, body = await call(
        gateway, "POST", "/anthropic/v1/messages", data=deep,
        headers={**key, "content-type": "application/json"},
    )  # fmt: skip
    assert status == 400
    status, _, body = await call(gateway, "POST", "/anthropic/v1/messages", json={"model": 7}, headers=key)
    assert status == 400 and b"model" in body
    assert upstream[0].log.items == []


async def test_credentials_are_required_and_unambiguous(gateway: GatewayThread) -> None:
    status, _, _ = await call(gateway, "POST", "/anthropic/v1/messages", json=MESSAGE)
    assert status == 401
    both = {"authorization": f"Bearer {MASTER}", "x-api-key": "sk-other"}
    status, _, _ = await call(gateway, "POST", "/anthropic/v1/messages", json=MESSAGE, headers=both)
    assert status == 400
    status, _, _ = await call(
        gateway, "POST", "/gemini/v1beta/models/g:generateContent?key=sk-other", json={},
        headers={"x-goog-api-key": MASTER},
    )  # fmt: skip
    assert status == 400


async def test_a_provider_without_credentials_says_what_is_missing(gateway: GatewayThread) -> None:
    status, _, body = await call(
        gateway, "POST", "/cohere/v2/chat", json={"model": "command-a-03-2025"},
        headers={"authorization": f"Bearer {MASTER}"},
    )  # fmt: skip
    assert status == 503 and b"/cohere" in body and b"COHERE_API_KEY" in body


async def test_a_custom_endpoint_keeps_its_timeout_and_methods(
    gateway: GatewayThread, upstream: tuple[Upstream, str]
) -> None:
    status, _, body = await call(gateway, "POST", "/slow", json={})
    assert status == 408 and b"0.3" in body
    status, headers, _ = await call(gateway, "GET", "/slow")
    assert status == 405 and headers["allow"] == "POST"
    assert len(upstream[0].log.items) == 1


async def test_a_stream_is_relayed_as_it_arrives(
    gateway: GatewayThread, upstream: tuple[Upstream, str]
) -> None:
    scripted, _ = upstream
    first = STREAM.split(b"\n\n", 1)[0] + b"\n\n"
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            gateway.base_url + "/anthropic/v1/complete", json={}, headers={"x-api-key": MASTER}
        ) as reply,
    ):
        got = b""
        while len(got) < len(first):
            got += await reply.content.readany()
        # the upstream holds the rest until this first event reached the client
        assert got == first
        scripted.first_seen.set()
        assert got + await reply.content.read() == STREAM
