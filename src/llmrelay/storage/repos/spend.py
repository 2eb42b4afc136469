"""Spend: the idempotent batch write, log queries, daily reports, retention and budget resets."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

import msgspec
from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from llmrelay.storage.database import Database
from llmrelay.storage.durations import next_reset
from llmrelay.storage.records import (
    DailySpendFilter,
    DailyTotal,
    SpendLogFilter,
    SpendLogRecord,
)
from llmrelay.storage.repos.base import (
    ChangeListener,
    Clock,
    Repository,
    new_values,
    record_changes,
    to_records,
    utc_now,
)
from llmrelay.storage.repos.key_spend import add_key_spend, reset_due_model_spend
from llmrelay.storage.rollup import DAILY_DIMENSIONS, SpendRollup, roll_up
from llmrelay.storage.schema import (
    budgets,
    daily_spend,
    end_users,
    organizations,
    spend_logs,
    teams,
    users,
    virtual_keys,
)

S = spend_logs.c
D = daily_spend.c

DailyGroup = Literal[
    "model", "key_hash", "user_id", "team_id", "organization_id", "end_user", "deployment", "provider"
]

# owner table, its id column, the auth change kind announced when the owner crosses its budget
_COUNTERS: tuple[tuple[str, Table, str, str], ...] = (
    ("keys", virtual_keys, "key_hash", "key"),
    ("users", users, "user_id", "user"),
    ("teams", teams, "team_id", "team"),
)


# With spend logs turned off (general_settings.disable_spend_logs) a call leaves only a receipt in
# spend_logs: its request_id — the key that makes a replayed spool harmless — and its start time, for
# the retention purge. Receipts never appear in log queries.
RECEIPT_STATUS = "receipt"
VISIBLE_LOGS = S.status != RECEIPT_STATUS


def receipt(log: SpendLogRecord) -> SpendLogRecord:
    """The spend log row that stands for `log` when spend logs are off: nothing about the call but
    its request id and time."""
    return SpendLogRecord(
        request_id=log.request_id,
        call_type="",
        start_time=log.start_time,
        end_time=log.start_time,
        model="",
        status=RECEIPT_STATUS,
    )


_FIELDS = SpendLogRecord.__struct_fields__
_START, _END = _FIELDS.index("start_time"), _FIELDS.index("end_time")


def _driver_row(log: SpendLogRecord, naive: bool) -> tuple[Any, ...]:
    """`log` as the driver takes it, in field order: what UTCDateTime and SQLite's DATETIME would
    make of its times done here (naive UTC text with microseconds on SQLite; aware on PostgreSQL)."""
    values = msgspec.structs.astuple(log)
    start: datetime | str = log.start_time
    end: datetime | str = log.end_time
    if log.start_time.tzinfo is None or log.end_time.tzinfo is None:
        raise ValueError("naive datetimes are refused: pass an aware (UTC) datetime")
    if naive:
        start = log.start_time.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        end = log.end_time.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return (*values[:_START], start, end, *values[_END + 1 :])


# request ids looked up per query (see _insert_new)
_ID_PAGE = 128


class SpendRepository(Repository):
    def __init__(self, db: Database, *, clock: Clock = utc_now, on_change: ChangeListener | None = None):
        super().__init__(db, clock=clock, on_change=on_change)
        self._insert_sql_by_dialect: dict[str, str] = {}  # the spend log insert, compiled once

    def _insert(self, table: Table) -> Any:
        return (postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert)(table)

    async def apply(self, logs: list[SpendLogRecord], *, keep_logs: bool = True) -> int:
        """Record a batch exactly once: the log rows, the spend counters of key, user, team,
        organization and end user, and the daily aggregates, in one transaction. Rows whose
        request_id is already stored are skipped and add nothing, so replaying a batch is harmless.
        `keep_logs=False` stores a receipt (`receipt`) instead of each log row; counters and
        daily aggregates are the same either way, and so is the replay guarantee, since receipts and
        rows share the request_id key and are purged alike. Returns how many rows were new."""
        unique = list({log.request_id: log for log in reversed(logs)}.values())
        if not unique:
            return 0
        now = self.clock()
        async with self.db.begin() as conn:
            fresh = await self._insert_new(conn, unique, keep_logs)
            if not fresh:
                return 0
            rollup = roll_up(fresh)
            crossed = await self._add_to_counters(conn, rollup)
            await self._add_to_daily(conn, rollup)
            logged = await record_changes(conn, crossed, now)
        await self._notify(logged)
        return len(fresh)

    async def _insert_new(
        self, conn: AsyncConnection, unique: list[SpendLogRecord], keep_logs: bool
    ) -> list[SpendLogRecord]:
        """Insert the rows whose request_id is not stored yet; return them. The ids already stored
        are read first (one query), then the new rows go in as plain tuples through the driver's
        executemany: SQLAlchemy's compiled insert spent ~800 bytecodes per row building and
        processing each row's parameters, more than the key gate's checks of the call. One process
        owns a spool (and so these request ids) at a time, so nothing inserts them in between; the
        ON CONFLICT clause stays as a guard."""
        # the ids bound at execution (an expanding parameter): `in_(ids)` would coerce each id
        # into a SQL literal while building the statement, a few hundred bytecodes per row
        stored = select(S.request_id).where(S.request_id.in_(bindparam("ids", expanding=True)))
        ids = [log.request_id for log in unique]
        known: set[str] = set()
        for start in range(0, len(ids), _ID_PAGE):
            page = ids[start : start + _ID_PAGE]
            # padded with a repeated id: one SQL text whatever the batch's size, so the driver's
            # statement cache holds one lookup, not one per size (docs/adr/0012, §4b)
            page += [page[0]] * (_ID_PAGE - len(page))
            known.update((await conn.execute(stored, {"ids": page})).scalars())
        fresh = [log for log in unique if log.request_id not in known]
        if fresh:
            naive = conn.dialect.name == "sqlite"  # UTCDateTime's storage there: naive UTC text
            rows = [_driver_row(log if keep_logs else receipt(log), naive) for log in fresh]
            await conn.exec_driver_sql(self._insert_sql(conn.dialect), rows)
        return fresh

    def _insert_sql(self, dialect: Any) -> str:
        sql = self._insert_sql_by_dialect.get(dialect.name)
        if sql is None:
            statement = self._insert(spend_logs).values({name: bindparam(name) for name in _FIELDS})
            compiled = statement.on_conflict_do_nothing(index_elements=["request_id"]).compile(
                dialect=dialect
            )
            if list(compiled.positiontup or ()) != list(_FIELDS):
                raise RuntimeError(f"{dialect.name}: spend log insert is not positional in field order")
            sql = self._insert_sql_by_dialect[dialect.name] = compiled.string
        return sql

    async def _add_to_counters(self, conn: AsyncConnection, rollup: SpendRollup) -> list[tuple[str, str]]:
        """Add the batch's cost to each owner; return the owners whose budget this batch used up, so
        every instance's auth cache reloads them and sees the budget reached."""
        crossed: list[tuple[str, str]] = []
        for attr, table, id_column, kind in _COUNTERS:
            for owner, cost in sorted(getattr(rollup, attr).items()):
                row = (
                    await conn.execute(
                        update(table)
                        .where(table.c[id_column] == owner)
                        .values(spend_micros=table.c.spend_micros + cost)
                        .returning(table.c.spend_micros, table.c.max_budget_micros)
                    )
                ).first()
                if row is None or row.max_budget_micros is None:
                    continue
                if row.spend_micros - cost < row.max_budget_micros <= row.spend_micros:
                    crossed.append((kind, owner))
        crossed += await add_key_spend(conn, rollup.keys, rollup.key_models, self.clock())
        for org, cost in sorted(rollup.organizations.items()):
            await conn.execute(
                update(organizations)
                .where(organizations.c.organization_id == org)
                .values(spend_micros=organizations.c.spend_micros + cost)
            )
        if rollup.end_users:
            now = self.clock()
            stmt = self._insert(end_users)
            stmt = stmt.on_conflict_do_update(
                index_elements=["end_user_id"],
                set_={
                    "spend_micros": end_users.c.spend_micros + stmt.excluded.spend_micros,
                    "updated_at": now,
                },
            )
            await conn.execute(
                stmt,
                [
                    {
                        "end_user_id": end_user,
                        "spend_micros": cost,
                        "blocked": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for end_user, cost in sorted(rollup.end_users.items())
                ],
            )
        return crossed

    async def _add_to_daily(self, conn: AsyncConnection, rollup: SpendRollup) -> None:
        # a fixed row order, so two instances upserting the same rows cannot deadlock
        rows = sorted(rollup.daily, key=lambda row: tuple(str(getattr(row, d)) for d in DAILY_DIMENSIONS))
        stmt = self._insert(daily_spend)
        sums = ("requests", "failures", "prompt_tokens", "completion_tokens", "cost_micros")
        stmt = stmt.on_conflict_do_update(
            index_elements=list(DAILY_DIMENSIONS),
            set_={name: D[name] + stmt.excluded[name] for name in sums},
        )
        await conn.execute(stmt, [new_values(row) for row in rows])

    # ---- reads ----

    async def logs(self, flt: SpendLogFilter) -> list[SpendLogRecord]:
        query = select(spend_logs).where(VISIBLE_LOGS)
        for column, value in (
            (S.key_hash, flt.key_hash),
            (S.user_id, flt.user_id),
            (S.team_id, flt.team_id),
            (S.organization_id, flt.organization_id),
            (S.end_user, flt.end_user),
            (S.model, flt.model),
        ):
            if value is not None:
                query = query.where(column == value)
        if flt.start is not None:
            query = query.where(S.start_time >= flt.start)
        if flt.end is not None:
            query = query.where(S.start_time < flt.end)
        query = query.order_by(S.start_time.desc(), S.request_id).limit(flt.limit).offset(flt.offset)
        async with self.db.connect() as conn:
            return to_records(SpendLogRecord, await conn.execute(query))

    async def get_log(self, request_id: str) -> SpendLogRecord | None:
        async with self.db.connect() as conn:
            rows = to_records(
                SpendLogRecord,
                await conn.execute(select(spend_logs).where(S.request_id == request_id, VISIBLE_LOGS)),
            )
        return rows[0] if rows else None

    async def daily(self, flt: DailySpendFilter, group_by: DailyGroup = "model") -> list[DailyTotal]:
        group = D[group_by]
        query = select(
            D.day,
            group.label("group"),
            func.sum(D.requests).label("requests"),
            func.sum(D.failures).label("failures"),
            func.sum(D.prompt_tokens).label("prompt_tokens"),
            func.sum(D.completion_tokens).label("completion_tokens"),
            func.sum(D.cost_micros).label("cost_micros"),
        )
        for column, value in (
            (D.key_hash, flt.key_hash),
            (D.user_id, flt.user_id),
            (D.team_id, flt.team_id),
            (D.organization_id, flt.organization_id),
        ):
            if value is not None:
                query = query.where(column == value)
        if flt.start is not None:
            query = query.where(D.day >= flt.start)
        if flt.end is not None:
            query = query.where(D.day <= flt.end)
        query = query.group_by(D.day, group).order_by(D.day, group)
        async with self.db.connect() as conn:
            rows = await conn.execute(query)
            return [
                DailyTotal(
                    day=_as_date(row.day),
                    group=row.group,
                    requests=int(row.requests),
                    failures=int(row.failures),
                    prompt_tokens=int(row.prompt_tokens),
                    completion_tokens=int(row.completion_tokens),
                    cost_micros=int(row.cost_micros),
                )
                for row in rows
            ]

    # ---- upkeep ----

    async def purge_logs(self, before: datetime, batch_size: int = 5000) -> int:
        """Delete spend log rows (and receipts) that started before `before` (the retention setting),
        in batches so no single transaction holds locks for long. Daily aggregates are kept."""
        total = 0
        while True:
            async with self.db.begin() as conn:
                victims = (
                    select(S.request_id).where(S.start_time < before).limit(batch_size).scalar_subquery()
                )
                result = await conn.execute(delete(spend_logs).where(S.request_id.in_(victims)))
                deleted = int(result.rowcount)
            total += deleted
            if deleted < batch_size:
                return total

    async def reset_due_budgets(self) -> list[tuple[str, str]]:
        """Zero the spend of every key, user and team whose budget_reset_at has passed, and of every
        organization and end user linked to a shared budget whose budget_reset_at has passed; schedule
        each next reset from its budget_duration. Returns (kind, id) of what was reset (a shared
        budget as ("budget", budget_id))."""
        now = self.clock()
        reset: list[tuple[str, str]] = []
        async with self.db.begin() as conn:
            for _, table, id_column, kind in _COUNTERS:
                due = await conn.execute(
                    select(table.c[id_column], table.c.budget_duration).where(table.c.budget_reset_at <= now)
                )
                for owner, duration in due.all():
                    after = next_reset(duration, now) if duration else None
                    await conn.execute(
                        update(table)
                        .where(table.c[id_column] == owner)
                        .values(spend_micros=0, budget_reset_at=after, updated_at=now)
                    )
                    reset.append((kind, str(owner)))
            reset += await _reset_shared_budgets(conn, now)
            reset += await reset_due_model_spend(conn, now)
            logged = await record_changes(conn, reset, now)
        await self._notify(logged)
        return reset


async def _reset_shared_budgets(conn: AsyncConnection, now: datetime) -> list[tuple[str, str]]:
    """A shared budget's period is kept on the budget row; its holders (organizations, end users)
    keep their own spend, the keys naming it spend from the budget's. A "budget" change makes every
    instance reload the holders' cached limits."""
    B = budgets.c
    due = await conn.execute(select(B.budget_id, B.budget_duration).where(B.budget_reset_at <= now))
    reset: list[tuple[str, str]] = []
    for budget_id, duration in due.all():
        for holder in (organizations, end_users):
            await conn.execute(
                update(holder).where(holder.c.budget_id == budget_id).values(spend_micros=0, updated_at=now)
            )
        after = next_reset(duration, now) if duration else None
        await conn.execute(
            update(budgets)
            .where(B.budget_id == budget_id)
            .values(spend_micros=0, budget_reset_at=after, updated_at=now)
        )
        reset.append(("budget", str(budget_id)))
    return reset


def _as_date(value: date | str) -> date:
    # SQLite returns DATE columns through an aggregate query as text
    return value if isinstance(value, date) else date.fromisoformat(value)
