"""Opening a database: engine, pragmas, sessions, the schema upgrade, and failures said well.

SQLite is the embedded default and gets careful treatment:

* a new file is created mode 0600 before SQLite touches it (SQLite gives the
  ``-wal`` and ``-shm`` files the same mode as the main file);
* foreign keys on, a busy timeout; the file is switched to WAL only once it is known
  to be coalition's (or new) and a first write comes, so opening another program's
  database, or reading ours, changes not a byte of it;
* pysqlite's own transaction handling is switched off and every unit of work
  starts with ``BEGIN IMMEDIATE``, so two writers (the app and a CLI command
  run beside it) queue on the busy timeout instead of one of them failing
  half-way with "database is locked" when it upgrades a read lock. Read-only
  sessions use a plain deferred ``BEGIN`` and never block writers, nor wait for them;
* a file on a read-only file system is opened ``immutable`` (nobody can change it), so
  it can still be read; writing to it is refused with a sentence.

The schema belongs to Alembic from the first revision. Opening upgrades an
older file to head; a file stamped with a revision this version does not know
was written by a newer coalition and is refused rather than guessed at. A file
with tables but no revision is another program's: refused before anything is
written to it.

What SQLite reports (locked, read-only, disk full, damaged, missing table) becomes one
sentence that says what to do (``explain``); anything else is a bug and stays one.

PostgreSQL (``postgresql://user@host/dbname``, through psycopg 3, the ``postgres`` extra)
keeps the same promise of one writer at a time, the way SQLite's ``BEGIN IMMEDIATE``
gives it: every write transaction starts by taking one transaction-level advisory lock
(``pg_advisory_xact_lock``), waiting up to the busy timeout (``lock_timeout``), and
releases it at commit or rollback. The domain's units of work read, check and write
(the next id of an import, "is this address taken", an undo's "nothing changed since")
and were written for a database that lets one writer in at a time; the lock keeps them
right without a ``SELECT ... FOR UPDATE`` in each, and without SERIALIZABLE's retries,
which would run a unit of work (its progress, its files) twice. Reads take no lock and
see one snapshot (``REPEATABLE READ``), as a deferred read transaction in WAL does.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from coalition.errors import CoalitionError, DatabaseError
from coalition.settings import missing_folder
from coalition.store.schema import SCHEMA_HEAD
from coalition.store.where import shown_url, to_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
CHANGES_CHANNEL = "coalition_changes"
"""On PostgreSQL every write transaction notifies this channel as it commits: the terminal
apps open on the database listen to it (``watch.ServerChangeWatch``)."""
BUSY_TIMEOUT_MS = 10_000
WRITE_LOCK = 0x636F616C
"""The advisory lock every write transaction takes on PostgreSQL ("coal")."""


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
        # We emit BEGIN ourselves (see the module docstring). Nothing here writes: the
        # switch to WAL waits for a first write (``Database.prepare_for_writing``).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _install_postgres_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # The first statements of each transaction (see the module docstring).
        if connection.get_execution_options().get("sqlite_begin", "IMMEDIATE") == "DEFERRED":
            return  # a read: its BEGIN asked for the snapshot already (``_reading``)
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {BUSY_TIMEOUT_MS}")
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")


class Interrupted(KeyboardInterrupt):
    """Ctrl+C during a unit of work, and whether its transaction had been committed.

    The signal is seen by Python only between two steps of its own code, so it can land
    just after SQLite's COMMIT has returned: ``saved`` is then True, and the work is in
    the file whatever the exception seems to say.
    """

    def __init__(self, saved: bool) -> None:
        super().__init__()
        self.saved = saved


class Database:
    """An open coalition database: an engine and its session factories."""

    def __init__(self, url: str, engine: Engine, *, read_only: bool = False) -> None:
        self.url = url
        self.engine = engine
        self.path = _sqlite_path(url)
        self.is_sqlite = engine.dialect.name == "sqlite"
        self.read_only = read_only
        """On a read-only file system: opened ``immutable``; reading works, writing is
        refused (``prepare_for_writing``)."""
        self.commits = 0
        """Units of work committed through ``session`` since the database was opened."""
        self._wal_checked = False
        self._role: str | None = None
        self._open_transaction: dict[int, bool] = {}
        """Whether each connection SQLAlchemy threw away (after an interruption) was still
        in its transaction, by ``id`` of the connection: asked before it was closed."""
        if self.is_sqlite:
            event.listen(engine, "invalidate", self._on_invalidate)
        self._writer = sessionmaker(engine, expire_on_commit=False)
        self._reader = sessionmaker(_reading(self), expire_on_commit=False)

    @property
    def role(self) -> str | None:
        """The database role this program logged in as, on a server (PostgreSQL's
        ``session_user``); None for a SQLite file, which has no users of its own.

        ``session_user``, not ``current_user``: it is the role that authenticated, and
        no one but a superuser can change it within the session, while ``current_user``
        follows ``SET ROLE`` (to a group role that names nobody) and security-definer
        functions. Read once, on first use."""
        if self.is_sqlite:
            return None
        if self._role is None:
            with _translate_errors(self), _reading(self).connect() as connection:
                self._role = str(connection.exec_driver_sql("SELECT session_user").scalar_one())
        return self._role

    @property
    def where(self) -> str:
        """The file, or the server's URL without its password, as a sentence names it."""
        return str(self.path) if self.path else shown_url(self.url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on any error.

        Ctrl+C leaves as ``Interrupted``, which says whether the work was committed.
        """
        self.prepare_for_writing()
        with self._writer() as session, _translate_errors(self):
            session.begin()
            try:
                yield session
            except KeyboardInterrupt as exc:
                self._dropped_if_mid_exchange(session)
                raise Interrupted(saved=False) from exc  # closing the session rolls back
            raw = session.connection().connection.dbapi_connection
            if not self.is_sqlite:
                # told on commit to every app open on this database (``watch``)
                session.execute(text(f"NOTIFY {CHANGES_CHANNEL}"))
            try:
                session.commit()
            except KeyboardInterrupt as exc:
                # Landed during the commit: SQLite's COMMIT either ran (Python sees the
                # signal only once the call has returned) or had not begun.
                raise Interrupted(saved=not self._in_transaction(raw)) from exc
            self.commits += 1

    @contextmanager
    def rehearsal(self) -> Iterator[Session]:
        """A write transaction that is always rolled back: a dry run that must write its
        earlier steps to work out the later ones (a big import's windows). It waits for
        other writers as a unit of work does, and leaves the database as it was."""
        self.prepare_for_writing()
        with self._writer() as session, _translate_errors(self):
            session.begin()
            try:
                yield session
            except KeyboardInterrupt as exc:
                self._dropped_if_mid_exchange(session)
                raise Interrupted(saved=False) from exc
            finally:
                session.rollback()

    def _dropped_if_mid_exchange(self, session: Session) -> None:
        """After Ctrl+C inside a write transaction on a server: the signal may have landed
        in the middle of an exchange with it (a COPY begun, a statement sent and its answer
        not read), where the connection takes no ROLLBACK ("another command is already in
        progress", a traceback instead of "nothing was changed"). The connection is let
        go instead: the server rolls back the transaction of a connection that closes.
        SQLite's connection is in this process and always takes its ROLLBACK."""
        if not self.is_sqlite:
            session.connection().invalidate()

    def _on_invalidate(self, dbapi_connection: Any, _record: Any, _exc: Any) -> None:
        with suppress(sqlite3.Error):
            self._open_transaction[id(dbapi_connection)] = bool(dbapi_connection.in_transaction)

    def _in_transaction(self, raw: Any) -> bool:
        """Whether ``raw`` was still inside its transaction (so nothing was committed);
        asked of the connection, or recorded as SQLAlchemy threw it away."""
        recorded = self._open_transaction.pop(id(raw), None)
        if recorded is not None:
            return recorded
        try:
            if not self.is_sqlite:  # psycopg: 0 is idle (committed or rolled back)
                return bool(raw.info.transaction_status != 0)
            return bool(raw.in_transaction)
        except sqlite3.Error:
            return True  # closed without a word: rolled back, as a closed transaction is

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A read-only snapshot that does not hold the write lock."""
        with self._reader() as session, _translate_errors(self), session.begin():
            yield session

    def prepare_for_writing(self) -> None:
        """Before the first write: refuse a file nobody can write; switch to WAL once.

        The switch needs the file to itself for a moment: if another program holds it,
        this run goes on in the file's own journal mode rather than wait (writes work in
        either), and a later run switches.
        """
        if self.read_only:
            assert self.path is not None
            raise DatabaseError(_read_only_sentence(self.path, self.where))
        if self._wal_checked or not self.is_sqlite or self.path is None:
            return
        self._wal_checked = True
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                (mode,) = cursor.execute("PRAGMA journal_mode").fetchone()
                if str(mode).lower() != "wal":
                    cursor.execute("PRAGMA busy_timeout = 0")
                    try:
                        cursor.execute("PRAGMA journal_mode = WAL")
                    except sqlite3.OperationalError as exc:
                        if _primary_code(exc) not in (_BUSY, _LOCKED):
                            raise
                    finally:
                        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            finally:
                cursor.close()
        except sqlite3.Error as exc:
            problem = explain(exc, self.path, self.where)
            if problem is None:
                raise
            raise problem from exc
        finally:
            raw.close()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# SQLite's primary result codes (https://sqlite.org/rescode.html) that a user can act on.
_ERROR = 1
_BUSY = 5
_LOCKED = 6
_READONLY = 8
_IOERR = 10
_CORRUPT = 11
_FULL = 13
_CANTOPEN = 14
_NOTADB = 26

_NEARLY_FULL_BYTES = 1 << 20
"""Less free space than this beside the file, and a failed write is taken for a full disk
(SQLite reports some of those as an I/O error rather than SQLITE_FULL)."""


def sqlite_error(error: BaseException) -> sqlite3.Error | None:
    """The SQLite error behind ``error``: itself, or the one SQLAlchemy wraps (``orig``)."""
    current: BaseException | None = error
    for _ in range(4):
        if current is None:
            break
        if isinstance(current, sqlite3.Error):
            return current
        orig = getattr(current, "orig", None)
        if isinstance(orig, sqlite3.Error):
            return orig
        current = current.__cause__
    return None


def _primary_code(error: sqlite3.Error) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _read_only_file_system(path: Path) -> bool:
    try:
        return bool(os.statvfs(path if path.exists() else path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _read_only_sentence(path: Path, where: str) -> str:
    if _read_only_file_system(path):
        return (
            f"The database {where} is on a read-only file system; nothing was changed. "
            "Copy it to a disk you can write to and give the copy with --db."
        )
    if path.exists() and not os.access(path, os.W_OK):
        return (
            f"The database {where} is a read-only file; nothing was changed. "
            f"Make it writable (chmod u+w {path}) or give another file with --db."
        )
    if not os.access(path.parent, os.W_OK):
        return (
            f"The folder {path.parent} is read-only, and SQLite writes its journal there "
            f"beside {path.name}; nothing was changed. Make the folder writable or move "
            "the database."
        )
    return (
        f"The database {where} cannot be written to (read-only); nothing was changed. "
        "Check the file's permissions, and that no other program opened it read-only."
    )


def _nearly_full(path: Path | None) -> bool:
    if path is None:
        return False
    try:
        return shutil.disk_usage(path.parent).free < _NEARLY_FULL_BYTES
    except OSError:
        return False


_MISSING = re.compile(r"no such (table|column): (\S+)")


def explain(
    error: BaseException, path: Path | None, where: str, *, waited: float | None = None
) -> DatabaseError | None:
    """The sentence for a failure of the database a user can act on, or None (a bug).

    ``waited``: how long the command had been waiting when SQLite gave up on a lock
    (the busy timeout when not known).
    """
    found = sqlite_error(error)
    if found is None:
        return _explain_server(error, where, waited)
    code = _primary_code(found)
    message = str(found)
    if code in (_BUSY, _LOCKED):
        seconds = BUSY_TIMEOUT_MS / 1000 if waited is None else waited
        return DatabaseError(
            f"Another program is writing to the database {where}; waited {seconds:.0f} s. "
            "Try again when it has finished."
        )
    if code == _FULL or (code == _IOERR and _nearly_full(path)):
        return DatabaseError(
            f"The disk holding {where} is full; nothing was changed. Free some space and try again."
        )
    if code == _READONLY and path is not None:
        return DatabaseError(_read_only_sentence(path, where))
    if code == _CANTOPEN and path is not None:
        if _read_only_file_system(path) or not os.access(path.parent, os.W_OK):
            return DatabaseError(_read_only_sentence(path, where))
        return DatabaseError(
            f"Cannot open the database {where} ({message}); check that the file and its "
            "folder can be read and written."
        )
    if code == _CORRUPT:
        return DatabaseError(f"The database {where} is damaged ({message}); run `coalition check`.")
    if code == _NOTADB:
        return DatabaseError(
            f"{where} is not a database coalition can read (it may be another kind of file, "
            "or a damaged database: `coalition check` tells which)."
        )
    if code == _IOERR:
        return DatabaseError(
            f"Reading or writing the database {where} failed ({message}); check the disk, "
            "then run `coalition check`."
        )
    missing = _MISSING.search(message)
    if code in (_ERROR, None) and missing:
        kind, name = missing.groups()
        return DatabaseError(
            f"The database {where} is damaged (the {kind} {name} is missing); "
            "run `coalition check`."
        )
    return None


_LOCK_NOT_AVAILABLE = "55P03"
_CONNECTION_CLASS = "08"
_INSUFFICIENT_PRIVILEGE = "42501"
_DISK_FULL = "53100"


def _explain_server(error: BaseException, where: str, waited: float | None) -> DatabaseError | None:
    """``explain`` for a database server's error (psycopg's, with its SQLSTATE)."""
    current: BaseException | None = error
    for _ in range(4):
        if current is None:
            return None
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str):
            break
        current = getattr(current, "orig", None) or current.__cause__
    else:
        return None
    assert current is not None
    lines = str(current).strip().splitlines()
    message = lines[0] if lines else type(current).__name__
    if state == _LOCK_NOT_AVAILABLE:
        seconds = BUSY_TIMEOUT_MS / 1000 if waited is None else waited
        return DatabaseError(
            f"Another coordinator is writing to the database {where}; waited {seconds:.0f} s. "
            "Try again when they have finished."
        )
    if state.startswith(_CONNECTION_CLASS):
        return DatabaseError(
            f"The connection to the database server {where} failed ({message}); "
            "check that the server is running, then try again."
        )
    if state == _INSUFFICIENT_PRIVILEGE:
        if message.startswith(("permission denied for schema", "must be owner")):
            # A coordinator's coalition newer than the schema: upgrading it is the owner's.
            return DatabaseError(
                f"The database {where} needs its schema changed (a newer coalition, or an "
                f"upgrade), which only its owner may do ({message}); ask them to run "
                "`coalition init` with this version of coalition."
            )
        if message.startswith(
            ("permission denied for table", "permission denied for sequence")
        ) and _a_write(error):
            # The team's viewers are granted SELECT alone (store/team.py): a write of
            # theirs ends here, whichever command or screen tried it.
            return DatabaseError(
                f"You are a viewer on this database ({where}): you may read and search it "
                "but not change it; nothing was changed. Ask one of its coordinators "
                "(`coalition team list`) to make the change, or to make you a coordinator."
            )
        if message.startswith("permission denied for"):
            return DatabaseError(
                f"Your database role may not read {where} ({message}); ask one of its "
                "coordinators to add you to the team (`coalition team add NAME`)."
            )
        return DatabaseError(
            f"The database server {where} refused this ({message}); ask its administrator "
            "for the rights you need."
        )
    if state == _DISK_FULL:
        return DatabaseError(
            f"The disk of the database server {where} is full; nothing was changed. "
            "Ask its administrator to free some space."
        )
    return None


def _a_write(error: BaseException) -> bool:
    """Whether the statement that failed (SQLAlchemy keeps it) would have written: any
    but a plain SELECT (a failed ``nextval`` is a write's too)."""
    statement = getattr(error, "statement", None)
    if not isinstance(statement, str):
        return True
    words = statement.lstrip().split(None, 1)
    first = words[0].upper() if words else ""
    return first not in ("SELECT", "WITH") or "nextval(" in statement


def _connection_problem(error: BaseException, where: str) -> DatabaseError | None:
    """Connecting to a server that refuses, or is not there: psycopg's OperationalError
    carries no SQLSTATE then."""
    orig = getattr(error, "orig", error)
    if type(orig).__module__.startswith("psycopg") and type(orig).__name__ == "OperationalError":
        text = str(orig).strip().splitlines()
        detail = text[-1] if text else "no answer"
        return DatabaseError(
            f"Cannot connect to the database server {where} ({detail}); check the URL "
            "(--db or COALITION_DB) and that the server is running."
        )
    return None


@contextmanager
def _translate_errors(db: Database) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    except CoalitionError:
        raise
    except Exception as exc:
        problem = explain(exc, db.path, db.where, waited=time.monotonic() - started)
        if problem is None and not db.is_sqlite:
            problem = _connection_problem(exc, db.where)
        if problem is None:
            raise
        raise problem from exc


def _immutable_url(path: Path) -> str:
    """A URL that reads ``path`` without locking or journals: only for a file that nobody
    can change (on a read-only file system), where SQLite could not make its -shm file."""
    return f"sqlite:///file:{quote(str(path))}?mode=ro&immutable=1&uri=true"


def open_database(target: str | os.PathLike[str], *, upgrade: bool = True) -> Database:
    """Open (creating if need be) the database at ``target`` and bring its schema to head.

    Nothing is written to a file that is not coalition's, nor to one already at head
    (reading commands leave the file as they found it, and do not wait for writers).
    """
    url = to_url(target)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"{target} is not a database path or URL.") from exc
    path = _sqlite_path(url)
    read_only = False
    if path is not None:
        if path.is_dir():
            raise DatabaseError(f"{path} is a folder; give the path of a database file.")
        _create_private_file(path)
        read_only = _read_only_file_system(path)
    try:
        engine = create_engine(_immutable_url(path) if read_only and path else parsed)
    except ImportError as exc:
        if parsed.get_backend_name() == "postgresql":
            raise DatabaseError(
                f"Opening a PostgreSQL database ({shown_url(url)}) needs psycopg: "
                "pip install 'coalition[postgres]'."
            ) from exc
        raise DatabaseError(f"Cannot use the database URL {shown_url(url)}: {exc}.") from exc
    except ArgumentError as exc:
        raise DatabaseError(f"Cannot use the database URL {shown_url(url)}: {exc}.") from exc
    if engine.dialect.name == "sqlite":
        _install_sqlite_hooks(engine)
    elif engine.dialect.name == "postgresql":
        _install_postgres_hooks(engine)
    db = Database(url, engine, read_only=read_only)
    try:
        with _translate_errors(db):
            current = coalition_revisions(db)
            if upgrade:
                upgrade_schema(db, current)
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
    holding the write lock does not make opening the file wait or fail. On a server, one
    snapshot for the whole look (``REPEATABLE READ``), asked for in the BEGIN itself
    rather than by a statement after it: a round trip less for each keystroke's search."""
    if db.is_sqlite:
        return db.engine.execution_options(sqlite_begin="DEFERRED")
    return db.engine.execution_options(sqlite_begin="DEFERRED", isolation_level="REPEATABLE READ")


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


def coalition_revisions(db: Database) -> tuple[str, ...]:
    """The file's schema revisions, by reading alone; refuses another program's database
    and one from a newer coalition before anything is written to either."""
    where = db.where
    current = current_revisions(db)
    if not current:
        with _reading(db).connect() as connection:
            tables = set(inspect(connection).get_table_names())
        if tables:
            raise DatabaseError(
                f"{where} holds tables but is not a coalition database; "
                "give another file with --db."
            )
    for revision in current:
        if not is_known_revision(revision):
            raise DatabaseError(
                f"{where} was written by a newer version of coalition "
                f"(schema {revision}); upgrade coalition to open it."
            )
    return current


def upgrade_schema(db: Database, current: tuple[str, ...] | None = None) -> None:
    """Create or upgrade the schema; refuse a database from a newer coalition.

    ``current``: the revisions ``coalition_revisions`` read, when the caller has them.
    """
    if current is None:
        current = coalition_revisions(db)
    if current == (SCHEMA_HEAD,):
        return

    from alembic import command
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    if current and set(current) == set(script.get_heads()):
        return
    db.prepare_for_writing()
    with db.engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "head")
