"""One attempt of one call against one deployment: prepare → send → parse → price.

The engine neither retries nor reports; the Client and the Router wrap it with their own policies
and emit one CallRecord per logical call."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

import msgspec

from llmrelay.calls.context import NO_STREAM_TIMEOUTS, StreamTimeouts
from llmrelay.calls.operation import Operation
from llmrelay.core.credentials import TokenCache
from llmrelay.core.deployment_mock import mock_answer, mock_stream, refuse_mocked
from llmrelay.core.input_limits import InputLimits
from llmrelay.core.scrub import Scrubber
from llmrelay.core.sse_relay import ByteTap, RawUpstream
from llmrelay.core.streaming import ChatStream, decode_stream
from llmrelay.core.text_stream import TextStream, bookkeeping_request, decode_text_stream
from llmrelay.core.text_via_chat import chat_to_text_response, text_request_to_chat
from llmrelay.cost.catalog import Catalog, ModelInfo, with_prices
from llmrelay.cost.pricing import cost_micros, picos_to_micros
from llmrelay.cost.tokens import count_text
from llmrelay.cost.units import image_price_picos, rerank_cost_micros
from llmrelay.providers.base import Provider
from llmrelay.providers.grants import TokenGrant
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.transport.http import DEFAULT_TIMEOUT, HttpTransport, StreamingResponse
from llmrelay.types.call_defaults import with_defaults
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest, TextCompletionResponse
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest, EmbeddingResponse
from llmrelay.types.errors import InternalServerError, LLMError, Timeout
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.image import ImageGenerationRequest, ImageResponse
from llmrelay.types.moderation import ModerationRequest, ModerationResponse
from llmrelay.types.rerank import RerankRequest, RerankResponse
from llmrelay.types.response import ChatResponse, Usage, hidden_params

R = TypeVar("R")
Q = TypeVar("Q")
P = ParamSpec("P")


def _scrubs_errors(
    method: Callable[Concatenate[Engine, Q, Deployment, P], Awaitable[R]],
) -> Callable[Concatenate[Engine, Q, Deployment, P], Awaitable[R]]:
    """An engine call whose errors leave with upstream secrets and hosts scrubbed from their text:
    where upstream error text enters the process, so nothing downstream sees it raw."""

    @functools.wraps(method)
    async def call(
        self: Engine, request: Q, deployment: Deployment, /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        try:
            return await method(self, request, deployment, *args, **kwargs)
        except LLMError as exc:
            self.scrubber(deployment).error(exc)
            raise

    return call


class Engine:
    def __init__(
        self,
        transport: HttpTransport,
        registry: ProviderRegistry,
        catalog: Catalog,
        *,
        input_limits: InputLimits | None = None,
    ) -> None:
        self.transport = transport
        # how many items a list input may hold (embeddings, moderations, rerank documents)
        self.input_limits = input_limits if input_limits is not None else InputLimits()
        self.registry = registry
        self.catalog = catalog
        # access tokens of the deployments whose adapters declare a token grant
        self.tokens = TokenCache(lambda request, timeout: self.transport.send(request, timeout))

    def adapter(self, deployment: Deployment) -> Provider:
        return self.registry.get(deployment.provider).for_deployment(deployment)

    # ---- pricing
    def price(self, usage: Usage | None, deployment: Deployment) -> int:
        if usage is None:
            return 0
        info = self.model_info(deployment)
        return cost_micros(usage, info) if info is not None else 0

    def model_info(self, deployment: Deployment) -> ModelInfo | None:
        """The catalog's facts about the deployment's model; the deployment's own prices (config)
        replace the catalog's prices, all of them, so no catalog price mixes into a custom one."""
        # the name the catalog knows the model by (an Azure deployment's `base_model`)
        adapter = self.adapter(deployment)
        info = self.catalog.get(adapter.catalog_model(deployment), deployment.provider)
        if info is None:
            fallback = adapter.catalog_fallback(deployment)
            info = self.catalog.get(fallback) if fallback else None
        if deployment.prices is not None:
            return with_prices(info, deployment.prices, deployment.provider)
        return info

    def price_rerank(self, response: RerankResponse, deployment: Deployment) -> int:
        info = self.model_info(deployment)
        if info is None:
            return 0
        return rerank_cost_micros(info, response.search_units(), response.input_tokens())

    def price_images(
        self, response: ImageResponse, request: ImageGenerationRequest, deployment: Deployment
    ) -> int:
        """Per image at the call's size and quality; else the model's token prices on the reported
        usage (gpt-image models report one)."""
        model = self.adapter(deployment).catalog_model(deployment)
        if deployment.prices is not None:  # the deployment's own prices replace the catalog's
            each = deployment.prices.per_image
        else:
            each = image_price_picos(self.catalog, model, deployment.provider, request.size, request.quality)
        if each is not None:
            return picos_to_micros(each * len(response.data))
        usage = response.usage
        if usage is None:
            return 0
        return self.price(
            Usage(
                prompt_tokens=usage.input_tokens,
                completion_tokens=usage.output_tokens,
                total_tokens=usage.total_tokens,
            ),
            deployment,
        )

    async def send(
        self, adapter: Provider, request: HttpRequest, deployment: Deployment, timeout: float | None
    ) -> HttpResponse:
        """One prepared exchange with no canonical type of its own (Anthropic's count_tokens): sent
        with the deployment's credentials and timeout, an error answer raised as an LLMError."""
        return await self._send(adapter, request, deployment, timeout)

    # ---- the one entry per shape, by operation (the router's and the SDK's seam)
    async def answer(
        self,
        operation: Operation[Q, R],
        request: Q,
        deployment: Deployment,
        *,
        drop_params: bool,
        timeout: float | None,
    ) -> R:
        """One attempt of a call answered in one piece."""
        name = operation.name
        if name == "chat":
            return await self.chat(request, deployment, drop_params=drop_params, timeout=timeout)  # type: ignore[arg-type, return-value]
        if name == "text_completion":
            return await self.text_completion(request, deployment, drop_params=drop_params, timeout=timeout)  # type: ignore[arg-type, return-value]
        if name == "embedding":
            return await self.embedding(request, deployment, timeout=timeout)  # type: ignore[arg-type, return-value]
        if name == "rerank":
            return await self.rerank(request, deployment, timeout=timeout)  # type: ignore[arg-type, return-value]
        if name == "moderation":
            return await self.moderation(request, deployment, timeout=timeout)  # type: ignore[arg-type, return-value]
        if name == "image_generation":
            return await self.image_generation(request, deployment, timeout=timeout)  # type: ignore[arg-type, return-value]
        raise InternalServerError(f"the engine has no path for operation {name!r}")

    async def open_stream(
        self,
        operation: Operation[Q, Any],
        request: Q,
        deployment: Deployment,
        *,
        drop_params: bool,
        timeout: float | None,
        stream_timeouts: StreamTimeouts = NO_STREAM_TIMEOUTS,
    ) -> ChatStream | TextStream:
        """One streaming attempt of a call whose operation streams: failures up to the first chunk
        raise here."""
        if operation.name == "chat":
            return await self.chat_stream(
                request, deployment, drop_params=drop_params, timeout=timeout,  # type: ignore[arg-type]
                stream_timeouts=stream_timeouts,
            )  # fmt: skip
        if operation.name == "text_completion":
            return await self.text_completion_stream(
                request, deployment, drop_params=drop_params, timeout=timeout,  # type: ignore[arg-type]
                stream_timeouts=stream_timeouts,
            )  # fmt: skip
        raise InternalServerError(f"operation {operation.name!r} does not stream")

    # ---- chat
    async def chat(
        self, request: ChatRequest, deployment: Deployment, *, drop_params: bool, timeout: float | None
    ) -> ChatResponse:
        # the hottest call: its errors are scrubbed here, inline (as _scrubs_errors does for the
        # others), which costs nothing until one is raised; a wrapper would add a frame per call
        try:
            if deployment.defaults is not None:
                request = with_defaults(request, deployment.defaults)
            if deployment.mock_response is not None:
                mocked = mock_answer(request, deployment)
                self._annotate(mocked, deployment, self.price(mocked.usage, deployment))
                hidden_params(mocked)["mock"] = True
                return mocked
            adapter = self.adapter(deployment)
            request = adapter.check_params(request, drop_params or bool(deployment.drop_params))
            http_request = adapter.prepare_chat(request, deployment)
            response = await self._send(adapter, http_request, deployment, timeout)
            result = adapter.parse_chat(response, request)
            self._annotate(result, deployment, self.price(result.usage, deployment))
            return result
        except LLMError as exc:
            self.scrubber(deployment).error(exc)
            raise

    async def chat_stream(
        self,
        request: ChatRequest,
        deployment: Deployment,
        *,
        drop_params: bool,
        timeout: float | None,
        stream_timeouts: StreamTimeouts = NO_STREAM_TIMEOUTS,
    ) -> ChatStream:
        """Open the stream and read its first chunk; failures up to there raise here (so the caller
        can retry). The caller attaches its end-of-stream report with `set_on_finish`."""
        # scrubbed inline, as in chat (no wrapper frame per call)
        try:
            if deployment.defaults is not None:
                request = with_defaults(request, deployment.defaults)
            if deployment.mock_response is not None:
                mocked = await mock_stream(request, deployment, lambda usage: self.price(usage, deployment))
                mocked.hidden_params.update(_deployment_params(deployment))
                return mocked
            adapter = self.adapter(deployment)
            request = adapter.check_params(request, drop_params or bool(deployment.drop_params))
            http_request = adapter.prepare_chat(request, deployment)
            started = time.monotonic()
            if not http_request.stream:
                # the stream's URL comes in a first JSON answer (Replicate's prediction): ask for it first
                http_request = await self._stream_request(adapter, http_request, deployment, timeout)
            upstream = await self._open_stream(adapter, http_request, deployment, timeout, stream_timeouts)
            decoder = adapter.chat_stream_decoder(request)
            tap = ByteTap(upstream.iter_bytes())
            raw = None
            dialect = getattr(decoder, "wire_dialect", None)
            if dialect is not None:
                # the bytes are in a dialect a client may speak: a gateway can relay them as they are
                raw = RawUpstream(
                    tap,
                    dialect,
                    lambda: adapter.chat_stream_decoder(request),
                    provider=adapter.name,
                    model=deployment.model,
                )
            stream = ChatStream(
                decode_stream(tap, decoder, adapter.name, deployment.model),
                request,
                started=started,
                price=lambda usage: self.price(usage, deployment),
                close=upstream.aclose,
                raw=raw,
                scrub=lambda error: self.scrubber(deployment).error(error),  # built only on error
            )
            stream.hidden_params.update(_deployment_params(deployment))
            await stream.prefetch()
            return stream
        except LLMError as exc:
            self.scrubber(deployment).error(exc)
            raise

    # ---- embeddings and text completions
    @_scrubs_errors
    async def embedding(
        self, request: EmbeddingRequest, deployment: Deployment, *, timeout: float | None
    ) -> EmbeddingResponse:
        self.input_limits.check_embedding(request)
        refuse_mocked(deployment, "embeddings")
        adapter = self.adapter(deployment)
        http_request = adapter.prepare_embedding(request, deployment)
        response = await self._send(adapter, http_request, deployment, timeout)
        result = adapter.parse_embedding(response, request)
        self._annotate(result, deployment, self.price(result.usage.as_usage(), deployment))
        return result

    # ---- rerank, moderations, image generation: one exchange each
    @_scrubs_errors
    async def rerank(
        self, request: RerankRequest, deployment: Deployment, *, timeout: float | None
    ) -> RerankResponse:
        self.input_limits.check_rerank(request)
        refuse_mocked(deployment, "rerank")
        adapter = self.adapter(deployment)
        http_request = adapter.prepare_rerank(request, deployment)
        response = await self._send(adapter, http_request, deployment, timeout)
        result = adapter.parse_rerank(response, request)
        self._annotate(result, deployment, self.price_rerank(result, deployment))
        return result

    @_scrubs_errors
    async def moderation(
        self, request: ModerationRequest, deployment: Deployment, *, timeout: float | None
    ) -> ModerationResponse:
        self.input_limits.check_moderation(request)
        refuse_mocked(deployment, "moderations")
        adapter = self.adapter(deployment)
        http_request = adapter.prepare_moderation(request, deployment)
        response = await self._send(adapter, http_request, deployment, timeout)
        result = adapter.parse_moderation(response, request)
        # free at OpenAI; a price registered for the model applies to the input's text tokens
        info = self.model_info(deployment)
        micros = 0
        if info is not None and info.input:
            tokens = sum(count_text(text) for text in request.texts())
            micros = cost_micros(Usage(prompt_tokens=tokens, total_tokens=tokens), info)
        self._annotate(result, deployment, micros)
        return result

    @_scrubs_errors
    async def image_generation(
        self, request: ImageGenerationRequest, deployment: Deployment, *, timeout: float | None
    ) -> ImageResponse:
        refuse_mocked(deployment, "image generation")
        adapter = self.adapter(deployment)
        http_request = adapter.prepare_image_generation(request, deployment)
        response = await self._send(adapter, http_request, deployment, timeout)
        result = adapter.parse_image_generation(response, request)
        self._annotate(result, deployment, self.price_images(result, request, deployment))
        return result

    @_scrubs_errors
    async def text_completion(
        self,
        request: TextCompletionRequest,
        deployment: Deployment,
        *,
        drop_params: bool,
        timeout: float | None,
    ) -> TextCompletionResponse:
        """A provider without a completions endpoint is asked through its chat API instead (and so
        is a mock deployment)."""
        self.input_limits.check_text_completion(request)
        adapter = self.adapter(deployment)
        request = with_defaults(request, deployment.defaults)
        if not adapter.supports_text_completion or deployment.mock_response is not None:
            chat = await self.chat(
                text_request_to_chat(request), deployment, drop_params=drop_params, timeout=timeout
            )
            via_chat = chat_to_text_response(chat)
            via_chat._hidden_params = hidden_params(chat)  # type: ignore[attr-defined]
            return via_chat
        http_request = adapter.prepare_text_completion(request, deployment)
        response = await self._send(adapter, http_request, deployment, timeout)
        result = adapter.parse_text_completion(response, request)
        self._annotate(result, deployment, self.price(result.usage, deployment))
        return result

    @_scrubs_errors
    async def text_completion_stream(
        self,
        request: TextCompletionRequest,
        deployment: Deployment,
        *,
        drop_params: bool,
        timeout: float | None,
        stream_timeouts: StreamTimeouts = NO_STREAM_TIMEOUTS,
    ) -> TextStream:
        """As `chat_stream`, for text completions: failures up to the first chunk raise here. A
        provider without a completions endpoint (or a mock deployment) is streamed through chat."""
        self.input_limits.check_text_completion(request)
        adapter = self.adapter(deployment)
        request = with_defaults(request, deployment.defaults)
        if not adapter.supports_text_completion or deployment.mock_response is not None:
            chat_request = msgspec.structs.replace(
                text_request_to_chat(request), stream=True, stream_options=request.stream_options
            )
            chat = await self.chat_stream(
                chat_request, deployment, drop_params=drop_params, timeout=timeout,
                stream_timeouts=stream_timeouts,
            )  # fmt: skip
            return TextStream(chat, request)
        if not request.stream:
            request = msgspec.structs.replace(request, stream=True)
        http_request = adapter.prepare_text_completion(request, deployment)
        started = time.monotonic()
        upstream = await self._open_stream(adapter, http_request, deployment, timeout, stream_timeouts)
        decoder = adapter.text_stream_decoder(request)
        chat = ChatStream(
            decode_text_stream(upstream.iter_bytes(), decoder, adapter.name, deployment.model),
            bookkeeping_request(request),
            started=started,
            price=lambda usage: self.price(usage, deployment),
            close=upstream.aclose,
            scrub=lambda error: self.scrubber(deployment).error(error),  # built only on error
        )
        chat.hidden_params.update(_deployment_params(deployment))
        await chat.prefetch()
        return TextStream(chat, request)

    # ---- plumbing
    def scrubber(self, deployment: Deployment) -> Scrubber:
        """What scrubs this deployment's upstream error text: its secrets and hosts (core/scrub.py),
        with the key and endpoint its adapter resolves (from the environment, or defaults)."""
        try:
            adapter = self.adapter(deployment)
        except LLMError:
            # no such provider: nothing was sent; the deployment's configured values still count
            return Scrubber.for_deployment(deployment)
        return Scrubber.for_deployment(
            deployment,
            api_key=_resolved(adapter.api_key, deployment),
            api_base=_resolved(adapter.api_base, deployment),
        )

    async def _open_stream(
        self,
        adapter: Provider,
        request: HttpRequest,
        deployment: Deployment,
        timeout: float | None,
        stream_timeouts: StreamTimeouts,
    ) -> StreamingResponse:
        """The upstream's response head; an error status raises the provider's error."""
        first_wait = stream_timeouts.first_token or _timeout(timeout, deployment)

        def open_stream(authorized: HttpRequest) -> Awaitable[StreamingResponse]:
            return self.transport.open_stream(
                authorized, connect_timeout=first_wait, read_timeout=stream_timeouts.between_chunks
            )

        grant = adapter.token_grant(deployment)
        try:
            if grant is None:
                upstream = await open_stream(request)
            else:
                upstream = await self._authorized(
                    adapter, grant, request, first_wait, open_stream, _refused_stream
                )
        except LLMError as exc:
            exc.provider, exc.model = adapter.name, deployment.model
            raise
        if upstream.status >= 400:
            try:
                body = await upstream.read()
            finally:
                await upstream.aclose()
            raise self._error(adapter, upstream.status, upstream.headers, body, deployment)
        return upstream

    async def _send(
        self, adapter: Provider, request: HttpRequest, deployment: Deployment, timeout: float | None
    ) -> HttpResponse:
        """The answer to `request`, after the follow-ups (polls) the adapter asks for."""
        outcome = await self._exchange(adapter, request, deployment, timeout)
        if isinstance(outcome, HttpRequest):
            raise self._stray_stream(adapter, deployment)
        return outcome

    async def _stream_request(
        self, adapter: Provider, request: HttpRequest, deployment: Deployment, timeout: float | None
    ) -> HttpRequest:
        """The stream request that the exchanges starting with `request` lead to."""
        outcome = await self._exchange(adapter, request, deployment, timeout)
        if isinstance(outcome, HttpResponse):
            raise InternalServerError(
                f"provider {adapter.name!r} answered without a stream to read",
                provider=adapter.name,
                model=deployment.model,
            )
        return outcome

    async def _exchange(
        self, adapter: Provider, request: HttpRequest, deployment: Deployment, timeout: float | None
    ) -> HttpResponse | HttpRequest:
        """Send `request`, then each follow-up the adapter asks for, all within the call's timeout;
        the last response, or the stream request the follow-ups end with (for the caller to open)."""
        budget = _timeout(timeout, deployment)
        deadline = time.monotonic() + budget
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Timeout(f"no answer within {budget}s", provider=adapter.name, model=deployment.model)
            response = await self._send_once(adapter, request, deployment, remaining)
            follow = adapter.follow_up(response, request, deployment)
            if follow is None:
                return response
            if follow.request.stream:
                return follow.request
            if follow.delay > 0:
                # a job still running: wait as the adapter asks, never past the deadline
                await asyncio.sleep(min(follow.delay, max(0.0, deadline - time.monotonic())))
            request = follow.request

    async def _send_once(
        self, adapter: Provider, request: HttpRequest, deployment: Deployment, timeout: float
    ) -> HttpResponse:
        grant = adapter.token_grant(deployment)
        try:
            if grant is None:
                response = await self.transport.send(request, timeout)
            else:
                response = await self._authorized(
                    adapter, grant, request, timeout, lambda r: self.transport.send(r, timeout), _refused
                )
        except LLMError as exc:
            exc.provider, exc.model = adapter.name, deployment.model
            raise
        if response.status >= 400:
            raise self._error(adapter, response.status, response.headers, response.body, deployment)
        return response

    async def _authorized(
        self,
        adapter: Provider,
        grant: TokenGrant,
        request: HttpRequest,
        wait: float | None,
        send: Callable[[HttpRequest], Awaitable[R]],
        refused: Callable[[R], Awaitable[bool]],
    ) -> R:
        """Send `request` with the token `grant` yields. A cached token the upstream refuses (a 401,
        told by `refused`) before its time — revoked, clock skew — is dropped and the request sent once
        more with a fresh one; a freshly minted token refused is the caller's error."""
        token, fresh = await self.tokens.token(grant, wait)
        result = await send(adapter.authorize(request, token))
        if fresh or not await refused(result):
            return result
        self.tokens.invalidate(grant, token)
        token, _ = await self.tokens.token(grant, wait)
        return await send(adapter.authorize(request, token))

    @staticmethod
    def _stray_stream(adapter: Provider, deployment: Deployment) -> LLMError:
        return InternalServerError(
            f"provider {adapter.name!r} asked to open a stream in a call that does not stream",
            provider=adapter.name,
            model=deployment.model,
        )

    @staticmethod
    def _error(adapter: Provider, status: int, headers: Any, body: bytes, deployment: Deployment) -> LLMError:
        error = adapter.classify_error(status, headers, body)
        error.provider = adapter.name
        error.model = deployment.model
        return error

    @staticmethod
    def _annotate(result: Any, deployment: Deployment, micros: int) -> None:
        params = hidden_params(result)
        params.update(_deployment_params(deployment))
        params["cost_micros"] = micros
        params["response_cost"] = micros / 1_000_000


async def _refused(response: HttpResponse) -> bool:
    return response.status == 401


async def _refused_stream(upstream: StreamingResponse) -> bool:
    """A 401 head: the response is released, as the request will be sent again."""
    if upstream.status != 401:
        return False
    await upstream.aclose()
    return True


def _resolved(resolve: Callable[[Deployment], str], deployment: Deployment) -> str | None:
    """An adapter's key or endpoint for `deployment`, None when it has none (the call failed for
    that very reason, before sending anything)."""
    try:
        return resolve(deployment)
    except LLMError:
        return None


def _timeout(timeout: float | None, deployment: Deployment) -> float:
    if timeout is not None:
        return timeout
    return deployment.timeout if deployment.timeout is not None else DEFAULT_TIMEOUT


def _deployment_params(deployment: Deployment) -> dict[str, Any]:
    return {
        "provider": deployment.provider,
        "model": deployment.qualified_model,
        "deployment_id": deployment.id,
        "model_group": deployment.model_name,
        "api_base": deployment.api_base,
    }
