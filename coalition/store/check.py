"""``coalition check``: is the database file whole, and in step with itself?

Four looks, each of them reading only (a backup running beside it, or the terminal app
writing, does not stop them):

* the file's structure: SQLite's full ``integrity_check`` (every page, every index);
* foreign keys: rows that point at a row that is not there;
* the search index: each table's index entries rebuilt, by the code that writes them
  (``store.search``), into a temporary in-memory twin of the index, and compared with
  the stored entries — missing, stale (of a deleted record) and out-of-date entries;
* the schema: at the newest revision this version knows, with every table and column
  the models expect.

Then FTS5's own ``integrity-check`` of each index (its inverted index against its
entries): that one needs the write lock for a moment, is rolled back, and is skipped
with a word when another program is writing.

What can be repaired here is the search index (``rebuild_search_index``); a damaged file
is recovered with SQLite's ``.recover`` or by restoring a backup, which the findings say.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from coalition.errors import DatabaseError
from coalition.store import search
from coalition.store.database import (
    BUSY_TIMEOUT_MS,
    Database,
    current_revisions,
    explain,
    sqlite_error,
)
from coalition.store.schema import SCHEMA_HEAD

_SHOWN = 10
"""Problems named one by one per look; the rest are counted."""


@dataclass(frozen=True)
class Finding:
    """One look at the database: what was checked, and what is wrong (nothing when ok)."""

    what: str
    problems: list[str] = field(default_factory=list)
    note: str = ""
    """What the look found or why it was skipped, when fine ("3 tables, 12 columns")."""

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class CheckReport:
    where: str
    findings: list[Finding]
    repairs: list[str]
    """How to repair what is wrong, one sentence each (empty when all is well)."""
    index_out_of_step: bool = False

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)


def recovery_advice(where: str) -> str:
    """How to get a damaged file's data back: SQLite's recovery, or an earlier backup."""
    return (
        f"Recover what can be read with `sqlite3 {where} .recover | sqlite3 recovered.db` "
        "and check the copy with `coalition --db recovered.db check`, or restore an earlier "
        "backup with `coalition restore BACKUP`."
    )


def quick_check(db: Database) -> str | None:
    """SQLite's ``quick_check`` (the structure of every page, without the indexes'
    contents): None when the file is whole, else the first problem it names."""
    messages = []
    for most in (3, 1):
        try:
            messages = _messages(_pragma(db, f"PRAGMA quick_check({most})"))
            break
        except sqlite3.DatabaseError as exc:
            messages = [str(exc)]
    return None if messages == ["ok"] else "; ".join(messages[:3])


def check_database(db: Database) -> CheckReport:
    """Every look, in order; a look that cannot run says why among its problems."""
    structure = _structure(db)
    findings = [structure, _foreign_keys(db)]
    index, out_of_step = _search_index(db)
    findings.append(index)
    schema, behind = _schema(db)
    findings.append(schema)
    findings.append(_fts_integrity(db))
    repairs = []
    if not structure.ok:
        repairs.append(f"The file is damaged. {recovery_advice(db.where)}")
    if out_of_step and structure.ok:
        repairs.append("`coalition check --repair` rebuilds the search index from the tables.")
    fk = findings[1]
    if not fk.ok and structure.ok:
        repairs.append(
            "Rows that point at missing rows are not repaired automatically: restore an "
            "earlier backup with `coalition restore BACKUP`, or ask for help with the "
            "rows named above."
        )
    if behind:
        repairs.append("`coalition init` upgrades the schema to the newest revision.")
    elif not schema.ok and structure.ok:
        repairs.append(
            "A missing table or column cannot be rebuilt here. " + recovery_advice(db.where)
        )
    return CheckReport(db.where, findings, repairs, index_out_of_step=out_of_step)


def rebuild_search_index(db: Database) -> None:
    """Rebuild both search indexes from the tables, in one unit of work."""
    with db.session() as session:
        search.rebuild(session)


def _pragma(db: Database, sql: str) -> list[tuple[object, ...]]:
    """A PRAGMA on a connection of its own, outside any transaction: it reads only.

    A check of a damaged file may report some rows and then fail: the error is raised
    with the rows so far as its ``rows``.
    """
    rows: list[tuple[object, ...]] = []
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            cursor.execute(sql)
            while (row := cursor.fetchone()) is not None:
                rows.append(tuple(row))
        except sqlite3.DatabaseError as exc:
            exc.rows = rows  # type: ignore[attr-defined]
            raise
        finally:
            cursor.close()
    finally:
        raw.close()
    return rows


def _messages(rows: list[tuple[object, ...]]) -> list[str]:
    """A check's lines, without SQLite's "*** in database main ***" headings."""
    lines = [line for row in rows for line in str(row[0]).splitlines()]
    return [line for line in lines if not line.startswith("*** in database")]


def _failed(what: str, db: Database, exc: Exception) -> Finding:
    problem = explain(exc, db.path, db.where)
    if isinstance(problem, DatabaseError) and "Another program" in str(problem):
        raise problem from exc
    return Finding(what, [f"could not be checked: {exc}"])


def _structure(db: Database) -> Finding:
    what = "file structure (SQLite integrity_check)"
    try:
        messages = _messages(_pragma(db, "PRAGMA integrity_check(100)"))
    except sqlite3.DatabaseError as exc:
        # On some damage the full check stops (and pysqlite loses the lines it had
        # found); the quick check, which does not read the indexes' rows, says where.
        # SQLite's check stops at its Nth error: the fewer asked for, the sooner it stops.
        found = _messages(getattr(exc, "rows", []))
        for most in (20, 5, 1):
            if found:
                break
            with contextlib.suppress(sqlite3.DatabaseError):
                found = _messages(_pragma(db, f"PRAGMA quick_check({most})"))
        if not found:
            return _failed(what, db, exc)
        messages = [*found, f"(the full check stopped: {exc})"]
    if messages == ["ok"]:
        return Finding(what, note="every page and index is whole")
    return Finding(what, _capped(messages))


def _foreign_keys(db: Database) -> Finding:
    what = "foreign keys"
    try:
        rows = _pragma(db, "PRAGMA foreign_key_check")
    except sqlite3.DatabaseError as exc:
        return _failed(what, db, exc)
    if not rows:
        return Finding(what, note="every reference points at a row that is there")
    by_table: dict[tuple[str, str], list[str]] = {}
    for table, rowid, parent, _fkid in rows:
        by_table.setdefault((str(table), str(parent)), []).append(str(rowid))
    problems = []
    for (table, parent), rowids in sorted(by_table.items()):
        shown = ", ".join(rowids[:_SHOWN]) + (
            f" and {len(rowids) - _SHOWN} more" if len(rowids) > _SHOWN else ""
        )
        row_word = "row" if len(rowids) == 1 else "rows"
        problems.append(
            f"{len(rowids)} {row_word} of {table} point at a missing row of {parent} "
            f"(rowid {shown})"
        )
    return Finding(what, problems)


_INDEXED = (
    (search.CONTACT_TABLE, "contacts", search.CONTACT_COLUMNS, search.index_contacts),
    (
        search.ORGANISATION_TABLE,
        "organisations",
        search.ORGANISATION_COLUMNS,
        search.index_organisations,
    ),
)


def _search_index(db: Database) -> tuple[Finding, bool]:
    """The stored entries against entries made afresh from the tables by ``store.search``."""
    what = "search index"
    problems: list[str] = []
    counted: list[str] = []
    try:
        with db.read_session() as session:
            for table, records, columns, index in _INDEXED:
                found = _compare_index(session, table, records, columns, index)
                if isinstance(found, str):
                    counted.append(found)
                else:
                    problems.extend(found)
    except DatabaseError as exc:
        if "Another program" in str(exc):
            raise
        return Finding(what, [f"could not be checked: {sqlite_error(exc) or exc}"]), False
    except sqlite3.DatabaseError as exc:
        return _failed(what, db, exc), False
    if problems:
        return Finding(what, problems), True
    return Finding(what, note="; ".join(counted)), False


def _compare_index(
    session: Session,
    table: str,
    records: str,
    columns: tuple[str, ...],
    index: Callable[[Session, list[int]], None],
) -> list[str] | str:
    """Problems with ``table``'s entries, or a note of how many are in step."""
    definition = session.execute(
        text("SELECT sql FROM main.sqlite_master WHERE name = :name"), {"name": table}
    ).scalar()
    if definition is None:
        return [f"the index table {table} is missing"]
    twin = re.sub(
        rf'^CREATE VIRTUAL TABLE "?{table}"?',
        f'CREATE VIRTUAL TABLE temp."{table}"',
        str(definition),
        count=1,
    )
    listed = ", ".join(columns)
    session.execute(text(twin))
    try:
        # Unqualified, the name now means the temporary twin: the indexing code fills it.
        ids = list(session.scalars(text(f"SELECT id FROM main.{records}")))
        index(session, ids)
        missing = session.execute(
            text(
                f"SELECT count(*) FROM temp.{table} WHERE rowid NOT IN "
                f"(SELECT rowid FROM main.{table})"
            )
        ).scalar_one()
        stale = session.execute(
            text(
                f"SELECT count(*) FROM main.{table} WHERE rowid NOT IN "
                f"(SELECT rowid FROM temp.{table})"
            )
        ).scalar_one()
        outdated = session.execute(
            text(
                f"SELECT count(*) FROM (SELECT rowid, {listed} FROM temp.{table} "
                f"EXCEPT SELECT rowid, {listed} FROM main.{table}) "
                f"WHERE rowid IN (SELECT rowid FROM main.{table})"
            )
        ).scalar_one()
    finally:
        session.execute(text(f"DROP TABLE temp.{table}"))
    single = records[:-1]
    problems = []
    if missing:
        problems.append(f"{_count(missing, single)} not in the index ({table})")
    if stale:
        problems.append(f"{_count(stale, 'entry', 'entries')} of deleted {records} ({table})")
    if outdated:
        problems.append(f"{_count(outdated, single)} with an out-of-date entry ({table})")
    if problems:
        return problems
    return f"{_count(len(ids), single)} in step"


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _schema(db: Database) -> tuple[Finding, bool]:
    """The schema's revision, and the tables and columns the models expect; and whether
    the file is at an older revision (which opening it for any other command upgrades)."""
    from sqlalchemy import inspect

    from coalition.store.models import Base

    what = "schema"
    try:
        revisions = current_revisions(db)
        with db.read_session() as session:
            inspector = inspect(session.connection())
            present = set(inspector.get_table_names())
            problems = []
            columns = 0
            if revisions != (SCHEMA_HEAD,):
                # The models describe the newest schema: an older file is compared with none.
                shown = ", ".join(revisions) or "none"
                problems.append(f"at revision {shown}, not {SCHEMA_HEAD} (the newest)")
                return Finding(what, problems), True
            for name, model_table in sorted(Base.metadata.tables.items()):
                if name not in present:
                    problems.append(f"the table {name} is missing")
                    continue
                have = {c["name"] for c in inspector.get_columns(name)}
                for column in model_table.columns:
                    columns += 1
                    if column.name not in have:
                        problems.append(f"the column {name}.{column.name} is missing")
            for table in (search.CONTACT_TABLE, search.ORGANISATION_TABLE):
                if table not in present:
                    problems.append(f"the search table {table} is missing")
    except DatabaseError as exc:
        if "Another program" in str(exc):
            raise
        return Finding(what, [f"could not be checked: {sqlite_error(exc) or exc}"]), False
    except sqlite3.DatabaseError as exc:
        return _failed(what, db, exc), False
    if problems:
        return Finding(what, problems), False
    tables = len(Base.metadata.tables)
    note = f"revision {SCHEMA_HEAD}; {tables} tables, {columns} columns"
    return Finding(what, note=note), False


def _fts_integrity(db: Database) -> Finding:
    """FTS5's own check of each index's inverted index. An FTS5 'command' is an INSERT, so
    it runs in a write transaction, at once or not at all, and is rolled back."""
    what = "search index structure (FTS5 integrity-check)"
    if db.read_only:
        return Finding(what, note="skipped: the file is on a read-only file system")
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            cursor.execute("PRAGMA busy_timeout = 0")
            try:
                cursor.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    return Finding(what, note="skipped: another program is writing")
                raise
            problems = []
            try:
                for table in (search.CONTACT_TABLE, search.ORGANISATION_TABLE):
                    try:
                        cursor.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
                    except sqlite3.DatabaseError as exc:
                        problems.append(f"{table}: {exc}")
            finally:
                cursor.execute("ROLLBACK")
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")  # back to the pool
            cursor.close()
    except sqlite3.DatabaseError as exc:
        return _failed(what, db, exc)
    finally:
        raw.close()
    if problems:
        return Finding(what, problems)
    return Finding(what, note="both indexes agree with their entries")


def _capped(messages: list[str]) -> list[str]:
    if len(messages) <= _SHOWN:
        return messages
    return [*messages[:_SHOWN], f"… and {len(messages) - _SHOWN} more"]
