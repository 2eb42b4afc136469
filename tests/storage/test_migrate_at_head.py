"""A worker starting on a database already at the newest revision does not import Alembic
(storage/migrate.py: `at_head` reads the revision files as text and asks the database once)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from llmrelay.storage.database import Database
from llmrelay.storage.migrate import at_head, head_from_files, head_revision


def test_the_files_read_as_text_name_alembics_head() -> None:
    assert head_from_files() == head_revision()


def test_a_file_in_another_form_leaves_the_decision_to_alembic(tmp_path: Path) -> None:
    (tmp_path / "0001_a.py").write_text('revision = "0001"\ndown_revision = None\n')
    (tmp_path / "0002_b.py").write_text('revision = "0002"\ndown_revision = "0001"\n')
    assert head_from_files(tmp_path) == "0002"
    (tmp_path / "0003_merge.py").write_text('revision = "0003"\ndown_revision = ("0001", "0002")\n')
    assert head_from_files(tmp_path) is None


def test_new_database_is_migrated_then_found_at_head(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"

    async def run() -> tuple[bool, bool]:
        db = Database(url)
        try:
            before = await at_head(db.engine)
            await db.migrate()
            return before, await at_head(db.engine)
        finally:
            await db.close()

    assert asyncio.run(run()) == (False, True)
    # a fresh interpreter, as a worker: migrate() finds the head and never imports alembic
    code = (
        "import asyncio, sys\n"
        "from llmrelay.storage.database import Database\n"
        "async def main():\n"
        f"    db = Database({url!r})\n"
        "    await db.migrate()\n"
        "    await db.close()\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako', 'pygments')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
