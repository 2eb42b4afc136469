"""The SDK: `Client` owns its transport pools, provider adapters, catalog and callbacks; the
module-level `completion()` & co. use one default Client created on first use.

The call types answered in one piece are declared once, for the Client, the Router and the module
functions, in router/sdk.py (`OneShotCalls`). Every call type takes one path: its keywords are read
into the call seam's values (sdk/keywords.py) and the call runs through the router's CallRunner as
a group of one deployment (sdk/run.py), which retries, books and reports it as it does a Router's
calls.

Async is the source of truth; every sync method runs its async twin on the client's loop thread."""

from __future__ import annotations

import asyncio
import atexit
import functools
import itertools
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from llmrelay.calls.context import StreamTimeouts
from llmrelay.calls.operation import CHAT, TEXT_COMPLETION, Operation
from llmrelay.core.controls import call_with_fallbacks, take_controls
from llmrelay.core.responses_api import ResponsesStream, SyncResponsesStream, run_responses
from llmrelay.core.responses_memory import MemoryResponseStore, StoredResponses
from llmrelay.core.retry import Backoff, RetryPolicy
from llmrelay.core.streaming import ChatStream, SyncChatStream
from llmrelay.core.text_stream import SyncTextStream, TextStream
from llmrelay.cost.catalog import Catalog
from llmrelay.engine import Engine
from llmrelay.loop_thread import LoopThread
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.router.records import CallReporter
from llmrelay.router.sdk import OneShotCalls
from llmrelay.sdk.keywords import read_call
from llmrelay.sdk.run import SdkRunner
from llmrelay.sdk.targets import Targets
from llmrelay.transport.http import HttpTransport
from llmrelay.types.completion import TextCompletionResponse
from llmrelay.types.errors import BadRequestError
from llmrelay.types.response import ChatResponse
from llmrelay.types.responses import Response

if TYPE_CHECKING:
    from llmrelay.sdk.files import FileCalls

R = TypeVar("R")

# `RetryPolicy` stays importable from here (user code does `llmrelay.client.RetryPolicy(base, cap)`)
__all__ = ["Backoff", "Client", "RetryPolicy", "default_client"]


