"""Bulk inserts for imports: straight to the driver's executemany on SQLite.

SQLAlchemy's Core ``insert()`` with a list of dicts runs every value through
its type processors and statement bookkeeping; for 100,000 contacts plus their
emails, phones and audit rows that is seconds of pure Python. On SQLite the
rows go to ``cursor.executemany`` as tuples instead, with values converted
here exactly as SQLAlchemy stores them (DateTime as "YYYY-MM-DD HH:MM:SS.ffffff",
Date as ISO, JSON as text, booleans as 0/1). On PostgreSQL they go in with ``COPY … FROM
STDIN`` (psycopg's ``copy``; ``copy_rows``, which ``db copy`` uses too), JSON as text, and
a table's id sequence is then moved past the ids the rows were given.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, text
from sqlalchemy.orm import Session

CHUNK = 10_000
DEFER_INDEXES_FROM = 10_000
"""Rows from which ``indexes_deferred`` drops and rebuilds indexes (smaller: no gain)."""


@lru_cache(maxsize=64)  # an import stamps every row with the same time
def _datetime(value: dt.datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


class _Json:
    """JSON text of a value; an import repeats one small dict in every audit row,
    so the last encoding is reused when the same object comes again."""

    def __init__(self) -> None:
        self.last: Any = None
        self.text: str | None = None

    def __call__(self, value: Any) -> str | None:
        if value is None:
            return None
        if value is not self.last:
            self.last, self.text = value, json.dumps(value, ensure_ascii=False)
        return self.text


def _converter(column: Any) -> Any:
    """How SQLAlchemy would store this column's values; None when as is."""
    kind = column.type
    if isinstance(kind, JSON):
        return _Json()
    if isinstance(kind, DateTime):
        return _datetime
    if isinstance(kind, Date):
        return _date
    if isinstance(kind, Boolean):
        return _bool
    return None


def stored(session: Session, column: Any, value: Any) -> Any:
    """``value`` as the driver is given it for ``column`` (for a constant in ``insert_rows``)."""
    if session.get_bind().dialect.name != "sqlite":
        return value
    convert = _converter(column)
    return convert(value) if convert else value


