"""Where a gateway keeps its virtual keys and spend: the configured database, or — with a master key
and no database configured — the embedded SQLite store in a data directory of its own, so keys, spend
and the dashboard work out of the box. The explicit opt-out (`general_settings.embedded_database:
false`, or LLMRELAY_EMBEDDED_DATABASE=false) keeps LiteLLM's master-key-only gateway.

The data directory is private to the user running the gateway: created 0700, the database file 0600,
and an existing directory other users can enter is refused rather than used."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR_ENV = "LLMRELAY_DATA_DIR"
EMBEDDED_ENV = "LLMRELAY_EMBEDDED_DATABASE"
SPOOL_SUBDIR = "spend-spool"
# general_settings.spend_spool_dir's default: with the embedded store, the spool goes in the data
# directory instead of the working directory
DEFAULT_SPOOL_DIR = "llmrelay-spool"
_FALSE_WORDS = frozenset({"0", "false", "no", "off"})
# as llmrelay.storage.url's (not imported here: the storage package needs the `db` extra, and a
# gateway without virtual keys must start without it)
DATABASE_FILE = "llmrelay.db"


class DataDirError(ValueError):
    """The data directory cannot be used; the message names it and the settings that choose it."""


@dataclass(frozen=True, slots=True)
class KeysStore:
    """`configured_url`: general_settings.database_url or DATABASE_URL. `data_dir`: the embedded
    store's directory. Neither: no virtual keys."""

    configured_url: str | None
    data_dir: Path | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.configured_url) or self.data_dir is not None

    @property
    def database_url(self) -> str | None:
        """The URL with its async driver (None: no virtual keys). Imports the storage package."""
        if not self.enabled:
            return None
        from llmrelay.storage.url import resolve_database_url

        return resolve_database_url(self.configured_url, {}, self.data_dir)

    @property
    def on_postgres(self) -> bool:
        return (self.configured_url or "").lower().startswith("postgres")

    def prepare(self) -> None:
        """Make the embedded store's directory and file (nothing for a configured database), once,
        in the process that starts the gateway. Raises DataDirError."""
        if self.data_dir is not None:
            prepare_data_dir(self.data_dir)

    def spool_dir(self, configured: str) -> Path:
        if self.data_dir is not None and configured == DEFAULT_SPOOL_DIR:
            return self.data_dir / SPOOL_SUBDIR
        return Path(configured)


def embedded_wanted(general: Any, environ: Mapping[str, str]) -> bool:
    configured: bool | None = general.embedded_database
    if configured is not None:
        return configured
    return environ.get(EMBEDDED_ENV, "").strip().lower() not in _FALSE_WORDS


def data_dir(general: Any, environ: Mapping[str, str]) -> Path:
    """general_settings.data_dir (what --data-dir sets), else LLMRELAY_DATA_DIR, else the user's data
    directory ($XDG_DATA_HOME/llmrelay, ~/.local/share/llmrelay)."""
    configured = general.data_dir or environ.get(DATA_DIR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser().absolute()
    xdg = environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return (base / "llmrelay").absolute()


def keys_store(general: Any, environ: Mapping[str, str] = os.environ) -> KeysStore:
    configured = general.database_url or environ.get("DATABASE_URL")
    if configured:
        return KeysStore(configured)
    if not general.master_key or not embedded_wanted(general, environ):
        return KeysStore(None)
    return KeysStore(None, data_dir(general, environ))


def prepare_data_dir(directory: Path) -> Path:
    """Create the data directory (0700) and its database file (0600) if missing; refuse a directory
    that other users can enter or that belongs to someone else. Returns the database file.
    Raises DataDirError."""
    hint = f"choose another with --data-dir, general_settings.data_dir or {DATA_DIR_ENV}"
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.stat()
    except OSError as exc:
        raise DataDirError(f"data directory {directory}: {exc.strerror or exc} ({hint})") from None
    if not stat.S_ISDIR(info.st_mode):
        raise DataDirError(f"data directory {directory}: not a directory ({hint})")
    if info.st_uid != os.getuid():
        raise DataDirError(f"data directory {directory}: belongs to another user ({hint})")
    if info.st_mode & 0o077:
        raise DataDirError(
            f"data directory {directory}: other users can open it (mode {stat.S_IMODE(info.st_mode):o}); "
            f"`chmod 700 {directory}`, or {hint}"
        )
    database = directory / DATABASE_FILE
    try:
        # never through a symlink: the file is created here, or it is refused
        handle = os.open(database, os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, 0o600)
        try:
            os.fchmod(handle, 0o600)  # an older file made with a looser umask
        finally:
            os.close(handle)
    except OSError as exc:
        raise DataDirError(f"database file {database}: {exc.strerror or exc} ({hint})") from None
    return database
