"""Opening a streamed answer: chat, and text completions (their own endpoint's stream, or chat's).

Each opener reads up to the first chunk before it returns, so that failures up to there raise
where the caller can still retry or fall back; the caller attaches its end-of-stream report with
`set_on_finish`. Their errors leave scrubbed of upstream secrets and hosts, as the engine's do
(`Engine.answer`): here, up to the first chunk, and by the stream itself (`scrub`) after it. The
openers are the coroutines `Engine.open_stream` hands out, so each scrubs its own."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import msgspec

from llmrelay.calls.context import StreamTimeouts
from llmrelay.calls.operation import CHAT, TEXT_COMPLETION
from llmrelay.core.deployment_mock import mock_stream
from llmrelay.core.sse_relay import ByteTap, RawUpstream
from llmrelay.core.streaming import ChatStream, decode_stream
from llmrelay.core.text_stream import TextStream, bookkeeping_request, decode_text_stream
from llmrelay.core.text_via_chat import text_request_to_chat
from llmrelay.engine.served import attach_to_stream
from llmrelay.types.call_defaults import with_defaults
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import LLMError

if TYPE_CHECKING:
    from llmrelay.engine.engine import Engine


async def open_chat(
    engine: Engine,
    request: ChatRequest,
    deployment: Deployment,
    drop_params: bool,
    timeout: float | None,
    stream_timeouts: StreamTimeouts,
) -> ChatStream:
    try:
        if deployment.defaults is not None:
            request = with_defaults(request, deployment.defaults)
        pricer = engine.pricer
        if deployment.mock_response is not None:
            mocked = await mock_stream(request, deployment, lambda usage: pricer.price(usage, deployment))
            attach_to_stream(mocked, deployment, mock=True)
            return mocked
        adapter = engine.registry.get(deployment.provider).for_deployment(deployment)
        request = adapter.check_params(request, drop_params or bool(deployment.drop_params))
        http_request = adapter.codec(CHAT.name, CHAT.label).prepare(request, deployment)
        started = time.monotonic()
        exchange = engine.exchange
        if not http_request.stream:
            # the stream's URL comes in a first JSON answer (Replicate's prediction): ask for it first
            http_request = await exchange.stream_request(adapter, http_request, deployment, timeout)
        upstream = await exchange.open_upstream(adapter, http_request, deployment, timeout, stream_timeouts)
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
            price=lambda usage: pricer.price(usage, deployment, adapter),
            close=upstream.aclose,
            raw=raw,
            scrub=lambda error: engine.scrubber(deployment).error(error),  # built only on error
        )
        attach_to_stream(stream, deployment)
        await stream.prefetch()
        return stream

    except LLMError as exc:
        engine.scrubber(deployment).error(exc)
        raise


async def open_text(
    engine: Engine,
    request: TextCompletionRequest,
    deployment: Deployment,
    drop_params: bool,
    timeout: float | None,
    stream_timeouts: StreamTimeouts,
) -> TextStream:
    """A provider without a completions endpoint (or a mock deployment) is streamed through chat
    (whose opener scrubs its own errors)."""
    try:
        engine.input_limits.check_text_completion(request)
        adapter = engine.adapter(deployment)
        request = with_defaults(request, deployment.defaults)
        via_chat = not adapter.supports_text_completion or deployment.mock_response is not None
        if not via_chat:
            if not request.stream:
                request = msgspec.structs.replace(request, stream=True)
            codec = adapter.codec(TEXT_COMPLETION.name, TEXT_COMPLETION.label)
            http_request = codec.prepare(request, deployment)
            started = time.monotonic()
            upstream = await engine.exchange.open_upstream(
                adapter, http_request, deployment, timeout, stream_timeouts
            )
            decoder = adapter.text_stream_decoder(request)
            pricer = engine.pricer
            chat = ChatStream(
                decode_text_stream(upstream.iter_bytes(), decoder, adapter.name, deployment.model),
                bookkeeping_request(request),
                started=started,
                price=lambda usage: pricer.price(usage, deployment, adapter),
                close=upstream.aclose,
                scrub=lambda error: engine.scrubber(deployment).error(error),  # built only on error
            )
            attach_to_stream(chat, deployment)
            await chat.prefetch()
            return TextStream(chat, request)
    except LLMError as exc:
        engine.scrubber(deployment).error(exc)
        raise
    chat_request = msgspec.structs.replace(
        text_request_to_chat(request), stream=True, stream_options=request.stream_options
    )
    chat = await open_chat(engine, chat_request, deployment, drop_params, timeout, stream_timeouts)
    return TextStream(chat, request)
