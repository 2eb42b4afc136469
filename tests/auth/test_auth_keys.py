from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import pytest

from llmrelay.auth.cache import PrincipalCache
from llmrelay.auth.keys import MasterKey, display_name, generate_key, hash_key, looks_like_hash
from llmrelay.auth.principal import principal_from_record
from llmrelay.calls.key_principal import KeyPrincipal
from llmrelay.storage.records import (
    BudgetRecord,
    KeyRecord,
    OrganizationRecord,
    PrincipalRecord,
    TeamRecord,
    UserRecord,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_generated_keys_are_long_random_and_prefixed() -> None:
    keys = {generate_key() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert re.fullmatch(r"sk-[A-Za-z0-9_-]{43}", key)


def test_hash_is_litellm_compatible_sha256_hex() -> None:
    key = "sk-1234"
    assert hash_key(key) == hashlib.sha256(b"sk-1234").hexdigest()
    assert looks_like_hash(hash_key(key)) and not looks_like_hash(key)
    assert display_name("sk-abcdefgh") == "sk-...efgh"


def test_master_key_keeps_no_clear_text() -> None:
    master = MasterKey("sk-master-secret")
    assert master.matches("sk-master-secret") and not master.matches("sk-master-secreT")
    assert "secret" not in repr(master)
    assert not any("secret" in repr(getattr(master, slot)) for slot in master.__slots__)
    with pytest.raises(ValueError):
        MasterKey("")


def _key(**fields: object) -> KeyRecord:
    base: dict[str, object] = {
        "key_hash": "h" * 64,
        "key_name": "sk-...hhhh",
        "created_at": NOW,
        "updated_at": NOW,
    }
    return KeyRecord(**(base | fields))  # type: ignore[arg-type]


def test_principal_flattens_models_blocks_and_limits() -> None:
    record = PrincipalRecord(
        key=_key(models=["a", "b", "c"], user_id="u", team_id="t", rpm_limit=5, spend_micros=10),
        user=UserRecord(user_id="u", models=["z"], created_at=NOW, updated_at=NOW),
        team=TeamRecord(team_id="t", models=["b", "c", "d"], blocked=True, created_at=NOW, updated_at=NOW),
        organization=OrganizationRecord(
            organization_id="o", models=["all-proxy-models"], spend_micros=99, created_at=NOW, updated_at=NOW
        ),
        organization_budget=BudgetRecord(budget_id="b", max_budget_micros=50, created_at=NOW, updated_at=NOW),
    )
    principal = principal_from_record(record)
    # a team key: key ∩ team (the user's list governs personal keys only); "all-proxy-models" = all
    assert principal.models == frozenset({"b", "c"})
    assert principal.may_use("b") and not principal.may_use("a")
    assert principal.blocked_by == "team"
    assert [s.scope for s in principal.limits] == ["key", "user", "team", "organization"]
    key_scope = principal.scope("key")
    assert key_scope is not None and key_scope.rpm_limit == 5 and key_scope.spend_micros == 10
    exceeded = principal.exceeded_budget()
    assert exceeded is not None and exceeded.scope == "organization"
    assert principal.organization_id == "o"


def test_personal_key_without_lists_may_use_every_model() -> None:
    principal = principal_from_record(PrincipalRecord(key=_key(expires=NOW)))
    assert principal.models is None and principal.may_use("anything")
    assert principal.expired(NOW.timestamp()) and not principal.expired(NOW.timestamp() - 1)
    assert principal.exceeded_budget() is None


def _principal(key_hash: str, user: str | None = None, team: str | None = None) -> KeyPrincipal:
    return KeyPrincipal(key_hash=key_hash, key_name="sk-...", user_id=user, team_id=team)


def test_cache_owner_index_follows_puts_and_removes() -> None:
    cache = PrincipalCache()
    cache.put(_principal("a", user="u1", team="t1"))
    cache.put(_principal("b", user="u1"))
    assert cache.keys_of("user", "u1") == {"a", "b"}
    cache.put(_principal("a", user="u2", team="t1"))  # moved to another user
    assert cache.keys_of("user", "u1") == {"b"} and cache.keys_of("user", "u2") == {"a"}
    cache.remove("b")
    assert cache.keys_of("user", "u1") == set() and cache.get("b") is None
    assert len(cache) == 1


def test_negative_entries_expire_and_are_bounded() -> None:
    now = [100.0]
    cache = PrincipalCache(negative_ttl=1.0, max_negative=3, clock=lambda: now[0])
    cache.mark_unknown("x")
    assert cache.known_unknown("x")
    now[0] += 1.0
    assert not cache.known_unknown("x")
    for name in "abcd":
        cache.mark_unknown(name)
    assert not cache.known_unknown("a") and all(cache.known_unknown(n) for n in "bcd")
    cache.put(_principal("b"))
    assert not cache.known_unknown("b")
