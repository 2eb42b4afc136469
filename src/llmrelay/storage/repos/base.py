"""What every repository shares: the database, a clock, rows → Structs, and the auth change hook."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec
from sqlalchemy import Column, Row, Table, delete, update
from sqlalchemy.ext.asyncio import AsyncConnection

from llmrelay.storage.database import Database
from llmrelay.storage.errors import conflicts_as
from llmrelay.storage.records import AuthChange
from llmrelay.storage.schema import auth_changes, auth_version, virtual_keys

T = TypeVar("T")

Clock = Callable[[], datetime]
ChangeListener = Callable[[list[AuthChange]], Awaitable[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_record(kind: type[T], row: Row[Any]) -> T:
    # column names arrive as sqlalchemy's quoted_name (a str subclass msgspec does not accept)
    return msgspec.convert({str(name): value for name, value in zip(row._fields, row, strict=True)}, kind)


def to_records(kind: type[T], rows: Iterable[Row[Any]]) -> list[T]:
    return [to_record(kind, row) for row in rows]


def set_fields(update_struct: msgspec.Struct) -> dict[str, Any]:
    """The fields of an `*Update` that were given (not UNSET), as column → value."""
    return {
        name: value
        for name in update_struct.__struct_fields__
        if (value := getattr(update_struct, name)) is not msgspec.UNSET
    }


def new_values(new_struct: msgspec.Struct) -> dict[str, Any]:
    return msgspec.structs.asdict(new_struct)  # field → value, in C (once per spend row written)


async def record_changes(
    conn: AsyncConnection, changes: list[tuple[str, str]], now: datetime
) -> list[AuthChange]:
    """Number `changes` in the caller's transaction (see schema.auth_version for why that orders
    them) and append them to the change log read by every instance's cache poller."""
    if not changes:
        return []
    result = await conn.execute(
        update(auth_version)
        .where(auth_version.c.id == 1)
        .values(version=auth_version.c.version + len(changes))
        .returning(auth_version.c.version)
    )
    top = int(result.scalar_one())
    numbered = [
        AuthChange(version=top - len(changes) + 1 + i, kind=kind, ident=ident)
        for i, (kind, ident) in enumerate(changes)
    ]
    await conn.execute(
        auth_changes.insert(),
        [{"version": c.version, "kind": c.kind, "ident": c.ident, "changed_at": now} for c in numbered],
    )
    return numbered


class Repository:
    def __init__(self, db: Database, *, clock: Clock = utc_now, on_change: ChangeListener | None = None):
        self.db = db
        self.clock = clock
        self._on_change = on_change

    async def _notify(self, changes: list[AuthChange]) -> None:
        """Called after commit, so a listener (e.g. a Redis publisher) never announces a change
        another instance could not yet read."""
        if changes and self._on_change is not None:
            await self._on_change(changes)

    async def _update_row(
        self,
        table: Table,
        id_column: Column[Any],
        row_id: str,
        changes: msgspec.Struct,
        *,
        kind: str,
        record: type[T],
        conflict: str,
    ) -> T | None:
        """Apply an `*Update` to one row and log the change for the auth caches, in one transaction."""
        now = self.clock()
        values = set_fields(changes) | {"updated_at": now}
        async with conflicts_as(conflict), self.db.begin() as conn:
            statement = update(table).where(id_column == row_id).values(values).returning(*table.c)
            row = (await conn.execute(statement)).first()
            if row is None:
                return None
            logged = await record_changes(conn, [(kind, row_id)], now)
        await self._notify(logged)
        return to_record(record, row)

    async def _delete_with_keys(
        self, table: Table, id_column: Column[Any], key_owner: Column[Any], ids: list[str], *, kind: str
    ) -> list[str]:
        """Delete rows and, as LiteLLM does, the virtual keys they own (`key_owner` names the keys'
        column pointing at them); every deletion is logged for the auth caches."""
        if not ids:
            return []
        now = self.clock()
        async with self.db.begin() as conn:
            keys = await conn.execute(
                delete(virtual_keys).where(key_owner.in_(ids)).returning(virtual_keys.c.key_hash)
            )
            key_hashes = [str(h) for h in keys.scalars()]
            result = await conn.execute(delete(table).where(id_column.in_(ids)).returning(id_column))
            gone = [str(i) for i in result.scalars()]
            logged = await record_changes(
                conn, [("key", h) for h in key_hashes] + [(kind, i) for i in gone], now
            )
        await self._notify(logged)
        return gone
