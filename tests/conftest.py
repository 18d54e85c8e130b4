"""Shared fixtures.

Every test runs against a temporary database; the environment is scrubbed so
nothing reads or writes the developer's own coalition data (COALITION_DB
unset, the user data and config dirs moved into the test's tmp_path).

Creating a schema through Alembic costs ~0.3 s, so one migrated template file
is made per session and copied for each test that only needs an empty
database; tests of the migration path open fresh files themselves.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from coalition.cli import cli
from coalition.domain.audit import Work, work
from coalition.store.database import Database, open_database


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The terminal app's tests (tests/test_tui_*.py) carry the ``tui`` mark."""
    for item in items:
        if item.path.name.startswith("test_tui_"):
            item.add_marker(pytest.mark.tui)


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
def db_path(tmp_path: Path, template_db: Path) -> Path:
    path = tmp_path / "coalition.db"
    shutil.copyfile(template_db, path)
    path.chmod(0o600)
    return path


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
def run(db_path: Path) -> Callable[..., Result]:
    """Run the command line on the test database; returns click's Result."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, db: Path | None = None) -> Result:
        return runner.invoke(
            cli, ["--db", str(db or db_path), *args], input=input, catch_exceptions=True
        )

    return invoke


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


__all__ = ["Work", "fails", "ok"]
