"""Persistent state: keys, users, teams, organizations, budgets, spend (SQLAlchemy Core, async).

SQLite by default, PostgreSQL when `general_settings.database_url` / DATABASE_URL is set. Importing
this package pulls in SQLAlchemy; `import llmrelay` never does."""

from llmrelay.storage.database import Database
from llmrelay.storage.errors import StorageConflict
from llmrelay.storage.migrate import upgrade
from llmrelay.storage.storage import Storage
from llmrelay.storage.url import resolve_database_url

__all__ = ["Database", "Storage", "StorageConflict", "resolve_database_url", "upgrade"]
