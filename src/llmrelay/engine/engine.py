"""One attempt of one call against one deployment: prepare → send → parse → price → Served.

The engine neither retries nor reports; the Client and the Router wrap it with their own policies
and emit one CallRecord per logical call. Its two entries take an `Operation` (calls/operation.py):
the adapter's codec table prepares and parses it, the row prices it, and what only some call types
have (input checks, mock answers, streams) is an engine row (codecs.py), so every call type runs
the same path here."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, overload

from llmrelay.calls.context import NO_STREAM_TIMEOUTS, StreamTimeouts
from llmrelay.calls.operation import Operation
from llmrelay.calls.served import attach_served
from llmrelay.core.deployment_mock import refuse_mocked
from llmrelay.core.input_limits import InputLimits
from llmrelay.core.scrub import Scrubber
from llmrelay.core.streaming import ChatStream
from llmrelay.core.text_stream import TextStream
from llmrelay.cost.catalog import Catalog, ModelInfo
from llmrelay.engine.codecs import ENGINE_ROWS, PLAIN_ROW, engine_row
from llmrelay.engine.exchange import Exchange, stray_stream
from llmrelay.engine.pricing import DeploymentPrices, Pricer
from llmrelay.engine.served import served_by
from llmrelay.providers.base import Provider
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.transport.http import HttpTransport
from llmrelay.types.call_defaults import with_defaults
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest, TextCompletionResponse
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import InternalServerError, LLMError
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.response import ChatResponse, Usage

Q = TypeVar("Q")
R = TypeVar("R")


class Engine:
    def __init__(
        self,
        transport: HttpTransport,
        registry: ProviderRegistry,
        catalog: Catalog,
        *,
        input_limits: InputLimits | None = None,
    ) -> None:
        # how many items a list input may hold (embeddings, moderations, rerank documents)
        self.input_limits = input_limits if input_limits is not None else InputLimits()
        self.registry = registry
        self.catalog = catalog
        self.pricer = Pricer(registry, catalog)
        self.exchange = Exchange(transport)

    @property
    def transport(self) -> HttpTransport:
        return self.exchange.transport

    @transport.setter
    def transport(self, transport: HttpTransport) -> None:
        """Swap the transport (a bench's canned upstream): the exchanges send through it from now."""
        self.exchange.transport = transport

    def adapter(self, deployment: Deployment) -> Provider:
        return self.registry.get(deployment.provider).for_deployment(deployment)

    def model_info(self, deployment: Deployment) -> ModelInfo | None:
        return self.pricer.model_info(deployment)

    def price(self, usage: Usage | None, deployment: Deployment) -> int:
        return self.pricer.price(usage, deployment)

    async def send(
        self, adapter: Provider, request: HttpRequest, deployment: Deployment, timeout: float | None
    ) -> HttpResponse:
        """One prepared exchange with no canonical type of its own (Anthropic's count_tokens): sent
        with the deployment's credentials and timeout, an error answer raised as an LLMError."""
        return await self.exchange.send(adapter, request, deployment, timeout)

    # ---- the two entries (the router's and the SDK's seam)
    async def answer(
        self,
        operation: Operation[Q, R],
        request: Q,
        deployment: Deployment,
        *,
        drop_params: bool = False,
        timeout: float | None,
    ) -> R:
        """One attempt of a call answered in one piece. Its errors leave with upstream secrets and
        hosts scrubbed from their text: here, where upstream error text enters the process, so
        nothing downstream sees it raw (inline: no wrapper frame on the hottest call)."""
        row = ENGINE_ROWS.get(operation.name, PLAIN_ROW)
        try:
            if row.takes_defaults and deployment.defaults is not None:
                request = with_defaults(request, deployment.defaults)  # type: ignore[type-var]
            if row.check_input is not None:
                row.check_input(self.input_limits, request)
            if deployment.mock_response is not None:
                if row.mocked is None:
                    refuse_mocked(deployment, operation.label)
                else:
                    return await row.mocked(self, request, deployment, drop_params, timeout)  # type: ignore[no-any-return]
            adapter = self.registry.get(deployment.provider).for_deployment(deployment)
            detour = row.detour
            if detour is not None and detour.when(adapter):
                return await detour.path(self, request, deployment, drop_params, timeout)  # type: ignore[no-any-return]
            if row.check_params is not None:
                request = row.check_params(
                    adapter, request, deployment, drop_params or bool(deployment.drop_params)
                )
            # the adapter's codec for this call type; one it does not serve has none
            codec = adapter.codecs.get(operation.name)
            if codec is None:
                raise adapter.unsupported(operation.label)
            response = await self.exchange.exchange(
                adapter, codec.prepare(request, deployment), deployment, timeout
            )
            if isinstance(response, HttpRequest):
                raise stray_stream(adapter, deployment)
            result: R = codec.parse(response, request)
            prices = DeploymentPrices(self.pricer, deployment, adapter)
            attach_served(result, served_by(deployment, operation.price(prices, request, result)))
            return result
        except LLMError as exc:
            self.scrubber(deployment).error(exc)
            raise

    @overload
    def open_stream(
        self,
        operation: Operation[ChatRequest, ChatResponse],
        request: ChatRequest,
        deployment: Deployment,
        *,
        drop_params: bool = ...,
        timeout: float | None,
        stream_timeouts: StreamTimeouts = ...,
    ) -> Coroutine[Any, Any, ChatStream]: ...

    @overload
    def open_stream(
        self,
        operation: Operation[TextCompletionRequest, TextCompletionResponse],
        request: TextCompletionRequest,
        deployment: Deployment,
        *,
        drop_params: bool = ...,
        timeout: float | None,
        stream_timeouts: StreamTimeouts = ...,
    ) -> Coroutine[Any, Any, TextStream]: ...

    @overload
    def open_stream(
        self,
        operation: Operation[Q, Any],
        request: Q,
        deployment: Deployment,
        *,
        drop_params: bool = ...,
        timeout: float | None,
        stream_timeouts: StreamTimeouts = ...,
    ) -> Coroutine[Any, Any, ChatStream | TextStream]: ...

    def open_stream(
        self,
        operation: Operation[Q, Any],
        request: Q,
        deployment: Deployment,
        *,
        drop_params: bool = False,
        timeout: float | None,
        stream_timeouts: StreamTimeouts = NO_STREAM_TIMEOUTS,
    ) -> Coroutine[Any, Any, ChatStream | TextStream]:
        """One streaming attempt of a call whose operation streams, to await: failures up to the
        first chunk raise there, scrubbed as in `answer` (by the row's opener, engine/streams.py:
        the opener's own coroutine is what is awaited, no second frame per stream)."""
        opener = engine_row(operation).opens_stream
        if opener is None:
            raise InternalServerError(f"operation {operation.name!r} does not stream")
        return opener(self, request, deployment, drop_params, timeout, stream_timeouts)

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


def _resolved(resolve: Callable[[Deployment], str], deployment: Deployment) -> str | None:
    """An adapter's key or endpoint for `deployment`, None when it has none (the call failed for
    that very reason, before sending anything)."""
    try:
        return resolve(deployment)
    except LLMError:
        return None
