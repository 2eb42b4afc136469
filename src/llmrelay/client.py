"""The SDK: `Client` owns its transport pools, provider adapters, catalog and callbacks; the
module-level `completion()` & co. use one default Client created on first use.

Async is the source of truth; every sync method runs its async twin on the client's loop thread."""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from llmrelay.core.engine import Engine, StreamTimeouts
from llmrelay.core.loop_thread import LoopThread
from llmrelay.core.mock import mock_chat_chunks, mock_chat_response
from llmrelay.core.requests import build_request
from llmrelay.core.resolve import resolve_deployment
from llmrelay.core.retry import backoff_delay, should_retry
from llmrelay.core.streaming import ChatStream, SyncChatStream
from llmrelay.core.text_via_chat import chat_to_text_response, text_request_to_chat
from llmrelay.cost.catalog import Catalog
from llmrelay.events.callbacks import CallbackDispatcher
from llmrelay.events.record import CallRecord
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.transport.http import HttpTransport
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest, TextCompletionResponse
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest, EmbeddingResponse
from llmrelay.types.errors import LLMError
from llmrelay.types.response import ChatResponse, Usage, hidden_params

T = TypeVar("T")


class _Call:
    """Bookkeeping for one logical call: ids, clocks, attempts."""

    __slots__ = ("attempts", "call_id", "call_type", "metadata", "model", "started_mono", "started_wall")

    def __init__(self, call_type: str, model: str, metadata: dict[str, Any] | None) -> None:
        self.call_id = uuid.uuid4().hex
        self.call_type = call_type
        self.model = model
        self.metadata = metadata
        self.started_wall = time.time()
        self.started_mono = time.monotonic()
        self.attempts = 0


