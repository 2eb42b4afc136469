"""The OpenAI Responses route (POST /v1/responses), served over any configured model: the body is
translated to the canonical ChatRequest by `llmrelay.wire.responses`, routed like any chat call (keys,
budgets, limits, fallbacks), and the answer (or its stream) translated back into a Response and
Responses stream events. Errors before the answer are OpenAI error bodies, as on the other OpenAI
routes; errors mid-stream are an `error` event followed by response.failed."""

from __future__ import annotations

from llmrelay.calls.principal import Principal
from llmrelay.proxy.answers import HeaderedAnswerer, openai_error_body, result_headers
from llmrelay.proxy.dialect_chat import body_of, serve_dialect_chat
from llmrelay.proxy.http import Request
from llmrelay.proxy.state import GatewayState
from llmrelay.types.errors import LLMError
from llmrelay.types.response import ChatChunk, ChatResponse
from llmrelay.wire import responses as wire


class ResponsesAnswerer(HeaderedAnswerer):
    """Non-streamed answers and errors of /v1/responses."""

    __slots__ = ("_model", "_request")

    def __init__(self, request: wire.ResponsesRequest, model: str) -> None:
        self._request = request
        self._model = model

    def respond(self, req: Request, result: ChatResponse) -> None:
        body = wire.encode_response_bytes(result, self._request, self._model)
        req.send_json(200, body, result_headers(result))

    def respond_error(self, req: Request, error: LLMError) -> None:
        req.send_error(error, openai_error_body(error))


class ResponsesStreamEncoder:
    """The dialect's stateful encoder (response.created … response.completed) as SSE bytes."""

    __slots__ = ("_inner",)

    def __init__(self, request: wire.ResponsesRequest, model: str) -> None:
        self._inner = wire.ResponsesStreamEncoder(request, model)

    def chunk(self, chunk: ChatChunk) -> bytes:
        return wire.encode_events(self._inner.feed(chunk))

    def error(self, error: LLMError) -> bytes:
        return wire.encode_events(self._inner.fail(error))

    def end(self) -> bytes:
        return wire.encode_events(self._inner.finish())


class ResponsesRoutes:
    def __init__(self, state: GatewayState) -> None:
        self.state = state

    async def create(self, req: Request, principal: Principal) -> None:
        body = await body_of(req, self.state)
        tools = self.state.responses_tools
        if tools is not None and await tools.serve(req, principal, body):
            return
        parsed, request = wire.decode_request(body)
        model = request.model
        await serve_dialect_chat(
            self.state, req, principal, request, parsed.metadata,
            ResponsesAnswerer(parsed, model), lambda: ResponsesStreamEncoder(parsed, model),
        )  # fmt: skip
