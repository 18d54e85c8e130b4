"""Shared fixtures.

Every test runs against a temporary database; the environment is scrubbed so
nothing reads or writes the developer's own coalition data (COALITION_DB
unset, the user data and config dirs moved into the test's tmp_path).

Creating a schema through Alembic costs ~0.3 s, so one migrated template file
is made per session and copied for each test that only needs an empty
database; tests of the migration path open fresh files themselves.

Both engines: when ``COALITION_TEST_PG`` names a PostgreSQL server database
(``postgresql://user@/dbname?host=/socket/dir``), or the machine has PostgreSQL
installed (a throwaway server is then started: tests/pg_cluster.py),
every test that uses the database fixtures (``db_path``, ``db``, ``unit``, ``session``,
``run``) runs twice, ``[sqlite]`` and ``[postgresql]``. On PostgreSQL each worker
migrates one database of its own, and each test starts it empty: every table's rows
deleted and its ids restarted (~30 ms; ``CREATE DATABASE ... TEMPLATE`` costs ~400 ms).
``db_path`` is then that database's URL (a ``str``).
The modules that cannot run there yet are listed, each with its reason, in
``SQLITE_ONLY`` below; the summary at the end counts the tests they kept on SQLite.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from coalition.cli import cli
from coalition.domain.audit import Work, work
from coalition.store.database import Database, open_database
from tests import pg_cluster


def pg_url() -> str:
    """The PostgreSQL server database the suite may create databases beside ("": none)."""
    named = os.environ.get("COALITION_TEST_PG", "").strip()
    return "" if named.lower() in pg_cluster.OFF else named


_cluster: pg_cluster.Cluster | None = None
_engines_line = ""


def pytest_configure(config: pytest.Config) -> None:
    """The main process starts a throwaway PostgreSQL when it can (tests/pg_cluster.py);
    the workers it starts inherit ``COALITION_TEST_PG``."""
    global _cluster, _engines_line
    if hasattr(config, "workerinput"):
        return
    _cluster, _engines_line = pg_cluster.start_if_possible()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _cluster is not None:
        _cluster.stop()


DATABASE_FIXTURES = frozenset({"db_path", "db", "unit", "session", "run"})

SQLITE_ONLY_TUI = (
    "the terminal app's tests: they copy a filled SQLite template (tests/tui_helpers.py), and "
    "their snapshots show its path; tests/test_tui_watch.py runs the app on a server"
)
_SAME_BYTES = "checks that nothing changed by comparing the SQLite file's bytes"
SQLITE_ONLY: dict[str, str] = {
    # Modules whose database tests run on SQLite alone, and why. Shrink this list.
    "test_campaign_loop_exports.py": "its fixture reads the SQLite file with sqlite3",
    "test_check.py": "coalition check reads SQLite's integrity_check and FTS5 tables",
    "test_cli.py": "backup/restore and file paths (store/maintenance.py is file-only)",
    "test_erasure.py": "erasure rewrites the SQLite file (domain/privacy.py)",
    "test_export_kill.py": "kills a process mid-write to a SQLite file",
    "test_faults.py": "SQLite's failures: locks, read-only files, full disk, damaged files",
    "test_hostile_files.py": "checks that nothing changed by a checksum of the SQLite file",
    "test_import_cli.py": _SAME_BYTES,
    "test_import_kill.py": "kills an import mid-write to a SQLite file",
    "test_imports.py": "reads the FTS5 tables and SQLite's indexes directly (store/bulk.py)",
    "test_imports_language.py": _SAME_BYTES,
    "test_mailtools.py": _SAME_BYTES,
    "test_matching.py": "copies the template file (template_db)",
    "test_merge.py": "reads the SQLite file with sqlite3 to compare before and after",
    "test_privacy.py": "erasure rewrites the SQLite file (domain/privacy.py)",
    "test_private_files.py": "file modes of the SQLite file and its journals",
    "test_store.py": "migrations and pragmas of SQLite files",
}
"""tests/test_tui_*.py are SQLite-only as well (``SQLITE_ONLY_TUI``)."""


def _sqlite_only(module: str) -> str | None:
    """Why ``module``'s database tests run on SQLite alone (None: on both engines).
    ``COALITION_TEST_PG_ALL=1`` runs them all on both: to see which can leave the list."""
    if os.environ.get("COALITION_TEST_PG_ALL") == "1":
        return None
    if module.startswith("test_tui_"):
        return SQLITE_ONLY_TUI
    return SQLITE_ONLY.get(module)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The database tests run on each engine there is (``engine``: sqlite, postgresql)."""
    if not DATABASE_FIXTURES.intersection(metafunc.fixturenames) or not pg_url():
        return  # on SQLite alone, a test keeps its plain id
    if _sqlite_only(metafunc.module.__name__.rsplit(".", 1)[-1] + ".py") is None:
        metafunc.parametrize("engine", ["sqlite", "postgresql"], indirect=True)


