"""`make run` installs what running needs, not the development toolchain; `make test` still does."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def planned(target: str) -> str:
    # -n: print the commands without running them; -B: as on a fresh clone (every stamp out of date)
    # --no-print-directory: under `make test` this make is nested and would print "Entering directory"
    command = ["make", "--no-print-directory", "-n", "-B", target]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_installs_only_the_running_extras():
    commands = planned("run")
    assert "-e '.[proxy,db,metrics]'" in commands
    assert ".[dev]" not in commands
    assert commands.strip().splitlines()[-1].endswith("llmrelay serve --demo")


def test_make_test_installs_the_development_toolchain():
    commands = planned("test")
    assert "-e '.[dev]'" in commands
    assert "pytest" in commands
