"""The OpenAI Responses route (POST /v1/responses), served over any configured model: the body is
translated to the canonical ChatRequest by `llmrelay.wire.responses`, routed like any chat call (keys,
budgets, limits, fallbacks), and the answer (or its stream) translated back into a Response and
Responses stream events. Errors before the answer are OpenAI error bodies, as on the other OpenAI
routes; errors mid-stream are an `error` event followed by response.failed.

Stateful where the gateway has a response store (proxy/responses_store.py): `previous_response_id`
puts the stored conversation before the input, and a stored request's answer is kept before the
client gets it — a whole answer before it is sent, a stream once its last event is read and before
response.completed goes out, so a follow-up sent the moment a client has its answer finds it. A
stream that fails or that the client leaves is not stored."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from llmrelay.calls.finisher import add_finisher
from llmrelay.calls.principal import Principal
from llmrelay.core.streaming import ChatStream
from llmrelay.proxy.answers import HeaderedAnswerer, openai_error_body, result_headers
from llmrelay.proxy.dialect_chat import body_of, serve_dialect_chat
from llmrelay.proxy.http import Request
from llmrelay.proxy.state import GatewayState
from llmrelay.types.errors import BadRequestError, LLMError
from llmrelay.types.response import ChatChunk, ChatResponse
from llmrelay.types.responses import Response
from llmrelay.wire import responses as wire
from llmrelay.wire.responses.items import Item, conversation, output_items_of, request_items
from llmrelay.wire.responses.response import new_id

if TYPE_CHECKING:  # the store's module imports the database's libraries: only with a database
    from llmrelay.proxy.responses_store import ResponseStore

_encoder = msgspec.json.Encoder()

_NO_STORE = (
    "this gateway keeps no responses (it has no database, or general_settings.store_responses is false)"
)


class _Saver:
    """Stores one response: the whole answer when the call settles, a stream's final Response when
    its last event was read (a finisher of the stream, run before the end is sent)."""

    __slots__ = ("encoder", "items", "model", "parsed", "prepared", "principal", "response_id", "store")

    def __init__(
        self,
        store: ResponseStore,
        principal: Principal,
        items: bytes,
        parsed: wire.ResponsesRequest,
        model: str,
    ) -> None:
        self.store = store
        self.principal = principal
        self.items = items
        self.parsed = parsed
        self.model = model
        self.response_id = new_id("resp")
        self.prepared: Response | None = None  # the whole answer, stored, to send
        self.encoder: ResponsesStreamEncoder | None = None

    async def settle(self, result: ChatResponse | ChatStream) -> None:
        if isinstance(result, ChatStream):
            add_finisher(result, self._stream_end)
            return
        # a whole answer (to a stream request too, when the router answered whole: the relay then
        # sends it as one chunk, with this response id but output item ids of its own)
        response = wire.encode_response(result, self.parsed, self.model)
        response.id = self.response_id
        await self.store.save(response, self.items, self.principal)
        self.prepared = response

    async def _stream_end(self, error: LLMError | None) -> None:
        if error is not None or self.encoder is None:
            return  # failed or left: nothing is stored
        await self.store.save(self.encoder.close_output(), self.items, self.principal)


class ResponsesAnswerer(HeaderedAnswerer):
    """Non-streamed answers and errors of /v1/responses."""

    __slots__ = ("_model", "_request", "_saver")

    def __init__(self, request: wire.ResponsesRequest, model: str, saver: _Saver | None = None) -> None:
        self._request = request
        self._model = model
        self._saver = saver

    def respond(self, req: Request, result: ChatResponse) -> None:
        stored = self._saver.prepared if self._saver is not None else None
        if stored is not None:
            body = _encoder.encode(stored)
        else:
            body = wire.encode_response_bytes(result, self._request, self._model)
        req.send_json(200, body, result_headers(result))

    def respond_error(self, req: Request, error: LLMError) -> None:
        req.send_error(error, openai_error_body(error))


class ResponsesStreamEncoder:
    """The dialect's stateful encoder (response.created … response.completed) as SSE bytes."""

    __slots__ = ("_inner",)

    def __init__(self, request: wire.ResponsesRequest, model: str, response_id: str | None = None) -> None:
        self._inner = wire.ResponsesStreamEncoder(request, model, response_id)

    def close_output(self) -> Response:
        return self._inner.close_output()

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
        parsed = wire.parse_responses_request(await body_of(req, self.state))
        store = self.state.responses
        history = await self._history(store, parsed, principal)
        request = wire.to_chat_request(parsed, history)  # validates every input item
        saver = None
        keeper = _keeper(store, parsed)
        if keeper is not None:
            items = keeper.check_size([*(history or ()), *request_items(parsed)])
            saver = _Saver(keeper, principal, items, parsed, request.model)
        parsed.store = saver is not None  # what the Response says
        model = request.model

        def new_encoder() -> ResponsesStreamEncoder:
            encoder = ResponsesStreamEncoder(parsed, model, saver.response_id if saver else None)
            if saver is not None:
                saver.encoder = encoder
            return encoder

        await serve_dialect_chat(
            self.state, req, principal, request, parsed.metadata, ResponsesAnswerer(parsed, model, saver),
            new_encoder, saver.settle if saver is not None else None,
        )  # fmt: skip

    @staticmethod
    async def _history(
        store: ResponseStore | None, parsed: wire.ResponsesRequest, principal: Principal
    ) -> list[Item] | None:
        """The conversation `previous_response_id` names (its items, then its output), or None."""
        previous_id = parsed.previous_response_id
        if previous_id is None:
            return None
        if store is None:
            raise BadRequestError(
                f"previous_response_id: {_NO_STORE}; send the whole conversation in `input`",
                param="previous_response_id",
                code="unsupported_parameter",
            )
        previous = await store.read(previous_id, principal, "previous_response_id")
        return conversation(previous.items(), output_items_of(previous.response))


def _keeper(store: ResponseStore | None, parsed: wire.ResponsesRequest) -> ResponseStore | None:
    """The store this request's response goes to, or None: stored unless it says `store: false`
    (OpenAI's default is to store); `store: true` where there is no store is a 400, not a silent no."""
    if parsed.store is False:
        return None
    if store is None and parsed.store:
        raise BadRequestError(
            f"store: {_NO_STORE}; send store: false (or leave it out)", param="store",
            code="unsupported_parameter",
        )  # fmt: skip
    return store
