"""``coalition db copy``: a whole coalition database into an empty one, on either engine.

A SQLite file moves to a PostgreSQL server (team mode) and back, or to another file, with
its ids, its history (change log, import batches and their changes, sign-on events,
merges, dismissed duplicates, the erasure ledger) and its search index. One function,
``copy_database``, does it all:

* The target must be empty: a new file, an empty server database, or a coalition schema
  without a row. Anything else is refused before a byte is written. The check is made
  again inside the write transaction, after its lock, so nobody slips rows in between.
* The schema is created on the target by the Alembic revisions, in the same transaction
  as the rows (both engines have transactional DDL): a failure or Ctrl+C rolls back to
  the empty target, and a file the copy created is removed.
* The source is read in one snapshot (a read transaction), table by table in id order,
  parents before children. PostgreSQL is written with ``COPY … FROM STDIN`` (psycopg's
  ``cursor.copy``), SQLite with ``executemany`` in chunks; each engine gets its values
  as it stores them (SQLite: datetimes as text, booleans as 0/1, JSON as text).
* The search index is engine-specific (FTS5 tables on SQLite, tsvector tables on
  PostgreSQL): it is not copied but rebuilt on the target by ``store.search``, the code
  that keeps it current. PostgreSQL's id sequences are set past the copied ids.
* Before the commit, each table is read back from the target and compared with what was
  read from the source: row count and a checksum over the rows in id order, each value
  normalised by one function (``normal``) so both engines give the same digest for the
  same data. A difference rolls the whole copy back.

``dump`` is that normalised reading of a whole database: tables as lists of rows that
compare equal across engines (the tests use it to say "nothing changed", or "the copy is
the original").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Date, DateTime, Table, inspect, text
from sqlalchemy.orm import Session

from coalition.errors import DatabaseError
from coalition.store import planner, search
from coalition.store.bulk import copy_rows
from coalition.store.database import MIGRATIONS_DIR, Database, open_database
from coalition.store.models import Base
from coalition.store.where import to_url

Progress = Callable[[str, int, int], None]
"""``(stage, done, total)``: what the copy is doing, for a progress bar."""

CHUNK = 5000
"""Rows read, and written, at a time."""


def _silent(_stage: str, _done: int, _total: int) -> None:
    return None


# --- values: one normal form for both engines ------------------------------------------

_KINDS = ((JSON, "json"), (DateTime, "datetime"), (Date, "date"), (Boolean, "bool"))


def _kind(column: Any) -> str:
    for sql_type, kind in _KINDS:
        if isinstance(column.type, sql_type):
            return kind
    return "plain"


def normal(kind: str, value: Any) -> Any:
    """A stored value in one form whatever the engine that returned it: SQLite gives
    datetimes, dates and JSON as text and booleans as 0/1; PostgreSQL (psycopg) gives
    ``datetime``, ``date`` and ``bool``, and JSON as text here (it is read as ``::text``).
    JSON is compared as what it means (keys sorted), not as it was spaced."""
    if value is None or kind == "plain":
        return value
    if kind == "bool":
        return bool(value)
    if kind == "datetime":
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return value.isoformat(sep=" ", timespec="microseconds")
    if kind == "date":
        return value if isinstance(value, str) else value.isoformat()
    return json.dumps(
        json.loads(value) if isinstance(value, str) else value,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _for_sqlite(kind: str) -> Callable[[Any], Any] | None:
    """A value read from PostgreSQL as SQLAlchemy stores it in SQLite (see store/bulk.py)."""
    if kind == "bool":
        return lambda v: None if v is None else int(v)
    if kind == "datetime":
        return lambda v: None if v is None else v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if kind == "date":
        return lambda v: None if v is None else v.isoformat()
    return None  # JSON comes as text, the rest as it is


# --- reading and writing one table -----------------------------------------------------


def copied_tables() -> list[Table]:
    """Every table of the schema, parents before children (the search index and Alembic's
    own table aside: the one is rebuilt, the other written by the revisions)."""
    return list(Base.metadata.sorted_tables)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _select(table: Table, postgres: bool) -> str:
    names = []
    for column in table.columns:
        name = _quoted(column.name)
        names.append(f"{name}::text" if postgres and _kind(column) == "json" else name)
    order = ", ".join(_quoted(c.name) for c in table.primary_key.columns)
    return f"SELECT {', '.join(names)} FROM {_quoted(table.name)} ORDER BY {order}"


def _is_postgres(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def _rows(connection: Connection, table: Table) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``table`` in primary-key order, a chunk at a time, as the driver
    gives them (on PostgreSQL through a server-side cursor: a big table is never
    held whole)."""
    raw: Any = connection.connection.dbapi_connection
    postgres = _is_postgres(connection)
    cursor = raw.cursor(name=f"coalition_copy_{table.name}") if postgres else raw.cursor()
    try:
        cursor.execute(_select(table, postgres))
        while True:
            chunk = cursor.fetchmany(CHUNK)
            if not chunk:
                return
            yield [tuple(row) for row in chunk]
    finally:
        cursor.close()


