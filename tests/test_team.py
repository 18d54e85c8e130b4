"""Team mode on PostgreSQL: each coordinator logs in as a database role of their own
(``coalition team add``), the change log names that role whatever --as or
$COALITION_USER say, and a viewer reads but cannot change, erase or export personal data.

Each test gets a database of its own (roles and their grants outlive the emptying the
other tests' database gets between tests) and names its roles with a suffix of its own
(roles belong to the whole server, which the test workers share).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from coalition.cli import cli
from coalition.errors import CoalitionError
from tests.conftest import Team, database_state, drop_groups, fails, ok


def added(team: Team, first: str, *options: str) -> str:
    """``coalition team add`` a role of this test; returns its name."""
    name = team.role(first)
    ok(team.run("team", "add", name, *options))
    return name


def listed(result: Result) -> Any:
    return json.loads(ok(result).stdout)


# --- who did it ------------------------------------------------------------------------------


def test_the_change_log_names_the_role_whatever_the_name_given(team: Team) -> None:
    lea = added(team, "lea")
    as_mallory = {"COALITION_USER": "mallory"}
    ok(team.run("org", "add", "Alpha Kids", db=team.url(lea), env=as_mallory))
    ok(team.run("org", "edit", "Alpha Kids", "--city", "Gent", db=team.url(lea)))
    ok(team.run("--as", lea, "log", "--org", "Alpha Kids", "--channel", "call", db=team.url(lea)))
    history = listed(team.run("history", "--format", "json", db=team.url(lea)))
    assert [(e["action"], e["coordinator"]) for e in history] == [
        ("create", lea),
        ("update", lea),
        ("create", lea),
    ]
    (call,) = listed(team.run("interaction", "list", "--format", "json", db=team.url(lea)))
    assert call["coordinator"] == lea


def test_as_naming_another_coordinator_is_refused_and_nothing_is_written(team: Team) -> None:
    lea = added(team, "lea")
    ok(team.run("org", "add", "Alpha Kids", db=team.url(lea)))
    before = database_state(team.admin_url)
    said = fails(
        team.run("--as", "bob", "org", "edit", "Alpha Kids", "--city", "X", db=team.url(lea))
    )
    assert said == (
        f"Error: On a server database you act as your database role '{lea}'; --as cannot "
        "name another coordinator ('bob'). Leave out --as, or connect as bob (their user "
        "name in the --db URL)."
    )
    assert database_state(team.admin_url) == before


def test_the_terminal_app_records_the_role_too(team: Team) -> None:
    from coalition.tui.app import make_app

    lea = added(team, "lea")
    app = make_app(team.url(lea), "mallory")  # $COALITION_USER or the login: a default
    try:
        app.database()
        assert app.coordinator == lea
    finally:
        app.on_unmount()
    declared = make_app(team.url(lea), "mallory", declared=True)  # --as mallory
    with pytest.raises(CoalitionError, match=f"you act as your database role '{lea}'"):
        declared.database()
    assert not declared.database_open


# --- team add / list / remove ----------------------------------------------------------------


def test_team_add_prints_a_password_once_that_logs_in(team: Team) -> None:
    lea = team.role("lea")
    env = {**os.environ, "COALITION_DB": team.admin_url}
    # Run with a stdin that never ends: nothing is asked, so nothing waits for it.
    done = subprocess.run(
        [sys.executable, "-m", "coalition", "team", "add", lea],
        stdin=subprocess.PIPE,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    password = done.stdout.strip()
    assert len(password) >= 20 and "\n" not in password
    assert done.stderr == (
        f"Added {lea} as a coordinator of this database; they connect as user {lea}.\n"
        "Their password, shown this once (give it to them privately):\n"
    )
    ((stored,),) = team.sql("SELECT rolpassword FROM pg_authid WHERE rolname = %s", lea)
    # Hashed before it was sent: the statement (and the server's log) never held it.
    assert stored.startswith("SCRAM-SHA-256$") and password not in stored
    assert team.sql("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", lea) == [(True,)]


def test_no_password_makes_none(team: Team) -> None:
    sam = team.role("sam")
    result = ok(team.run("team", "add", sam, "--viewer", "--no-password"))
    assert result.stdout == ""
    assert team.sql("SELECT rolpassword FROM pg_authid WHERE rolname = %s", sam) == [(None,)]


def test_team_list_shows_each_member_kind_and_login(team: Team) -> None:
    lea = added(team, "lea")
    sam = added(team, "sam", "--viewer", "--no-password")
    assert listed(team.run("team", "list", "--format", "json")) == [
        {"name": lea, "kind": "coordinator", "can_log_in": True},
        {"name": sam, "kind": "viewer", "can_log_in": True},
    ]
    csv = ok(team.run("team", "list", "--format", "csv")).stdout
    assert csv.splitlines() == [
        "name,kind,can log in",
        f"{lea},coordinator,yes",
        f"{sam},viewer,yes",
    ]


@pytest.mark.parametrize(
    "name",
    ["Bob Smith", "pg_admin", 'x"; DROP ROLE postgres; --', "coalition_x_viewers", "", "a" * 64],
)
def test_a_name_that_cannot_be_a_login_is_refused(team: Team, name: str) -> None:
    said = fails(team.run("team", "add", name))
    assert "cannot be a team member's name: it is their database login" in said
    assert team.sql("SELECT 1 FROM pg_roles WHERE rolname = 'postgres'") == [(1,)]
    assert listed(team.run("team", "list", "--format", "json")) == []


def test_a_member_already_on_the_team_is_refused(team: Team) -> None:
    lea = added(team, "lea")
    said = fails(team.run("team", "add", lea, "--viewer"))
    assert said == (
        f"Error: {lea} is already on this database's team (a coordinator); "
        f"`coalition team remove {lea}` first to change that."
    )


def test_a_coordinator_without_createrole_cannot_add_anyone(team: Team) -> None:
    lea = added(team, "lea")
    said = fails(team.run("team", "add", team.role("bob"), db=team.url(lea)))
    assert said == (
        f"Error: Your database role '{lea}' lacks the CREATEROLE right, which adding a team "
        f'member needs; ask the server\'s administrator to run ALTER ROLE "{lea}" '
        f"CREATEROLE, or to add {team.role('bob')} themselves."
    )
    assert team.sql("SELECT 1 FROM pg_roles WHERE rolname = %s", team.role("bob")) == []


def test_team_is_refused_on_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "coalition.db"
    for args in (["team", "add", "lea"], ["team", "list"], ["team", "remove", "lea"]):
        said = fails(CliRunner().invoke(cli, ["--db", str(path), *args]))
        assert said.startswith(
            "Error: team is for PostgreSQL databases; a SQLite file has one user"
        )


def test_removing_drops_a_role_nothing_names_and_locks_one_the_history_names(team: Team) -> None:
    sam = added(team, "sam", "--viewer")
    lea = added(team, "lea")
    ok(team.run("org", "add", "Alpha Kids", db=team.url(lea)))
    assert ok(team.run("team", "remove", sam)).stderr == (
        f"{sam} is off the team and their login role was dropped.\n"
    )
    assert team.sql("SELECT 1 FROM pg_roles WHERE rolname = %s", sam) == []
    assert ok(team.run("team", "remove", lea)).stderr.startswith(
        f"{lea} is off the team and can no longer log in; the role is kept"
    )
    assert team.sql("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", lea) == [(False,)]
    assert listed(team.run("team", "list", "--format", "json")) == []
    said = fails(team.run("org", "list", db=team.url(lea)))
    assert "Cannot connect to the database server" in said and "not permitted to log in" in said
    history = listed(team.run("history", "--format", "json"))
    assert [e["coordinator"] for e in history] == [lea]  # the name stays, and is theirs
    # Back on the team: the same role logs in again.
    assert "may log in again" in ok(team.run("team", "add", lea)).stderr
    ok(team.run("org", "list", db=team.url(lea)))
    said = fails(team.run("team", "remove", team.role("nobody")))
    assert said == (
        f"Error: {team.role('nobody')} is not on this database's team; `coalition team list` "
        "shows who is."
    )


# --- viewers ---------------------------------------------------------------------------------


@pytest.fixture
def viewer(team: Team, tmp_path: Path) -> Callable[..., Result]:
    """A database with a campaign, an organisation that signed and a contact, and a
    viewer's command line on it."""
    steps = [
        ["campaign", "add", "kids-2027"],
        ["org", "add", "Alpha Kids", "--country", "BE"],
        ["contact", "add", "--name", "Jana Novak", "--email", "jana@example.org",
         "--org", "Alpha Kids"],
        ["signon", "set", "Alpha Kids", "kids-2027", "invited"],
        ["signon", "set", "Alpha Kids", "kids-2027", "signed", "--by", "jana@example.org",
         "--public"],
    ]  # fmt: skip
    for step in steps:
        ok(team.run(*step))
    sam = added(team, "sam", "--viewer", "--no-password")

    def as_viewer(*args: str) -> Result:
        return team.run(*args, db=team.url(sam))

    return as_viewer


