"""Models and credentials added through the admin API (general_settings.store_model_in_db). Their
connection values arrive sealed (storage/sealing.py): this repository stores text it cannot read.
Every write is numbered in the change log (kinds "model" and "credential"), so every instance's
poller — and the Redis announcement — brings the change to every router."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Table, delete, select, update

from llmrelay.storage.errors import conflicts_as
from llmrelay.storage.records import CREDENTIAL_CHANGE, MODEL_CHANGE
from llmrelay.storage.repos.base import Repository, record_changes, to_record, to_records
from llmrelay.storage.schema import model_deployments, provider_credentials


class StoredModel(msgspec.Struct, kw_only=True):
    model_id: str
    model_name: str
    sealed_params: str
    model_info: dict[str, Any] | None = None
    created_by: str | None = None
    updated_by: str | None = None
    created_at: datetime
    updated_at: datetime


class StoredCredential(msgspec.Struct, kw_only=True):
    credential_name: str
    sealed_values: str
    credential_info: dict[str, Any] | None = None
    created_by: str | None = None
    updated_by: str | None = None
    created_at: datetime
    updated_at: datetime


class _Rows(Repository):
    table: Table
    id_column: str
    kind: str
    record: type[Any]

    async def list_all(self) -> list[Any]:
        async with self.db.connect() as conn:
            rows = await conn.execute(
                select(self.table).order_by(self.table.c.created_at, self.table.c[self.id_column])
            )
        return to_records(self.record, rows)

    async def get(self, ident: str) -> Any:
        async with self.db.connect() as conn:
            row = (
                await conn.execute(select(self.table).where(self.table.c[self.id_column] == ident))
            ).first()
        return None if row is None else to_record(self.record, row)

    async def _insert(self, ident: str, values: dict[str, Any], by: str | None) -> Any:
        now = self.clock()
        row_values = {self.id_column: ident, **values, "created_by": by, "updated_by": by,
                      "created_at": now, "updated_at": now}  # fmt: skip
        async with conflicts_as(f"{self.id_column} {ident!r} already exists"), self.db.begin() as conn:
            row = (await conn.execute(self.table.insert().values(row_values).returning(*self.table.c))).one()
            logged = await record_changes(conn, [(self.kind, ident)], now)
        await self._notify(logged)
        return to_record(self.record, row)

    async def _replace(self, ident: str, values: dict[str, Any], by: str | None) -> Any:
        """Overwrite the row's values; None when there is no such row."""
        now = self.clock()
        async with self.db.begin() as conn:
            statement = (
                update(self.table)
                .where(self.table.c[self.id_column] == ident)
                .values({**values, "updated_by": by, "updated_at": now})
                .returning(*self.table.c)
            )
            row = (await conn.execute(statement)).first()
            if row is None:
                return None
            logged = await record_changes(conn, [(self.kind, ident)], now)
        await self._notify(logged)
        return to_record(self.record, row)

    async def delete(self, ident: str) -> bool:
        now = self.clock()
        async with self.db.begin() as conn:
            result = await conn.execute(delete(self.table).where(self.table.c[self.id_column] == ident))
            if not result.rowcount:
                return False
            logged = await record_changes(conn, [(self.kind, ident)], now)
        await self._notify(logged)
        return True


class ModelRepository(_Rows):
    table, id_column, kind, record = model_deployments, "model_id", MODEL_CHANGE, StoredModel

    async def add(
        self, model_id: str, model_name: str, sealed_params: str, model_info: dict[str, Any], by: str | None
    ) -> StoredModel:
        values = {"model_name": model_name, "sealed_params": sealed_params, "model_info": model_info}
        stored: StoredModel = await self._insert(model_id, values, by)
        return stored

    async def replace(
        self, model_id: str, model_name: str, sealed_params: str, model_info: dict[str, Any], by: str | None
    ) -> StoredModel | None:
        values = {"model_name": model_name, "sealed_params": sealed_params, "model_info": model_info}
        stored: StoredModel | None = await self._replace(model_id, values, by)
        return stored


class CredentialRepository(_Rows):
    table, id_column, kind, record = (
        provider_credentials,
        "credential_name",
        CREDENTIAL_CHANGE,
        StoredCredential,
    )

    async def add(
        self, name: str, sealed_values: str, credential_info: dict[str, Any], by: str | None
    ) -> StoredCredential:
        stored: StoredCredential = await self._insert(
            name, {"sealed_values": sealed_values, "credential_info": credential_info}, by
        )
        return stored

    async def replace(
        self, name: str, sealed_values: str, credential_info: dict[str, Any], by: str | None
    ) -> StoredCredential | None:
        stored: StoredCredential | None = await self._replace(
            name, {"sealed_values": sealed_values, "credential_info": credential_info}, by
        )
        return stored
