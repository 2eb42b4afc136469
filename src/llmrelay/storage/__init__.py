"""Persistent state: keys, users, teams, organizations, budgets, spend (SQLAlchemy Core, async).

SQLite by default, PostgreSQL when `general_settings.database_url` / DATABASE_URL is set. The names
below are resolved on first use (PEP 562), so that a submodule without SQLAlchemy (storage/url.py,
which the process starting the gateway reads) can be imported without it: that process hands its
pages down to every worker (docs/adr/0012). `import llmrelay` never imports this package."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmrelay.storage.database import Database
    from llmrelay.storage.errors import StorageConflict
    from llmrelay.storage.migrate import upgrade
    from llmrelay.storage.storage import Storage
    from llmrelay.storage.url import resolve_database_url

_HOMES = {
    "Database": "llmrelay.storage.database",
    "StorageConflict": "llmrelay.storage.errors",
    "upgrade": "llmrelay.storage.migrate",
    "Storage": "llmrelay.storage.storage",
    "resolve_database_url": "llmrelay.storage.url",
}

__all__ = ["Database", "Storage", "StorageConflict", "resolve_database_url", "upgrade"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'llmrelay.storage' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
