"""The SDK: `Client` owns its transport pools, provider adapters, catalog and callbacks; the
module-level `completion()` & co. use one default Client created on first use.

Async is the source of truth; every sync method runs its async twin on the client's loop thread."""

from __future__ import annotations

import asyncio
import atexit
import functools
import itertools
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from llmrelay.calls.context import StreamTimeouts
from llmrelay.calls.operation import CHAT, EMBEDDING, IMAGE_GENERATION, MODERATION, RERANK, TEXT_COMPLETION
from llmrelay.core.call_state import CallState
from llmrelay.core.controls import call_with_fallbacks, take_controls
from llmrelay.core.engine import Engine
from llmrelay.core.loop_thread import LoopThread
from llmrelay.core.mock import mock_chat_chunks, mock_chat_response, mock_content
from llmrelay.core.options import CallOptions, call_options, mock_error, take_credentials
from llmrelay.core.requests import build_request
from llmrelay.core.resolve import resolve_deployment
from llmrelay.core.responses_api import ResponsesStream, SyncResponsesStream, run_responses
from llmrelay.core.retry import RetryPolicy, should_retry
from llmrelay.core.streaming import ChatStream, SyncChatStream
from llmrelay.core.text_stream import SyncTextStream, TextStream
from llmrelay.core.usage_of import image_usage, no_usage, rerank_usage
from llmrelay.cost.catalog import Catalog
from llmrelay.events.callbacks import CallbackDispatcher
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.transport.http import HttpTransport
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest, TextCompletionResponse
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest, EmbeddingResponse
from llmrelay.types.errors import LLMError
from llmrelay.types.image import ImageGenerationRequest, ImageResponse
from llmrelay.types.moderation import DEFAULT_MODERATION_MODEL, ModerationRequest, ModerationResponse
from llmrelay.types.rerank import RerankRequest, RerankResponse
from llmrelay.types.response import ChatResponse, Usage, hidden_params
from llmrelay.types.responses import Response

T = TypeVar("T")
R = TypeVar("R", RerankRequest, ModerationRequest, ImageGenerationRequest)
# keyword arguments that steer the call (credentials, endpoint, retries) rather than fill the body
_OPTION_KWARGS = ("api_key", "api_base", "base_url", "api_version", "timeout", "max_retries",
                  "num_retries", "extra_headers", "headers", "organization", "custom_llm_provider",
                  "metadata")  # fmt: skip


