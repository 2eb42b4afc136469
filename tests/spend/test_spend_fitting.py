"""The fast check of spend/fitting.py agrees with a column-by-column check, for every column."""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime

import msgspec
import pytest

from llmrelay.spend.fitting import _INT_FIELDS, _TEXT_COLUMNS, fit_to_columns, fits
from llmrelay.storage.records import SpendLogRecord

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def _row(**changes: object) -> SpendLogRecord:
    row = SpendLogRecord(
        request_id="r" * 300, call_type="completion", start_time=NOW, end_time=NOW, model="gpt-4o",
        model_group="gpt-4o", deployment="openai/gpt-4o", provider="openai", prompt_tokens=8,
        completion_tokens=4, total_tokens=12, cost_micros=40, key_hash="k" * 64, status="success",
    )  # fmt: skip
    return msgspec.structs.replace(row, **changes)


def _fits_by_column(row: SpendLogRecord) -> bool:
    for name, length in _TEXT_COLUMNS:
        value = getattr(row, name)
        if value is not None and (len(value) > length or "\x00" in value):
            return False
    return all(-(2**63) <= getattr(row, name) <= 2**63 - 1 for name in _INT_FIELDS)


def test_a_row_that_fits_is_returned_as_it_is() -> None:
    row = _row()
    assert fits(row) and fit_to_columns(row) is row


@pytest.mark.parametrize(("name", "length"), _TEXT_COLUMNS)
def test_every_text_column_is_checked_for_length_and_nul(name: str, length: int) -> None:
    if length != sys.maxsize:
        at_bound = _row(**{name: "x" * length})
        assert fits(at_bound)
        over = _row(**{name: "x" * (length + 1)})
        assert not fits(over)
        assert getattr(fit_to_columns(over), name) == "x" * length
    nul = _row(**{name: "a\x00b"})
    assert not fits(nul)
    assert getattr(fit_to_columns(nul), name) == "a\ufffdb"


def test_empty_columns_fit() -> None:
    nullable = ("model_group", "deployment", "provider", "key_hash", "user_id", "team_id",
                "organization_id", "end_user", "error")  # fmt: skip
    assert fits(_row(**dict.fromkeys(nullable)))


@pytest.mark.parametrize("name", _INT_FIELDS)
def test_every_integer_is_held_within_64_bits(name: str) -> None:
    assert fits(_row(**{name: 2**63 - 1})) and fits(_row(**{name: -(2**63)}))
    assert getattr(fit_to_columns(_row(**{name: 2**70})), name) == 2**63 - 1
    assert getattr(fit_to_columns(_row(**{name: -(2**70)})), name) == -(2**63)


def test_the_fast_check_agrees_with_the_column_by_column_one() -> None:
    rng = random.Random(7)
    pieces = ["", "a", "\x00", "é", "x" * 15, "x" * 17, "y" * 63, "y" * 65, "z" * 255, "z" * 256]
    for _ in range(2000):
        changes: dict[str, object] = {}
        for name, _ in _TEXT_COLUMNS:
            if rng.random() < 0.3:
                changes[name] = "".join(rng.choices(pieces, k=rng.randint(1, 2)))
        for name in _INT_FIELDS:
            if rng.random() < 0.1:
                changes[name] = rng.choice([0, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1])
        row = _row(**changes)
        assert fits(row) == _fits_by_column(row), changes
        assert _fits_by_column(fit_to_columns(row))
