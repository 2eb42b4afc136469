"""Stored Responses API objects: add one, read or delete one as its owner, purge by age.

Every read and delete names the owner in its WHERE clause: another caller's response is not found,
the same as one that never existed (the route answers 404 for both)."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import delete, select

from llmrelay.storage.repos.base import Repository, new_values, to_record
from llmrelay.storage.schema import stored_responses

R = stored_responses.c


class StoredResponse(msgspec.Struct, kw_only=True):
    """One stored response. `input_items` and `response` are JSON text, as the gateway sends them."""

    response_id: str
    owner: str
    team_id: str | None = None
    model: str
    previous_response_id: str | None = None
    created_at: datetime
    size_bytes: int
    input_items: str
    response: str


class ResponseRepository(Repository):
    async def add(self, row: StoredResponse) -> None:
        async with self.db.begin() as conn:
            await conn.execute(stored_responses.insert(), [new_values(row)])

    async def get(self, response_id: str, owner: str) -> StoredResponse | None:
        query = select(stored_responses).where(R.response_id == response_id, R.owner == owner)
        async with self.db.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else to_record(StoredResponse, row)

    async def delete(self, response_id: str, owner: str) -> bool:
        async with self.db.begin() as conn:
            result = await conn.execute(
                delete(stored_responses).where(R.response_id == response_id, R.owner == owner)
            )
            return bool(result.rowcount)

    async def purge(self, before: datetime, batch_size: int = 1000, max_batches: int = 50) -> int:
        """Delete responses created before `before`, in batches (no transaction holds its locks for
        long), at most `max_batches` of them per call: a backlog is worked off over several rounds
        of the purge loop instead of in one long burst. Returns how many were deleted."""
        total = 0
        for _ in range(max_batches):
            async with self.db.begin() as conn:
                victims = (
                    select(R.response_id).where(R.created_at < before).limit(batch_size).scalar_subquery()
                )
                result = await conn.execute(delete(stored_responses).where(R.response_id.in_(victims)))
                deleted = int(result.rowcount)
            total += deleted
            if deleted < batch_size:
                break
        return total
