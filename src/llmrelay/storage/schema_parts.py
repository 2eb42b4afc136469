"""What every table shares: the metadata (with its naming convention for constraints and indexes),
identifier lengths, and the column groups several tables carry (limits, time stamps)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String

from llmrelay.storage.columns import UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

ID = 64  # length of every identifier column (ids, aliases are longer)
ALIAS = 255


def limit_columns() -> list[Column[object]]:
    """The budget and rate-limit fields shared by keys, users, teams and budgets."""
    return [
        Column("max_budget_micros", BigInteger, nullable=True),
        Column("soft_budget_micros", BigInteger, nullable=True),
        Column("budget_duration", String(16), nullable=True),
        Column("budget_reset_at", UTCDateTime, nullable=True),
        Column("rpm_limit", Integer, nullable=True),
        Column("tpm_limit", BigInteger, nullable=True),
        Column("max_parallel_requests", Integer, nullable=True),
    ]


def stamps() -> list[Column[object]]:
    """When a row was made and last changed."""
    return [
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
    ]
