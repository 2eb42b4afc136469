"""The audit log's records: one admin change as stored and read back, and the filter of its reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class AuditRecord(msgspec.Struct, kw_only=True):
    """One admin change. `changed_by` is the authenticated caller (a user id, or "proxy_admin" for
    the master key), `changed_by_api_key` the acting key's hash ("master_key" for the master key),
    `changed_by_note` what an admin said in the LiteLLM-Changed-By header; the values are views
    (never a key itself)."""

    id: str
    updated_at: datetime
    changed_by: str
    changed_by_api_key: str
    action: str  # created, updated, deleted, blocked, unblocked, regenerated
    table_name: str  # LiteLLM's names: LiteLLM_VerificationToken, LiteLLM_TeamTable...
    object_id: str
    before_value: dict[str, Any] | None = None
    updated_values: dict[str, Any] | None = None
    changed_by_note: str | None = None


class AuditFilter(msgspec.Struct, kw_only=True):
    changed_by: str | None = None
    changed_by_api_key: str | None = None
    action: str | None = None
    table_name: str | None = None
    object_id: str | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    newest_first: bool = True
    limit: int = 10
    offset: int = 0
