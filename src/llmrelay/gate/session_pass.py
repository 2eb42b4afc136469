"""A long-lived call admitted once: a Realtime API session. Admitted like any call (the key may use
the model, no budget on its way is used up, one reservation of its rpm / tpm / parallel limits), it
then holds its parallel slot for the session's life; each response it bills is a spend row of its own,
written durably as the response ends (so /spend/logs and the budgets see it at once); after each, the
budgets are checked again, and the session is ended when one is used up. Released once, at its end."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from llmrelay.calls.served import Served
from llmrelay.types.errors import AuthenticationError, BudgetExceededError, LLMError
from llmrelay.types.response import Usage

if TYPE_CHECKING:
    from llmrelay.gate.key_gate import KeyPass


class SessionPass:
    __slots__ = ("_pass", "_tokens")

    def __init__(self, admitted: KeyPass) -> None:
        self._pass = admitted
        self._tokens = 0  # every billed part's tokens, for the tpm settlement at the end

    async def billed(self, usage: Usage, served: Served) -> None:
        """One part of the session billed: its spend row handed to the durable spool (awaited)."""
        self._tokens += usage.total_tokens
        gate = self._pass.gate
        if gate.spend.writer is not None:
            row = gate.spend.row(self._pass.call, self._pass.principal, self._pass.found, usage, served, None)
            await gate.spend.record(row, wait=True)

    def refusal(self) -> LLMError | None:
        """Why the session may not go on (a budget used up, the key deleted), or None. Read from the
        key's current rows (a reload since admission counts the spend the database has since)."""
        admitted = self._pass
        gate = admitted.gate
        found = admitted.found
        principal = admitted.principal
        if principal.kind == "virtual_key" and principal.key_hash is not None and gate.keys is not None:
            found = gate.keys.current(principal)
            if found is None:
                return AuthenticationError("the key was deleted", code="invalid_api_key")
        if found is None:
            return None
        now = time.time()
        try:
            for scope in found.limits:
                gate.budgets.check(scope, now)
        except BudgetExceededError as exc:
            return exc
        return None

    def released(self) -> None:
        """The session ended (either side closed): its parallel slot freed and its tokens counted
        against tpm, off the caller's path."""
        admitted = self._pass
        if admitted.reservation is not None:
            admitted.gate.spawn(admitted.settle(Usage(total_tokens=self._tokens)))
