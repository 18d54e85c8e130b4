"""Whole-file operations: online backup, restore, and rewriting the file after an erasure.

These work on the SQLite file as a whole, below the ORM, so they live in the
store. Everything that decides *what* to erase stays in the domain.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

from coalition.errors import DatabaseError
from coalition.store.database import Database, is_known_revision
from coalition.store.search import CONTACT_TABLE, ORGANISATION_TABLE


def _require_file(db: Database) -> Path:
    if db.path is None:
        raise DatabaseError("Backup, restore and erasure rewrite work on SQLite files only.")
    return db.path


def backup(db: Database, target: Path) -> None:
    """Copy the database with SQLite's online backup: consistent even while others write."""
    source = _require_file(db)
    if target.resolve() == source.resolve():
        raise DatabaseError("The backup would overwrite the database itself; choose another path.")
    if not target.parent.is_dir():
        raise DatabaseError(f"The folder {target.parent} does not exist.")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    try:
        src = sqlite3.connect(source, timeout=10)
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
            src.close()
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def schema_of(path: Path) -> str | None:
    """The schema revision of a coalition file, or raise if it is not one."""
    if not path.is_file():
        raise DatabaseError(f"{path} does not exist.")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError:
        raise DatabaseError(f"{path} is not a coalition database.") from None
    return str(row[0]) if row else None


def restore(db: Database, source: Path) -> Path:
    """Replace the database's contents with ``source``; returns the safety copy's path."""
    current = _require_file(db)
    revision = schema_of(source)
    if revision is None:
        raise DatabaseError(f"{source} is not a coalition database.")
    if not is_known_revision(revision):
        raise DatabaseError(
            f"{source} was written by a newer version of coalition; upgrade coalition first."
        )
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    safety = current.with_name(f"{current.name}.before-restore-{stamp}")
    backup(db, safety)
    db.engine.dispose()
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(current, timeout=10)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return safety


def rewrite_without_free_pages(db: Database) -> None:
    """After an erasure: merge the search index, VACUUM, and empty the WAL.

    FTS5 keeps deleted terms in older index segments until they are merged;
    SQLite keeps deleted rows in free pages and in the write-ahead log until
    the file is rewritten and checkpointed. After this, erased values occur
    nowhere in the database file or its -wal.
    """
    path = _require_file(db)
    db.engine.dispose()
    con = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        con.execute("PRAGMA secure_delete = ON")
        for table in (CONTACT_TABLE, ORGANISATION_TABLE):
            con.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
        con.execute("VACUUM")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