class _Digest:
    """Row count and checksum of a table's rows, values normalised (``normal``)."""

    def __init__(self, table: Table) -> None:
        kinds = [_kind(c) for c in table.columns]
        self.normals = [None if k == "plain" else partial(normal, k) for k in kinds]
        self.plain = not any(self.normals)
        self.hash = hashlib.sha256()
        self.count = 0

    def normalised(self, row: Sequence[Any]) -> tuple[Any, ...]:
        if self.plain:
            return tuple(row)
        return tuple(
            v if f is None or v is None else f(v) for f, v in zip(self.normals, row, strict=True)
        )

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        update = self.hash.update
        for row in rows:
            update(repr(self.normalised(row)).encode("utf-8", "surrogatepass"))
            update(b"\n")
        self.count += len(rows)

    def hexdigest(self) -> str:
        return self.hash.hexdigest()


def _writer(connection: Connection, table: Table, from_postgres: bool) -> Any:
    """A function that writes a chunk of rows (as read from the source) into ``table``."""
    names = ", ".join(_quoted(c.name) for c in table.columns)
    raw: Any = connection.connection.dbapi_connection
    if _is_postgres(connection):
        columns = [c.name for c in table.columns]
        return lambda rows: copy_rows(raw, table.name, columns, rows)
    marks = ", ".join("?" for _ in table.columns)
    statement = f"INSERT INTO {_quoted(table.name)} ({names}) VALUES ({marks})"
    converters = [_for_sqlite(_kind(c)) if from_postgres else None for c in table.columns]
    converting = any(converters)

    def insert(rows: Sequence[Sequence[Any]]) -> None:
        if converting:
            rows = [
                tuple(f(v) if f else v for f, v in zip(converters, row, strict=True))
                for row in rows
            ]
        cursor = raw.cursor()
        try:
            cursor.executemany(statement, rows)
        finally:
            cursor.close()

    return insert


# --- the report --------------------------------------------------------------------------


@dataclass(frozen=True)
class TableCheck:
    """One table on both sides: row count and checksum of the source and of the copy."""

    table: str
    source_rows: int
    source_sum: str
    copy_rows: int
    copy_sum: str

    @property
    def same(self) -> bool:
        return self.source_rows == self.copy_rows and self.source_sum == self.copy_sum


@dataclass(frozen=True)
class IndexCheck:
    """A search index rebuilt on the target: its entries against the records it covers."""

    table: str
    records: int
    entries: int

    @property
    def same(self) -> bool:
        return self.records == self.entries


@dataclass
class CopyReport:
    """What ``copy_database`` did; ``ok`` False: the copy differed and was rolled back."""

    source: str
    target: str
    tables: list[TableCheck] = field(default_factory=list)
    indexes: list[IndexCheck] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(t.same for t in self.tables) and all(i.same for i in self.indexes)

    @property
    def rows(self) -> int:
        return sum(t.copy_rows for t in self.tables)


