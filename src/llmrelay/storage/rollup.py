"""Sums a batch of spend log rows into the counter and daily-aggregate deltas one transaction applies.
Pure, so the arithmetic is tested without a database."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC

import msgspec

from llmrelay.storage.records import DailySpendRow, SpendLogRecord

DAILY_DIMENSIONS = (
    "day",
    "key_hash",
    "user_id",
    "team_id",
    "organization_id",
    "end_user",
    "model",
    "deployment",
    "provider",
)


class SpendRollup(msgspec.Struct, kw_only=True):
    keys: dict[str, int]
    users: dict[str, int]
    teams: dict[str, int]
    organizations: dict[str, int]
    end_users: dict[str, int]
    daily: list[DailySpendRow]


def roll_up(logs: Iterable[SpendLogRecord]) -> SpendRollup:
    keys: defaultdict[str, int] = defaultdict(int)
    users: defaultdict[str, int] = defaultdict(int)
    teams: defaultdict[str, int] = defaultdict(int)
    orgs: defaultdict[str, int] = defaultdict(int)
    end_users: defaultdict[str, int] = defaultdict(int)
    daily: dict[tuple[object, ...], DailySpendRow] = {}
    for log in logs:
        for counter, owner in (
            (keys, log.key_hash),
            (users, log.user_id),
            (teams, log.team_id),
            (orgs, log.organization_id),
            (end_users, log.end_user),
        ):
            if owner:
                counter[owner] += log.cost_micros
        day = log.start_time.astimezone(UTC).date()
        row = DailySpendRow(
            day=day,
            key_hash=log.key_hash or "",
            user_id=log.user_id or "",
            team_id=log.team_id or "",
            organization_id=log.organization_id or "",
            end_user=log.end_user or "",
            model=log.model,
            deployment=log.deployment or "",
            provider=log.provider or "",
            requests=0,
            failures=0,
            prompt_tokens=0,
            completion_tokens=0,
            cost_micros=0,
        )
        row = daily.setdefault(tuple(getattr(row, name) for name in DAILY_DIMENSIONS), row)
        row.requests += 1
        row.failures += log.status != "success"
        row.prompt_tokens += log.prompt_tokens
        row.completion_tokens += log.completion_tokens
        row.cost_micros += log.cost_micros
    return SpendRollup(
        keys=dict(keys),
        users=dict(users),
        teams=dict(teams),
        organizations=dict(orgs),
        end_users=dict(end_users),
        daily=list(daily.values()),
    )
