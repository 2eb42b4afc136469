"""A spend log row fitted to its columns before it is spooled.

The gateway builds each row from its own values (model groups and deployments from the config, the
provider's error text, token counts the upstream reported), but some of those still carry what a
client or an upstream chose: a wildcard deployment's model name, an error message quoting the
request, a usage block with absurd numbers. PostgreSQL refuses NUL bytes, strings longer than their
column and integers beyond 64 bits, so a row is fitted here: NUL bytes become U+FFFD, strings are cut
to their column's length, integers are held within 64 bits. The request id, the row's identity, is
left alone (a row the database still refuses is set aside by spend/quarantine.py).

This runs once per keyed call on the event loop, so the common case (a row that already fits) is
checked with C-level built-ins over all its columns at once (`attrgetter`, `map`, `all`,
`str.join`) rather than a Python loop over every column; only a row that fails the check takes the
field by field path.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from operator import attrgetter, le
from typing import Any

import msgspec
from sqlalchemy import String

from llmrelay.storage.records import SpendLogRecord
from llmrelay.storage.schema import spend_logs

_INT64_MAX = 2**63 - 1
_INT64_MIN = -(2**63)
_UNBOUNDED = sys.maxsize
# (field, length; sys.maxsize for unbounded text), every string column but the identity
_TEXT_COLUMNS: tuple[tuple[str, int], ...] = tuple(
    (column.name, column.type.length or _UNBOUNDED)
    for column in spend_logs.columns
    if isinstance(column.type, String) and column.name != "request_id"
)
_INT_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens", "cost_micros")

Values = Callable[[SpendLogRecord], tuple[Any, ...]]


def _getter(names: tuple[str, ...]) -> Values:
    """A C-level getter of `names` that always returns a tuple (attrgetter of one name does not)."""
    return attrgetter(*names) if len(names) > 1 else attrgetter(names[0], names[0])


_BOUNDED = tuple((name, length) for name, length in _TEXT_COLUMNS if length != _UNBOUNDED)
_BOUNDED_TEXT: Values = _getter(tuple(name for name, _ in _BOUNDED))
_BOUNDS = tuple(length for _, length in _BOUNDED)
_ALL_TEXT: Values = _getter(tuple(name for name, _ in _TEXT_COLUMNS))
_INTS: Values = _getter(_INT_FIELDS)
# `str` maps a None column to "None", which fits every bound and holds no NUL, and a string to itself
if min(_BOUNDS) < len("None"):
    raise RuntimeError("fits() reads a None column as 'None': no bounded column may be shorter")


def fits(row: SpendLogRecord) -> bool:
    """Whether every database stores `row` as it stands (the common case), checked in C."""
    if not all(map(le, map(len, map(str, _BOUNDED_TEXT(row))), _BOUNDS)):
        return False
    if "\x00" in "".join(map(str, _ALL_TEXT(row))):
        return False
    ints: tuple[int, ...] = _INTS(row)
    return min(ints) >= _INT64_MIN and max(ints) <= _INT64_MAX


def fit_to_columns(row: SpendLogRecord) -> SpendLogRecord:
    """`row`, or a copy of it that every database stores as it stands. Runs once per call."""
    if fits(row):
        return row
    changes: dict[str, Any] = {}
    for name, length in _TEXT_COLUMNS:
        value = getattr(row, name)
        if value is None or (len(value) <= length and "\x00" not in value):
            continue
        changes[name] = value.replace("\x00", "\ufffd")[:length]
    for name in _INT_FIELDS:
        number = getattr(row, name)
        if not _INT64_MIN <= number <= _INT64_MAX:
            changes[name] = min(max(number, _INT64_MIN), _INT64_MAX)
    return msgspec.structs.replace(row, **changes) if changes else row
