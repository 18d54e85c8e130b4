"""Noticing that another program changed the database (the terminal app reloads then).

SQLite counts, per connection, the commits made by every *other* connection to the
file: ``PRAGMA data_version``. ``ChangeWatch`` keeps one read-only connection of its own
for that and answers ``changed()`` by comparing the count with the one it saw last: a
few microseconds, no lock taken, nothing read from the tables. The app's own writes
come through other connections, so they count too; what is shown is read again either
way, which is what a reload after one's own change does anyway.

On a server database there is no such counter; there ``changed()`` is always False
(PostgreSQL's LISTEN/NOTIFY is the way there, and not built yet).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class ChangeWatch:
    """Whether the database file changed since the last look (SQLite; False otherwise)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._seen: int | None = None
        self._lock = threading.Lock()

    def _open(self) -> sqlite3.Connection | None:
        if self._connection is None and self.path is not None:
            try:
                self._connection = sqlite3.connect(
                    f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
                )
            except sqlite3.Error:
                return None
        return self._connection

    def changed(self) -> bool:
        """True when another connection committed since the last call (the first call
        only takes note). Safe from any thread; an unreadable file is "no change"."""
        with self._lock:
            connection = self._open()
            if connection is None:
                return False
            try:
                (version,) = connection.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error:
                return False
            seen, self._seen = self._seen, int(version)
            return seen is not None and seen != version

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
