"""`KeyGate`: the CallGate of virtual keys (llmrelay.proxy.enforce).

Before a call: the key still exists, may use the model, and no budget on its way is used up (key,
user, team, organization, end user; the spend this process recorded but the database has not yet
counted included); then one all-or-nothing reservation of a request against every RPM / TPM /
parallel limit (key, user, team, organization, and per-model limits of the key) — in Redis when
configured, so every instance counts against the same numbers.

After it: the reservation is settled with the real token count and the call's spend is written to the
local spool; `succeeded` returns once that write is on disk.

TPM is LiteLLM's rule: a call is refused once the tokens used in the last minute reached the limit
(a call is admitted with one token reserved; settling puts in the real count). Token counting a prompt
on the request path would cost more than the rest of the checks together.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import os
import time
from collections.abc import Callable, Coroutine
from typing import Any

from llmrelay.auth.authenticator import KeyAuthenticator
from llmrelay.auth.end_users import EndUserBudget, EndUserBudgets
from llmrelay.auth.principal import KeyPrincipal, ScopeLimits
from llmrelay.calls.context import EndUserRouting
from llmrelay.calls.principal import Principal
from llmrelay.calls.served import Served
from llmrelay.events.record import CallRecord
from llmrelay.limits.base import Limit, Limiter, Refusal, Reservation
from llmrelay.limits.settler import Settler
from llmrelay.proxy.enforce import CallInfo
from llmrelay.spend.attribution import Attribution, spend_log_for_call
from llmrelay.spend.ledger import PendingSpend
from llmrelay.spend.writer import SpendWriter
from llmrelay.storage.records import SpendLogRecord
from llmrelay.types.errors import AuthenticationError, BudgetExceededError, LLMError, RateLimitError
from llmrelay.types.response import Usage

log = logging.getLogger("llmrelay.proxy")

_REASONS = {"rpm": "requests per minute", "tpm": "tokens per minute", "parallel": "parallel requests"}


class ModelAccessDenied(AuthenticationError):
    error_type = "key_model_access_denied"


def _usd(micros: int) -> str:
    return f"{micros / 1_000_000:.6f}".rstrip("0").rstrip(".")


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
        self.writer = writer
        self.pending = pending
        self.end_users = end_users
        self.lease = lease  # a parallel slot outlives a crashed holder by at most this
        self.clock = clock
        # spend log ids: unique across processes and restarts, without a syscall per call
        self._id_prefix = os.urandom(8).hex()
        self._counter = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._limits: dict[tuple[str, str], tuple[KeyPrincipal, list[Limit]]] = {}

    def next_id(self) -> str:
        return f"{self._id_prefix}{next(self._counter):012x}"

    async def admit(self, principal: Principal, call: CallInfo) -> KeyPass:
        now = call.started
        found: KeyPrincipal | None = None
        if principal.kind == "virtual_key" and principal.key_hash is not None and self.keys is not None:
            found = self.keys.principal(principal.key_hash)
            if found is None:  # deleted between authentication and now
                raise AuthenticationError("invalid API key", code="invalid_api_key")
            # as in LiteLLM, a key allowed a model group may also call it by any of its aliases
            if not found.may_use(call.model) and not (call.alias_of and found.may_use(call.alias_of)):
                allowed = sorted(found.models or ())
                raise ModelAccessDenied(
                    f"key not allowed to access model. This key can only access models={allowed}. "
                    f"Tried to access {call.model}",
                    param="model",
                    code="401",
                )
            for scope in found.limits:
                self._check_budget(scope, now)
        end_user = None
        if call.end_user and self.end_users is not None:
            end_user = await self._check_end_user(call.end_user, now)
            if end_user.routing is not None:
                call.routing = _routing_for(end_user.routing, found)
        limits = self._limits_for(found, call.model) if found is not None else []
        if end_user is not None and end_user.has_rate_limits:
            limits = [*limits, _scope_limit(end_user.limits)]
        reservation: Reservation | None = None
        if limits:
            got = await self.limiter.reserve(limits, 1, now=now, lease=self.lease)
            if isinstance(got, Refusal):
                raise _rate_limited(got, limits, found)
            reservation = got
        return KeyPass(self, principal, found, call, reservation)

    def _limits_for(self, found: KeyPrincipal, model: str) -> list[Limit]:
        """The key's limits for this model, built once per cached principal (a reload replaces the
        principal object, which invalidates the entry). Cached per model only for the models the
        key's metadata gives limits of: keyed by the client's model name, every made-up name a
        client sent (answered 404 later) kept an entry — memory that grew with every request."""
        slot = model if _has_model_limit(found, model) else ""
        entry = self._limits.get((found.key_hash, slot))
        if entry is not None and entry[0] is found:
            return entry[1]
        limits = _limits(found, model)
        if len(self._limits) >= 100_000:
            self._limits.clear()
        self._limits[(found.key_hash, slot)] = (found, limits)
        return limits

    def _spent(self, scope: ScopeLimits, now: float) -> int:
        """Spend in the scope's current budget period, counting calls not yet written."""
        # a period that ended before the periodic reset ran starts from zero
        ended = scope.budget_reset_at is not None and now >= scope.budget_reset_at
        return (0 if ended else scope.spend_micros) + self.pending.pending(scope.scope, scope.ident)

    def _check_budget(self, scope: ScopeLimits, now: float) -> None:
        if scope.max_budget_micros is None:
            return
        spent = self._spent(scope, now)
        if spent >= scope.max_budget_micros:
            who = "key" if scope.scope == "key" else f"{scope.scope}={scope.ident}"
            raise BudgetExceededError(
                f"Budget has been exceeded! {who} Current cost: {_usd(spent)}, "
                f"Max budget: {_usd(scope.max_budget_micros)}",
                code="400",
            )

    async def _check_end_user(self, end_user: str, now: float) -> EndUserBudget:
        assert self.end_users is not None
        budget = self.end_users.cached(end_user) or await self.end_users.get(end_user)
        if budget.blocked:
            raise BudgetExceededError(f"End User={end_user} is blocked", code="400")
        limits = budget.limits
        if limits.max_budget_micros is None:
            return budget
        spent = self._spent(limits, now)
        if spent >= limits.max_budget_micros:
            raise BudgetExceededError(
                f"ExceededBudget: End User={end_user} over budget. Spend={_usd(spent)}, "
                f"Budget={_usd(limits.max_budget_micros)}",
                code="400",
            )
        return budget

    def spend_row(self, pass_: KeyPass, usage: Usage | None, served: Served,
                  error: LLMError | None) -> SpendLogRecord:  # fmt: skip
        call, principal, found = pass_.call, pass_.principal, pass_.found
        end = time.monotonic()
        record = CallRecord(
            call_id=self.next_id(),
            call_type=call.call_type,
            model=call.model,
            provider=served.provider,
            deployment=served.deployment_id or served.model,
            start_time=call.started,
            end_time=call.started + (end - call.started_mono),
            latency_s=end - call.started_mono,
            stream=call.stream,
            usage=usage,
            cost_micros=served.cost_micros,
            error=error,
            model_group=served.model_group or call.model,
        )
        who = Attribution(
            key_hash=principal.key_hash,
            user_id=found.user_id if found else principal.user_id,
            team_id=found.team_id if found else principal.team_id,
            organization_id=found.organization_id if found else None,
            end_user=call.end_user,
        )
        return spend_log_for_call(record, who)

    async def record(self, row: SpendLogRecord, *, wait: bool) -> None:
        writer = self.writer
        if writer is None:
            return
        self.pending.add(row)
        if not wait:
            writer.record_nowait(row)
            return
        try:
            await writer.record(row)
        except OSError as exc:
            # the disk refused: keep the row queued for the spool's retry and still answer the call
            log.error("spend spool write failed (%s); the record stays queued", type(exc).__name__)
            writer.record_nowait(row)

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

    async def _settle(self, usage: Usage | None) -> None:
        reservation, self.reservation = self.reservation, None
        if reservation is not None:
            tokens = usage.total_tokens if usage is not None else None
            await self.gate.settler.settle(reservation, tokens, now=self.gate.clock())

    async def succeeded(self, usage: Usage | None, served: Served) -> None:
        await self._settle(usage)
        if self.gate.writer is not None:
            await self.gate.record(self.gate.spend_row(self, usage, served, None), wait=True)

    async def failed(self, error: LLMError, usage: Usage | None, served: Served) -> None:
        await self._settle(usage if usage is not None else Usage())
        if self.gate.writer is not None:
            await self.gate.record(self.gate.spend_row(self, usage, served, error), wait=False)

    def abandoned(self, usage: Usage | None, served: Served) -> None:
        if self.reservation is not None:
            self.gate.spawn(self._settle(usage))
        if usage is not None or served.cost_micros:
            # an upstream that reported usage was paid for, even if nobody read the answer
            gone = LLMError("the client went away before the answer ended", code="client_disconnected")
            self.gate.spawn(self.gate.record(self.gate.spend_row(self, usage, served, gone), wait=False))


