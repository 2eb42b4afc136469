"""The migration builds exactly the declared schema, and every query the auth path and the admin API
make can use an index."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from llmrelay.storage import Database, upgrade
from llmrelay.storage.durations import next_reset, validate_duration
from llmrelay.storage.migrate import current_revision, head_revision
from llmrelay.storage.schema import metadata
from llmrelay.storage.url import redact, resolve_database_url


def _diff(connection: Any) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrated_schema_equals_declared_schema(db: Database) -> None:
    async with db.connect() as conn:
        assert await conn.run_sync(_diff) == []
    assert await current_revision(db.engine) == head_revision()


def test_upgrade_is_idempotent(database_url: str) -> None:
    assert upgrade(database_url) == head_revision()
    assert upgrade(database_url) == head_revision()


# (description, SQL with :params, table that must not be scanned whole)
QUERIES = [
    ("auth: key by hash", "SELECT * FROM virtual_keys WHERE key_hash = :v", "virtual_keys"),
    ("key list by user", "SELECT * FROM virtual_keys WHERE user_id = :v", "virtual_keys"),
    ("key list by team", "SELECT * FROM virtual_keys WHERE team_id = :v", "virtual_keys"),
    ("key by alias", "SELECT * FROM virtual_keys WHERE key_alias = :v", "virtual_keys"),
    ("user by email", "SELECT * FROM users WHERE user_email = :v", "users"),
    ("teams of user", "SELECT * FROM team_members WHERE user_id = :v", "team_members"),
    ("members of team", "SELECT * FROM team_members WHERE team_id = :v", "team_members"),
    ("teams of org", "SELECT * FROM teams WHERE organization_id = :v", "teams"),
    ("logs by key", "SELECT * FROM spend_logs WHERE key_hash = :v AND start_time >= :t", "spend_logs"),
    ("logs by user", "SELECT * FROM spend_logs WHERE user_id = :v AND start_time >= :t", "spend_logs"),
    ("logs by team", "SELECT * FROM spend_logs WHERE team_id = :v AND start_time >= :t", "spend_logs"),
    ("logs by model", "SELECT * FROM spend_logs WHERE model = :v AND start_time >= :t", "spend_logs"),
    ("logs by date", "SELECT * FROM spend_logs WHERE start_time >= :t", "spend_logs"),
    ("daily by key", "SELECT * FROM daily_spend WHERE key_hash = :v AND day >= :d", "daily_spend"),
    ("daily by team", "SELECT * FROM daily_spend WHERE team_id = :v AND day >= :d", "daily_spend"),
    ("due key budgets", "SELECT * FROM virtual_keys WHERE budget_reset_at <= :t", "virtual_keys"),
    ("changes since", "SELECT * FROM auth_changes WHERE version > :n", "auth_changes"),
    (
        "stored response of its owner",
        "SELECT * FROM stored_responses WHERE response_id = :v AND owner = :v",
        "stored_responses",
    ),
    (
        "responses past retention",
        "SELECT response_id FROM stored_responses WHERE created_at < :t",
        "stored_responses",
    ),
    ("ui session by hash", "SELECT * FROM ui_sessions WHERE session_hash = :v", "ui_sessions"),
    ("expired ui sessions", "SELECT * FROM ui_sessions WHERE expires_at <= :t", "ui_sessions"),
    ("ui sessions of user", "SELECT * FROM ui_sessions WHERE user_id = :v", "ui_sessions"),
    ("files of a key", "SELECT * FROM managed_files WHERE key_hash = :v ORDER BY created_at DESC",
     "managed_files"),
    ("batches of a key", "SELECT * FROM managed_batches WHERE key_hash = :v ORDER BY created_at DESC",
     "managed_batches"),
    ("batches to poll", "SELECT * FROM managed_batches WHERE billing IN ('open', 'claimed') "
     "AND created_at >= :t ORDER BY created_at", "managed_batches"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "sql", "table"), QUERIES, ids=[q[0] for q in QUERIES])
async def test_query_uses_an_index(db: Database, what: str, sql: str, table: str) -> None:
    params = {"v": "x", "t": "2026-01-01 00:00:00", "d": "2026-01-01", "n": 0}
    async with db.connect() as conn:
        if db.is_sqlite:
            plan = " | ".join(
                str(row[-1]) for row in await conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"), params)
            )
            assert f"SCAN {table}" not in plan, f"{what}: {plan}"
        else:
            # empty tables make a sequential scan cheapest; forbid it to see whether an index exists
            await conn.execute(text("SET LOCAL enable_seqscan = off"))
            from datetime import UTC, date, datetime

            params |= {"t": datetime(2026, 1, 1, tzinfo=UTC), "d": date(2026, 1, 1)}
            plan = " | ".join(str(row[0]) for row in await conn.execute(text(f"EXPLAIN {sql}"), params))
            assert "Seq Scan" not in plan, f"{what}: {plan}"


def test_database_url_resolution(tmp_path: Any) -> None:
    assert resolve_database_url(None, {}, tmp_path) == f"sqlite+aiosqlite:///{tmp_path}/llmrelay.db"
    env = {"DATABASE_URL": "postgres://u:secret@h:5432/db"}
    assert resolve_database_url(None, env) == "postgresql+asyncpg://u:secret@h:5432/db"
    assert resolve_database_url("postgresql://a@b/c", env) == "postgresql+asyncpg://a@b/c"
    assert redact("postgresql+asyncpg://u:secret@h/db") == "postgresql+asyncpg://u:***@h/db"
    assert "secret" not in repr(Database("postgresql://u:secret@h/db"))
    with pytest.raises(ValueError, match="unsupported"):
        resolve_database_url("mysql://x/y", {})


def test_durations() -> None:
    from datetime import UTC, datetime

    t = datetime(2026, 1, 31, tzinfo=UTC)
    assert validate_duration(" 30d ") == "30d"
    assert next_reset("1mo", t) == datetime(2026, 2, 28, tzinfo=UTC)
    assert next_reset("12mo", t) == datetime(2027, 1, 31, tzinfo=UTC)
    assert next_reset("90s", t) == datetime(2026, 1, 31, 0, 1, 30, tzinfo=UTC)
    for bad in ("0d", "1y", "d", "-1d", "1.5h"):
        with pytest.raises(ValueError):
            validate_duration(bad)
