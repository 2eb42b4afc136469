"""Files only this user may read: what llmrelay writes about calls and money (the SQLite database, the
call log, the spend spool and its dead-letter file) says who called what and what it cost, so each is
created 0600 and each directory it makes 0700, whatever the process umask. Existing files keep the
mode their owner gave them; a directory llmrelay owns alone (the spend spool) is narrowed to 0700."""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


def open_private(path: str | os.PathLike[str], flags: int) -> int:
    """`os.open` with O_CREAT, a new file made 0600 (a mode the umask can only narrow)."""
    return os.open(path, flags | os.O_CREAT, FILE_MODE)


def create_private_file(path: str | os.PathLike[str]) -> None:
    """Create `path` empty and 0600 if it does not exist; leave an existing file alone."""
    os.close(open_private(path, os.O_WRONLY))


def make_private_directory(directory: Path) -> None:
    """Create `directory` (and missing parents) 0700, or narrow an existing one to 0700."""
    directory.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    if directory.stat().st_mode & 0o777 != DIRECTORY_MODE:
        directory.chmod(DIRECTORY_MODE)