class _Differs(Exception):
    """The copy read back differs from the source: raised to roll it back."""


# --- the copy ------------------------------------------------------------------------------


def copy_database(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    progress: Progress | None = None,
) -> CopyReport:
    """Copy the coalition database ``source`` into the empty database ``target`` (each a
    SQLite path or a ``postgresql://`` URL), all or nothing; see the module docstring.

    Returns the comparison of every table on both sides; when any differs (``ok``
    False) nothing was written. A target that is not empty is refused with a
    ``DatabaseError`` before anything is written.
    """
    tell = progress or _silent
    started = time.monotonic()
    source_url, target_url = to_url(source), to_url(target)
    if source_url == target_url:
        raise DatabaseError(
            f"The source and the target are the same database ({source}); give another target."
        )
    source_path = _file_of(source_url)
    if source_path is not None and not source_path.is_file():
        raise DatabaseError(f"There is no database at {source}; give the path of the file to copy.")
    target_path = _file_of(target_url)
    created = target_path is not None and not target_path.exists()
    src = open_database(source)  # brought to the newest schema, as every command does
    try:
        dst = open_database(target, upgrade=False)
        try:
            report = CopyReport(src.where, dst.where)
            with contextlib.suppress(_Differs):  # rolled back; the report says where
                _copy(src, dst, report, tell)
        finally:
            dst.close()
    except BaseException:
        if created and target_path is not None:
            _remove_file(target_path)
        raise
    finally:
        src.close()
    if created and target_path is not None and not report.ok:
        _remove_file(target_path)
    report.seconds = time.monotonic() - started
    return report


def _file_of(url: str) -> Path | None:
    prefix = "sqlite:///"
    return Path(url[len(prefix) :]) if url.startswith(prefix) else None


def _remove_file(path: Path) -> None:
    """A SQLite file the copy created, with its journals."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _copy(src: Database, dst: Database, report: CopyReport, tell: Progress) -> None:
    tables = copied_tables()
    with src.read_session() as reading, dst.session() as writing:
        source = reading.connection()
        target = writing.connection()
        refusal = _refusal(target, dst.where)
        if refusal:
            raise DatabaseError(refusal)
        _create_schema(target)
        if not _is_postgres(target):
            # Rows of one table may point at rows of the same table further on: SQLite
            # checks the foreign keys at the commit, PostgreSQL at the end of each COPY.
            target.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        from_postgres = _is_postgres(source)
        totals = {
            t.name: int(
                source.exec_driver_sql(f"SELECT count(*) FROM {_quoted(t.name)}").scalar_one()
            )
            for t in tables
        }
        digests: dict[str, _Digest] = {}
        for table in tables:
            stage = f"Copying {table.name}"
            tell(stage, 0, totals[table.name])
            digest = digests[table.name] = _Digest(table)
            write = _writer(target, table, from_postgres)
            for rows in _rows(source, table):
                try:
                    write(rows)
                except Exception as exc:
                    problem = _unfit(exc, table.name, src.where, dst.where)
                    if problem is None:
                        raise
                    raise problem from exc
                digest.add(rows)
                tell(stage, digest.count, totals[table.name])
        if not _is_postgres(target):
            _check_references(target, src.where, dst.where)
        tell("Indexing for search", 0, 1)
        _rebuild_index(writing)
        tell("Indexing for search", 1, 1)
        if _is_postgres(target):
            _sequences_past_ids(target, tables)
            planner.refresh_statistics(writing, sum(totals.values()))
        for number, table in enumerate(tables, start=1):
            tell("Checking the copy", number - 1, len(tables))
            copied = _Digest(table)
            for rows in _rows(target, table):
                copied.add(rows)
            mine = digests[table.name]
            report.tables.append(
                TableCheck(
                    table.name, mine.count, mine.hexdigest(), copied.count, copied.hexdigest()
                )
            )
        tell("Checking the copy", len(tables), len(tables))
        report.indexes.extend(_index_checks(target))
        if not report.ok:
            raise _Differs


_DATA_OR_INTEGRITY = ("22", "23")
"""SQLSTATE classes of a value the server will not take (too long, not a date …) and of
a broken rule (a reference to nothing, a duplicate, a missing value)."""


def _unfit(exc: Exception, table: str, source: str, target: str) -> DatabaseError | None:
    """The sentence for a row of ``table`` the target refused; None for anything else."""
    state = getattr(exc, "sqlstate", None) or getattr(getattr(exc, "orig", None), "sqlstate", None)
    if isinstance(state, str) and state[:2] in _DATA_OR_INTEGRITY:
        lines = str(exc).strip().splitlines()
        reason = lines[0] if lines else type(exc).__name__
    elif isinstance(exc, sqlite3.IntegrityError):
        reason = str(exc)
    else:
        return None
    return DatabaseError(
        f"The table {table} of {source} holds a row {target} does not take ({reason}); "
        f"nothing was copied. `coalition --db {source} check` looks for such rows."
    )


def _check_references(connection: Connection, source: str, target: str) -> None:
    """SQLite checks deferred foreign keys only at the commit, and then without a word of
    where: look first, and name the table."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if not broken:
        return
    table, rowid, parent = broken[0][0], broken[0][1], broken[0][2]
    raise DatabaseError(
        f"The table {table} of {source} holds {len(broken)} row(s) pointing at rows that are "
        f"not there (the first: #{rowid}, in {parent}); nothing was copied to {target}. "
        f"`coalition --db {source} check` lists them."
    )


