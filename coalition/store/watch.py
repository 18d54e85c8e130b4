"""Noticing that another program changed the database (the terminal app reloads then).

SQLite counts, per connection, the commits made by every *other* connection to the
file: ``PRAGMA data_version``. ``ChangeWatch`` keeps one read-only connection of its own
for that and answers ``changed()`` by comparing the count with the one it saw last: a
few microseconds, no lock taken, nothing read from the tables. The app's own writes
come through other connections, so they count too; what is shown is read again either
way, which is what a reload after one's own change does anyway.

On PostgreSQL every write transaction notifies a channel as it commits
(``database.CHANGES_CHANNEL``, NOTIFY being delivered only on commit), and
``ServerChangeWatch`` listens on a connection of its own: ``changed()`` collects what has
arrived without waiting, so another coordinator's change shows within the app's next look
(every second).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coalition.store.database import Database


def watch_for(db: Database) -> ChangeWatch | ServerChangeWatch:
    """The watch that fits ``db``: its file's counter, or its server's notifications."""
    if db.path is not None or db.is_sqlite:
        return ChangeWatch(db.path)
    return ServerChangeWatch(db)


class ChangeWatch:
    """Whether the SQLite file changed since the last look (with no file: never)."""

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


class ServerChangeWatch:
    """Whether a write transaction committed on the server database since the last look.

    Listens from its first call on: like the file's counter, the first call takes note.
    A connection that broke (the server restarted) is opened again at the next look, and
    that look says "changed" (what happened meanwhile is unknown)."""

    def __init__(self, db: Database) -> None:
        self._engine = db.engine
        self._connection: Any = None
        self._lock = threading.Lock()

    def _listen(self) -> Any:
        import psycopg

        from coalition.store.database import CHANGES_CHANNEL

        args, kwargs = self._engine.dialect.create_connect_args(self._engine.url)
        connection = psycopg.connect(*args, **kwargs, autocommit=True)
        connection.execute(f"LISTEN {CHANGES_CHANNEL}")
        return connection

    def changed(self) -> bool:
        import psycopg

        with self._lock:
            if self._connection is None:
                try:
                    self._connection = self._listen()
                except psycopg.Error:
                    return False
                return False
            try:
                return bool(list(self._connection.notifies(timeout=0)))  # all that came
            except psycopg.Error:
                self.close_connection()
                return True

    def close_connection(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None

    def close(self) -> None:
        with self._lock:
            self.close_connection()