class Client(OneShotCalls, StoredResponses):
    """One door to every provider. Two clients share nothing: not pools, not callbacks, not prices.

    `num_retries` and `timeout` are defaults for every call (each call may override them);
    `drop_params=True` drops parameters a provider cannot take instead of raising; `retry_policy`
    is the backoff between retries (`Backoff(base, cap)`, also spelled `RetryPolicy`);
    `store_responses=False` keeps no Responses in memory (store=True and previous_response_id are
    then refused)."""

    def __init__(
        self,
        *,
        callbacks: Sequence[Any] = (),
        drop_params: bool = False,
        num_retries: int = 0,
        timeout: float | None = None,
        retry_policy: Backoff | None = None,
        catalog: Catalog | None = None,
        transport: HttpTransport | None = None,
        store_responses: bool = True,
    ) -> None:
        self.drop_params = drop_params
        self.num_retries = num_retries
        self.timeout = timeout
        self.catalog = catalog or Catalog()
        self.registry = ProviderRegistry()
        self.engine = Engine(transport or HttpTransport(), self.registry, self.catalog)
        # the sync API's loop; callbacks get a loop of their own, so a slow sync callback never
        # holds up a sync call
        self._loop_thread = LoopThread("llmrelay-sdk")
        self._callback_thread = LoopThread("llmrelay-callbacks")
        self._reporter = CallReporter(callbacks, self._callback_thread)
        self._runner = SdkRunner(self.engine, self._reporter, retry_policy or Backoff())
        self._targets = Targets(self.registry, self.catalog)
        # call ids: a random prefix per client and a counter (cheaper than a uuid per call)
        self._id_prefix = os.urandom(6).hex()
        self._call_numbers = itertools.count(1)
        self._files: FileCalls | None = None
        # the Responses this client made (store left on): bounded, in memory, this client's own
        self._response_store = MemoryResponseStore() if store_responses else None

    @property
    def retry_policy(self) -> Backoff:
        """The backoff between retries (the router's backoff, with this client's base and cap)."""
        return self._runner.backoff

    @retry_policy.setter
    def retry_policy(self, backoff: Backoff) -> None:
        self._runner.backoff = backoff

    @property
    def files(self) -> FileCalls:
        """Files and batches on the provider's own API (`create_file`, `create_batch`...), sharing
        this client's connection pools and loop thread; built on first use."""
        if self._files is None:
            from llmrelay.sdk.files import FileCalls

            self._files = FileCalls(self.engine.transport, self.registry, self._loop_thread)
        return self._files

    # ---- callbacks
    @property
    def callbacks(self) -> list[Any]:
        return self._reporter.callbacks

    def add_callback(self, callback: Any) -> None:
        self._reporter.add(callback)

    def flush_callbacks(self, timeout: float = 10.0) -> None:
        """Block until every reported call has reached the callbacks (for tests and short scripts)."""
        if self._reporter.active:
            self._callback_thread.run(self.aflush_callbacks(), timeout)

    async def aflush_callbacks(self) -> None:
        # a stream that failed is booked and reported from a task: wait for those first
        await self._runner.drain()
        await self._reporter.flush()

    # ---- the one call path
    async def _acall(self, operation: Operation[Any, Any], params: dict[str, Any]) -> Any:
        """One call (no per-call fallbacks): `params` are its keywords, controls taken out."""
        sdk_call = read_call(operation, params, self._targets)
        return await self._runner.run(
            sdk_call,
            f"{self._id_prefix}-{next(self._call_numbers):x}",
            num_retries=self.num_retries,
            timeout=self.timeout,
            drop_params=self.drop_params,
        )

    async def _one_shot(self, operation: Operation[Any, R], params: dict[str, Any]) -> R:
        """A call type answered in one piece (router/sdk.py's OneShotCalls): no per-call fallbacks;
        without a model, the row's default for a client (a client has no model groups to pick)."""
        take_controls(params).refuse_fallbacks(operation.call_type)
        if not params.get("model"):
            if operation.client_default_model is None:
                raise BadRequestError(f"{operation.call_type}: pass model=", param="model")
            params["model"] = operation.client_default_model
        result: R = await self._acall(operation, params)
        return result

    # ---- chat
    async def acompletion(self, model: str, messages: list[Any], **kwargs: Any) -> ChatResponse | ChatStream:
        """A chat completion from any provider; `stream=True` returns an async iterator of chunks.
        Keywords: the call options (api_key, api_base/base_url, api_version, timeout,
        num_retries/max_retries, extra_headers/headers, organization, drop_params,
        custom_llm_provider, provider credentials, mock_response, stream_timeouts), LiteLLM's
        per-call controls (fallbacks, context_window_fallback_dict, mock_testing_fallbacks,
        request_timeout, litellm_metadata, tags, additional_drop_params: core/controls.py), and the
        OpenAI chat fields; unknown ones pass through to the provider in the request body."""
        controls = take_controls(kwargs)
        if controls.mock_timeout:
            kwargs.setdefault("mock_response", "llmrelay.Timeout")
        if controls.stream_timeout is not None:
            kwargs.setdefault("stream_timeouts", StreamTimeouts(first_token=controls.stream_timeout))
        if not controls.wants_fallbacks():
            return await self._acall(CHAT, {**kwargs, "model": model, "messages": messages})  # type: ignore[no-any-return]
        return await call_with_fallbacks(
            lambda name, keywords: self._acall(CHAT, {**keywords, "model": name, "messages": messages}),
            model,
            kwargs,
            controls,
        )

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
        Responses stream events. Stored in this client's bounded memory unless store=False
        (`previous_response_id`, `get_responses`, `list_input_items`: core/responses_memory.py)."""
        return await run_responses(self.acompletion, model, input, stream, params, self._response_store)

    def responses(self, model: str, input: str | list[Any], **kwargs: Any) -> Response | SyncResponsesStream:
        """The sync twin of `aresponses` (run on the client's loop thread)."""
        result = self._loop_thread.run(self.aresponses(model, input, **kwargs))
        if isinstance(result, ResponsesStream):
            return SyncResponsesStream(result, self._loop_thread)
        return result

    # ---- legacy text completions
    async def atext_completion(
        self, model: str, prompt: str | list[Any], **params: Any
    ) -> TextCompletionResponse | TextStream:
        """Legacy completions; `stream=True` returns an async iterator of text-completion chunks.
        The call options as chat's, less mock_response; `metadata` goes to callbacks only.
        Providers without a completions endpoint are served (and streamed) through chat."""
        controls = take_controls(params)
        controls.refuse_fallbacks(TEXT_COMPLETION.call_type)
        if params.get("stream_timeouts") is None and controls.stream_timeout is not None:
            params["stream_timeouts"] = StreamTimeouts(first_token=controls.stream_timeout)
        return await self._acall(TEXT_COMPLETION, {**params, "model": model, "prompt": prompt})  # type: ignore[no-any-return]

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
        await self._runner.drain()
        await self.engine.transport.aclose_current_loop()
        if self._loop_thread.started:
            fut = asyncio.run_coroutine_threadsafe(
                self.engine.transport.aclose_current_loop(), self._loop_thread.loop
            )
            await asyncio.wrap_future(fut)
        await self._reporter.close()

    def close(self) -> None:
        """The sync twin of `aclose`; also stops the client's threads."""
        if self._loop_thread.started:
            self._loop_thread.run(self.engine.transport.aclose_current_loop())
            self._loop_thread.stop()
        if self._callback_thread.started:
            self._callback_thread.run(self._reporter.close())
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
