"""A key's spend beyond its own counter: the shared budget it names (`virtual_keys.budget_id`: every
key naming it spends from `budgets.spend_micros`) and its per-model budgets (`model_max_budget`: the
spend per model in `key_model_spend`). Written in the spend batch's transaction (repos/spend.py),
reset with the other budgets, read by the auth path (repos/principals.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from llmrelay.storage.durations import next_reset
from llmrelay.storage.records import KeyModelSpend
from llmrelay.storage.repos.base import to_records
from llmrelay.storage.schema import budgets, key_model_spend, virtual_keys

K = virtual_keys.c
M = key_model_spend.c
Owner = tuple[str, str]


def _crossed(spend: int, cost: int, limit: int | None) -> bool:
    return limit is not None and spend - cost < limit <= spend


async def add_key_spend(
    conn: AsyncConnection, keys: dict[str, int], key_models: dict[tuple[str, str], int], now: datetime
) -> list[Owner]:
    """Add a batch's cost to the shared budgets and per-model spends of its keys; return what this
    batch used up (("budget", id), or ("key", hash) for a per-model budget), so every instance
    reloads the keys concerned. One read of the batch's keys, then one write per budget and row."""
    if not keys:
        return []
    rows = await conn.execute(
        select(K.key_hash, K.budget_id, K.model_max_budget).where(
            K.key_hash.in_(sorted(keys)), (K.budget_id.is_not(None)) | (K.model_max_budget.is_not(None))
        )
    )
    per_budget: dict[str, int] = {}
    per_model: dict[str, dict[str, Any]] = {}
    for key_hash, budget_id, model_max_budget in rows:
        if budget_id is not None:
            per_budget[budget_id] = per_budget.get(budget_id, 0) + keys[key_hash]
        if model_max_budget:
            per_model[key_hash] = model_max_budget
    crossed: list[Owner] = []
    for budget_id, cost in sorted(per_budget.items()):  # one order everywhere: no deadlock
        row = (
            await conn.execute(
                update(budgets)
                .where(budgets.c.budget_id == budget_id)
                .values(spend_micros=budgets.c.spend_micros + cost)
                .returning(budgets.c.spend_micros, budgets.c.max_budget_micros)
            )
        ).first()
        if row is not None and _crossed(row.spend_micros, cost, row.max_budget_micros):
            crossed.append(("budget", budget_id))
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(key_model_spend)
    upsert = insert.on_conflict_do_update(
        index_elements=["key_hash", "model"],
        set_={"spend_micros": M.spend_micros + insert.excluded.spend_micros},
    ).returning(M.spend_micros)
    for (key_hash, model), cost in sorted(key_models.items()):
        budget = per_model.get(key_hash, {}).get(model)
        if budget is None:
            continue  # no budget for this model: nothing to count
        duration = budget.get("budget_duration")
        values = {
            "key_hash": key_hash,
            "model": model,
            "spend_micros": cost,
            "budget_reset_at": next_reset(duration, now) if duration else None,
        }
        spend = (await conn.execute(upsert, values)).scalar_one()
        if _crossed(spend, cost, budget.get("max_budget_micros")):
            crossed.append(("key", key_hash))
    return crossed


async def reset_due_model_spend(conn: AsyncConnection, now: datetime) -> list[Owner]:
    """Start a new period for every per-model spend whose period ended (its key's budget_duration
    for that model); returns ("key", hash) of the keys concerned."""
    due = await conn.execute(
        select(M.key_hash, M.model, K.model_max_budget)
        .join(virtual_keys, K.key_hash == M.key_hash)
        .where(M.budget_reset_at <= now)
    )
    touched: dict[str, None] = {}
    for key_hash, model, model_max_budget in due.all():
        duration = (model_max_budget or {}).get(model, {}).get("budget_duration")
        await conn.execute(
            update(key_model_spend)
            .where(M.key_hash == key_hash, M.model == model)
            .values(spend_micros=0, budget_reset_at=next_reset(duration, now) if duration else None)
        )
        touched[key_hash] = None
    return [("key", key_hash) for key_hash in touched]


async def follow_model_budgets(
    conn: AsyncConnection, key_hash: str, model_max_budget: dict[str, dict[str, Any]] | None, now: datetime
) -> None:
    """After a key's model_max_budget was set: forget the spend of models it no longer names, and
    start each named model's period now (its spend so far stays)."""
    named = sorted(model_max_budget or {})
    await conn.execute(delete(key_model_spend).where(M.key_hash == key_hash, M.model.not_in(named)))
    for model in named:
        duration = (model_max_budget or {})[model].get("budget_duration")
        await conn.execute(
            update(key_model_spend)
            .where(M.key_hash == key_hash, M.model == model)
            .values(budget_reset_at=next_reset(duration, now) if duration else None)
        )


async def model_spend_of(
    conn: AsyncConnection, key_hashes: list[str]
) -> dict[str, tuple[KeyModelSpend, ...]]:
    """The per-model spend rows of these keys."""
    if not key_hashes:
        return {}
    found: dict[str, list[KeyModelSpend]] = {}
    rows = await conn.execute(select(key_model_spend).where(M.key_hash.in_(sorted(set(key_hashes)))))
    for record in to_records(KeyModelSpend, rows):
        found.setdefault(record.key_hash, []).append(record)
    return {key_hash: tuple(spends) for key_hash, spends in found.items()}
