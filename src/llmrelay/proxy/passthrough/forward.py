"""One pass-through exchange: the request sent as built, the answer relayed to the client — a stream
as its bytes arrive, a JSON answer whole (bounded) — with usage read on the way (meter.py).

Bounded: the upstream's answer by the transport's caps (a whole answer, one stream event), no
redirect followed (a 3xx is a 502: a redirect could send the gateway's credential elsewhere), and an
upstream error's body passed on with the gateway's credential and upstream hosts scrubbed out."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import aiohttp

from llmrelay.core.scrub import Scrubber
from llmrelay.proxy.http import Request
from llmrelay.proxy.passthrough.meter import UsageMeter
from llmrelay.proxy.passthrough.upstream import relayed_headers
from llmrelay.transport.clock import UPSTREAM_CLOCK
from llmrelay.transport.http import HttpTransport, StreamingResponse
from llmrelay.types.errors import APIConnectionError, BadGatewayError, LLMError, Timeout
from llmrelay.types.http import HttpRequest
from llmrelay.types.response import Usage

log = logging.getLogger("llmrelay.proxy")

DEFAULT_TIMEOUT = 600.0


class UpstreamRefused(LLMError):
    """What the spend log says of an upstream's error answer (the client got the answer itself)."""


@dataclass(slots=True)
class Outcome:
    usage: Usage | None = None
    error: LLMError | None = None
    client_gone: bool = False


async def exchange(
    req: Request,
    request: HttpRequest,
    transport: HttpTransport,
    scrubber: Scrubber,
    meter: UsageMeter | None,
    timeout: float | None,
) -> Outcome:
    """Send `request`, relay its answer to `req`'s client, and say how it went. Raises (before any
    byte went to the client) when the upstream cannot be reached or answers a redirect."""
    limit = DEFAULT_TIMEOUT if timeout is None else timeout
    upstream = await _open(request, transport, limit)
    async with upstream:
        status = upstream.status
        if 300 <= status < 400:
            raise BadGatewayError(
                f"the upstream answered a redirect ({status}); pass-through routes do not follow redirects",
                code="upstream_redirect",
            )
        content_type = upstream.headers.get("content-type", "application/octet-stream")
        extra = relayed_headers(upstream.headers)
        if status >= 400 or content_type.startswith("application/json"):
            try:
                async with asyncio.timeout(limit):
                    return await _whole(req, upstream, status, content_type, extra, scrubber, meter)
            except TimeoutError as exc:
                raise Timeout(f"the upstream's answer did not arrive within {limit}s") from exc
        return await _stream(req, upstream, status, content_type, extra, meter)


async def _open(request: HttpRequest, transport: HttpTransport, limit: float) -> StreamingResponse:
    """The answer's head within `limit` seconds; then each piece of its body within `limit` too."""
    clock = UPSTREAM_CLOCK.get()
    if clock is not None:
        clock.enter()
    try:
        async with asyncio.timeout(limit):
            response = await transport.session().request(
                request.method, request.url, data=request.body or None, headers=request.headers,
                allow_redirects=False,
            )  # fmt: skip
    except TimeoutError as exc:
        raise Timeout(f"the upstream did not answer within {limit}s") from exc
    except aiohttp.ClientError as exc:
        # aiohttp's own text names hosts and addresses: only the failure's kind is told
        raise APIConnectionError(f"cannot reach the upstream: {type(exc).__name__}") from exc
    finally:
        if clock is not None:
            clock.leave()
    return StreamingResponse(
        response, limit, max_body_bytes=transport.max_body_bytes, max_event_bytes=transport.max_event_bytes
    )


async def _whole(
    req: Request,
    upstream: StreamingResponse,
    status: int,
    content_type: str,
    extra: list[tuple[str, str]],
    scrubber: Scrubber,
    meter: UsageMeter | None,
) -> Outcome:
    body = await upstream.read()
    outcome = Outcome()
    if status >= 400:
        body = scrubber.text(body.decode("utf-8", errors="replace")).encode()
        outcome.error = UpstreamRefused(f"the upstream answered {status}", code=str(status))
    elif meter is not None:
        meter.whole(body)
        outcome.usage = meter.usage
    req.send_body(status, ("content-type", content_type), body, extra)
    return outcome


async def _stream(
    req: Request,
    upstream: StreamingResponse,
    status: int,
    content_type: str,
    extra: list[tuple[str, str]],
    meter: UsageMeter | None,
) -> Outcome:
    headers = [("content-type", content_type), ("x-accel-buffering", "no"), *req.response_headers, *extra]
    headers.append(req.overhead_header())
    req.started = True
    client = req.proto.response_stream(status, headers)
    outcome = Outcome()
    try:
        async for data in upstream.iter_bytes():
            if meter is not None:
                meter.feed(data)
            try:
                await client.send_bytes(data)
            except RuntimeError:  # granian's ProtocolClosed: the client is gone
                outcome.client_gone = True
                break
        else:
            if meter is not None:
                meter.end()
    except LLMError as error:
        # the upstream broke mid-answer: the client's stream ends here, cut
        log.warning("pass-through stream of request %s broke: %s", req.request_id, type(error).__name__)
        outcome.error = error
    outcome.usage = meter.usage if meter is not None else None
    return outcome
