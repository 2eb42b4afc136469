"""What the files-and-batches repository takes and returns (storage/repos/files.py)."""

from __future__ import annotations

from datetime import datetime

import msgspec

# a batch's billing: nobody read its output yet; one instance is reading it; its spend is recorded
BILLING_OPEN = "open"
BILLING_CLAIMED = "claimed"
BILLING_DONE = "billed"


class Owner(msgspec.Struct, frozen=True, kw_only=True):
    """Who a file or batch belongs to: the key that created it (None: the master key or an open
    gateway, whose objects only the master key sees) and what its spend is attributed to."""

    key_hash: str | None = None
    user_id: str | None = None
    team_id: str | None = None
    organization_id: str | None = None


class FileRecord(msgspec.Struct, kw_only=True):
    id: str
    upstream_id: str
    provider: str
    target: str  # "group:<model group>" | "provider:<name>": where the upstream is, per the config
    purpose: str
    filename: str
    bytes: int
    created_at: datetime
    key_hash: str | None = None
    team_id: str | None = None
    models: dict[str, int] | None = None  # a batch input file's models → the first line naming each


class BatchRecord(msgspec.Struct, kw_only=True):
    id: str
    upstream_id: str
    provider: str
    target: str
    input_file_id: str
    endpoint: str
    status: str
    created_at: datetime
    billing: str = BILLING_OPEN
    key_hash: str | None = None
    user_id: str | None = None
    team_id: str | None = None
    organization_id: str | None = None
    claimed_at: datetime | None = None
    cost_micros: int | None = None

    def owner(self) -> Owner:
        return Owner(
            key_hash=self.key_hash, user_id=self.user_id, team_id=self.team_id,
            organization_id=self.organization_id,
        )  # fmt: skip