def _routing_for(routing: EndUserRouting, found: KeyPrincipal | None) -> EndUserRouting:
    """An end user's default model is used only if the key may call it: an end user's row never
    widens what a key is allowed."""
    default = routing.default_model
    if default is None or found is None or found.may_use(default):
        return routing
    return dataclasses.replace(routing, default_model=None)


def _scope_limit(scope: ScopeLimits) -> Limit:
    return Limit(
        f"{scope.scope}:{scope.ident}", scope.rpm_limit, scope.tpm_limit, scope.max_parallel_requests
    )


def _has_model_limit(found: KeyPrincipal, model: str) -> bool:
    """Whether the key's metadata sets an rpm or tpm limit for this model (admin-set names only)."""
    metadata = found.metadata
    if not metadata:
        return False
    return any(
        isinstance(per_model, dict) and model in per_model
        for per_model in (metadata.get("model_rpm_limit"), metadata.get("model_tpm_limit"))
    )


def _limits(found: KeyPrincipal, model: str) -> list[Limit]:
    limits = [
        _scope_limit(s)
        for s in found.limits
        if s.rpm_limit is not None or s.tpm_limit is not None or s.max_parallel_requests is not None
    ]
    model_rpm = found.metadata.get("model_rpm_limit")
    model_tpm = found.metadata.get("model_tpm_limit")
    rpm = model_rpm.get(model) if isinstance(model_rpm, dict) else None
    tpm = model_tpm.get(model) if isinstance(model_tpm, dict) else None
    if isinstance(rpm, int) or isinstance(tpm, int):
        limits.append(
            Limit(
                f"key-model:{found.key_hash}:{model}",
                rpm if isinstance(rpm, int) else None,
                tpm if isinstance(tpm, int) else None,
            )
        )
    return limits


def _rate_limited(refusal: Refusal, limits: list[Limit], found: KeyPrincipal | None) -> RateLimitError:
    limit = next(item for item in limits if item.key == refusal.key)
    scope, _, ident = refusal.key.partition(":")
    value = {"rpm": limit.rpm, "tpm": limit.tpm, "parallel": limit.max_parallel}[refusal.reason]
    if scope == "key":
        who = f"key {found.key_alias or found.key_name}" if found is not None else "key"
    elif scope == "key-model":
        who = f"key model {ident.rpartition(':')[2]}"
    else:
        who = f"{scope.replace('_', ' ')} {ident}"
    return RateLimitError(
        f"Rate limit reached for {who}: {_REASONS[refusal.reason]} limit {value}",
        retry_after=refusal.retry_after,
        code="429",
    )
