"""The key gate's own work per keyed request, for callgrind: no server, no background task.

Authenticates a virtual key (a budget and rpm/tpm limits on it), admits a chat call and settles it
(memory limiter, no spend writer), `count` times after 200 warm-up rounds. Per request =
(instructions for N + 2,000 - for N) / 2,000, as in docs/adr/0009-call-seam.md:

    valgrind --tool=callgrind .venv/bin/python -m bench.gateway.key_gate_loop 200
    valgrind --tool=callgrind .venv/bin/python -m bench.gateway.key_gate_loop 2200
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from llmrelay.auth.authenticator import KeyAuthenticator
from llmrelay.auth.cache import PrincipalCache
from llmrelay.auth.keys import display_name, generate_key, hash_key
from llmrelay.auth.principal import scope_limits
from llmrelay.calls.key_principal import KeyPrincipal
from llmrelay.calls.served import NOT_SERVED
from llmrelay.gate.admission import CallInfo
from llmrelay.gate.key_gate import KeyGate
from llmrelay.limits.memory import MemoryLimiter
from llmrelay.spend.ledger import PendingSpend
from llmrelay.storage.records import LimitFields
from llmrelay.types.response import Usage


class _CacheOnly:
    """PrincipalSync as far as the authenticator uses it: the cache, and no database behind it."""

    def __init__(self, cache: PrincipalCache) -> None:
        self.cache = cache

    def load_in_background(self, key_hash: str) -> bool:
        return False


async def run(count: int) -> None:
    cache = PrincipalCache()
    key = generate_key()
    key_hash = hash_key(key)
    fields = LimitFields(max_budget_micros=10**12, rpm_limit=10**7, tpm_limit=10**10)
    cache.put(KeyPrincipal(key_hash=key_hash, key_name=display_name(key), models=frozenset({"m"}),
                           limits=(scope_limits("key", key_hash, fields, 0),)))  # fmt: skip
    sync: Any = _CacheOnly(cache)
    keys = KeyAuthenticator(sync, None)
    gate = KeyGate(keys, MemoryLimiter(), writer=None, pending=PendingSpend())
    usage = Usage(prompt_tokens=8, completion_tokens=4, total_tokens=12)

    async def one() -> None:
        principal = keys.authenticate(key)
        pass_ = await gate.admit(principal, CallInfo("completion", "m", None))
        await pass_.succeeded(usage, NOT_SERVED)

    for _ in range(200):
        await one()
    for _ in range(count):
        await one()
    await gate.settler.aclose()


if __name__ == "__main__":
    asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 2200))
