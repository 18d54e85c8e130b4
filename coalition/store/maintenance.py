"""Whole-file operations: online backup, restore, and rewriting the file after an erasure.

These work on the SQLite file as a whole, below the ORM, so they live in the
store. Everything that decides *what* to erase stays in the domain.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from coalition.errors import DatabaseError
from coalition.safefile import private_path
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
    # A private temporary file (0600, never through a symlink), renamed when complete.
    with private_path(target) as partial:
        src = sqlite3.connect(source, timeout=10)
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
            src.close()


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


REWRITE_BUSY_SECONDS = 2.0
"""How long the rewrite after an erasure waits for another program to let go of the file
before saying so (rather than waiting the usual ten seconds in silence)."""


class DatabaseHeld(DatabaseError):
    """Another program holds the file: the rewrite could not lock it or empty its WAL."""


def rewrite_without_free_pages(
    db: Database,
    *,
    busy_seconds: float = REWRITE_BUSY_SECONDS,
    after_step: Callable[[str], None] | None = None,
) -> None:
    """After an erasure: merge the search index, VACUUM, and empty the WAL.

    FTS5 keeps deleted terms in older index segments until they are merged;
    SQLite keeps deleted rows in free pages and in the write-ahead log until
    the file is rewritten and checkpointed. ``secure_delete`` is set on the
    connection that does it, so the pages it frees are zeroed too.

    Raises ``DatabaseHeld`` when another program keeps the write lock or a read
    transaction open (the checkpoint cannot copy and truncate the WAL while a
    reader still sees the older pages): the erased values may then still be in
    the file or its -wal. ``after_step`` is called with "optimized", "vacuumed" and
    "checkpointed" as each step is done.
    """
    path = _require_file(db)
    db.engine.dispose()
    con = sqlite3.connect(path, timeout=busy_seconds, isolation_level=None)
    try:
        con.execute("PRAGMA secure_delete = ON")
        if con.execute("PRAGMA secure_delete").fetchone()[0] != 1:  # pragma: no cover
            raise DatabaseError("This SQLite cannot overwrite deleted data (secure_delete).")
        try:
            for table in (CONTACT_TABLE, ORGANISATION_TABLE):
                con.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
            if after_step:
                after_step("optimized")
            con.execute("VACUUM")
            if after_step:
                after_step("vacuumed")
            busy, _frames, _copied = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise DatabaseHeld(f"{path} is in use by another program.") from exc
            raise
        wal = _wal_of(path)
        if busy or (wal.exists() and wal.stat().st_size):
            raise DatabaseHeld(f"{path} is in use by another program.")
        if after_step:
            after_step("checkpointed")
    finally:
        con.close()


def checkpoint(db: Database) -> bool:
    """Copy the WAL into the file and empty it, if no other program is reading an older
    snapshot; returns whether it did."""
    path = _require_file(db)
    db.engine.dispose()
    con = sqlite3.connect(path, timeout=REWRITE_BUSY_SECONDS, isolation_level=None)
    try:
        busy = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    except sqlite3.OperationalError:
        return False
    finally:
        con.close()
    return not busy


def _wal_of(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


_CHUNK = 4 << 20
_OVERLAP = 1024  # longer than any value looked for, so none is missed across two chunks


def _chunks(path: Path) -> Iterator[tuple[bytes, int]]:
    """The database file and its -wal in overlapping chunks, lowered (ASCII), each with the
    offset below which a match starts in this chunk and not in the next."""
    for part in (path, _wal_of(path)):
        try:
            handle = part.open("rb")
        except FileNotFoundError:
            continue
        with handle:
            carry = b""
            while True:
                data = handle.read(_CHUNK)
                buffer = carry + data.lower()
                if not data:
                    if carry:
                        yield carry, len(carry)
                    break
                cut = max(len(buffer) - _OVERLAP, 0)
                yield buffer, cut
                carry = buffer[cut:]


def count_in_file(db: Database, values: Iterable[str]) -> int:
    """How many times any of ``values`` occurs in the database file and its -wal, as bytes,
    ignoring ASCII case: as UTF-8 (SQLite's text) and as JSON writes it (``\\u0142``)."""
    path = _require_file(db)
    forms = {f for v in values if v for f in (v, v.lower(), json.dumps(v)[1:-1])}
    needles = sorted({f.encode().lower() for f in forms}, key=len, reverse=True)
    if not needles:
        return 0
    pattern = re.compile(b"|".join(re.escape(n[: _OVERLAP - 1]) for n in needles))
    return sum(
        1 for buffer, cut in _chunks(path) for m in pattern.finditer(buffer) if m.start() < cut
    )


def spans_in_file(db: Database, anchor: bytes, spans: Iterable[tuple[int, int]]) -> Iterator[str]:
    """Every stretch of the database file and its -wal (lowered, ASCII) around each
    occurrence of ``anchor`` (one byte) that starts ``before`` bytes ahead of it and is
    ``length`` bytes long, for each ``(before, length)`` in ``spans``: what can still be
    recognised by its hash when the value itself is no longer known (an address by its
    "@" and the lengths of its two parts, a number by its "+")."""
    path = _require_file(db)
    shapes = sorted(set(spans))
    for buffer, cut in _chunks(path):
        at = buffer.find(anchor)
        while at != -1:
            for before, length in shapes:
                start = at - before
                if 0 <= start < cut and start + length <= len(buffer):
                    yield buffer[start : start + length].decode("ascii", "replace")
            at = buffer.find(anchor, at + 1)


_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def uuids_in_file(db: Database) -> Iterator[str]:
    """Every UUID written in the database file and its -wal (lowered)."""
    path = _require_file(db)
    for buffer, cut in _chunks(path):
        for m in _UUID.finditer(buffer):
            if m.start() < cut:
                yield m.group().decode("ascii")
