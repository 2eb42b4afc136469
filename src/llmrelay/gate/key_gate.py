"""`KeyGate`: the CallGate of virtual keys (driven by the chain's middleware, gate/middleware.py).

Before a call: the key still exists, may use the model, and no budget on its way is used up (key,
user, team, organization, end user; the spend this process recorded but the database has not yet
counted included: gate/budgets.py); then one all-or-nothing reservation of a request against every
RPM / TPM / parallel limit (key, user, team, organization, and per-model limits of the key:
gate/key_limits.py) — in Redis when configured, so every instance counts against the same numbers.

After it: the reservation is settled with the real token count and the call's spend is written to the
local spool (gate/spend_rows.py); `succeeded` returns once that write is on disk. While the spool's
disk is not keeping up (spend/commit.py), new calls are refused with a 503.

TPM is LiteLLM's rule: a call is refused once the tokens used in the last minute reached the limit
(a call is admitted with one token reserved; settling puts in the real count). Token counting a prompt
on the request path would cost more than the rest of the checks together.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Coroutine
from typing import Any

from llmrelay.auth.authenticator import KeyAuthenticator
from llmrelay.auth.end_users import EndUserBudgets
from llmrelay.calls.context import EndUserRouting
from llmrelay.calls.key_principal import KeyPrincipal
from llmrelay.calls.principal import Principal
from llmrelay.calls.served import Served
from llmrelay.gate.admission import CallInfo
from llmrelay.gate.budgets import Budgets
from llmrelay.gate.key_limits import KeyLimits, rate_limited, scope_limit
from llmrelay.gate.session_pass import SessionPass
from llmrelay.gate.spend_rows import SpendRecorder
from llmrelay.limits.base import Limiter, Refusal, Reservation
from llmrelay.limits.settler import Settler
from llmrelay.spend.ledger import PendingSpend
from llmrelay.spend.writer import SpendWriter
from llmrelay.storage.records import SpendLogRecord
from llmrelay.types.errors import AuthenticationError, LLMError, ServiceUnavailableError
from llmrelay.types.response import Usage


class ModelAccessDenied(AuthenticationError):
    error_type = "key_model_access_denied"


class KeyGate:
    def __init__(
        self,
        keys: KeyAuthenticator | None,
        limiter: Limiter,
        *,
        writer: SpendWriter | None,
        pending: PendingSpend,
        end_users: EndUserBudgets | None = None,
        lease: float = 660.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.limiter = limiter
        # settlements leave the answer's path: queued, sent after it in one round trip per batch
        self.settler = Settler(limiter)
        self.spend = SpendRecorder(writer, pending)
        self.budgets = Budgets(pending, end_users)
        self.lease = lease  # a parallel slot outlives a crashed holder by at most this
        self.clock = clock
        self._tasks: set[asyncio.Task[None]] = set()
        self._limits = KeyLimits()

    async def admit(self, principal: Principal, call: CallInfo, *, lease: float | None = None) -> KeyPass:
        """`lease`: how long the call's parallel slot outlives a crashed holder (default: the gate's);
        a long-lived call (a realtime session) holds its slot that long at least."""
        now = call.started
        writer = self.spend.writer  # set by the key runtime once its spool is open
        if writer is not None and not writer.accepting():
            # the spend spool's disk is stuck or far behind: refuse rather than answer calls whose
            # spend could not be made durable, and rather than queue their records without bound
            raise ServiceUnavailableError(
                "spend recording is not keeping up; try again shortly", retry_after=1.0, code="503"
            )
        found: KeyPrincipal | None = None
        if principal.kind == "virtual_key" and principal.key_hash is not None and self.keys is not None:
            found = self.keys.current(principal)
            if found is None:  # deleted between authentication and now
                raise AuthenticationError("invalid API key", code="invalid_api_key")
        elif principal.kind == "jwt":
            found = principal.key  # a JWT: its team's and user's rows, as authentication read them
        if found is not None:
            # as in LiteLLM, a key allowed a model group may also call it by any of its aliases
            if (
                call.names_model
                and not found.may_use(call.model)
                and not (call.alias_of and found.may_use(call.alias_of))
            ):
                allowed = sorted(found.models or ())
                raise ModelAccessDenied(
                    f"key not allowed to access model. This key can only access models={allowed}. "
                    f"Tried to access {call.model}",
                    param="model",
                    code="401",
                )
            for scope in found.limits:
                self.budgets.check(scope, now)
        end_user = None
        if call.end_user and self.budgets.end_users is not None:
            end_user = await self.budgets.check_end_user(call.end_user, now)
            if end_user.routing is not None:
                call.routing = _routing_for(end_user.routing, found)
        limits = self._limits.of(found, call.model) if found is not None else []
        if end_user is not None and end_user.has_rate_limits:
            limits = [*limits, scope_limit(end_user.limits)]
        reservation: Reservation | None = None
        if limits:
            got = await self.limiter.reserve(limits, 1, now=now, lease=lease or self.lease)
            if isinstance(got, Refusal):
                raise rate_limited(got, limits, found)
            reservation = got
        return KeyPass(self, principal, found, call, reservation)

    async def admit_session(self, principal: Principal, call: CallInfo, lease: float) -> SessionPass:
        return SessionPass(await self.admit(principal, call, lease=lease))

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run a settlement off the caller's path; the gate holds the task until it ends."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class KeyPass:
    __slots__ = ("call", "found", "gate", "principal", "reservation")

    def __init__(self, gate: KeyGate, principal: Principal, found: KeyPrincipal | None, call: CallInfo,
                 reservation: Reservation | None) -> None:  # fmt: skip
        self.gate = gate
        self.principal = principal
        self.found = found
        self.call = call
        self.reservation = reservation

    async def settle(self, usage: Usage | None) -> None:
        reservation, self.reservation = self.reservation, None
        if reservation is not None:
            tokens = usage.total_tokens if usage is not None else None
            await self.gate.settler.settle(reservation, tokens, now=self.gate.clock())

    def _row(self, usage: Usage | None, served: Served, error: LLMError | None) -> SpendLogRecord:
        return self.gate.spend.row(self.call, self.principal, self.found, usage, served, error)

    async def succeeded(self, usage: Usage | None, served: Served) -> None:
        await self.settle(usage)
        spend = self.gate.spend
        if spend.writer is not None:
            await spend.record(self._row(usage, served, None), wait=True)

    async def failed(self, error: LLMError, usage: Usage | None, served: Served) -> None:
        await self.settle(usage if usage is not None else Usage())
        spend = self.gate.spend
        if spend.writer is not None:
            await spend.record(self._row(usage, served, error), wait=False)

    def abandoned(self, usage: Usage | None, served: Served) -> None:
        if self.reservation is not None:
            self.gate.spawn(self.settle(usage))
        if usage is not None or served.cost_micros:
            # an upstream that reported usage was paid for, even if nobody read the answer
            gone = LLMError("the client went away before the answer ended", code="client_disconnected")
            self.gate.spawn(self.gate.spend.record(self._row(usage, served, gone), wait=False))


def _routing_for(routing: EndUserRouting, found: KeyPrincipal | None) -> EndUserRouting:
    """An end user's default model is used only if the key may call it: an end user's row never
    widens what a key is allowed."""
    default = routing.default_model
    if default is None or found is None or found.may_use(default):
        return routing
    return dataclasses.replace(routing, default_model=None)