SLOW = {
    "test_campaign_week.py": "a coordinator's whole week, command after command, in processes",
    "test_faults.py": "locks held for 10 s, signals, full and read-only file systems",
    "test_erasure.py": "erasures killed at every step, readers holding the file",
    "test_hostile_files.py": "51 hostile files, each imported in a process of its own",
    "test_import_kill.py": "imports killed at random moments",
    "test_import_feed.py": "imports read by a second process, killed and interrupted",
    "test_db_copy_kill.py": "copies of 40,000 contacts interrupted by Ctrl+C",
    "test_export_kill.py": "exports killed at random moments",
    "test_private_files.py": "exports killed mid-write",
    "test_edit_race.py": "two processes editing one organisation at once",
    "test_team_race.py": "two coordinators' processes, two roles, working at once for 30 s in CI",
}
"""Modules whose tests run other processes, signals or waits: marked ``slow`` so that
``pytest -m "not tui and not slow"`` checks the rest: 64 s on two cores on SQLite alone
(``COALITION_TEST_PG=off``), 114 s with PostgreSQL too. CI runs them all."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The terminal app's tests (tests/test_tui_*.py) carry the ``tui`` mark, those of
    ``SLOW`` the ``slow`` mark; database tests kept on SQLite carry ``sqlite_only`` with
    the reason."""
    for item in items:
        if item.path.name.startswith("test_tui_"):
            item.add_marker(pytest.mark.tui)
        if item.path.name in SLOW:
            item.add_marker(pytest.mark.slow)
        fixtures = getattr(item, "fixturenames", ())
        reason = _sqlite_only(item.path.name)
        if reason and DATABASE_FIXTURES.intersection(fixtures):
            item.add_marker(pytest.mark.sqlite_only(reason))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many database tests ran on SQLite alone, so none is kept there silently."""
    terminalreporter.write_line(_engines_line)
    if pg_url():
        terminalreporter.write_line(
            f"PostgreSQL: {len(SQLITE_ONLY)} modules and tests/test_tui_*.py kept on SQLite "
            "alone (tests/conftest.py SQLITE_ONLY, with their reasons)"
        )


@pytest.fixture(autouse=True)
def _watching_only_where_asked(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app reloads what it shows when another program writes (``store.watch``). A test
    that writes from outside to see how the app meets a change it has not read yet (a move
    made elsewhere meanwhile) would race that reload; those tests get no reload, and
    tests/test_tui_watch.py (marked ``watch``) tests it."""
    app_module = sys.modules.get("coalition.tui.app")
    if app_module is not None and request.node.get_closest_marker("watch") is None:
        monkeypatch.setattr(app_module.CoalitionApp, "WATCH_SECONDS", 3600.0)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("COALITION_DB", raising=False)
    monkeypatch.setenv("COALITION_USER", "tester")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    open_database(path).close()  # closing the last connection checkpoints the WAL
    assert not Path(str(path) + "-wal").exists()
    return path


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """The engine a database test runs on: "sqlite", or "postgresql" (see the module doc)."""
    return str(getattr(request, "param", "sqlite"))


