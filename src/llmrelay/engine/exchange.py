"""The engine's exchanges with an upstream: a prepared request sent with the deployment's
credentials (a token grant's token when its adapter declares one) within the call's timeout, the
follow-ups the adapter asks for, a stream's response head; an error answer raised as the provider's
LLMError. The only place the engine touches the transport."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from llmrelay.calls.context import StreamTimeouts
from llmrelay.core.credentials import TokenCache
from llmrelay.providers.base import Provider
from llmrelay.providers.grants import TokenGrant
from llmrelay.transport.http import DEFAULT_TIMEOUT, HttpTransport
from llmrelay.transport.in_process import UpstreamStream
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import InternalServerError, LLMError, Timeout
from llmrelay.types.http import HttpRequest, HttpResponse

R = TypeVar("R")


class Exchange:
    def __init__(self, transport: HttpTransport) -> None:
        self.transport = transport
        # access tokens of the deployments whose adapters declare a token grant
        self.tokens = TokenCache(lambda request, timeout: self.transport.send(request, timeout))

    async def send(
        self, adapter: Provider, request: HttpRequest, deployment: Deployment, timeout: float | None
    ) -> HttpResponse:
        """The answer to `request`, after the follow-ups (polls) the adapter asks for."""
        outcome = await self.exchange(adapter, request, deployment, timeout)
        if isinstance(outcome, HttpRequest):
            raise stray_stream(adapter, deployment)
        return outcome

    async def stream_request(
        self, adapter: Provider, request: HttpRequest, deployment: Deployment, timeout: float | None
    ) -> HttpRequest:
        """The stream request that the exchanges starting with `request` lead to (a stream whose URL
        comes in a first JSON answer, as Replicate's prediction)."""
        outcome = await self.exchange(adapter, request, deployment, timeout)
        if isinstance(outcome, HttpResponse):
            raise InternalServerError(
                f"provider {adapter.name!r} answered without a stream to read",
                provider=adapter.name,
                model=deployment.model,
            )
        return outcome

    async def exchange(
        self, adapter: Provider, request: HttpRequest, deployment: Deployment, timeout: float | None
    ) -> HttpResponse | HttpRequest:
        """Send `request`, then each follow-up the adapter asks for, all within the call's timeout;
        the last response, or the stream request the follow-ups end with (for the caller to open).
        One frame for the whole exchange: it is on every call's path."""
        # the call's timeout, else the deployment's, else the default (inline: on every call's path)
        if timeout is not None:
            budget = timeout
        else:
            budget = deployment.timeout if deployment.timeout is not None else DEFAULT_TIMEOUT
        deadline = time.monotonic() + budget
        remaining = budget  # the clock was just read: no second read before the first send
        tls = deployment.tls
        while True:
            if tls is not None:  # the deployment's CA bundle / client certificate, follow-ups too
                request.tls = tls
            if remaining <= 0:
                raise Timeout(f"no answer within {budget}s", provider=adapter.name, model=deployment.model)
            grant = adapter.token_grant(deployment)
            try:
                if grant is None:
                    response = await self.transport.send(request, remaining)
                else:
                    response = await self._send_authorized(adapter, grant, request, remaining)
            except LLMError as exc:
                exc.provider, exc.model = adapter.name, deployment.model
                raise
            if response.status >= 400:
                raise upstream_error(adapter, response.status, response.headers, response.body, deployment)
            follow = adapter.follow_up(response, request, deployment)
            if follow is None:
                return response
            if follow.request.stream:
                return follow.request
            if follow.delay > 0:
                # a job still running: wait as the adapter asks, never past the deadline
                await asyncio.sleep(min(follow.delay, max(0.0, deadline - time.monotonic())))
            request = follow.request
            remaining = deadline - time.monotonic()

    async def _send_authorized(
        self, adapter: Provider, grant: TokenGrant, request: HttpRequest, timeout: float
    ) -> HttpResponse:
        return await self._authorized(
            adapter, grant, request, timeout, lambda r: self.transport.send(r, timeout), _refused(adapter)
        )

    async def open_upstream(
        self,
        adapter: Provider,
        request: HttpRequest,
        deployment: Deployment,
        timeout: float | None,
        stream_timeouts: StreamTimeouts,
    ) -> UpstreamStream:
        """The upstream's response head; an error status raises the provider's error."""
        first_wait = stream_timeouts.first_token
        if not first_wait:  # else the call's timeout, the deployment's, the default (as in `exchange`)
            if timeout is not None:
                first_wait = timeout
            else:
                first_wait = deployment.timeout if deployment.timeout is not None else DEFAULT_TIMEOUT
        grant = adapter.token_grant(deployment)
        if deployment.tls is not None:
            request.tls = deployment.tls
        try:
            if grant is None:
                upstream = await self.transport.open_stream(
                    request, connect_timeout=first_wait, read_timeout=stream_timeouts.between_chunks
                )
            else:
                upstream = await self._open_authorized(adapter, grant, request, first_wait, stream_timeouts)
        except LLMError as exc:
            exc.provider, exc.model = adapter.name, deployment.model
            raise
        if upstream.status >= 400:
            try:
                body = await upstream.read()
            finally:
                await upstream.aclose()
            raise upstream_error(adapter, upstream.status, upstream.headers, body, deployment)
        return upstream

    async def _open_authorized(
        self,
        adapter: Provider,
        grant: TokenGrant,
        request: HttpRequest,
        first_wait: float,
        stream_timeouts: StreamTimeouts,
    ) -> UpstreamStream:
        def open_stream(authorized: HttpRequest) -> Awaitable[UpstreamStream]:
            return self.transport.open_stream(
                authorized, connect_timeout=first_wait, read_timeout=stream_timeouts.between_chunks
            )

        return await self._authorized(
            adapter, grant, request, first_wait, open_stream, _refused_stream(adapter)
        )

    async def _authorized(
        self,
        adapter: Provider,
        grant: TokenGrant,
        request: HttpRequest,
        wait: float | None,
        send: Callable[[HttpRequest], Awaitable[R]],
        refused: Callable[[R], Awaitable[bool]],
    ) -> R:
        """Send `request` with the token `grant` yields. A cached token the upstream refuses (told by
        `refused`: a 401, or what the adapter's `credential_refused` says) before its time — revoked,
        clock skew, an AWS session token past its expiry — is dropped and the request sent once more
        with a fresh one; a freshly minted token refused is the caller's error."""
        token, fresh = await self.tokens.token(grant, wait)
        result = await send(adapter.authorize(request, token))
        if fresh or not await refused(result):
            return result
        self.tokens.invalidate(grant, token)
        token, _ = await self.tokens.token(grant, wait)
        return await send(adapter.authorize(request, token))


def _refused(adapter: Provider) -> Callable[[HttpResponse], Awaitable[bool]]:
    async def refused(response: HttpResponse) -> bool:
        return adapter.credential_refused(response.status, response.headers)

    return refused


def _refused_stream(adapter: Provider) -> Callable[[UpstreamStream], Awaitable[bool]]:
    """A refused head: the response is released, as the request will be sent again."""

    async def refused(upstream: UpstreamStream) -> bool:
        if not adapter.credential_refused(upstream.status, upstream.headers):
            return False
        await upstream.aclose()
        return True

    return refused


def stray_stream(adapter: Provider, deployment: Deployment) -> LLMError:
    return InternalServerError(
        f"provider {adapter.name!r} asked to open a stream in a call that does not stream",
        provider=adapter.name,
        model=deployment.model,
    )


def upstream_error(
    adapter: Provider, status: int, headers: Mapping[str, str], body: bytes, deployment: Deployment
) -> LLMError:
    error = adapter.classify_error(status, headers, body)
    error.provider = adapter.name
    error.model = deployment.model
    return error
