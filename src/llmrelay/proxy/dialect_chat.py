"""A chat call from a client that speaks another dialect than OpenAI's chat (Anthropic Messages, the
Responses API): once its body is decoded into the canonical ChatRequest, it is routed and answered the
same way; only the answerer and the stream encoder are the dialect's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from llmrelay.calls.call import Call
from llmrelay.calls.finisher import finish_stream
from llmrelay.calls.operation import CHAT
from llmrelay.calls.principal import Principal
from llmrelay.core.streaming import ChatStream
from llmrelay.proxy.hold_end import closed_early
from llmrelay.proxy.http import Request
from llmrelay.proxy.nesting import check_nesting
from llmrelay.proxy.openai_routes import call_context
from llmrelay.proxy.relay import ChatAnswerer, StreamEncoder, answer_chat
from llmrelay.proxy.state import GatewayState
from llmrelay.types.chat import ChatRequest, StreamOptions
from llmrelay.types.errors import BadRequestError, LLMError
from llmrelay.types.response import ChatResponse

Settle = Callable[[ChatResponse | ChatStream], Awaitable[None]]


async def body_of(req: Request, state: GatewayState) -> bytes:
    """The request body; an empty one, or one nested too deep, is a 400 (these dialects always send
    a JSON object)."""
    body = await req.body(state.body_limit)
    if not body:
        raise BadRequestError("empty request body: expected a JSON object", code="invalid_json")
    check_nesting(body)
    return body


async def serve_dialect_chat(
    state: GatewayState,
    req: Request,
    principal: Principal,
    request: ChatRequest,
    metadata: dict[str, Any] | None,
    answerer: ChatAnswerer,
    new_encoder: Callable[[], StreamEncoder],
    settle: Settle | None = None,
) -> None:
    """`settle`: awaited with the call's answer (or stream) before the answerer or the relay sees
    it — the Responses route stores a response there (proxy/responses_routes.py)."""
    if request.stream:
        # the dialects report usage at the end of a stream: ask every upstream for its usage chunk
        request.stream_options = StreamOptions(include_usage=True)
    call = state.within_deadline(state.call(Call(CHAT, request, call_context(req, principal, metadata))))
    if settle is not None:
        call = _settled(call, settle)
    if not request.stream:
        result = await call
        if not isinstance(result, ChatResponse):
            await result.aclose()
            await finish_stream(result, result.error or closed_early())
            raise LLMError("the router streamed an answer that was asked for whole")
        answerer.respond(req, result)
        return
    await answer_chat(req, call, answerer, new_encoder, state.keepalive)


async def _settled(call: Awaitable[ChatResponse | ChatStream], settle: Settle) -> ChatResponse | ChatStream:
    result = await call
    try:
        await settle(result)
    except BaseException:
        if isinstance(result, ChatStream):
            await result.aclose()  # its finishers run in answer_chat's cleanup or below
            await finish_stream(result, result.error or closed_early())
        raise
    return result