def insert_rows(
    session: Session, table: Any, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (tuples in the order of ``names``, values as the driver takes them:
    see ``stored``) into ``table`` in the session's transaction.

    The fastest path: the caller builds each tuple once and nothing here touches a value.
    """
    if not rows:
        return
    _check_columns(table, names)
    if session.get_bind().dialect.name != "sqlite":
        session.flush()  # what the ORM holds goes first, as it would before an INSERT
        raw = session.connection().connection.dbapi_connection
        as_text = [i for i, name in enumerate(names) if isinstance(table.c[name].type, JSON)]
        if as_text:
            rows = [_json_as_text(row, as_text) for row in rows]
        copy_rows(raw, table.name, names, rows)
        if "id" in names:
            _ids_taken(session, table)
        return
    placeholders = ", ".join("?" for _ in names)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders})"
    cursor = session.connection().connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def copy_rows(raw: Any, table: str, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """``rows`` into ``table`` of a PostgreSQL database with ``COPY … FROM STDIN``, on the
    psycopg connection ``raw`` (in its transaction): values as psycopg adapts them, JSON
    as its text. Several times faster than INSERTs, even batched."""

    def quoted(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    columns = ", ".join(quoted(name) for name in names)
    statement = f"COPY {quoted(table)} ({columns}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(statement) as copying:
        for row in rows:
            copying.write_row(row)


def _json_as_text(row: Sequence[Any], at: list[int]) -> list[Any]:
    values = list(row)
    for i in at:
        if values[i] is not None:
            values[i] = json.dumps(values[i], ensure_ascii=False)
    return values


def _ids_taken(session: Session, table: Any) -> None:
    """After rows went in with the ids the import gave them (the next after the highest,
    as SQLite gives), PostgreSQL's sequence goes on from the highest: the next record
    added one by one takes the id after it, not one already taken."""
    session.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"(SELECT max(id) FROM {table.name}))"
        )
    )


@lru_cache(maxsize=64)
def _required(table: Any) -> frozenset[str]:
    return frozenset(
        c.name
        for c in table.columns
        if not c.nullable and c.server_default is None and not (c.primary_key and c.autoincrement)
    )


def _check_columns(table: Any, names: Sequence[str]) -> None:
    """Raw SQL skips SQLAlchemy's Python-side defaults: a required column left out is a bug."""
    unknown = [n for n in names if n not in table.c]
    missing = _required(table) - set(names)
    if unknown or missing:
        raise ValueError(f"insert into {table.name}: unknown {unknown}, missing {sorted(missing)}")


def bulk_insert(session: Session, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts keyed by column name, Python values) into ``table``."""
    if not rows:
        return
    names = list(rows[0].keys())
    if session.get_bind().dialect.name != "sqlite":
        insert_rows(session, table, names, [tuple(row[n] for n in names) for row in rows])
        return
    converters = [_converter(table.c[name]) for name in names]
    for start in range(0, len(rows), CHUNK):
        insert_rows(
            session,
            table,
            names,
            [
                [
                    convert(row[name]) if convert else row[name]
                    for name, convert in zip(names, converters, strict=True)
                ]
                for row in rows[start : start + CHUNK]
            ],
        )


IMPORT_PAGE_CACHE_KIB = 16 << 10
"""SQLite's page cache while an import writes (``page_cache``): 16 MiB, where SQLite's
default is 2. Past the first window the rows go into tables and indexes already holding
the earlier ones, at random places (names, addresses); with 2 MiB most of those pages
were read again from the system's cache for each window. 100,000 CSV rows: the system
time of those reads 1.3-1.6 s -> 0.9 s, the import ~0.5 s shorter (paired runs on a
noisy machine: 0.3-1.7 s); the peak memory 15 MiB more (a bound, filled only as pages
are read); 32 MiB gained nothing more."""


@contextmanager
def page_cache(session: Session, kib: int = IMPORT_PAGE_CACHE_KIB) -> Iterator[None]:
    """Inside: SQLite keeps up to ``kib`` KiB of the database's pages in memory for this
    session's connection; as it was after (the connection goes back to the pool), unless
    the work inside failed: a connection in a failed transaction is not spoken to, and
    keeps the larger bound until it closes. Other databases are left as they are (a
    server's cache is its own)."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    connection = session.connection()
    before = int(connection.exec_driver_sql("PRAGMA cache_size").scalar() or 0)
    connection.exec_driver_sql(f"PRAGMA cache_size = -{int(kib)}")
    yield
    connection.exec_driver_sql(f"PRAGMA cache_size = {before}")


@contextmanager
def indexes_deferred(session: Session, tables: Sequence[Any], rows: int) -> Iterator[None]:
    """Inside: the tables' non-unique indexes are dropped, then built again at the end.

    Inserting 100,000 contacts into an empty table updates each index row by row at
    random places (names, addresses and numbers arrive in no order); building an index
    afterwards sorts once, which saves about a second of a 100,000-row import. Worth it
    only when the rows going in outnumber those already in the first table: building an
    index reads the whole table. Unique indexes stay, as they guard the rows while they go in.
    DDL is transactional in SQLite: a rollback restores the dropped indexes as well, so
    use it inside a unit of work, which rolls back when anything inside fails.
    Other databases are left as they are.
    """
    if session.get_bind().dialect.name != "sqlite" or rows < DEFER_INDEXES_FROM:
        yield
        return
    connection = session.connection()
    first = tables[0].name
    if rows < int(connection.exec_driver_sql(f"SELECT count(*) FROM {first}").scalar() or 0):
        yield
        return
    names = [t.name for t in tables]
    marks = ", ".join(f":t{i}" for i in range(len(names)))
    indexes = connection.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks}) AND sql NOT LIKE 'CREATE UNIQUE%'"
        ),
        {f"t{i}": n for i, n in enumerate(names)},
    ).all()
    for name, _ in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    yield  # on an error the unit of work rolls back, which restores the indexes too
    for _, sql in indexes:
        connection.exec_driver_sql(sql)
