"""What a gate sees of a call before it is made (`CallInfo`), what it hands back when it admits one
(a `Pass`, ended exactly once), and what it asks the router (`GroupNames`). The key gate
(gate/key_gate.py) implements `CallGate`; the chain's middleware (gate/middleware.py) drives it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

from llmrelay.calls.context import EndUserRouting
from llmrelay.calls.principal import Principal
from llmrelay.calls.served import Served
from llmrelay.types.errors import LLMError
from llmrelay.types.response import Usage


@dataclass(slots=True)
class CallInfo:
    """What the gate knows about a call before it is made."""

    call_type: str  # "completion" | "embedding" | "text_completion" | "rerank" | "moderation" | ...
    model: str  # the model group asked for
    end_user: str | None  # the request's `user` field
    stream: bool = False
    # when `model` is an alias (router_settings.model_group_alias): the group it stands for
    alias_of: str | None = None
    started: float = field(default_factory=time.time)  # wall clock, for the spend log
    started_mono: float = field(default_factory=time.monotonic)
    # set by the gate: the end user is limited to a region (the router keeps the call there)
    routing: EndUserRouting | None = None
    # False: the call names no model (a pass-through call listing files...): no model to check
    names_model: bool = True


class Pass(Protocol):
    """An admitted call. Exactly one of the three ends it."""

    async def succeeded(self, usage: Usage | None, served: Served) -> None: ...

    async def failed(self, error: LLMError, usage: Usage | None, served: Served) -> None: ...

    def abandoned(self, usage: Usage | None, served: Served) -> None:
        """The caller went away (cancelled, or a stream closed early): release without waiting."""
        ...


class CallGate(Protocol):
    async def admit(self, principal: Principal, call: CallInfo) -> Pass:
        """Raise an LLMError (which says which check or limit refused) or admit the call."""
        ...


class GroupNames(Protocol):
    """What the gate asks the router about model names."""

    def alias_target(self, model: str) -> str | None: ...

    def default_model(self, mode: str) -> str | None: ...


class Session(Protocol):
    """A long-lived call admitted once (a realtime session): billed part by part, ended once."""

    async def billed(self, usage: Usage, served: Served) -> None: ...

    def refusal(self) -> LLMError | None:
        """Why the session may not go on (a budget used up since it was admitted), or None."""
        ...

    def released(self) -> None: ...


class SessionGate(Protocol):
    async def admit_session(self, principal: Principal, call: CallInfo, lease: float) -> Session:
        """Raise an LLMError (which check or limit refused) or admit the session; its parallel
        slot, if any, outlives a crashed holder by `lease` seconds."""
        ...