class Client:
    """One door to every provider. Two clients share nothing: not pools, not callbacks, not prices.

    `num_retries` and `timeout` are defaults for every call (each call may override them);
    `drop_params=True` drops parameters a provider cannot take instead of raising."""

    def __init__(
        self,
        *,
        callbacks: Sequence[Any] = (),
        drop_params: bool = False,
        num_retries: int = 0,
        timeout: float | None = None,
        retry_policy: RetryPolicy | None = None,
        catalog: Catalog | None = None,
        transport: HttpTransport | None = None,
    ) -> None:
        self.drop_params = drop_params
        self.num_retries = num_retries
        self.timeout = timeout
        self.retry_policy = retry_policy or RetryPolicy()
        self.catalog = catalog or Catalog()
        self.registry = ProviderRegistry()
        self.engine = Engine(transport or HttpTransport(), self.registry, self.catalog)
        # the sync API's loop; callbacks get a loop of their own, so a slow sync callback never
        # holds up a sync call
        self._loop_thread = LoopThread("llmrelay-sdk")
        self._callback_thread = LoopThread("llmrelay-callbacks")
        self._callbacks = list(callbacks)
        self._dispatcher: CallbackDispatcher | None = None
        # call ids: a random prefix per client and a counter (cheaper than a uuid per call)
        self._id_prefix = os.urandom(6).hex()
        self._call_numbers = itertools.count(1)

    # ---- callbacks
    @property
    def callbacks(self) -> list[Any]:
        return self._callbacks

    def add_callback(self, callback: Any) -> None:
        self._callbacks.append(callback)

    def _report(self, hook: str, call: CallState, deployment: Deployment | None, **facts: Any) -> None:
        if not self._callbacks:
            return
        if self._dispatcher is None:
            self._dispatcher = CallbackDispatcher(self._callbacks, self._callback_thread.loop)
        self._dispatcher.emit(hook, call.record(deployment, **facts))

    def flush_callbacks(self, timeout: float = 10.0) -> None:
        """Block until every reported call has reached the callbacks (for tests and short scripts)."""
        if self._dispatcher is not None:
            self._callback_thread.run(self._dispatcher.join(), timeout)

    async def aflush_callbacks(self) -> None:
        if self._dispatcher is not None:
            fut = asyncio.run_coroutine_threadsafe(self._dispatcher.join(), self._callback_thread.loop)
            await asyncio.wrap_future(fut)

    # ---- plumbing shared by every call type
    def _call(self, call_type: str, model: str, metadata: dict[str, Any] | None) -> CallState:
        return CallState(f"{self._id_prefix}-{next(self._call_numbers):x}", call_type, model, metadata)

    def _deployment(
        self, model: str, opts: CallOptions, credentials: dict[str, Any] | None = None
    ) -> Deployment:
        return resolve_deployment(
            model,
            self.registry,
            self.catalog,
            provider=opts.custom_llm_provider,
            api_key=opts.api_key,
            api_base=opts.api_base,
            api_version=opts.api_version,
            timeout=opts.timeout,
            extra_headers=opts.extra_headers,
            organization=opts.organization,
            options=credentials,
        )

    async def _with_retries(
        self,
        call: CallState,
        opts: CallOptions,
        deployment: Deployment,
        request: Any,
        attempt: Callable[[], Awaitable[T]],
        *,
        stream: bool = False,
    ) -> T:
        """Run attempts until one answers or retries run out; the final error is reported, then raised."""
        retries = self.num_retries if opts.num_retries is None else opts.num_retries
        while True:
            call.attempts += 1
            try:
                return await attempt()
            except LLMError as exc:
                if call.attempts > retries or not should_retry(exc):
                    self._report("on_failure", call, deployment, error=exc, stream=stream, request=request)
                    raise
                await asyncio.sleep(self.retry_policy.delay(call.attempts, exc))

    def _report_success(
        self, call: CallState, deployment: Deployment, request: Any, response: Any, usage: Usage | None
    ) -> None:
        if self._callbacks:
            cost = hidden_params(response)["cost_micros"]
            self._report(
                "on_success", call, deployment, usage=usage, cost=cost, request=request, response=response
            )

    def _timeout(self, opts: CallOptions) -> float | None:
        return opts.timeout if opts.timeout is not None else self.timeout

    def _drop(self, opts: CallOptions) -> bool:
        return self.drop_params if opts.drop_params is None else opts.drop_params

    # ---- chat
    async def acompletion(self, model: str, messages: list[Any], **kwargs: Any) -> ChatResponse | ChatStream:
        """A chat completion from any provider; `stream=True` returns an async iterator of chunks.
        Keywords: the call options of `_acompletion` (api_key, timeout, num_retries, mock_response...),
        LiteLLM's per-call controls (fallbacks, context_window_fallback_dict, mock_testing_fallbacks,
        request_timeout, litellm_metadata, tags, additional_drop_params: core/controls.py), and the
        OpenAI chat fields; unknown ones pass through to the provider in the request body."""
        controls = take_controls(kwargs)
        if controls.mock_timeout:
            kwargs.setdefault("mock_response", "llmrelay.Timeout")
        if controls.stream_timeout is not None:
            kwargs.setdefault("stream_timeouts", StreamTimeouts(first_token=controls.stream_timeout))
        if not controls.wants_fallbacks():
            return await self._acompletion(model, messages, **kwargs)
        return await call_with_fallbacks(
            lambda name, keywords: self._acompletion(name, messages, **keywords), model, kwargs, controls
        )

    async def _acompletion(
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
        headers: dict[str, str] | None = None,
        organization: str | None = None,
        drop_params: bool | None = None,
        custom_llm_provider: str | None = None,
        mock_response: str | ChatResponse | BaseException | None = None,
        stream_timeouts: StreamTimeouts | None = None,
        **params: Any,
    ) -> ChatResponse | ChatStream:
        """One chat completion (no fallbacks). `params` are the OpenAI chat fields (temperature,
        tools, ...); unknown ones pass through to the provider in the request body."""
        opts = call_options(
            api_key=api_key, api_base=api_base, base_url=base_url, api_version=api_version,
            timeout=timeout, max_retries=max_retries, num_retries=num_retries,
            extra_headers=extra_headers, headers=headers, organization=organization,
            drop_params=drop_params, custom_llm_provider=custom_llm_provider,
            mock_response=mock_response, stream_timeouts=stream_timeouts,
        )  # fmt: skip
        params["model"] = model
        params["messages"] = messages
        params["stream"] = stream or None
        credentials = take_credentials(params)
        request = build_request(ChatRequest, params)
        call = self._call("completion", model, request.metadata)
        deployment = self._deployment(model, opts, credentials)
        if opts.mock_response is not None:
            return await self._mock(call, request, deployment, opts.mock_response)
        drop, call_timeout = self._drop(opts), self._timeout(opts)
        timeouts = opts.stream_timeouts or StreamTimeouts()
        return await self._dispatch(  # type: ignore[no-any-return]
            call, opts, deployment, request, stream,
            lambda: self.engine.answer(CHAT, request, deployment, drop_params=drop, timeout=call_timeout),
            lambda: self.engine.open_stream(
                CHAT, request, deployment, drop_params=drop, timeout=call_timeout, stream_timeouts=timeouts
            ),
        )  # fmt: skip

    async def _dispatch(
        self,
        call: CallState,
        opts: CallOptions,
        deployment: Deployment,
        request: Any,
        stream: bool,
        send: Callable[[], Awaitable[Any]],
        open_stream: Callable[[], Awaitable[Any]],
    ) -> Any:
        """One call with the client's retries: a stream reports its end when it ends; a whole answer
        is reported now, with the attempts it took."""
        if stream:
            streamed = await self._with_retries(call, opts, deployment, request, open_stream, stream=True)
            streamed.set_on_finish(lambda s, err: self._stream_done(call, deployment, s, err))
            return streamed
        response = await self._with_retries(call, opts, deployment, request, send)
        hidden_params(response)["attempts"] = call.attempts
        self._report_success(call, deployment, request, response, response.usage)
        return response

    def _stream_done(
        self, call: CallState, deployment: Deployment, stream: ChatStream | TextStream, error: LLMError | None
    ) -> None:
        if not self._callbacks:
            return
        self._report(
            "on_failure" if error else "on_stream_complete", call, deployment,
            usage=stream.usage, cost=stream.cost_micros, error=error, stream=True,
            ttft=stream.time_to_first_token, request=stream.request, response=stream.response(),
        )  # fmt: skip

    async def _mock(
        self, call: CallState, request: ChatRequest, deployment: Deployment, mock: Any
    ) -> ChatResponse | ChatStream:
        """An answer (or error) shaped exactly like a real one, without a network; priced and
        reported to callbacks like a real call."""
        call.attempts = 1
        raised = mock_error(mock, request.model)
        if raised is not None:
            error = raised if isinstance(raised, LLMError) else LLMError(str(raised), model=request.model)
            self._report(
                "on_failure", call, deployment, error=error, stream=bool(request.stream), request=request
            )
            raise raised
        content = mock_content(mock)
        if request.stream:
            stream = ChatStream(
                mock_chat_chunks(request, content),
                request,
                started=call.started_mono,
                price=lambda usage: self.engine.price(usage, deployment),
            )
            stream.hidden_params["mock"] = True
            await stream.prefetch()
            stream.set_on_finish(lambda s, err: self._stream_done(call, deployment, s, err))
            return stream
        response = mock if isinstance(mock, ChatResponse) else mock_chat_response(request, content)
        cost = self.engine.price(response.usage, deployment)
        hidden_params(response).update(cost_micros=cost, response_cost=cost / 1e6, mock=True, attempts=1)
        self._report_success(call, deployment, request, response, response.usage)
        return response

    def completion(self, model: str, messages: list[Any], **kwargs: Any) -> ChatResponse | SyncChatStream:
        """The sync twin of `acompletion` (run on the client's loop thread)."""
        result = self._loop_thread.run(self.acompletion(model, messages, **kwargs))
        if isinstance(result, ChatStream):
            return SyncChatStream(result, self._loop_thread)
        return result

    # ---- Responses API
    async def aresponses(
        self, model: str, input: str | list[Any], *, stream: bool = False, **params: Any
    ) -> Response | ResponsesStream:
        """OpenAI's Responses API over any provider: the Responses fields (instructions, tools,
        text, reasoning, max_output_tokens, ...) are translated to a chat call; other keywords are
        `acompletion`'s (api_key, api_base, timeout, ...). `stream=True` returns an async iterator of
        Responses stream events. Stateless: previous_response_id is refused."""
        return await run_responses(self.acompletion, model, input, stream, params)

    def responses(self, model: str, input: str | list[Any], **kwargs: Any) -> Response | SyncResponsesStream:
        """The sync twin of `aresponses` (run on the client's loop thread)."""
        result = self._loop_thread.run(self.aresponses(model, input, **kwargs))
        if isinstance(result, ResponsesStream):
            return SyncResponsesStream(result, self._loop_thread)
        return result

    # ---- embeddings
    async def aembedding(
        self,
        model: str,
        input: str | list[Any],
        *,
        api_key: str | None = None,
        api_base: str | None = None,
        base_url: str | None = None,
        api_version: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        num_retries: int | None = None,
        extra_headers: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        organization: str | None = None,
        custom_llm_provider: str | None = None,
        metadata: dict[str, Any] | None = None,
        **params: Any,
    ) -> EmbeddingResponse:
        take_controls(params).refuse_fallbacks("embedding")
        metadata = params.pop("metadata", metadata)
        timeout = params.pop("timeout", timeout)
        opts = call_options(
            api_key=api_key, api_base=api_base, base_url=base_url, api_version=api_version,
            timeout=timeout, max_retries=max_retries, num_retries=num_retries,
            extra_headers=extra_headers, headers=headers, organization=organization,
            custom_llm_provider=custom_llm_provider, metadata=metadata,
        )  # fmt: skip
        params["model"] = model
        params["input"] = input
        credentials = take_credentials(params)
        request = build_request(EmbeddingRequest, params)
        call = self._call("embedding", model, metadata)
        deployment = self._deployment(model, opts, credentials)
        call_timeout = self._timeout(opts)
        response: EmbeddingResponse = await self._with_retries(
            call,
            opts,
            deployment,
            request,
            lambda: self.engine.answer(EMBEDDING, request, deployment, timeout=call_timeout),
        )
        self._report_success(call, deployment, request, response, response.usage.as_usage())
        return response

    def embedding(self, model: str, input: str | list[Any], **kwargs: Any) -> EmbeddingResponse:
        return self._loop_thread.run(self.aembedding(model, input, **kwargs))

    # ---- rerank, moderations, image generation: one exchange each, keyword options as embedding's
    async def arerank(self, model: str, query: str, documents: list[Any], **params: Any) -> RerankResponse:
        """Rank `documents` (strings or objects, see `rank_fields`) by relevance to `query`."""
        params.update(model=model, query=query, documents=documents)
        return await self._one_exchange(
            "rerank",
            RerankRequest,
            model,
            params,
            functools.partial(self.engine.answer, RERANK),
            rerank_usage,
        )

    def rerank(self, model: str, query: str, documents: list[Any], **kwargs: Any) -> RerankResponse:
        return self._loop_thread.run(self.arerank(model, query, documents, **kwargs))

    async def amoderation(
        self, input: str | list[Any], model: str | None = None, **params: Any
    ) -> ModerationResponse:
        """OpenAI's moderations; without `model`, OpenAI's `omni-moderation-latest`."""
        model = model or DEFAULT_MODERATION_MODEL
        params.update(model=model, input=input)
        return await self._one_exchange(
            "moderation",
            ModerationRequest,
            model,
            params,
            functools.partial(self.engine.answer, MODERATION),
            no_usage,
        )

    def moderation(
        self, input: str | list[Any], model: str | None = None, **kwargs: Any
    ) -> ModerationResponse:
        return self._loop_thread.run(self.amoderation(input, model, **kwargs))

    async def aimage_generation(self, prompt: str, model: str, **params: Any) -> ImageResponse:
        params.update(model=model, prompt=prompt)
        return await self._one_exchange(
            "image_generation", ImageGenerationRequest, model, params,
            functools.partial(self.engine.answer, IMAGE_GENERATION), image_usage,
        )  # fmt: skip

    def image_generation(self, prompt: str, model: str, **kwargs: Any) -> ImageResponse:
        return self._loop_thread.run(self.aimage_generation(prompt, model, **kwargs))

    async def _one_exchange(
        self,
        call_type: str,
        cls: type[R],
        model: str,
        params: dict[str, Any],
        send: Callable[..., Awaitable[T]],
        usage_of: Callable[[T], Usage],
    ) -> T:
        take_controls(params).refuse_fallbacks(call_type)
        opts = call_options(**{k: params.pop(k) for k in _OPTION_KWARGS if k in params})
        credentials = take_credentials(params)
        request = build_request(cls, params)
        call = self._call(call_type, model, opts.metadata)
        deployment = self._deployment(model, opts, credentials)
        call_timeout = self._timeout(opts)
        response = await self._with_retries(
            call, opts, deployment, request, lambda: send(request, deployment, timeout=call_timeout)
        )
        self._report_success(call, deployment, request, response, usage_of(response))
        return response

    # ---- legacy text completions
    async def atext_completion(
        self,
        model: str,
        prompt: str | list[Any],
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
        headers: dict[str, str] | None = None,
        organization: str | None = None,
        drop_params: bool | None = None,
        custom_llm_provider: str | None = None,
        metadata: dict[str, Any] | None = None,
        stream_timeouts: StreamTimeouts | None = None,
        **params: Any,
    ) -> TextCompletionResponse | TextStream:
        """Legacy completions; `stream=True` returns an async iterator of text-completion chunks.
        Providers without a completions endpoint are served (and streamed) through chat."""
        controls = take_controls(params)
        controls.refuse_fallbacks("text_completion")
        if stream_timeouts is None and controls.stream_timeout is not None:
            stream_timeouts = StreamTimeouts(first_token=controls.stream_timeout)
        metadata = params.pop("metadata", metadata)
        timeout = params.pop("timeout", timeout)
        opts = call_options(
            api_key=api_key, api_base=api_base, base_url=base_url, api_version=api_version,
            timeout=timeout, max_retries=max_retries, num_retries=num_retries,
            extra_headers=extra_headers, headers=headers, organization=organization,
            drop_params=drop_params, custom_llm_provider=custom_llm_provider, metadata=metadata,
            stream_timeouts=stream_timeouts,
        )  # fmt: skip
        params["model"] = model
        params["prompt"] = prompt
        params["stream"] = stream or None
        credentials = take_credentials(params)
        request = build_request(TextCompletionRequest, params)
        call = self._call("text_completion", model, metadata)
        deployment = self._deployment(model, opts, credentials)
        call_timeout, drop = self._timeout(opts), self._drop(opts)
        timeouts = opts.stream_timeouts or StreamTimeouts()
        return await self._dispatch(  # type: ignore[no-any-return]
            call, opts, deployment, request, stream,
            lambda: self.engine.answer(
                TEXT_COMPLETION, request, deployment, drop_params=drop, timeout=call_timeout
            ),
            lambda: self.engine.open_stream(
                TEXT_COMPLETION, request, deployment,
                drop_params=drop, timeout=call_timeout, stream_timeouts=timeouts,
            ),
        )  # fmt: skip

    def text_completion(
        self, model: str, prompt: str | list[Any], **kwargs: Any
    ) -> TextCompletionResponse | SyncTextStream:
        """The sync twin of `atext_completion` (run on the client's loop thread)."""
        result = self._loop_thread.run(self.atext_completion(model, prompt, **kwargs))
        if isinstance(result, TextStream):
            return SyncTextStream(result, self._loop_thread)
        return result

    # ---- lifecycle
    async def aclose(self) -> None:
        """Close the pools of the running loop and of the client's loop thread; deliver pending
        callback records. Safe to call more than once."""
        await self.engine.transport.aclose_current_loop()
        if self._loop_thread.started:
            fut = asyncio.run_coroutine_threadsafe(
                self.engine.transport.aclose_current_loop(), self._loop_thread.loop
            )
            await asyncio.wrap_future(fut)
        await self._astop_callbacks()

    async def _astop_callbacks(self) -> None:
        dispatcher, self._dispatcher = self._dispatcher, None
        if dispatcher is not None:
            fut = asyncio.run_coroutine_threadsafe(dispatcher.stop(), self._callback_thread.loop)
            await asyncio.wrap_future(fut)

    def close(self) -> None:
        """The sync twin of `aclose`; also stops the client's threads."""
        if self._loop_thread.started:
            self._loop_thread.run(self.engine.transport.aclose_current_loop())
            self._loop_thread.stop()
        dispatcher, self._dispatcher = self._dispatcher, None
        if dispatcher is not None:
            self._callback_thread.run(dispatcher.stop())
        self._callback_thread.stop()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@functools.cache
def default_client() -> Client:
    """The Client behind the module-level functions; created on first call, never at import, and
    closed at interpreter exit (its pools and threads)."""
    client = Client()
    atexit.register(client.close)
    return client
