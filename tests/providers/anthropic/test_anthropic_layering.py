"""The Anthropic adapter and dialect are pure: importing them pulls in no network, server or storage
library."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("aiohttp", "granian", "sqlalchemy", "redis", "asyncpg", "aiosqlite", "llmrelay.transport")


def test_anthropic_modules_import_no_io_libraries() -> None:
    code = (
        "import sys, llmrelay.providers.anthropic, llmrelay.wire.anthropic\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} or m in {FORBIDDEN!r}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
