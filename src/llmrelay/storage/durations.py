"""Budget durations as LiteLLM writes them ("30s", "15m", "1h", "1d", "30d", "1mo") and the next
reset time they imply."""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta

_PATTERN = re.compile(r"^\s*(\d{1,12})\s*(s|m|h|d|w|mo)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
# the longest duration accepted: 1200 months of 31 days (a little over 100 years, so "36500d" and
# "1200mo" both pass). Longer ones would push a reset or expiry time past what a datetime holds (an
# OverflowError), and mean "never" anyway.
_MONTH_SECONDS = 31 * 86400
MAX_DURATION_SECONDS = 1200 * _MONTH_SECONDS


def validate_duration(text: str) -> str:
    """Return `text` normalised ("30d"), or raise ValueError with what is accepted."""
    match = _PATTERN.match(text)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"duration {text[:40]!r} is not like 30s, 15m, 1h, 1d, 4w or 1mo")
    amount, unit = int(match.group(1)), match.group(2)
    if amount * (_MONTH_SECONDS if unit == "mo" else _UNITS[unit]) > MAX_DURATION_SECONDS:
        raise ValueError(f"duration {amount}{unit} is longer than 100 years (1200mo), the longest accepted")
    return f"{amount}{unit}"


def next_reset(duration: str, after: datetime) -> datetime:
    """The moment a budget of `duration` that starts at `after` resets."""
    match = _PATTERN.match(validate_duration(duration))
    assert match is not None  # validate_duration raised otherwise
    amount, unit = int(match.group(1)), match.group(2)
    if unit == "mo":
        return _add_months(after, amount)
    return after + timedelta(seconds=amount * _UNITS[unit])


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
