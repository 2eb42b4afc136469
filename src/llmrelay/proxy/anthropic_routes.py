"""The Anthropic Messages routes, served over any configured model: the body is translated to the
canonical ChatRequest by `llmrelay.wire.anthropic`, routed like any chat call, and the answer (or its
stream) translated back."""

from __future__ import annotations

from llmrelay.proxy.answers import HeaderedAnswerer, result_headers
from llmrelay.proxy.auth import Principal
from llmrelay.proxy.http import JSON_ENCODER, Request
from llmrelay.proxy.openai_routes import call_metadata, request_tags
from llmrelay.proxy.relay import answer_chat
from llmrelay.proxy.state import GatewayState
from llmrelay.types.chat import StreamOptions
from llmrelay.types.errors import BadRequestError, LLMError
from llmrelay.types.response import ChatChunk, ChatResponse
from llmrelay.wire import anthropic as wire


def anthropic_error_body(error: LLMError) -> bytes:
    return JSON_ENCODER.encode(wire.error_body(error))


class AnthropicAnswerer(HeaderedAnswerer):
    """Non-streamed answers and errors of /v1/messages, named with the model the client asked for."""

    __slots__ = ("_model",)

    def __init__(self, model: str) -> None:
        self._model = model

    def respond(self, req: Request, result: ChatResponse) -> None:
        req.send_json(200, wire.encode_response_bytes(result, self._model), result_headers(result))

    def respond_error(self, req: Request, error: LLMError) -> None:
        req.send_error(error, anthropic_error_body(error))


class AnthropicStreamEncoder:
    """The dialect's stateful encoder (message_start … message_stop) plus `event: error`."""

    __slots__ = ("_inner",)

    def __init__(self, model: str) -> None:
        self._inner = wire.AnthropicStreamEncoder(model=model)

    def chunk(self, chunk: ChatChunk) -> bytes:
        return self._inner.feed(chunk)

    def error(self, error: LLMError) -> bytes:
        return wire.encode_error_event(error)

    def end(self) -> bytes:
        return self._inner.finish()


class AnthropicRoutes:
    def __init__(self, state: GatewayState) -> None:
        self.state = state

    async def messages(self, req: Request, principal: Principal) -> None:
        state = self.state
        body = await req.body(state.body_limit)
        if not body:
            raise BadRequestError("empty request body: expected a JSON object", code="invalid_json")
        request = wire.decode_request(body)
        model = request.model
        if request.stream:
            # the encoder needs the final usage-only chunk to report output tokens in message_delta
            request.stream_options = StreamOptions(include_usage=True)
        call = state.within_deadline(
            state.router.route_chat(
                request,
                metadata=call_metadata(req, principal, request.metadata),
                tags=request_tags(request.metadata),
            )
        )
        answerer = AnthropicAnswerer(model)
        if not request.stream:
            result = await call
            if not isinstance(result, ChatResponse):
                await result.aclose()
                raise LLMError("the router streamed an answer that was asked for whole")
            answerer.respond(req, result)
            return
        await answer_chat(req, call, answerer, lambda: AnthropicStreamEncoder(model), state.keepalive)

    async def count_tokens(self, req: Request, principal: Principal) -> None:
        body = await req.body(self.state.body_limit)
        if not body:
            raise BadRequestError("empty request body: expected a JSON object", code="invalid_json")
        req.send_json(200, JSON_ENCODER.encode(wire.count_tokens(body)))
