"""A call as one value, and the `(call, next)` middleware chain every call type goes through.

The gateway's routes build a `Call` and hand it to the chain; each middleware (the key gate, the
response cache, later guardrails) is written once for every call type and either answers, refuses,
or passes the call on with `await next(call)`. The chain ends at the router."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

import msgspec

from llmrelay.calls.context import CallContext
from llmrelay.calls.operation import Operation

Req = TypeVar("Req")


class Call(msgspec.Struct, Generic[Req], frozen=True):
    """A msgspec Struct (built in C): one per call, and one more per changed copy."""

    operation: Operation[Req, Any]
    request: Req
    context: CallContext

    @property
    def model(self) -> str | None:
        return getattr(self.request, "model", None)

    @property
    def stream(self) -> bool:
        return self.operation.streams and bool(getattr(self.request, "stream", False))

    def with_request(self, request: Req) -> Call[Req]:
        return msgspec.structs.replace(self, request=request)

    def with_context(self, context: CallContext) -> Call[Req]:
        return msgspec.structs.replace(self, context=context)


# what the chain answers: the operation's response, or a stream of it (ChatStream / TextStream)
Next = Callable[[Call[Any]], Awaitable[Any]]


class Middleware(Protocol):
    async def __call__(self, call: Call[Any], next_: Next) -> Any: ...


def chain(middlewares: Sequence[Middleware], end: Next) -> Next:
    """One callable running `middlewares` in order (the first sees the call first), then `end`."""
    handler = end
    for middleware in reversed(middlewares):
        handler = _bind(middleware, handler)
    return handler


def _bind(middleware: Middleware, next_: Next) -> Next:
    async def step(call: Call[Any]) -> Any:
        return await middleware(call, next_)

    return step
