"""The auth room holds both the master-key seam (auth/presented.py, auth/master.py) and virtual keys
(which need SQLAlchemy, through storage). A gateway without virtual keys imports the first half and
must start without the `db` extra, so the package resolves its names lazily."""

from __future__ import annotations

import subprocess
import sys


def modules_after(statement: str) -> list[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_the_master_key_gateway_imports_no_sqlalchemy() -> None:
    loaded = modules_after("import llmrelay.auth.master, llmrelay.proxy.app")
    assert "llmrelay.auth.presented" in loaded
    assert "sqlalchemy" not in loaded and "llmrelay.storage" not in loaded


def test_the_package_names_still_resolve_on_first_use() -> None:
    loaded = modules_after("from llmrelay.auth import KeyAuthService, hash_key")
    assert "llmrelay.auth.service" in loaded and "sqlalchemy" in loaded
