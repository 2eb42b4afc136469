"""A keyed request looks its key up once: the authenticator reads the key from the cache, and the
Principal it returns carries that read to the key gate. The gate reads the cache again only if the
cache changed between authentication and the gate (a delete, block or budget change that landed
while the request body was read), so such a change is enforced exactly as when the gate always
read the key again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openai
import pytest
from keys_helpers import GatewayThread, gateway_document

from llmrelay.auth.authenticator import KeyAuthenticator
from llmrelay.auth.cache import PrincipalCache
from llmrelay.auth.keys import display_name, generate_key, hash_key
from llmrelay.auth.principal import scope_limits
from llmrelay.calls.key_principal import KeyPrincipal
from llmrelay.calls.principal import Principal
from llmrelay.gate.admission import CallInfo
from llmrelay.gate.key_gate import KeyGate, ModelAccessDenied
from llmrelay.gate.runtime import KeysRuntime
from llmrelay.limits.memory import MemoryLimiter
from llmrelay.spend.ledger import PendingSpend
from llmrelay.storage import Storage
from llmrelay.storage.records import LimitFields, NewKey
from llmrelay.testing import RunningSimulator
from llmrelay.types.errors import AuthenticationError, BudgetExceededError

HELLO = [{"role": "user", "content": "say hello"}]


def count_lookups(cache: PrincipalCache, key_hash: str) -> list[str]:
    """Record every read of `key_hash` from `cache` from now on (the list grows by one per read)."""
    reads: list[str] = []
    read = cache.get

    def counted(asked: str) -> KeyPrincipal | None:
        if asked == key_hash:
            reads.append(asked)
        return read(asked)

    cache.get = counted  # type: ignore[method-assign]
    return reads


# ---- through the whole gateway ----


@pytest.fixture
async def keyed(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> AsyncIterator[tuple[GatewayThread, str]]:
    """A gateway whose one key (with rpm/tpm limits and a budget, so every check runs) was stored
    before it started: its start-up load reads it, so no change reaches the cache during the test
    (spend is written to the database only at stop, so no reload after a write either)."""
    key = generate_key()
    await storage.keys.create(
        NewKey(key_hash=hash_key(key), key_name=display_name(key), models=["gpt-4o-mini"],
               max_budget_micros=10**9, rpm_limit=10_000, tpm_limit=10**8)
    )  # fmt: skip
    document = gateway_document(
        database_url, openai_sim.api_base, openai_sim.api_key,
        spend_spool_dir=str(tmp_path / "spool"), proxy_batch_write_at=3600,
    )  # fmt: skip
    gw = GatewayThread(document).start()
    try:
        yield gw, key
    finally:
        gw.stop()


def _runtime(gw: GatewayThread) -> KeysRuntime:
    found = gw.app.state.services[0]
    assert isinstance(found, KeysRuntime)
    return found


async def test_one_lookup_per_keyed_request(keyed: tuple[GatewayThread, str]) -> None:
    gw, key = keyed
    cache = _runtime(gw).service.cache
    async with openai.AsyncOpenAI(base_url=gw.base_url + "/v1", api_key=key, max_retries=0) as client:
        await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)  # type: ignore[arg-type]
        generation = cache.generation
        reads = count_lookups(cache, hash_key(key))
        for _ in range(3):
            reply = await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)  # type: ignore[arg-type]
            assert reply.choices[0].message.content
        assert len(reads) == 3
        for _ in range(2):
            stream = await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True)  # type: ignore[arg-type]
            assert [chunk async for chunk in stream]
        assert len(reads) == 5
        with pytest.raises(openai.AuthenticationError):  # refused by the gate: the model is not the key's
            await client.chat.completions.create(model="gpt-4o", messages=HELLO)  # type: ignore[arg-type]
        assert len(reads) == 6
    assert cache.generation == generation  # nothing changed the cache: each count is one request's own


# ---- a change between authentication and the gate ----


class _NoLoads:
    """PrincipalSync as far as the authenticator uses it: the cache, and no database behind it."""

    def __init__(self, cache: PrincipalCache) -> None:
        self.cache = cache

    def load_in_background(self, key_hash: str) -> bool:
        return False


def _key_principal(key: str, **changes: Any) -> KeyPrincipal:
    key_hash = hash_key(key)
    budget = scope_limits("key", key_hash, LimitFields(max_budget_micros=1_000), spend=0)
    fields: dict[str, Any] = {"models": frozenset({"m"}), "limits": (budget,), **changes}
    return KeyPrincipal(key_hash=key_hash, key_name=display_name(key), **fields)


def _gate_and_authenticate() -> tuple[KeyGate, PrincipalCache, str, Principal]:
    cache = PrincipalCache()
    key = generate_key()
    cache.put(_key_principal(key))
    keys = KeyAuthenticator(_NoLoads(cache), None)  # type: ignore[arg-type]
    gate = KeyGate(keys, MemoryLimiter(), writer=None, pending=PendingSpend())
    return gate, cache, key, keys.authenticate(key)


async def test_the_gate_uses_the_key_authentication_read() -> None:
    gate, cache, key, principal = _gate_and_authenticate()
    assert principal.key is cache.get(hash_key(key))
    reads = count_lookups(cache, hash_key(key))
    admitted = await gate.admit(principal, CallInfo("completion", "m", None))
    assert admitted.found is principal.key
    assert reads == []


async def test_a_key_deleted_while_the_body_was_read_is_refused() -> None:
    gate, cache, key, principal = _gate_and_authenticate()
    cache.remove(hash_key(key))
    with pytest.raises(AuthenticationError, match="invalid API key"):
        await gate.admit(principal, CallInfo("completion", "m", None))


async def test_a_budget_used_up_while_the_body_was_read_is_enforced() -> None:
    gate, cache, key, principal = _gate_and_authenticate()
    spent = scope_limits("key", hash_key(key), LimitFields(max_budget_micros=1_000), spend=1_000)
    cache.put(_key_principal(key, limits=(spent,)))
    with pytest.raises(BudgetExceededError, match="Budget has been exceeded"):
        await gate.admit(principal, CallInfo("completion", "m", None))


async def test_a_model_taken_away_while_the_body_was_read_is_refused() -> None:
    gate, cache, key, principal = _gate_and_authenticate()
    cache.put(_key_principal(key, models=frozenset({"other"})))
    with pytest.raises(ModelAccessDenied):
        await gate.admit(principal, CallInfo("completion", "m", None))


async def test_a_change_to_another_key_reads_this_one_again_and_admits_it() -> None:
    gate, cache, key, principal = _gate_and_authenticate()
    cache.put(_key_principal(generate_key()))
    reads = count_lookups(cache, hash_key(key))
    admitted = await gate.admit(principal, CallInfo("completion", "m", None))
    assert admitted.found is principal.key  # the same entry, read again once
    assert len(reads) == 1
