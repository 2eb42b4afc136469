"""Memory that grew with client-chosen names (hardening issue: RSS grew ≈ 0.5-1.4 KB per request with
no plateau; bench/soak.py and docs/adr/0007-hardening-limits.md). The key gate cached a virtual key's
limits per (key, model name as the client wrote it): every made-up model name — answered 404 after
admission — kept an entry holding that name, up to 100,000 of them per worker."""

from __future__ import annotations

from llmrelay.calls.key_principal import KeyPrincipal
from llmrelay.gate.key_limits import KeyLimits
from llmrelay.limits import Limit


def gate() -> KeyLimits:
    return KeyLimits()


def test_made_up_model_names_leave_no_cache_entries() -> None:
    keys = gate()
    principal = KeyPrincipal(key_hash="h" * 64, key_name="sk-...abcd")
    for n in range(1000):
        assert keys.of(principal, f"made-up-model-{n}-" + "x" * 1000) == []
    assert len(keys) == 1


def test_per_model_limits_still_apply_per_model() -> None:
    keys = gate()
    principal = KeyPrincipal(
        key_hash="k" * 64, key_name="sk-...wxyz",
        metadata={"model_rpm_limit": {"gpt": 5}, "model_tpm_limit": {"claude": 100}},
    )  # fmt: skip
    assert keys.of(principal, "gpt") == [Limit(f"key-model:{'k' * 64}:gpt", 5, None)]
    assert keys.of(principal, "claude") == [Limit(f"key-model:{'k' * 64}:claude", None, 100)]
    assert keys.of(principal, "other") == []
    for n in range(100):
        keys.of(principal, f"made-up-{n}")
    # one entry per model with a limit of its own, one for every other name
    assert len(keys) == 3
