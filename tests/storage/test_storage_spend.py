from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from llmrelay.storage import Storage
from llmrelay.storage.records import (
    DailySpendFilter,
    KeyUpdate,
    NewBudget,
    NewEndUser,
    NewKey,
    NewOrganization,
    NewTeam,
    NewUser,
    OrganizationUpdate,
    SpendLogFilter,
    SpendLogRecord,
)

T0 = datetime(2026, 3, 1, 23, 59, 0, tzinfo=UTC)


def log(request_id: str, cost: int, *, at: datetime = T0, **fields: object) -> SpendLogRecord:
    values: dict[str, object] = {
        "request_id": request_id,
        "call_type": "completion",
        "start_time": at,
        "end_time": at + timedelta(seconds=1),
        "model": "gpt-4o",
        "provider": "openai",
        "deployment": "openai/gpt-4o",
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 15,
        "cost_micros": cost,
        "key_hash": "k" * 64,
        "user_id": "u1",
        "team_id": "t1",
        "organization_id": "o1",
        "end_user": "customer-7",
    }
    values.update(fields)
    return SpendLogRecord(**values)  # type: ignore[arg-type]


async def seed(storage: Storage, key_budget: int | None = None) -> None:
    await storage.organizations.create(NewOrganization(organization_id="o1"))
    await storage.users.create(NewUser(user_id="u1"))
    await storage.teams.create(NewTeam(team_id="t1", organization_id="o1"))
    await storage.keys.create(
        NewKey(
            key_hash="k" * 64, key_name="sk-...kkkk", user_id="u1", team_id="t1", max_budget_micros=key_budget
        )
    )


async def spends(storage: Storage) -> tuple[int, int, int, int, int]:
    key = await storage.keys.get("k" * 64)
    user = await storage.users.get("u1")
    team = await storage.teams.get("t1")
    org = await storage.organizations.get("o1")
    end_user = await storage.budgets.get_end_user("customer-7")
    assert key and user and team and org and end_user
    return (key.spend_micros, user.spend_micros, team.spend_micros, org.spend_micros, end_user.spend_micros)


async def test_batch_is_applied_once_however_often_it_is_replayed(storage: Storage) -> None:
    await seed(storage)
    batch = [log("r1", 100), log("r2", 250), log("r1", 100)]  # r1 twice, as a replayed spool may hold
    assert await storage.spend.apply(batch) == 2
    assert await spends(storage) == (350, 350, 350, 350, 350)
    assert await storage.spend.apply(batch) == 0
    assert await storage.spend.apply([log("r2", 250), log("r3", 1)]) == 1
    assert await spends(storage) == (351, 351, 351, 351, 351)
    logs = await storage.spend.logs(SpendLogFilter())
    assert sorted(x.request_id for x in logs) == ["r1", "r2", "r3"]


async def test_daily_aggregates_split_by_utc_day_and_dimension(storage: Storage) -> None:
    await seed(storage)
    next_day = T0 + timedelta(minutes=2)  # 00:01 UTC, the next day
    await storage.spend.apply(
        [
            log("a", 100),
            log("b", 200, model="claude", status="failure", error="boom"),
            log("c", 400, at=next_day),
        ]
    )
    await storage.spend.apply([log("d", 800, at=next_day)])
    by_model = await storage.spend.daily(DailySpendFilter(user_id="u1"), group_by="model")
    assert [(r.day, r.group, r.requests, r.failures, r.cost_micros) for r in by_model] == [
        (date(2026, 3, 1), "claude", 1, 1, 200),
        (date(2026, 3, 1), "gpt-4o", 1, 0, 100),
        (date(2026, 3, 2), "gpt-4o", 2, 0, 1200),
    ]
    only_second = await storage.spend.daily(DailySpendFilter(start=date(2026, 3, 2)), group_by="key_hash")
    assert [(r.group, r.prompt_tokens, r.completion_tokens) for r in only_second] == [("k" * 64, 20, 10)]
    assert await storage.spend.daily(DailySpendFilter(team_id="other")) == []


