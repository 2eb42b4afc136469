"""Auth tests run on SQLite and the real PostgreSQL (tests/database_fixtures.py), and on the real Redis
with a channel of their own."""

from __future__ import annotations

import pytest

from llmrelay.testing.databases import scratch_name


@pytest.fixture
def redis_channel() -> str:
    return scratch_name("llmrelay-test-auth")