class Client:
    """One door to every provider. Two clients share nothing: not pools, not callbacks, not prices."""

    def __init__(
        self,
        *,
        callbacks: Sequence[Any] = (),
        drop_params: bool = False,
        num_retries: int = 0,
        timeout: float | None = None,
        catalog: Catalog | None = None,
        transport: HttpTransport | None = None,
    ) -> None:
        self.drop_params = drop_params
        self.num_retries = num_retries
        self.timeout = timeout
        self.catalog = catalog or Catalog()
        self.registry = ProviderRegistry()
        self.engine = Engine(transport or HttpTransport(), self.registry, self.catalog)
        self._loop_thread = LoopThread()
        self._callbacks = list(callbacks)
        self._dispatcher: CallbackDispatcher | None = None

    # ---- callbacks
    @property
    def callbacks(self) -> list[Any]:
        return self._callbacks

    def add_callback(self, callback: Any) -> None:
        self._callbacks.append(callback)

    def _emit(self, hook: str, record: CallRecord) -> None:
        if not self._callbacks:
            return
        if self._dispatcher is None:
            self._dispatcher = CallbackDispatcher(self._callbacks, self._loop_thread.loop)
        self._dispatcher.emit(hook, record)

    def flush_callbacks(self, timeout: float = 10.0) -> None:
        """Block until every reported call has reached the callbacks (for tests and short scripts)."""
        if self._dispatcher is not None:
            self._loop_thread.run(self._dispatcher.join(), timeout)

    async def aflush_callbacks(self) -> None:
        if self._dispatcher is not None:
            fut = asyncio.run_coroutine_threadsafe(self._dispatcher.join(), self._loop_thread.loop)
            await asyncio.wrap_future(fut)

    def _record(
        self,
        call: _Call,
        deployment: Deployment | None,
        *,
        usage: Usage | None = None,
        cost: int = 0,
        error: LLMError | None = None,
        stream: bool = False,
        ttft: float | None = None,
        request: Any = None,
        response: Any = None,
    ) -> CallRecord:
        now = time.monotonic()
        return CallRecord(
            call_id=call.call_id,
            call_type=call.call_type,
            model=call.model,
            provider=deployment.provider if deployment else None,
            deployment=(deployment.id or deployment.qualified_model) if deployment else None,
            start_time=call.started_wall,
            end_time=call.started_wall + (now - call.started_mono),
            latency_s=now - call.started_mono,
            stream=stream,
            time_to_first_token_s=ttft,
            usage=usage,
            cost_micros=cost,
            error=error,
            metadata=call.metadata,
            model_group=deployment.model_name if deployment else None,
            attempts=max(1, call.attempts),
            request=request,
            response=response,
        )

    # ---- retries
    async def _with_retries(self, call: _Call, num_retries: int, attempt: Callable[[], Awaitable[T]]) -> T:
        while True:
            call.attempts += 1
            try:
                return await attempt()
            except LLMError as exc:
                if call.attempts > num_retries or not should_retry(exc):
                    raise
                await asyncio.sleep(backoff_delay(call.attempts, exc))

    def _deployment(self, model: str, opts: dict[str, Any]) -> Deployment:
        return resolve_deployment(model, self.registry, self.catalog, **opts)

    # ---- chat
    async def acompletion(
        self,
        model: str,
        messages: list[Any],
        *,
        stream: bool = False,
        api_key: str | None = None,
        api_base: str | None = None,
        base_url: str | None = None,
        api_version: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        num_retries: int | None = None,
        extra_headers: dict[str, str] | None = None,
        organization: str | None = None,
        drop_params: bool | None = None,
        mock_response: str | Exception | None = None,
        stream_timeouts: StreamTimeouts | None = None,
        **params: Any,
    ) -> ChatResponse | ChatStream:
        """A chat completion from any provider; `stream=True` returns an async iterator of chunks."""
        params.update(model=model, messages=messages, stream=stream or None)
        request = build_request(ChatRequest, params)
        call = _Call("completion", model, request.metadata)
        deployment = self._deployment(
            model,
            dict(
                api_key=api_key,
                api_base=api_base or base_url,
                api_version=api_version,
                timeout=timeout,
                extra_headers=extra_headers,
                organization=organization,
            ),
        )
        if mock_response is not None:
            return await self._mock(call, request, deployment, mock_response)
        drop = self.drop_params if drop_params is None else drop_params
        retries = _first(num_retries, max_retries, self.num_retries)
        call_timeout = timeout if timeout is not None else self.timeout
        try:
            if stream:
                return await self._with_retries(
                    call,
                    retries,
                    lambda: self.engine.chat_stream(
                        request,
                        deployment,
                        drop_params=drop,
                        timeout=call_timeout,
                        stream_timeouts=stream_timeouts or StreamTimeouts(),
                        on_finish=lambda s, err: self._stream_done(call, deployment, s, err),
                    ),
                )
            response: ChatResponse = await self._with_retries(
                call,
                retries,
                lambda: self.engine.chat(request, deployment, drop_params=drop, timeout=call_timeout),
            )
        except LLMError as exc:
            self._emit(
                "on_failure", self._record(call, deployment, error=exc, stream=stream, request=request)
            )
            raise
        cost = hidden_params(response)["cost_micros"]
        hidden_params(response)["attempts"] = call.attempts
        self._emit(
            "on_success",
            self._record(
                call, deployment, usage=response.usage, cost=cost, request=request, response=response
            ),
        )
        return response

    def _stream_done(
        self, call: _Call, deployment: Deployment, stream: ChatStream, error: LLMError | None
    ) -> None:
        record = self._record(
            call,
            deployment,
            usage=stream.usage,
            cost=stream.cost_micros,
            error=error,
            stream=True,
            ttft=stream.time_to_first_token,
            request=stream.request,
            response=stream.response() if self._callbacks else None,
        )
        self._emit("on_failure" if error else "on_stream_complete", record)

    async def _mock(
        self, call: _Call, request: ChatRequest, deployment: Deployment, mock: str | Exception
    ) -> ChatResponse | ChatStream:
        if isinstance(mock, Exception):
            error = mock if isinstance(mock, LLMError) else LLMError(str(mock))
            self._emit("on_failure", self._record(call, deployment, error=error, request=request))
            raise mock
        if request.stream:
            stream = ChatStream(
                mock_chat_chunks(request, mock),
                request,
                started=call.started_mono,
                price=lambda usage: self.engine.price(usage, deployment),
                on_finish=lambda s, err: self._stream_done(call, deployment, s, err),
            )
            await stream.prefetch()
            return stream
        response = mock_chat_response(request, mock)
        cost = self.engine.price(response.usage, deployment)
        hidden_params(response).update(cost_micros=cost, response_cost=cost / 1e6, mock=True)
        self._emit(
            "on_success",
            self._record(
                call, deployment, usage=response.usage, cost=cost, request=request, response=response
            ),
        )
        return response

    def completion(self, model: str, messages: list[Any], **kwargs: Any) -> ChatResponse | SyncChatStream:
        result = self._loop_thread.run(self.acompletion(model, messages, **kwargs))
        if isinstance(result, ChatStream):
            return SyncChatStream(result, self._loop_thread)
        return result

    # ---- embeddings
    async def aembedding(
        self,
        model: str,
        input: str | list[Any],
        *,
        api_key: str | None = None,
        api_base: str | None = None,
        api_version: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        num_retries: int | None = None,
        extra_headers: dict[str, str] | None = None,
        metadata: dict[str, Any] | None = None,
        **params: Any,
    ) -> EmbeddingResponse:
        params.update(model=model, input=input)
        request = build_request(EmbeddingRequest, params)
        call = _Call("embedding", model, metadata)
        deployment = self._deployment(
            model,
            dict(api_key=api_key, api_base=api_base, api_version=api_version, timeout=timeout,
                 extra_headers=extra_headers),
        )  # fmt: skip
        retries = _first(num_retries, max_retries, self.num_retries)
        try:
            response: EmbeddingResponse = await self._with_retries(
                call,
                retries,
                lambda: self.engine.embedding(request, deployment, timeout=timeout or self.timeout),
            )
        except LLMError as exc:
            self._emit("on_failure", self._record(call, deployment, error=exc, request=request))
            raise
        usage = Usage(prompt_tokens=response.usage.prompt_tokens, total_tokens=response.usage.total_tokens)
        self._emit(
            "on_success",
            self._record(
                call, deployment, usage=usage, cost=hidden_params(response)["cost_micros"],
                request=request, response=response,
            ),
        )  # fmt: skip
        return response

    def embedding(self, model: str, input: str | list[Any], **kwargs: Any) -> EmbeddingResponse:
        return self._loop_thread.run(self.aembedding(model, input, **kwargs))

    # ---- legacy text completions
    async def atext_completion(
        self,
        model: str,
        prompt: str | list[Any],
        *,
        api_key: str | None = None,
        api_base: str | None = None,
        api_version: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        num_retries: int | None = None,
        extra_headers: dict[str, str] | None = None,
        metadata: dict[str, Any] | None = None,
        **params: Any,
    ) -> TextCompletionResponse:
        """Legacy completions. Providers without a completions endpoint are served through chat.
        (Streaming text completions are not offered by the SDK yet.)"""
        params.update(model=model, prompt=prompt)
        request = build_request(TextCompletionRequest, params)
        call = _Call("text_completion", model, metadata)
        deployment = self._deployment(
            model,
            dict(api_key=api_key, api_base=api_base, api_version=api_version, timeout=timeout,
                 extra_headers=extra_headers),
        )  # fmt: skip
        retries = _first(num_retries, max_retries, self.num_retries)
        adapter = self.engine.adapter(deployment)
        call_timeout = timeout or self.timeout

        async def attempt() -> TextCompletionResponse:
            if adapter.supports_text_completion:
                return await self.engine.text_completion(request, deployment, timeout=call_timeout)
            chat = await self.engine.chat(
                text_request_to_chat(request), deployment, drop_params=self.drop_params, timeout=call_timeout
            )
            result = chat_to_text_response(chat)
            result._hidden_params = hidden_params(chat)  # type: ignore[attr-defined]
            return result

        try:
            response: TextCompletionResponse = await self._with_retries(call, retries, attempt)
        except LLMError as exc:
            self._emit("on_failure", self._record(call, deployment, error=exc, request=request))
            raise
        self._emit(
            "on_success",
            self._record(
                call, deployment, usage=response.usage, cost=hidden_params(response)["cost_micros"],
                request=request, response=response,
            ),
        )  # fmt: skip
        return response

    def text_completion(self, model: str, prompt: str | list[Any], **kwargs: Any) -> TextCompletionResponse:
        return self._loop_thread.run(self.atext_completion(model, prompt, **kwargs))

    # ---- lifecycle
    async def aclose(self) -> None:
        """Close the pools of the running loop and of the client's own loop thread."""
        await self.engine.transport.aclose_current_loop()
        if self._loop_thread.started:
            fut = asyncio.run_coroutine_threadsafe(self._close_on_thread(), self._loop_thread.loop)
            await asyncio.wrap_future(fut)

    async def _close_on_thread(self) -> None:
        if self._dispatcher is not None:
            await self._dispatcher.join()
        await self.engine.transport.aclose_current_loop()

    def close(self) -> None:
        if self._loop_thread.started:
            self._loop_thread.run(self._close_on_thread())
            self._loop_thread.stop()


def _first(*values: int | None) -> int:
    # the last value is always set (the client's default)
    return next(v for v in values if v is not None)


@functools.cache
def default_client() -> Client:
    """The Client behind the module-level functions; created on first call, never at import."""
    return Client()
