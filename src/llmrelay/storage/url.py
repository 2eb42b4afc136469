"""Which database to use: an explicit URL, else DATABASE_URL, else a local SQLite file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

DEFAULT_SQLITE_FILE = "llmrelay.db"


def resolve_database_url(
    configured: str | None, environ: Mapping[str, str], default_dir: Path | None = None
) -> str:
    """`general_settings.database_url` wins, then `DATABASE_URL`, then `<default_dir>/llmrelay.db`.

    The result always names an async driver (asyncpg, aiosqlite), whatever spelling the user wrote:
    `postgres://`, `postgresql://` and `sqlite:///` are accepted as LiteLLM and Heroku write them."""
    url = configured or environ.get("DATABASE_URL")
    if not url:
        path = (default_dir or Path.cwd()) / DEFAULT_SQLITE_FILE
        return f"sqlite+aiosqlite:///{path}"
    return to_async_driver(url)


def to_async_driver(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("database_url must look like postgresql://... or sqlite:///path")
    base = scheme.split("+", 1)[0].lower()
    if base in ("postgres", "postgresql"):
        return f"postgresql+asyncpg://{rest}"
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    raise ValueError(f"unsupported database scheme {base!r}: use postgresql:// or sqlite:///")


def redact(url: str) -> str:
    """The URL with any password replaced, for logs and errors."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
