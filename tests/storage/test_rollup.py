"""roll_up's sums against a plain recount over random batches (the arithmetic, without a database)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

from llmrelay.storage.records import SpendLogRecord
from llmrelay.storage.rollup import DAILY_DIMENSIONS, roll_up


def _batch(rng: random.Random, size: int) -> list[SpendLogRecord]:
    base = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    zones = [UTC, timezone(timedelta(hours=5))]  # a non-UTC start time still counts on its UTC day
    return [
        SpendLogRecord(
            request_id=str(i),
            call_type="completion",
            start_time=(base + timedelta(minutes=rng.randint(0, 90))).astimezone(rng.choice(zones)),
            end_time=base,
            model=rng.choice(["a", "b"]),
            deployment=rng.choice([None, "d1"]),
            provider=rng.choice([None, "openai"]),
            prompt_tokens=rng.randint(0, 9),
            completion_tokens=rng.randint(0, 9),
            cost_micros=rng.randint(0, 100),
            key_hash=rng.choice([None, "", "k1", "k2"]),
            user_id=rng.choice([None, "u1"]),
            team_id=rng.choice([None, "t1", "t2"]),
            organization_id=rng.choice([None, "o1"]),
            end_user=rng.choice([None, "e1"]),
            status=rng.choice(["success", "failure"]),
        )
        for i in range(size)
    ]


def test_roll_up_matches_a_recount() -> None:
    rng = random.Random(3)
    for _ in range(50):
        logs = _batch(rng, rng.randint(0, 60))
        rollup = roll_up(logs)
        for counter, attr in (
            (rollup.keys, "key_hash"),
            (rollup.users, "user_id"),
            (rollup.teams, "team_id"),
            (rollup.organizations, "organization_id"),
            (rollup.end_users, "end_user"),
        ):
            expected: Counter[str] = Counter()
            for log in logs:
                if getattr(log, attr):
                    expected[getattr(log, attr)] += log.cost_micros
            assert counter == dict(expected)
        groups: dict[tuple[object, ...], list[int]] = {}
        for log in logs:
            key = (
                log.start_time.astimezone(UTC).date(),
                *(getattr(log, d) or "" for d in DAILY_DIMENSIONS[1:]),
            )
            sums = groups.setdefault(key, [0, 0, 0, 0, 0])
            for index, value in enumerate(
                (1, log.status != "success", log.prompt_tokens, log.completion_tokens, log.cost_micros)
            ):
                sums[index] += value
        got = {
            tuple(getattr(row, d) for d in DAILY_DIMENSIONS): [
                row.requests,
                row.failures,
                row.prompt_tokens,
                row.completion_tokens,
                row.cost_micros,
            ]
            for row in rollup.daily
        }
        assert got == groups
