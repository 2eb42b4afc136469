"""POST /v1/messages/count_tokens: on a model served by Anthropic's API, Anthropic's own count (free
and exact); otherwise, or for a caller not allowed the model, llmrelay's estimate
(llmrelay.wire.anthropic.count_tokens), as Anthropic's tokenizer is not public."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.calls.principal import Principal
from llmrelay.proxy.state import GatewayState
from llmrelay.wire import anthropic as wire


async def count_tokens(
    state: GatewayState, principal: Principal, body: bytes, betas: list[str] | None
) -> dict[str, int]:
    parsed = wire.parse_messages_request(body)  # a malformed body is a 400 whichever way it is counted
    if _may_use(state, principal, parsed.model):
        data: dict[str, Any] = msgspec.json.decode(body)  # a JSON object: parsed above
        counted = await state.router.count_message_tokens(parsed.model, data, betas)
        if counted is not None:
            return {"input_tokens": counted}
    return wire.count_tokens(body)


def _may_use(state: GatewayState, principal: Principal, model: str) -> bool:
    """Upstream credentials count only for callers allowed the model (by its name or its alias)."""
    if principal.models is None:
        return True
    alias_of = state.router.alias_target(model)
    return model in principal.models or (alias_of is not None and alias_of in principal.models)
