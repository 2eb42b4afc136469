"""The tables of files and batches (/v1/files, /v1/batches): each object's gateway id, its provider's
id, and its owner. On the same `metadata` as every other table (storage/schema.py imports them)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table

from llmrelay.storage.columns import UTCDateTime, json_type
from llmrelay.storage.schema_parts import ALIAS, ID, metadata

# Files uploaded through /v1/files and the files a batch produced (issue 15): the gateway's id, the
# upstream's, where the upstream is (`target`: "group:<model group>" or "provider:<name>", read again
# from the config on each call) and who owns it. `models`: a batch input file's models, each with the
# first line naming it ({"gpt-4o": 1}), checked against the key that creates a batch from it.
managed_files = Table(
    "managed_files",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("upstream_id", String(ALIAS), nullable=False),
    Column("provider", String(64), nullable=False),
    Column("target", String(ALIAS), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("filename", String(ALIAS), nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("key_hash", String(ID), nullable=True),
    Column("team_id", String(ID), nullable=True),
    Column("models", json_type(), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    # GET /v1/files: one owner's files, newest first
    Index(None, "key_hash", "created_at"),
)

# Batches created through /v1/batches: ids and owner as for files; `status` as last read from the
# upstream; `billing` "open" → "claimed" (one instance reads the output, claimed_at) → "billed".
managed_batches = Table(
    "managed_batches",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("upstream_id", String(ALIAS), nullable=False),
    Column("provider", String(64), nullable=False),
    Column("target", String(ALIAS), nullable=False),
    Column("input_file_id", String(ID), nullable=False),
    Column("endpoint", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("key_hash", String(ID), nullable=True),
    Column("user_id", String(ID), nullable=True),
    Column("team_id", String(ID), nullable=True),
    Column("organization_id", String(ID), nullable=True),
    Column("billing", String(16), nullable=False),
    Column("claimed_at", UTCDateTime, nullable=True),
    Column("cost_micros", BigInteger, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    # GET /v1/batches: one owner's batches, newest first
    Index(None, "key_hash", "created_at"),
    # the poller: the batches not billed yet, oldest first
    Index(None, "billing", "created_at"),
)