class PostgresServer:
    """The server of ``COALITION_TEST_PG``: a migrated database per worker, emptied for
    each test."""

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        self.url = make_url(url)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.name = f"coalition_test_{worker}_{uuid.uuid4().hex[:8]}"
        self._emptying = ""
        self._teams: set[tuple[str, str, bool]] = set()

    def url_of(self, name: str) -> str:
        rendered = self.url.set(database=name).render_as_string(hide_password=False)
        return rendered.replace("postgresql+psycopg://", "postgresql://", 1)

    def _run(self, database: str, sql: str, *, autocommit: bool = True) -> list[Any]:
        import psycopg

        with psycopg.connect(self.url_of(database), autocommit=autocommit) as connection:
            cursor = connection.execute(sql)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def start(self) -> None:
        self._run(self.url.database or "postgres", f"CREATE DATABASE {self.name}")
        open_database(self.url_of(self.name)).close()
        tables = [
            name
            for (name,) in self._run(
                self.name,
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'",
            )
        ]
        sequences = [
            name
            for (name,) in self._run(
                self.name, "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
            )
        ]
        self._emptying = "; ".join(
            ["SET LOCAL lock_timeout = '5s'"]
            + [f'DELETE FROM "{t}"' for t in _deletion_order(tables)]
            + [f'ALTER SEQUENCE "{q}" RESTART' for q in sequences]
        )

    def new_database(self) -> str:
        """The worker's database, emptied (its rows deleted, its ids restarted)."""
        self._run(self.name, self._emptying, autocommit=False)
        return self.name

    def stop(self) -> None:
        drop = f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"
        self._run(self.url.database or "postgres", drop)
        drop_groups(self, self.name)

    @property
    def admin(self) -> str:
        """The role the suite connects as (it may create databases and roles)."""
        return str(self.url.username or "postgres")

    def url_as(self, database: str, role: str) -> str:
        """The URL of ``database`` for a coordinator who logs in as ``role`` (the throwaway
        server trusts every local connection)."""
        rendered = self.url.set(database=database, username=role, password=None)
        return rendered.render_as_string(hide_password=False).replace(
            "postgresql+psycopg://", "postgresql://", 1
        )

    def on_team(self, database: str, role: str, *, viewer: bool = False) -> str:
        """The URL of ``database`` as ``role``, a coordinator (or viewer) there: the role
        made with ``team add`` when the server has none of that name, or joined to this
        database's team. Roles belong to the whole server, and the workers share it: a
        role another worker is making meanwhile is joined on the second try."""
        from coalition.domain import team
        from coalition.errors import InvalidValue

        if (database, role, viewer) in self._teams:
            return self.url_as(database, role)
        admin = open_database(self.url_of(database))
        try:
            for attempt in range(2):
                try:
                    team.add_member(admin, role, viewer=viewer, password=False)
                    break
                except InvalidValue:  # already on this database's team
                    break
                except Exception:
                    if attempt:
                        raise
        finally:
            admin.close()
        self._teams.add((database, role, viewer))
        return self.url_as(database, role)


def drop_groups(server: PostgresServer, database: str) -> None:
    """Drop the team's group roles of a database dropped (roles outlive databases)."""
    from coalition.store.team import KINDS, group_name

    for kind in KINDS:
        server._run(
            server.url.database or "postgres", f'DROP ROLE IF EXISTS "{group_name(database, kind)}"'
        )


