"""The Responses API in the SDK (`llmrelay.responses()`, `Client.aresponses()`, `Router.aresponses()`):
the call's Responses fields become a ChatRequest (llmrelay.wire.responses), which goes through the
caller's own `acompletion` — retries, callbacks, pricing, mocks and routing included — and the answer
comes back as a Response, or, streamed, as Responses stream events.

Stored as the gateway stores them (`store`, OpenAI's default on; `previous_response_id`), in the
caller's bounded in-memory store (core/responses_memory.py).

Keywords that are not Responses request fields (api_key, api_base, timeout, num_retries,
mock_response, ...) are passed to `acompletion` unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from llmrelay.calls.served import attach_served, served_of
from llmrelay.core.litellm_view import with_hidden_params
from llmrelay.core.responses_memory import MemoryResponseStore
from llmrelay.core.stream_view import ChatStreamView
from llmrelay.core.streaming import ChatStream
from llmrelay.core.sync_stream import SyncStream
from llmrelay.types.errors import BadRequestError, LLMError
from llmrelay.types.response import ChatResponse, hidden_params
from llmrelay.types.responses import Response
from llmrelay.wire.responses import (
    ResponsesRequest,
    ResponsesStreamEncoder,
    encode_response,
    parse_responses_request,
    to_chat_request,
)
from llmrelay.wire.responses.items import Item, request_items

Event = dict[str, Any]
ChatCall = Callable[..., Awaitable[ChatResponse | ChatStream]]
_FIELDS = frozenset(ResponsesRequest.__struct_fields__)
# ChatRequest fields the SDK call sets itself
_CALL_FIELDS = ("model", "messages", "stream")


async def run_responses(
    acompletion: ChatCall,
    model: str,
    input: Any,
    stream: bool,
    params: dict[str, Any],
    store: MemoryResponseStore | None = None,
) -> Response | ResponsesStream:
    """`store`: the caller's stored responses (core/responses_memory.py); None keeps none, and then
    `store=True` and `previous_response_id` are refused."""
    body = {k: params.pop(k) for k in list(params) if k in _FIELDS}
    body.update(model=model, input=input, stream=stream or None)
    parsed = parse_responses_request(body)
    history = None
    if parsed.previous_response_id is not None and store is not None:
        history = store.history(parsed.previous_response_id)
    request = to_chat_request(parsed, history)  # without a store, previous_response_id is refused
    keep = _keeper(store, parsed, history)
    parsed.store = keep is not None  # what the Response says
    chat_fields = {k: v for k, v in request.to_dict().items() if k not in _CALL_FIELDS}
    if stream:
        chat_fields["stream_options"] = {"include_usage": True}
    result = await acompletion(model, request.to_dict()["messages"], stream=stream, **chat_fields, **params)
    if isinstance(result, ChatStream):
        return ResponsesStream(result, parsed, model, keep)
    response = encode_response(result, parsed, model)
    if keep is not None:
        keep(response)
    attach_served(response, served_of(result))
    # the adapter's details for SDK callers are the Response's too; the view (this is an SDK edge)
    # is then written from the record, as on the chat answer
    found = getattr(result, "_hidden_params", None)
    if found is not None:
        hidden_params(response).update(found)
    return with_hidden_params(response)


def _keeper(
    store: MemoryResponseStore | None, parsed: ResponsesRequest, history: list[Item] | None
) -> Callable[[Response], None] | None:
    """What stores this request's response (OpenAI's default: stored unless store=False), or None."""
    if parsed.store is False:
        return None
    if store is None:
        if parsed.store:
            raise BadRequestError(
                "store: this client keeps no responses (made with store_responses=False); pass "
                "store=False or leave it out",
                param="store",
                code="unsupported_parameter",
            )
        return None
    items = [*(history or ()), *request_items(parsed)]
    size = store.check_size(items)
    return lambda response: store.put(response, items, size)


class ResponsesStream(ChatStreamView):
    """Responses stream events (dicts, as OpenAI sends them; `response` and `item` values are
    Response and output-item objects) from a ChatStream. An upstream error mid-stream is raised, as
    from a ChatStream; `response()` is the final Response once the stream ended."""

    def __init__(
        self,
        chat: ChatStream,
        request: ResponsesRequest,
        model: str,
        keep: Callable[[Response], None] | None = None,
    ) -> None:
        """`keep`: stores the final Response once the stream completed (not when it failed)."""
        self._chat = chat
        self._keep = keep
        self._encoder = ResponsesStreamEncoder(request, model)
        self._pending: list[Event] = []
        self._done = False
        self._final: Response | None = None

    def __aiter__(self) -> ResponsesStream:
        return self

    async def __anext__(self) -> Event:
        while not self._pending:
            if self._done:
                raise StopAsyncIteration
            try:
                chunk = await self._chat.__anext__()
            except StopAsyncIteration:
                self._done = True
                self._pending.extend(self._encoder.finish())
                last = self._pending[-1]["response"] if self._pending else None
                self._final = last if isinstance(last, Response) else None
                if self._final is not None and self._keep is not None:
                    self._keep(self._final)
                continue
            self._pending.extend(self._encoder.feed(chunk))
        return self._pending.pop(0)

    async def aclose(self) -> None:
        await self._chat.aclose()

    async def __aenter__(self) -> ResponsesStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def response(self) -> Response:
        if self._final is None:
            raise LLMError("the stream has not ended: read it to the end before asking for its response")
        return self._final


class SyncResponsesStream(SyncStream[Event, Response]):
    """The sync face of a ResponsesStream: each step runs on the client's loop thread."""
