"""The Anthropic Messages routes, served over any configured model: the body is translated to the
canonical ChatRequest by `llmrelay.wire.anthropic`, routed like any chat call, and the answer (or its
stream) translated back."""

from __future__ import annotations

from llmrelay.calls.principal import Principal
from llmrelay.proxy import anthropic_count
from llmrelay.proxy.answers import HeaderedAnswerer, result_headers
from llmrelay.proxy.dialect_chat import body_of, serve_dialect_chat
from llmrelay.proxy.http import JSON_ENCODER, Request
from llmrelay.proxy.state import GatewayState
from llmrelay.types.errors import LLMError
from llmrelay.types.response import ChatChunk, ChatResponse
from llmrelay.wire import anthropic as wire
from llmrelay.wire.anthropic.betas import parse_betas


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
        request = wire.decode_request(await body_of(req, self.state))
        # beta features travel to an Anthropic deployment as the same header (CALL field)
        request.anthropic_beta = parse_betas(req.header("anthropic-beta"))
        model = request.model
        await serve_dialect_chat(
            self.state, req, principal, request, request.metadata,
            AnthropicAnswerer(model), lambda: AnthropicStreamEncoder(model),
        )  # fmt: skip

    async def count_tokens(self, req: Request, principal: Principal) -> None:
        body = await body_of(req, self.state)
        betas = parse_betas(req.header("anthropic-beta"))
        counted = await anthropic_count.count_tokens(self.state, principal, body, betas)
        req.send_json(200, JSON_ENCODER.encode(counted))