def _deletion_order(tables: list[str]) -> list[str]:
    """The tables, each after those that point at it (the models' order, reversed)."""
    from coalition.store.models import Base

    ordered = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in tables]
    return [*ordered, *sorted(set(tables) - set(ordered))]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    if not pg_url():
        pytest.skip("no PostgreSQL server (set COALITION_TEST_PG, or install PostgreSQL)")
    server = PostgresServer(pg_url())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def db_path(tmp_path: Path, engine: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The test's database: a file (SQLite), or a server database's URL (PostgreSQL)."""
    if engine == "postgresql":
        server: PostgresServer = request.getfixturevalue("pg_server")
        yield server.url_of(server.new_database())
        return
    template: Path = request.getfixturevalue("template_db")
    path = tmp_path / "coalition.db"
    shutil.copyfile(template, path)
    path.chmod(0o600)
    yield path


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = open_database(db_path)
    yield database
    database.close()


@pytest.fixture
def unit(db: Database) -> Callable[..., Any]:
    """``with unit() as w:`` — a unit of work by coordinator "tester" (or ``unit("bob")``)."""

    def make(coordinator: str = "tester") -> Any:
        return work(db, coordinator)

    return make


@pytest.fixture
def session(db: Database) -> Iterator[Any]:
    with db.read_session() as s:
        yield s


@pytest.fixture
def run(db_path: Path, engine: str, request: pytest.FixtureRequest) -> Callable[..., Result]:
    """Run the command line on the test database; returns click's Result.

    ``as_="bob"``: as coordinator bob — ``--as bob`` on SQLite; on PostgreSQL, where the
    change log names the database role and --as cannot name another, logged in as the
    role bob (made a coordinator of the test database on first use)."""
    runner = CliRunner()

    def invoke(
        *args: str, input: str | None = None, db: Path | str | None = None, as_: str | None = None
    ) -> Result:
        target = str(db or db_path)
        who: list[str] = []
        if as_ is not None and engine == "postgresql":
            server: PostgresServer = request.getfixturevalue("pg_server")
            target = server.on_team(server.name, as_)
        elif as_ is not None:
            who = ["--as", as_]
        return runner.invoke(cli, [*who, "--db", target, *args], input=input, catch_exceptions=True)

    return invoke


@pytest.fixture
def me(engine: str, request: pytest.FixtureRequest) -> str:
    """Who the change log names for what the tests' own commands do: the name given by
    $COALITION_USER ("tester") on SQLite, the database role the suite logs in as on
    PostgreSQL."""
    if engine == "postgresql":
        server: PostgresServer = request.getfixturevalue("pg_server")
        return server.admin
    return "tester"


def database_state(target: Path | str) -> Any:
    """What "nothing changed" compares, on either engine: every table's rows in id order,
    values normalised (``store.transfer.dump``, equal across engines), and on SQLite the
    file's bytes as well (reading the file to dump it writes nothing to it)."""
    import hashlib

    from coalition.store.transfer import dump

    database = open_database(target)
    try:
        rows = dump(database)
    finally:
        database.close()
    if isinstance(target, Path):
        return rows, hashlib.sha256(target.read_bytes()).hexdigest()
    return rows, None


class Team:
    """A fresh server database (``team`` fixture), the suite's admin URL to it, and roles
    made for the test. Roles and their grants outlive the emptying the other tests'
    database gets between tests, and roles belong to the whole server, which the test
    workers share: a test of the team gets a database of its own, and names its roles
    with a suffix of its own (tests/test_team.py)."""

    def __init__(self, server: PostgresServer, name: str) -> None:
        self.server = server
        self.name = name
        self.admin_url = server.url_of(name)
        self.suffix = uuid.uuid4().hex[:6]

    def role(self, first: str) -> str:
        """A role name for this test alone: ``lea`` -> ``lea_3f2a1b``."""
        return f"{first}_{self.suffix}"

    def url(self, role: str) -> str:
        return self.server.url_as(self.name, role)

    def sql(self, statement: str, *params: Any) -> list[Any]:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            cursor = connection.execute(statement, params or None)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def run(self, *args: str, db: str | None = None, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner(env=env)
        return runner.invoke(cli, ["--db", db or self.admin_url, *args], catch_exceptions=True)


@pytest.fixture(scope="session")
def team_template(pg_server: PostgresServer) -> Iterator[str]:
    """A migrated database the tests' own are copied from (CREATE DATABASE … TEMPLATE)."""
    name = f"coalition_team_tpl_{uuid.uuid4().hex[:8]}"
    postgres = pg_server.url.database or "postgres"
    pg_server._run(postgres, f"CREATE DATABASE {name}")
    open_database(pg_server.url_of(name)).close()
    yield name
    pg_server._run(postgres, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def team(pg_server: PostgresServer, team_template: str) -> Iterator[Team]:
    name = f"coalition_team_{uuid.uuid4().hex[:8]}"
    postgres = pg_server.url.database or "postgres"
    pg_server._run(postgres, f"CREATE DATABASE {name} TEMPLATE {team_template}")
    made = Team(pg_server, name)
    yield made
    pg_server._run(postgres, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    drop_groups(pg_server, name)
    for (role,) in pg_server._run(
        postgres, f"SELECT rolname FROM pg_roles WHERE rolname LIKE '%\\_{made.suffix}'"
    ):
        pg_server._run(postgres, f'DROP ROLE IF EXISTS "{role}"')


def ok(result: Result) -> Result:
    """Assert a command succeeded, showing its output when it did not."""
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def fails(result: Result) -> str:
    """Assert a command was refused as a user's mistake — one sentence on stderr, exit 1, no
    traceback — and return that sentence."""
    assert result.exit_code == 1, (result.output, result.exception)
    assert "Traceback" not in result.output
    return result.stderr.strip()


__all__ = ["Team", "Work", "database_state", "fails", "ok"]
