"""An upstream answering with a redirect must not carry the request's key to another host: the
transport follows a redirect only within the origin it sent the request to; any other is a 502."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from llmrelay.core.streaming import ChatStream
from llmrelay.functions import acompletion, aembedding
from llmrelay.providers.replicate.adapter import ReplicateProvider
from llmrelay.transport.http import HttpTransport
from llmrelay.transport.redirects import UpstreamRedirectError
from llmrelay.types.deployment import Deployment
from llmrelay.types.http import HttpRequest, HttpResponse

KEY = "sk-redirect-secret-0123456789"


@dataclass
class Recorder:
    """A second local server: the place the redirect points to. It records every request's headers."""

    base: str = ""
    seen: list[dict[str, str]] = field(default_factory=list)


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@pytest.fixture
async def recorder() -> AsyncIterator[Recorder]:
    rec = Recorder()

    async def record(request: web.Request) -> web.Response:
        rec.seen.append(dict(request.headers))
        await request.read()
        return web.json_response({"stolen": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner, rec.base = await _serve(app)
    yield rec
    await runner.cleanup()


@pytest.fixture
async def redirector(recorder: Recorder) -> AsyncIterator[str]:
    """The 'upstream': every request is answered 307 to the recorder, with a token in the Location;
    /same/... is answered 307 to /final on its own origin, which answers 200."""

    async def away(request: web.Request) -> web.Response:
        await request.read()
        raise web.HTTPTemporaryRedirect(f"{recorder.base}/steal{request.path}?token=LOCATION-SECRET")

    async def same(request: web.Request) -> web.Response:
        await request.read()
        raise web.HTTPTemporaryRedirect("/final")

    async def final(request: web.Request) -> web.Response:
        saw = request.headers.get("x-api-key", "")
        return web.Response(body=await request.read(), headers={"x-saw-key": saw})

    async def moved(request: web.Request) -> web.Response:
        await request.read()
        raise web.HTTPFound("/final")

    async def loop(request: web.Request) -> web.Response:
        await request.read()
        raise web.HTTPTemporaryRedirect("/loop")

    app = web.Application()
    app.router.add_route("*", "/same/{tail:.*}", same)
    app.router.add_route("*", "/final", final)
    app.router.add_route("*", "/moved", moved)
    app.router.add_route("*", "/loop", loop)
    app.router.add_route("*", "/{tail:.*}", away)
    runner, base = await _serve(app)
    yield base
    await runner.cleanup()


MESSAGES = [{"role": "user", "content": "hello"}]


@pytest.mark.parametrize(
    ("model", "extra"),
    [
        ("openai/gpt-4o-mini", {}),
        ("anthropic/claude-sonnet-4-5", {}),
        ("azure/my-deployment", {"api_version": "2024-10-21"}),
        ("gemini/gemini-2.5-flash", {}),
        ("cohere/command-r", {}),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
async def test_a_cross_origin_redirect_never_reaches_the_other_host(
    redirector: str, recorder: Recorder, model: str, extra: dict[str, str], stream: bool
) -> None:
    with pytest.raises(UpstreamRedirectError) as info:
        result = await acompletion(
            model, MESSAGES, api_base=redirector, api_key=KEY, stream=stream, num_retries=0, **extra
        )
        if isinstance(result, ChatStream):
            async for _ in result:
                pass
    assert recorder.seen == []
    assert info.value.status_code == 502
    text = str(info.value)
    assert "LOCATION-SECRET" not in text and recorder.base not in text and KEY not in text


async def test_embeddings_are_not_redirected_either(redirector: str, recorder: Recorder) -> None:
    with pytest.raises(UpstreamRedirectError):
        await aembedding(
            "openai/text-embedding-3-small", ["hi"], api_base=redirector, api_key=KEY, num_retries=0
        )
    assert recorder.seen == []


async def test_a_redirect_within_the_origin_is_followed_with_method_and_body(redirector: str) -> None:
    transport = HttpTransport()
    try:
        response = await transport.send(
            HttpRequest(url=f"{redirector}/same/x", headers={"x-api-key": KEY}, body=b"payload")
        )
    finally:
        await transport.aclose()
    assert (response.status, response.body, response.header("x-saw-key")) == (200, b"payload", KEY)


async def test_a_post_redirect_that_drops_the_body_is_refused(redirector: str) -> None:
    transport = HttpTransport()
    try:
        with pytest.raises(UpstreamRedirectError, match="302 to a POST"):
            await transport.send(HttpRequest(url=f"{redirector}/moved", headers={}, body=b"payload"))
        # a GET (a job poll) may follow it
        response = await transport.send(HttpRequest(url=f"{redirector}/moved", headers={}, method="GET"))
        assert response.status == 200
    finally:
        await transport.aclose()


async def test_a_redirect_loop_ends(redirector: str) -> None:
    transport = HttpTransport()
    try:
        with pytest.raises(UpstreamRedirectError, match="more than 3 times"):
            await transport.send(HttpRequest(url=f"{redirector}/loop", headers={}, body=b""))
        with pytest.raises(UpstreamRedirectError, match="more than 3 times"):
            await transport.open_stream(HttpRequest(url=f"{redirector}/loop", headers={}, body=b""))
    finally:
        await transport.aclose()


@pytest.mark.parametrize(
    ("stream_url", "trusted"),
    [
        ("https://stream.replicate.com/v1/files/abc", True),
        ("https://api.replicate.com/v1/streams/abc", True),
        ("http://stream.replicate.com/v1/files/abc", False),  # not over plain http
        ("https://replicate.com.evil.example/abc", False),
        ("https://evil.example/abc", False),
    ],
)
def test_a_replicate_stream_url_gets_the_key_only_on_replicates_origins(
    stream_url: str, trusted: bool
) -> None:
    """A follow-up URL the upstream's answer names is no redirect, but the same rule holds."""

    deployment = Deployment(
        provider="replicate", model="meta/llama", api_key="r8_secretkey", extra_headers={"x-auth": "hidden"}
    )
    sent = HttpRequest(url="https://api.replicate.com/v1/models/meta/llama/predictions", headers={})
    body = b'{"id": "p1", "status": "starting", "input": {}, "urls": {"stream": "%s"}}' % stream_url.encode()
    follow = ReplicateProvider().follow_up(HttpResponse(status=201, body=body), sent, deployment)
    assert follow is not None
    headers = follow.request.headers
    assert ("authorization" in headers, "x-auth" in headers) == (trusted, trusted)
