"""What a call carries in besides its request: the typed `CallContext`.

It replaces the `metadata: dict[str, Any]` that used to carry the principal, request id, trace
context and end-user routing between layers under string keys. The client's own `metadata` (opaque
JSON it sent) rides along unchanged in `client_metadata`, for callbacks and logs only: nothing in it
steers the call, so a client can never forge a field the gateway sets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from llmrelay.calls.principal import ANONYMOUS, Principal


@dataclass(frozen=True, slots=True)
class StreamTimeouts:
    """first_token bounds the wait for the response head and first chunk; between_chunks each later
    gap. None = no limit beyond the call's overall timeout."""

    first_token: float | None = None
    between_chunks: float | None = None


NO_STREAM_TIMEOUTS = StreamTimeouts()


@dataclass(frozen=True, slots=True)
class TraceContext:
    """W3C trace context of the caller (headers `traceparent`, `tracestate`): the call's span is a
    child of the caller's."""

    traceparent: str
    tracestate: str | None = None


# the regions an end user's calls may be limited to (`allowed_model_region`): the end-user rows
# (auth/end_users.py) accept these names, the router (router/regions.py) classifies deployments into them
REGIONS = ("eu", "us")


@dataclass(frozen=True, slots=True)
class EndUserRouting:
    """What an end user's row says about where their calls may go (set by the key gate only)."""

    end_user_id: str
    region: str  # one of REGIONS
    default_model: str | None = None


class CallContext(msgspec.Struct, frozen=True, kw_only=True):
    """Everything about a call that is not its request body. Immutable: a layer that adds a fact
    (the gate's end-user routing) passes on a changed copy (`with_routing`). A msgspec Struct rather
    than a frozen dataclass: one is built per call, and a Struct is built in C (a frozen dataclass
    sets its 14 fields one `object.__setattr__` at a time)."""

    # who is calling; None = no gateway caller (an SDK call): callbacks then see no principal
    principal: Principal | None = None
    request_id: str | None = None
    endpoint: str | None = None  # the gateway route the call came in on ("/v1/chat/completions")
    tags: frozenset[str] = frozenset()
    trace: TraceContext | None = None
    routing: EndUserRouting | None = None
    # the client's opaque metadata, for callbacks and logs; never read to steer the call
    client_metadata: Mapping[str, Any] | None = None
    # per-call knobs; None = the deployment's, then the router's defaults
    timeout: float | None = None
    stream_timeouts: StreamTimeouts | None = None
    num_retries: int | None = None
    drop_params: bool | None = None
    # the call's own id when the caller chose one (the SDK's `litellm_call_id`); else the router's
    call_id: str | None = None
    extra: Mapping[str, Any] = msgspec.field(default_factory=dict)

    def with_routing(self, routing: EndUserRouting) -> CallContext:
        return msgspec.structs.replace(self, routing=routing)

    @property
    def caller(self) -> Principal:
        """The principal the gate checks: an SDK call (no principal) is anonymous."""
        return ANONYMOUS if self.principal is None else self.principal

    def record_metadata(self) -> dict[str, Any] | None:
        """The flat metadata a CallRecord carries for callbacks (the LiteLLM-shaped view): the
        client's metadata, then the gateway's facts over it; None when there is none."""
        meta: dict[str, Any] = dict(self.client_metadata) if self.client_metadata else {}
        if self.request_id is not None:
            meta["request_id"] = self.request_id
        if self.endpoint is not None:
            meta["endpoint"] = self.endpoint
        if self.principal is not None:
            meta["principal"] = self.principal
        if self.trace is not None:
            meta["traceparent"] = self.trace.traceparent
            if self.trace.tracestate:
                meta["tracestate"] = self.trace.tracestate
        return meta or None


EMPTY_CONTEXT = CallContext()