VIEWER_WRITES = "You are a viewer on this database"


@pytest.mark.parametrize(
    "command",
    [
        ["org", "edit", "Alpha Kids", "--city", "Gent"],
        ["org", "add", "Beta Youth"],
        ["log", "--org", "Alpha Kids", "--channel", "call"],
        ["signon", "set", "Alpha Kids", "kids-2027", "withdrawn"],
        ["person", "erase", "jana@example.org", "--yes"],
    ],
    ids=["edit", "add", "log", "signon", "erase"],
)
def test_a_viewer_cannot_change_anything(
    team: Team, viewer: Callable[..., Result], command: list[str]
) -> None:
    before = database_state(team.admin_url)
    said = fails(viewer(*command))
    assert said.startswith(f"Error: {VIEWER_WRITES} (")
    assert "you may read and search it but not change it; nothing was changed." in said
    assert database_state(team.admin_url) == before


@pytest.mark.parametrize(
    "command",
    [
        ["export", "contacts", "{out}.csv"],
        ["export", "mailmerge", "{out}.csv"],
        ["export", "vcard", "{out}.vcf"],
        ["export", "signons", "kids-2027", "{out}.csv"],
        ["person", "export", "jana@example.org", "{out}.json"],
    ],
    ids=["contacts", "mailmerge", "vcard", "signons", "person"],
)
def test_a_viewer_cannot_export_personal_data(
    team: Team, viewer: Callable[..., Result], tmp_path: Path, command: list[str]
) -> None:
    out = tmp_path / "out"
    said = fails(viewer(*(arg.format(out=out) for arg in command)))
    assert said.startswith(f"Error: {VIEWER_WRITES}: you may read it, but not export personal data")
    assert list(tmp_path.iterdir()) == []  # no file, not even an empty one