def _refusal(connection: Connection, where: str) -> str | None:
    """Why ``connection``'s database cannot take a copy (None: it is empty)."""
    present = set(inspect(connection).get_table_names())
    filled = []
    for table in copied_tables():
        if table.name not in present:
            continue
        count = int(
            connection.exec_driver_sql(f"SELECT count(*) FROM {_quoted(table.name)}").scalar_one()
        )
        if count:
            filled.append(f"{count} in {table.name}")
    if not filled:
        return None
    shown = ", ".join(filled[:4]) + (" …" if len(filled) > 4 else "")
    return (
        f"{where} is not empty (rows: {shown}); nothing was copied. Give a new file or an "
        "empty PostgreSQL database as the target."
    )


def _create_schema(connection: Connection) -> None:
    """The schema by the Alembic revisions, inside the copy's transaction (a target with
    the schema already at the newest revision is left as it is)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _rebuild_index(session: Session) -> None:
    """Both search indexes from the copied tables, by the code that keeps them current."""
    with (
        search.bulk_indexing(session, search.CONTACT_TABLE),
        search.bulk_indexing(session, search.ORGANISATION_TABLE),
    ):
        search.rebuild(session)


def _index_checks(connection: Connection) -> list[IndexCheck]:
    checks = []
    for index, records in (
        (search.CONTACT_TABLE, "contacts"),
        (search.ORGANISATION_TABLE, "organisations"),
    ):
        count = connection.exec_driver_sql(f"SELECT count(*) FROM {records}").scalar_one()
        entries = connection.exec_driver_sql(f"SELECT count(*) FROM {index}").scalar_one()
        checks.append(IndexCheck(index, int(count), int(entries)))
    return checks


def _sequences_past_ids(connection: Connection, tables: Sequence[Table]) -> None:
    """PostgreSQL: each table's id sequence goes on after the highest copied id (the
    next record added takes the id SQLite would have given it)."""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or keys[0].name != "id":
            continue
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                f"COALESCE((SELECT max(id) FROM {_quoted(table.name)}), 0) + 1, false)"
            ),
            {"table": table.name},
        )


# --- a normalised dump ----------------------------------------------------------------------


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in primary-key order, values in one normal form (``normal``):
    two databases holding the same data dump equal, whatever their engines."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with db.read_session() as session:
        connection = session.connection()
        for table in copied_tables():
            digest = _Digest(table)
            found[table.name] = [
                digest.normalised(row) for rows in _rows(connection, table) for row in rows
            ]
    return found
