"""SQLite's `PRAGMA data_version`: a number that changes whenever a connection other than the one
asking commits to the database file (SQLite's own "has anyone else written since I last looked?").

The auth cache polls the change log every quarter second (auth/sync.py); on the embedded store a
poll through the async driver is nine round trips to its thread (a connection checked out and
pinged, the query, its rows, the connection reset), about 2 ms of CPU, four times a second, almost
always to learn that nothing changed. Reading this number on a connection of its own is one round
trip, and the poll runs only when it moved. It is exact, not a heuristic: every commit by any
other connection (another worker, another process, this process's own pool) moves it.

One connection per Database, used by one caller at a time (the poll loop), in a worker thread:
its reads never run on the event loop."""

from __future__ import annotations

import os
import sqlite3
import threading


class DataVersion:
    """Reads one SQLite file's data version on a connection that does nothing else. Blocking: call
    `read` from a worker thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # a read and a close never run at once
        self._closed = False

    def read(self) -> int | None:
        """The current data version, or None once closed or when the file is not there (the caller
        then polls as it would without one)."""
        with self._lock:
            if self._closed:
                return None
            if self._conn is None:
                if not os.path.exists(self.path):  # never create the file (it is made 0600 elsewhere)
                    return None
                # the same wait as the pool's connections (storage/database.py's busy_timeout)
                self._conn = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False)
            row = self._conn.execute("PRAGMA data_version").fetchone()
            return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
