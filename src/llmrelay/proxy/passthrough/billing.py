"""A pass-through call through the key gate: admitted (the key's model list when the call names a
model, its budgets, its rpm/tpm/parallel limits), then ended with the usage read from the answer
and its cost, as a spend row of call type `pass_through_endpoint` (route in the row's `deployment`).

Without virtual keys (a master-key-only or open gateway) there is no gate: calls pass unmetered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from llmrelay.calls.principal import Principal
from llmrelay.calls.served import Served
from llmrelay.gate.admission import CallGate, CallInfo, Pass
from llmrelay.gate.stored_fields import check_call_fields
from llmrelay.proxy.passthrough.forward import Outcome
from llmrelay.types.errors import LLMError
from llmrelay.types.response import Usage

CALL_TYPE = "pass_through_endpoint"


@dataclass(frozen=True, slots=True)
class Metered:
    """What the spend row says of one pass-through call besides its usage."""

    provider: str | None  # None: a custom endpoint
    model: str | None  # as the call named it
    group: str | None  # the configured model group serving that model, if any
    route: str  # the gateway path called, without its query


class PassThroughBilling:
    def __init__(self, gate: CallGate | None) -> None:
        self.gate = gate

    async def admit(self, principal: Principal, metered: Metered, stream: bool) -> Pass | None:
        if self.gate is None:
            return None
        model = metered.model or ""
        check_call_fields(model, None)
        info = CallInfo(CALL_TYPE, model, None, stream, metered.group, names_model=bool(metered.model))
        return await self.gate.admit(principal, info)

    @staticmethod
    async def end(
        pass_: Pass | None, metered: Metered, outcome: Outcome, price: Callable[[Usage | None], int]
    ) -> None:
        if pass_ is None:
            return
        cost = price(outcome.usage) if outcome.error is None else 0
        served = Served(
            provider=metered.provider,
            model=f"{metered.provider}/{metered.model}" if metered.provider and metered.model else None,
            deployment_id=metered.route,
            model_group=metered.group or metered.model or metered.route,
            cost_micros=cost,
        )
        if outcome.client_gone:
            pass_.abandoned(outcome.usage, served)
        elif outcome.error is not None:
            await pass_.failed(outcome.error, outcome.usage, served)
        else:
            await pass_.succeeded(outcome.usage, served)

    @staticmethod
    async def refused(pass_: Pass | None, error: LLMError) -> None:
        """The call failed before an answer started (unreachable upstream, a redirect...)."""
        if pass_ is not None:
            await pass_.failed(error, None, Served())

    @staticmethod
    def abandoned(pass_: Pass | None) -> None:
        if pass_ is not None:
            pass_.abandoned(None, Served())
