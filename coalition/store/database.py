"""Opening a database: engine, pragmas, sessions, and the schema upgrade.

SQLite is the embedded default and gets careful treatment:

* a new file is created mode 0600 before SQLite touches it (SQLite gives the
  ``-wal`` and ``-shm`` files the same mode as the main file);
* foreign keys on, WAL journal, a busy timeout;
* pysqlite's own transaction handling is switched off and every unit of work
  starts with ``BEGIN IMMEDIATE``, so two writers (the app and a CLI command
  run beside it) queue on the busy timeout instead of one of them failing
  half-way with "database is locked" when it upgrades a read lock. Read-only
  sessions use a plain deferred ``BEGIN`` and never block writers.

The schema belongs to Alembic from the first revision. Opening upgrades an
older file to head; a file stamped with a revision this version does not know
was written by a newer coalition and is refused rather than guessed at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.orm import Session, sessionmaker

from coalition.errors import DatabaseError
from coalition.settings import missing_folder
from coalition.store.schema import SCHEMA_HEAD

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 10_000


def to_url(target: str | os.PathLike[str]) -> str:
    """A database URL from what a user typed: a URL as is, a plain path as SQLite."""
    text = os.fspath(target)
    if "://" in text:
        return text
    path = Path(text).expanduser().resolve()
    return f"sqlite:///{path}"


def shown_url(url: str) -> str:
    """A server's URL as a screen may show it: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _create_private_file(path: Path) -> None:
    """Create an empty database file readable and writable by its owner only."""
    problem = missing_folder(str(path))  # the default place is made by database_target
    if problem:
        raise DatabaseError(problem)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise DatabaseError(
            f"Cannot create the database file {path}: {exc.strerror}. "
            "Choose another place with --db or COALITION_DB."
        ) from exc
    os.close(fd)


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (see the module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """An open coalition database: an engine and its session factories."""

    def __init__(self, url: str, engine: Engine) -> None:
        self.url = url
        self.engine = engine
        self.path = _sqlite_path(url)
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._writer = sessionmaker(engine, expire_on_commit=False)
        reader_bind = engine.execution_options(sqlite_begin="DEFERRED")
        self._reader = sessionmaker(reader_bind, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on any error."""
        with self._writer() as session, _translate_errors(self), session.begin():
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A read-only snapshot that does not hold the write lock."""
        with self._reader() as session, _translate_errors(self), session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def _translate_errors(db: Database) -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        message = str(exc.orig) if exc.orig is not None else str(exc)
        if "locked" in message or "busy" in message:
            raise DatabaseError(
                f"The database {db.path or db.url} is busy with another writer; "
                "try again in a moment."
            ) from exc
        if "readonly" in message or "read-only" in message:
            raise DatabaseError(
                f"The database {db.path or db.url} is read-only; check the file's permissions."
            ) from exc
        raise


def open_database(target: str | os.PathLike[str], *, upgrade: bool = True) -> Database:
    """Open (creating if need be) the database at ``target`` and bring its schema to head."""
    url = to_url(target)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"{target} is not a database path or URL.") from exc
    path = _sqlite_path(url)
    if path is not None:
        if path.is_dir():
            raise DatabaseError(f"{path} is a folder; give the path of a database file.")
        _create_private_file(path)
    try:
        engine = create_engine(parsed)
    except (ArgumentError, ImportError) as exc:
        raise DatabaseError(f"Cannot use the database URL {url}: {exc}.") from exc
    if engine.dialect.name == "sqlite":
        _install_sqlite_hooks(engine)
    db = Database(url, engine)
    try:
        if upgrade:
            upgrade_schema(db)
    except BaseException:
        engine.dispose()
        raise
    return db


def _alembic_config(connection: Any = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    head = script.get_current_head()
    assert head is not None
    return head


def _reading(db: Database) -> Engine:
    """The engine for a look that writes nothing: a deferred BEGIN, so another program
    holding the write lock does not make opening the file wait or fail."""
    return db.engine.execution_options(sqlite_begin="DEFERRED")


def current_revisions(db: Database) -> tuple[str, ...]:
    with _reading(db).connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return ()
        rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
        return tuple(str(r[0]) for r in rows)


def is_known_revision(revision: str) -> bool:
    """Whether this version of coalition knows the schema revision (a newer one it does not)."""
    if revision == SCHEMA_HEAD:
        return True
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    try:
        return ScriptDirectory.from_config(_alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def upgrade_schema(db: Database) -> None:
    """Create or upgrade the schema; refuse a database from a newer coalition."""
    where = db.path or db.url
    try:
        current = current_revisions(db)
        if current == (SCHEMA_HEAD,):
            return
        if not current:
            with _reading(db).connect() as connection:
                tables = set(inspect(connection).get_table_names())
            if tables:
                raise DatabaseError(
                    f"{where} holds tables but is not a coalition database; "
                    "give another file with --db."
                )
    except OperationalError as exc:
        if "locked" in str(exc.orig) or "busy" in str(exc.orig):
            raise DatabaseError(
                f"The database {where} is busy with another writer; try again in a moment."
            ) from exc
        raise DatabaseError(
            f"{where} is not a database coalition can read (it may be another kind of file)."
        ) from exc
    except SADatabaseError as exc:
        raise DatabaseError(
            f"{where} is not a database coalition can read (it may be another kind of file)."
        ) from exc

    from alembic import command
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    for revision in current:
        if not is_known_revision(revision):
            raise DatabaseError(
                f"{where} was written by a newer version of coalition "
                f"(schema {revision}); upgrade coalition to open it."
            )
    if current and set(current) == set(script.get_heads()):
        return
    with db.engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "head")
