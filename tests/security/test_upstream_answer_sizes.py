"""Upstream answers are read only up to a cap (a whole body, one stream event), and list inputs are
bounded per request: 10,000 embedding inputs once came back as a 325 MB answer, 100,000 took a
worker to 6.3 GB."""

from __future__ import annotations

import asyncio
import gzip
import random
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from llmrelay.config.loader import parse_config
from llmrelay.router import Router
from llmrelay.testing import RunningSimulator
from llmrelay.testing.gateway import GatewayThread
from llmrelay.transport.bounds import EventSizeGuard, UpstreamAnswerTooLarge
from llmrelay.transport.http import HttpTransport
from llmrelay.types.errors import RequestTooLargeError
from llmrelay.types.http import HttpRequest

MIB = 1024 * 1024


class Endless:
    """A server whose answers never end: it counts what it managed to write before the reader hung up."""

    def __init__(self) -> None:
        self.written = 0
        self.stopped = asyncio.Event()


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[str, Endless]]:
    endless = Endless()

    async def declared(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * (2 * MIB))

    async def unbounded(request: web.Request) -> web.StreamResponse:
        # chunked, no Content-Length: only counting what arrives can stop it
        resp = web.StreamResponse(headers={"content-type": request.query.get("type", "application/json")})
        await resp.prepare(request)
        piece = (request.query.get("piece", "x") * 65536).encode()
        try:
            while endless.written < 256 * MIB:
                await resp.write(piece)
                endless.written += len(piece)
        except (ConnectionResetError, ConnectionError):
            pass  # the reader closed the connection: what this test wants to see
        finally:
            endless.stopped.set()
        return resp

    async def many_events(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await resp.prepare(request)
        event = b"data: " + b"y" * 1000 + b"\r\n\r\n"
        for _ in range(3000):  # ≈ 3 MB in all, each event small
            await resp.write(event)
        await resp.write_eof()
        return resp

    async def bomb(request: web.Request) -> web.Response:
        # 8 MiB of zeros in a few KB of gzip: only the decompressed size counts
        packed = gzip.compress(b"0" * (8 * MIB))
        headers = {"content-encoding": "gzip", "content-type": "application/json"}
        return web.Response(body=packed, headers=headers)

    app = web.Application()
    app.router.add_post("/bomb", bomb)
    app.router.add_post("/declared", declared)
    app.router.add_post("/unbounded", unbounded)
    app.router.add_post("/events", many_events)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", endless
    await runner.cleanup()


def _post(url: str) -> HttpRequest:
    return HttpRequest(url=url, headers={}, body=b"{}")


async def test_a_declared_oversized_answer_is_not_read(upstream: tuple[str, Endless]) -> None:
    base, _ = upstream
    transport = HttpTransport(max_body_bytes=MIB)
    try:
        with pytest.raises(UpstreamAnswerTooLarge, match="max_upstream_response_mb") as info:
            await transport.send(_post(f"{base}/declared"))
        assert info.value.status_code == 502
        assert not info.value.retryable
    finally:
        await transport.aclose()


async def test_a_compressed_answer_counts_decompressed(upstream: tuple[str, Endless]) -> None:
    base, _ = upstream
    transport = HttpTransport(max_body_bytes=MIB)
    try:
        with pytest.raises(UpstreamAnswerTooLarge, match="not read further"):
            await transport.send(_post(f"{base}/bomb"))
        # within the cap, the same answer reads whole
        roomy = HttpTransport(max_body_bytes=16 * MIB)
        try:
            assert len((await roomy.send(_post(f"{base}/bomb"))).body) == 8 * MIB
        finally:
            await roomy.aclose()
    finally:
        await transport.aclose()


async def test_an_endless_answer_is_cut_at_the_cap(upstream: tuple[str, Endless]) -> None:
    base, endless = upstream
    transport = HttpTransport(max_body_bytes=MIB)
    try:
        with pytest.raises(UpstreamAnswerTooLarge):
            await transport.send(_post(f"{base}/unbounded"))
        async with asyncio.timeout(10):
            await endless.stopped.wait()
    finally:
        await transport.aclose()
    # the cap plus what socket buffers held when the reader hung up; never the 256 MiB on offer
    assert endless.written < 32 * MIB


@pytest.mark.parametrize(("kind", "piece"), [("text/event-stream", "data: x"), ("application/x-ndjson", "x")])
async def test_an_endless_stream_event_is_cut_at_the_cap(
    upstream: tuple[str, Endless], kind: str, piece: str
) -> None:
    base, endless = upstream
    transport = HttpTransport(max_event_bytes=MIB)
    url = f"{base}/unbounded?type={kind}&piece={piece}"
    request = HttpRequest(url=url, headers={}, body=b"{}", stream=True)
    received = 0
    try:
        stream = await transport.open_stream(request)
        with pytest.raises(UpstreamAnswerTooLarge, match="max_upstream_stream_event_mb"):
            async for data in stream.iter_bytes():
                received += len(data)
        await stream.aclose()
        async with asyncio.timeout(10):
            await endless.stopped.wait()
    finally:
        await transport.aclose()
    assert received <= MIB  # nothing past the cap reached the reader
    assert endless.written < 32 * MIB


async def test_a_long_stream_of_small_events_is_not_capped(upstream: tuple[str, Endless]) -> None:
    base, _ = upstream
    transport = HttpTransport(max_event_bytes=64 * 1024, max_body_bytes=MIB)
    try:
        request = HttpRequest(url=f"{base}/events", headers={}, body=b"", stream=True)
        stream = await transport.open_stream(request)
        total = sum([len(data) async for data in stream.iter_bytes()])
        await stream.aclose()
    finally:
        await transport.aclose()
    assert total == 3000 * 1010


@pytest.mark.parametrize("seed", range(20))
def test_the_event_guard_does_not_depend_on_chunking(seed: int) -> None:
    rng = random.Random(seed)
    ends = [b"\n\n", b"\r\r", b"\r\n\r\n", b"\n\r\n", b"\r\n\n"]
    # events up to 100 bytes each, with line breaks inside (a multi-line data field), then one of 101
    events = [b"data: a\r\ndata: " + b"z" * rng.randint(0, 84) + rng.choice(ends) for _ in range(30)]
    fits = b"".join(events)
    over = fits + b"data: " + b"q" * 95

    def outcome(data: bytes) -> bool:
        guard = EventSizeGuard(100, "text/event-stream; charset=utf-8")
        cuts = sorted(rng.sample(range(1, len(data)), 12))
        try:
            for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
                guard.feed(data[start:end])
        except UpstreamAnswerTooLarge:
            return False
        return True

    assert outcome(fits)
    assert not outcome(over)


def test_aws_event_streams_frame_themselves() -> None:
    guard = EventSizeGuard(10, "application/vnd.amazon.eventstream")
    guard.feed(b"\x00" * 1000)  # botocore's parser bounds each frame


# ---- list inputs


@pytest.fixture
def router(openai_sim: RunningSimulator, cohere_sim: RunningSimulator) -> Iterator[Router]:
    openai, cohere = openai_sim.sdk_kwargs(), cohere_sim.sdk_kwargs()
    router = Router(
        [
            {"model_name": "embed", "litellm_params": {"model": "openai/text-embedding-3-small", **openai}},
            {"model_name": "instruct",
             "litellm_params": {"model": "text-completion-openai/gpt-3.5-turbo-instruct", **openai}},
            {"model_name": "rerank", "litellm_params": {"model": "cohere/rerank-v3.5", **cohere}},
            {"model_name": "moderation",
             "litellm_params": {"model": "openai/omni-moderation-latest", **openai}},
        ],
        max_embedding_inputs=50,
        max_rerank_documents=20,
        max_upstream_response_bytes=MIB,
    )  # fmt: skip
    yield router
    router.close()


async def test_too_many_embedding_inputs_are_refused_before_sending(
    router: Router, openai_sim: RunningSimulator
) -> None:
    with pytest.raises(RequestTooLargeError, match="max_embedding_inputs") as info:
        await router.aembedding("embed", [f"text {i}" for i in range(51)])
    assert (info.value.status_code, info.value.param) == (413, "input")
    assert len(openai_sim.requests) == 0
    # a flat list of token ids is one input
    await router.aembedding("embed", list(range(60)))


async def test_too_many_rerank_documents_and_moderation_inputs(router: Router) -> None:
    with pytest.raises(RequestTooLargeError) as info:
        await router.arerank("rerank", "q", [f"doc {i}" for i in range(21)])
    assert info.value.param == "documents"
    with pytest.raises(RequestTooLargeError) as info:
        await router.amoderation(input=[f"text {i}" for i in range(51)], model="moderation")
    assert info.value.param == "input"


@pytest.mark.parametrize("stream", [False, True])
async def test_too_many_text_completion_prompts_are_refused_before_sending(
    router: Router, openai_sim: RunningSimulator, stream: bool
) -> None:
    """Each prompt of a list is answered with its own choices: the list is capped like embedding
    inputs (it had no cap)."""
    with pytest.raises(RequestTooLargeError, match="max_embedding_inputs") as info:
        await router.atext_completion("instruct", [f"say {i}" for i in range(51)], stream=stream)
    assert (info.value.status_code, info.value.param) == (413, "prompt")
    assert len(openai_sim.requests) == 0
    # a flat list of token ids is one prompt
    await router.atext_completion("instruct", list(range(60)), max_tokens=2)


async def test_an_oversized_embeddings_answer_is_a_502(router: Router) -> None:
    # 50 vectors of 1536 floats is ≈ 1.5 MB of JSON, over the 1 MiB cap
    with pytest.raises(UpstreamAnswerTooLarge) as info:
        await router.aembedding("embed", [f"text {i}" for i in range(50)])
    assert info.value.status_code == 502


def test_the_gateway_answers_413_naming_input(openai_sim: RunningSimulator) -> None:
    document: dict[str, Any] = {
        "model_list": [
            {"model_name": "embed",
             "litellm_params": {"model": "openai/text-embedding-3-small", **openai_sim.sdk_kwargs()}},
        ],
        "litellm_settings": {"max_embedding_inputs": 100, "max_upstream_response_mb": 0.5},
    }  # fmt: skip
    config = parse_config(document, source="test")
    kwargs = config.router_kwargs()
    assert (kwargs["max_embedding_inputs"], kwargs["max_upstream_response_bytes"]) == (100, MIB // 2)
    gateway = GatewayThread(config).start()

    async def call(inputs: list[str]) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{gateway.base_url}/v1/embeddings", json={"model": "embed", "input": inputs}
            ) as resp,
        ):
            return resp.status, await resp.json()

    try:
        status, body = asyncio.run(call([f"t{i}" for i in range(10_000)]))
        assert status == 413
        assert body["error"]["param"] == "input" and "10000" in body["error"]["message"]
        assert len(openai_sim.requests) == 0
        status, body = asyncio.run(call([f"t{i}" for i in range(30)]))
        assert status == 502 and "max_upstream_response_mb" in body["error"]["message"]
    finally:
        gateway.stop()
