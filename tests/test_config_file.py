"""``config.toml``: the database a coordinator works on, written once instead of
``--db`` on every command (a team's server URL), below ``--db`` and ``COALITION_DB``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from coalition.cli import cli


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "home" / ".config" / "coalition" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _organisations(path: Path) -> list[str]:
    with sqlite3.connect(path) as con:
        return [name for (name,) in con.execute("SELECT name FROM organisations ORDER BY id")]


def test_the_configured_database_is_used_and_the_environment_and_db_come_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = tmp_path / "team.db"
    _config(tmp_path, f'# the team\'s database\ndatabase = "{team}"\n')
    runner = CliRunner()
    done = runner.invoke(cli, ["org", "add", "Alpha Kids"])
    assert done.exit_code == 0, done.output
    assert _organisations(team) == ["Alpha Kids"]

    other = tmp_path / "other.db"
    monkeypatch.setenv("COALITION_DB", str(other))
    assert runner.invoke(cli, ["org", "add", "Beta Youth"]).exit_code == 0
    given = tmp_path / "given.db"
    assert runner.invoke(cli, ["--db", str(given), "org", "add", "Gamma Care"]).exit_code == 0
    assert _organisations(team) == ["Alpha Kids"]
    assert _organisations(other) == ["Beta Youth"]
    assert _organisations(given) == ["Gamma Care"]


def test_a_home_relative_path_is_read_from_home(tmp_path: Path) -> None:
    (tmp_path / "home" / "work").mkdir(parents=True)
    _config(tmp_path, 'database = "~/work/coalition.db"\n')
    assert CliRunner().invoke(cli, ["org", "add", "Alpha Kids"]).exit_code == 0
    assert _organisations(tmp_path / "home" / "work" / "coalition.db") == ["Alpha Kids"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('database = "unclosed\n', "is not valid TOML"),
        ("database = 5\n", "database must be a text"),
        ('database = ""\n', "database must be a text"),
        (b"database = '\xff'\n", "is not valid TOML"),
    ],
    ids=["bad TOML", "a number", "empty", "not UTF-8"],
)
def test_a_broken_config_file_is_said_with_its_place_and_nothing_is_created(
    tmp_path: Path, text: str | bytes, said: str
) -> None:
    path = tmp_path / "home" / ".config" / "coalition" / "config.toml"
    path.parent.mkdir(parents=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    done = CliRunner().invoke(cli, ["org", "list"])
    assert done.exit_code == 1
    assert str(path) in done.output and said in done.output, done.output
    assert "Traceback" not in done.output
    assert not list((tmp_path / "home").glob(".local/share/coalition/*.db"))
