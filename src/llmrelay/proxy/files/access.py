"""Who owns a file or batch, and each call of these routes through the key gate: the key's rpm, its
parallel limit and its budgets (a key over budget is refused), one spend row of cost 0 per call (the
call types `create_file`, `file_content`, `create_batch`...), as LiteLLM logs them. The batch's own
spend is recorded when it completes (billing.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from llmrelay.calls.principal import Principal
from llmrelay.calls.served import Served
from llmrelay.gate.admission import CallGate, CallInfo
from llmrelay.storage.file_records import Owner
from llmrelay.types.errors import AuthenticationError, LLMError, PermissionDeniedError

T = TypeVar("T")


class ModelNotAllowed(AuthenticationError):
    """The key gate's refusal type for a model the key may not use (gate/key_gate.py's)."""

    error_type = "key_model_access_denied"


@dataclass(frozen=True, slots=True)
class Caller:
    principal: Principal
    # whose objects it sees: its key's hash; None for the master key (or an open gateway), which
    # sees every object
    owner: str | None

    def may_use(self, model: str) -> bool:
        key = self.principal.key
        return key is None or key.may_use(model)

    def as_owner(self) -> Owner:
        key = self.principal.key
        if key is None:
            return Owner(key_hash=self.owner, user_id=self.principal.user_id, team_id=self.principal.team_id)
        return Owner(key_hash=self.owner, user_id=key.user_id, team_id=key.team_id,
                     organization_id=key.organization_id)  # fmt: skip


def caller_of(principal: Principal) -> Caller:
    if principal.kind in ("master", "anonymous"):
        return Caller(principal, None)
    if principal.kind == "virtual_key" and principal.key_hash:
        return Caller(principal, principal.key_hash)
    # a JWT has no key to own objects by: refused rather than given a shared or global view
    raise PermissionDeniedError(
        "files and batches are owned by a virtual key: call them with a virtual key or the master key",
        code="files_need_a_key",
    )


class FilesGate:
    def __init__(self, gate: CallGate | None) -> None:
        self.gate = gate

    async def run(
        self,
        caller: Caller,
        call_type: str,
        model: str | None,
        provider: str,
        work: Callable[[], Awaitable[T]],
    ) -> T:
        """`work` admitted by the key gate as a call of `call_type` (naming `model`, when it does)."""
        if self.gate is None:
            return await work()
        info = CallInfo(call_type, model or "", None, names_model=model is not None)
        pass_ = await self.gate.admit(caller.principal, info)
        served = Served(provider=provider, model_group=model or call_type, cost_micros=0)
        try:
            result = await work()
        except LLMError as error:
            await pass_.failed(error, None, served)
            raise
        except BaseException:
            pass_.abandoned(None, Served())
            raise
        await pass_.succeeded(None, served)
        return result
