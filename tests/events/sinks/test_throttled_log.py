"""Exporter warnings: at most one per interval, the next one saying how many were held back."""

from __future__ import annotations

import logging

import pytest

from llmrelay.events.sinks.throttled_log import ThrottledLog


def test_one_warning_per_interval_with_the_held_back_count(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    throttled = ThrottledLog(logging.getLogger("test.throttled"), interval=60, clock=lambda: now[0])
    assert throttled.warning("down: %s", "a")
    assert not throttled.warning("down: %s", "b")
    now[0] += 59.9
    assert not throttled.warning("down: %s", "c")
    now[0] += 0.1
    assert throttled.warning("down: %s", "d")
    assert [r.getMessage() for r in caplog.records] == ["down: a", "down: d (2 similar warnings held back)"]