async def test_log_filters(storage: Storage) -> None:
    await seed(storage)
    await storage.spend.apply(
        [
            log("a", 1, at=T0),
            log("b", 2, at=T0 + timedelta(hours=1), model="claude", key_hash=None, user_id="u2"),
            log("c", 3, at=T0 + timedelta(hours=2), team_id=None),
        ]
    )
    ids = [x.request_id for x in await storage.spend.logs(SpendLogFilter(key_hash="k" * 64))]
    assert ids == ["c", "a"]  # newest first
    assert [x.request_id for x in await storage.spend.logs(SpendLogFilter(model="claude"))] == ["b"]
    assert [x.request_id for x in await storage.spend.logs(SpendLogFilter(user_id="u2"))] == ["b"]
    assert [x.request_id for x in await storage.spend.logs(SpendLogFilter(team_id="t1"))] == ["b", "a"]
    window = SpendLogFilter(start=T0 + timedelta(minutes=30), end=T0 + timedelta(hours=2))
    assert [x.request_id for x in await storage.spend.logs(window)] == ["b"]
    assert [x.request_id for x in await storage.spend.logs(SpendLogFilter(limit=1, offset=1))] == ["b"]
    got = await storage.spend.get_log("b")
    assert got is not None and got.key_hash is None and got.cost_micros == 2


async def test_crossing_a_budget_is_announced_once(storage: Storage) -> None:
    await seed(storage, key_budget=300)
    start = await storage.changes.latest_version()
    await storage.spend.apply([log("a", 200)])
    assert await storage.changes.since(start) == []
    await storage.spend.apply([log("b", 150)])
    crossed = await storage.changes.since(start)
    assert [(c.kind, c.ident) for c in crossed] == [("key", "k" * 64)]
    await storage.spend.apply([log("c", 150)])
    assert len(await storage.changes.since(start)) == 1


async def test_retention_purges_old_logs_but_keeps_daily_totals(storage: Storage) -> None:
    await seed(storage)
    await storage.spend.apply(
        [log(f"old{i}", 1, at=T0 - timedelta(days=40)) for i in range(7)] + [log("new", 5)]
    )
    assert await storage.spend.purge_logs(T0 - timedelta(days=30), batch_size=3) == 7
    assert [x.request_id for x in await storage.spend.logs(SpendLogFilter())] == ["new"]
    totals = await storage.spend.daily(DailySpendFilter(), group_by="model")
    assert sum(r.cost_micros for r in totals) == 12


async def test_due_budgets_reset_and_reschedule(db: object) -> None:
    from llmrelay.storage import Database

    assert isinstance(db, Database)
    now = datetime(2026, 5, 31, 12, 0, tzinfo=UTC)
    storage = Storage(db, clock=lambda: now)
    await seed(storage)
    await storage.keys.update(
        "k" * 64,
        KeyUpdate(spend_micros=900, budget_duration="1mo", budget_reset_at=now - timedelta(seconds=1)),
    )
    await storage.users.create(NewUser(user_id="later", budget_reset_at=now + timedelta(days=1)))
    assert await storage.spend.reset_due_budgets() == [("key", "k" * 64)]
    key = await storage.keys.get("k" * 64)
    assert key is not None and key.spend_micros == 0
    assert key.budget_reset_at == datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
    assert await storage.spend.reset_due_budgets() == []


async def test_a_due_shared_budget_resets_its_holders(db: object) -> None:
    """Organizations and end users keep their spend on their own rows and their period on the budget
    they link: when that budget's period ends, every holder starts from zero and the budget moves on."""
    from llmrelay.storage import Database

    assert isinstance(db, Database)
    now = datetime(2026, 5, 31, 12, 0, tzinfo=UTC)
    storage = Storage(db, clock=lambda: now)
    due = now - timedelta(seconds=1)
    await storage.budgets.create(NewBudget(budget_id="daily", budget_duration="1d", budget_reset_at=due))
    await storage.budgets.create(NewBudget(budget_id="later", budget_reset_at=now + timedelta(hours=1)))
    await storage.organizations.create(NewOrganization(organization_id="o1", budget_id="daily"))
    await storage.organizations.update("o1", OrganizationUpdate(spend_micros=700))
    for end_user, budget_id in (("eve", "daily"), ("max", "later"), ("sol", None)):
        await storage.budgets.create_end_user(
            NewEndUser(end_user_id=end_user, budget_id=budget_id, spend_micros=500)
        )

    assert await storage.spend.reset_due_budgets() == [("budget", "daily")]
    org = await storage.organizations.get("o1")
    assert org is not None and org.spend_micros == 0
    spends = {}
    for end_user in ("eve", "max", "sol"):
        record = await storage.budgets.get_end_user(end_user)
        assert record is not None
        spends[end_user] = record.spend_micros
    assert spends == {"eve": 0, "max": 500, "sol": 500}
    budget = await storage.budgets.get("daily")
    assert budget is not None and budget.budget_reset_at == now + timedelta(days=1)
    assert await storage.spend.reset_due_budgets() == []
    changes = await storage.changes.since(0)
    assert ("budget", "daily") in [(c.kind, c.ident) for c in changes]
