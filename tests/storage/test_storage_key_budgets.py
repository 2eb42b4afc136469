"""A key's shared budget (budget_id: every key naming it spends from the budget's one counter) and its
per-model budgets (model_max_budget: spend per model), as storage writes, resets and loads them, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from llmrelay.storage import Database, Storage
from llmrelay.storage.records import KeyUpdate, NewBudget, NewKey, SpendLogRecord

NOW = datetime(2026, 5, 31, 12, 0, tzinfo=UTC)
A, B, C = "a" * 64, "b" * 64, "c" * 64


def row(request_id: str, key_hash: str, cost: int, model: str = "gpt-4o") -> SpendLogRecord:
    return SpendLogRecord(
        request_id=request_id, call_type="completion", start_time=NOW, end_time=NOW, model=model,
        cost_micros=cost, key_hash=key_hash,
    )  # fmt: skip


async def test_keys_naming_a_budget_spend_from_one_counter(db: Database) -> None:
    storage = Storage(db, clock=lambda: NOW)
    await storage.budgets.create(NewBudget(budget_id="shared", max_budget_micros=1000))
    for key_hash, budget_id in ((A, "shared"), (B, "shared"), (C, None)):
        await storage.keys.create(NewKey(key_hash=key_hash, key_name="sk-...", budget_id=budget_id))
    await storage.spend.apply([row("r1", A, 300), row("r2", B, 400), row("r3", C, 5000)])
    budget = await storage.budgets.get("shared")
    assert budget is not None and budget.spend_micros == 700
    # the batch that crosses the budget announces it, so every instance reloads the keys naming it
    await storage.spend.apply([row("r4", B, 300), row("r4", B, 300)])  # a replayed row counts once
    budget = await storage.budgets.get("shared")
    assert budget is not None and budget.spend_micros == 1000
    changes = [(c.kind, c.ident) for c in await storage.changes.since(0)]
    assert changes.count(("budget", "shared")) == 1
    # the auth path reads it beside the key; the keys naming it are found by the budget
    loaded = await storage.principals.load(A)
    assert loaded is not None and loaded.key_budget is not None and loaded.key_budget.spend_micros == 1000
    assert {r.key.key_hash for r in await storage.principals.load_for_owner("budget", "shared")} == {A, B}
    assert await storage.budgets.holders("shared") == {"keys": 2}


async def test_a_due_shared_budget_starts_its_keys_from_zero(db: Database) -> None:
    storage = Storage(db, clock=lambda: NOW)
    due = NOW - timedelta(seconds=1)
    await storage.budgets.create(NewBudget(budget_id="daily", budget_duration="1d", budget_reset_at=due))
    await storage.keys.create(NewKey(key_hash=A, key_name="sk-...", budget_id="daily"))
    await storage.spend.apply([row("r1", A, 300)])
    assert await storage.spend.reset_due_budgets() == [("budget", "daily")]
    budget = await storage.budgets.get("daily")
    assert budget is not None and budget.spend_micros == 0
    assert budget.budget_reset_at == NOW + timedelta(days=1)


async def test_per_model_spend_counts_the_named_models_only(db: Database) -> None:
    storage = Storage(db, clock=lambda: NOW)
    budgets = {"gpt-4o": {"max_budget_micros": 500, "budget_duration": "1h"}}
    await storage.keys.create(NewKey(key_hash=A, key_name="sk-...", model_max_budget=budgets))
    await storage.spend.apply([row("r1", A, 200), row("r2", A, 999, model="gpt-4o-mini")])
    (spend,) = await storage.keys.model_spend(A)
    assert (spend.model, spend.spend_micros) == ("gpt-4o", 200)
    assert spend.budget_reset_at == NOW + timedelta(hours=1)
    await storage.spend.apply([row("r3", A, 300)])  # 500: used up — the key is announced
    assert ("key", A) in [(c.kind, c.ident) for c in await storage.changes.since(0)]
    loaded = await storage.principals.load(A)
    assert loaded is not None and [s.spend_micros for s in loaded.model_spend] == [500]
    key = await storage.keys.get(A)
    assert key is not None and key.spend_micros == 1499  # the key's own counter counts everything


async def test_a_due_model_budget_resets_and_follows_the_key(db: Database) -> None:
    clock = [NOW]
    storage = Storage(db, clock=lambda: clock[0])
    budgets = {"gpt-4o": {"max_budget_micros": 500, "budget_duration": "1h"}}
    await storage.keys.create(NewKey(key_hash=A, key_name="sk-...", model_max_budget=budgets))
    await storage.spend.apply([row("r1", A, 200)])
    # a regenerated key keeps its per-model spend (the rows follow its new hash)
    assert await storage.keys.regenerate(A, B, "sk-...bbbb") is not None
    assert [s.spend_micros for s in await storage.keys.model_spend(B)] == [200]
    clock[0] = NOW + timedelta(hours=1)
    assert await storage.spend.reset_due_budgets() == [("key", B)]
    (spend,) = await storage.keys.model_spend(B)
    assert spend.spend_micros == 0 and spend.budget_reset_at == NOW + timedelta(hours=2)
    assert await storage.spend.reset_due_budgets() == []


async def test_changing_model_max_budget_forgets_models_no_longer_named(db: Database) -> None:
    storage = Storage(db, clock=lambda: NOW)
    budgets = {"gpt-4o": {"max_budget_micros": 500, "budget_duration": None},
               "o1": {"max_budget_micros": 900, "budget_duration": None}}  # fmt: skip
    await storage.keys.create(NewKey(key_hash=A, key_name="sk-...", model_max_budget=budgets))
    await storage.spend.apply([row("r1", A, 200), row("r2", A, 300, model="o1")])
    kept = {"o1": {"max_budget_micros": 900, "budget_duration": "1d"}}
    updated = await storage.keys.update(A, KeyUpdate(model_max_budget=kept))
    assert updated is not None and updated.model_max_budget == kept
    (spend,) = await storage.keys.model_spend(A)
    assert (spend.model, spend.spend_micros) == ("o1", 300)  # spend so far stays; a new period starts
    assert spend.budget_reset_at == NOW + timedelta(days=1)
    await storage.keys.update(A, KeyUpdate(model_max_budget=None))
    assert await storage.keys.model_spend(A) == ()
