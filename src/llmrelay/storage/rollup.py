"""Sums a batch of spend log rows into the counter and daily-aggregate deltas one transaction applies.
Pure, so the arithmetic is tested without a database."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC
from operator import attrgetter

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
    # (key hash, the model the call asked for) → cost: a key's per-model budgets
    key_models: dict[tuple[str, str], int] = msgspec.field(default_factory=dict)


_OWNER_IDS = attrgetter("key_hash", "user_id", "team_id", "organization_id", "end_user")


def roll_up(logs: Iterable[SpendLogRecord]) -> SpendRollup:
    keys: defaultdict[str, int] = defaultdict(int)
    users: defaultdict[str, int] = defaultdict(int)
    teams: defaultdict[str, int] = defaultdict(int)
    orgs: defaultdict[str, int] = defaultdict(int)
    end_users: defaultdict[str, int] = defaultdict(int)
    daily: dict[tuple[object, ...], DailySpendRow] = {}
    key_models: defaultdict[tuple[str, str], int] = defaultdict(int)
    for log in logs:  # once per spend row written: plain locals, a daily row built only when new
        cost = log.cost_micros
        key_hash, user_id, team_id, organization_id, end_user = _OWNER_IDS(log)
        if key_hash:
            keys[key_hash] += cost
            key_models[key_hash, log.model] += cost
        if user_id:
            users[user_id] += cost
        if team_id:
            teams[team_id] += cost
        if organization_id:
            orgs[organization_id] += cost
        if end_user:
            end_users[end_user] += cost
        day = log.start_time.astimezone(UTC).date()
        key_hash, user_id, team_id = key_hash or "", user_id or "", team_id or ""
        organization_id, end_user = organization_id or "", end_user or ""
        deployment, provider = log.deployment or "", log.provider or ""
        # the row's DAILY_DIMENSIONS, in their order
        dimensions = (
            day, key_hash, user_id, team_id, organization_id, end_user, log.model, deployment, provider
        )  # fmt: skip
        row = daily.get(dimensions)
        if row is None:
            row = daily[dimensions] = DailySpendRow(
                day=day, key_hash=key_hash, user_id=user_id, team_id=team_id,
                organization_id=organization_id, end_user=end_user, model=log.model,
                deployment=deployment, provider=provider,
                requests=0, failures=0, prompt_tokens=0, completion_tokens=0, cost_micros=0,
            )  # fmt: skip
        row.requests += 1
        row.failures += log.status != "success"
        row.prompt_tokens += log.prompt_tokens
        row.completion_tokens += log.completion_tokens
        row.cost_micros += cost
    return SpendRollup(
        keys=dict(keys),
        users=dict(users),
        teams=dict(teams),
        organizations=dict(orgs),
        end_users=dict(end_users),
        daily=list(daily.values()),
        key_models=dict(key_models),
    )
