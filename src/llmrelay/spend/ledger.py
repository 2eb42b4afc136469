"""Spend this process has recorded but the database has not yet counted, per owner.

The auth cache holds each owner's spend as of its last load; the spend writer reaches the database
about a second later. Budget checks add this ledger to the cached spend, so a budget is enforced on
the very next request of this process, not a flush later. An entry leaves the ledger only after its
batch is committed and the owners it touched are reloaded (`SpendWriter.on_applied`), so for a moment
it may count twice (a stricter check), never zero times.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter

from llmrelay.storage.records import SpendLogRecord

# ("key" | "user" | "team" | "organization" | "end_user" | "budget" | "key_model", id)
Owner = tuple[str, str]


_KINDS = ("key", "user", "team", "organization", "end_user")
_OWNER_IDS = attrgetter("key_hash", "user_id", "team_id", "organization_id", "end_user")


def owners_of(row: SpendLogRecord) -> list[Owner]:
    return [(kind, ident) for kind, ident in zip(_KINDS, _OWNER_IDS(row), strict=True) if ident]


class PendingSpend:
    def __init__(self) -> None:
        self._rows: dict[str, tuple[int, list[Owner]]] = {}  # request id → (cost, owners)
        self._by_owner: dict[Owner, int] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, row: SpendLogRecord, extra: tuple[Owner, ...] = ()) -> None:
        """Count a row for the owners it names and `extra` (a key's shared and per-model budgets)."""
        if row.cost_micros <= 0 or row.request_id in self._rows:
            return
        owners = owners_of(row)
        if extra:
            owners += extra
        self._rows[row.request_id] = (row.cost_micros, owners)
        for owner in owners:
            self._by_owner[owner] = self._by_owner.get(owner, 0) + row.cost_micros

    def pending(self, kind: str, ident: str) -> int:
        return self._by_owner.get((kind, ident), 0)

    def settled(self, request_ids: Iterable[str]) -> None:
        """The database now counts these rows (and the cache was reloaded from it)."""
        for request_id in request_ids:
            entry = self._rows.pop(request_id, None)
            if entry is None:
                continue
            cost, owners = entry
            for owner in owners:
                left = self._by_owner[owner] - cost
                if left:
                    self._by_owner[owner] = left
                else:
                    del self._by_owner[owner]
