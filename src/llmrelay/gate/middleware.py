"""The gateway's key gate as one middleware of the call chain, the same for every call type:

    pass_ = await gate.admit(principal, info)   # refuse (401/400/429) or reserve limits
    result = await next_(call)                  # the response cache, then the router
    await pass_.succeeded(usage, served)        # settle limits, record spend durably

For a stream the last step is the stream's finisher (calls/finisher.py), which the gateway's relay
awaits once the upstream's last event is read and before it sends the stream's last bytes, so a
client that received the whole answer was billed for it — and the stream is still relayed raw.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import msgspec

from llmrelay.calls.call import Call, Next
from llmrelay.calls.finisher import add_finisher
from llmrelay.calls.served import NOT_SERVED, served_of
from llmrelay.core.streaming import ChatStream
from llmrelay.core.text_stream import TextStream
from llmrelay.gate.admission import CallGate, CallInfo, GroupNames, Pass
from llmrelay.gate.stored_fields import check_call_fields
from llmrelay.types.errors import BadRequestError, LLMError, StreamClosedEarly

T = TypeVar("T")


class KeyGateMiddleware:
    """Puts `gate` around every call that passes: a call type added later is gated like the rest."""

    def __init__(self, gate: CallGate, names: GroupNames) -> None:
        self.gate = gate
        self.names = names

    async def __call__(self, call: Call[Any], next_: Next) -> Any:
        operation, request = call.operation, call.request
        model: str | None = getattr(request, "model", None)
        if not model and operation.default_mode is not None:
            # the group is settled before the gate, which checks the key may use it
            model = self._default(operation.default_mode)
            call = call.with_request(msgspec.structs.replace(request, model=model))
        model = model or ""
        # a JWT's end user claim (authenticated) before the request's `user` field (the client's word)
        end_user = call.context.caller.end_user or getattr(request, "user", None)
        info = CallInfo(
            operation.call_type, model, end_user, call.stream, self.names.alias_target(model)
        )  # fmt: skip
        # the call's stored strings are checked before anything is reserved, charged or stored
        check_call_fields(info.model, info.end_user)
        pass_ = await self.gate.admit(call.context.caller, info)
        if info.routing is not None:
            call = call.with_context(call.context.with_routing(info.routing))
        result = await _guarded(pass_, next_(call))
        if isinstance(result, TextStream):
            # a text stream is relayed as the chat stream under it: its end is the call's end
            add_finisher(result.chat_stream, _StreamEnd(pass_, result.chat_stream))
        elif isinstance(result, ChatStream):
            add_finisher(result, _StreamEnd(pass_, result))
        else:
            await pass_.succeeded(operation.usage(result), served_of(result))
        return result

    def _default(self, mode: str) -> str:
        model = self.names.default_model(mode)
        if model is None:
            raise BadRequestError(
                f"`model` is required: no configured model group serves {mode.replace('_', ' ')}",
                param="model",
            )
        return model


class _StreamEnd:
    """A stream's finisher that ends its Pass: success, failure, or the reader left."""

    __slots__ = ("_pass", "_stream")

    def __init__(self, pass_: Pass, stream: ChatStream) -> None:
        self._pass = pass_
        self._stream = stream

    async def __call__(self, error: LLMError | None) -> None:
        stream = self._stream
        served = served_of(stream).with_cost(stream.cost_micros)
        if error is None:
            await self._pass.succeeded(stream.usage, served)
        elif isinstance(error, StreamClosedEarly):
            self._pass.abandoned(stream.usage, served)
        else:
            await self._pass.failed(error, stream.usage, served)


async def _guarded(pass_: Pass, call: Awaitable[T]) -> T:
    try:
        return await call
    except LLMError as error:
        await pass_.failed(error, None, NOT_SERVED)
        raise
    except (asyncio.CancelledError, Exception):
        pass_.abandoned(None, NOT_SERVED)
        raise