def test_a_viewer_reads_searches_and_exports_what_is_public(
    viewer: Callable[..., Result], tmp_path: Path
) -> None:
    assert "Alpha Kids" in ok(viewer("org", "list")).stdout
    assert "Jana Novak" in ok(viewer("search", "nova")).stdout
    ok(viewer("export", "signatories", "kids-2027", str(tmp_path / "list.html")))
    assert "Alpha Kids" in (tmp_path / "list.html").read_text(encoding="utf-8")
    ok(viewer("export", "organisations", str(tmp_path / "orgs.csv")))


def test_a_coordinator_cannot_upgrade_the_schema_and_is_told_whom_to_ask(team: Team) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from coalition.domain.team import add_member
    from coalition.store.database import _alembic_config, open_database
    from coalition.store.where import to_url

    server, old = team.server, f"coalition_old_{team.suffix}"
    server._run(server.url.database or "postgres", f"CREATE DATABASE {old}")
    try:
        engine = create_engine(to_url(server.url_of(old)))
        with engine.begin() as connection:  # as a coalition of two revisions ago left it
            command.upgrade(_alembic_config(connection), "0008")
        engine.dispose()
        admin = open_database(server.url_of(old), upgrade=False)
        add_member(admin, team.role("lea"), password=False)
        admin.close()
        said = fails(team.run("org", "list", db=server.url_as(old, team.role("lea"))))
        assert "needs its schema changed (a newer coalition, or an upgrade), which only its " in (
            said
        )
        assert said.endswith("ask them to run `coalition init` with this version of coalition.")
    finally:
        server._run(server.url.database or "postgres", f"DROP DATABASE {old} WITH (FORCE)")
        drop_groups(server, old)
