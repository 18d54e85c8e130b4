"""``coalition db copy SRC DEST``: a whole database into an empty one, on either engine.

The source is a SQLite file a coordinator would have after a few weeks (organisations,
contacts, a campaign with sign-ons, interactions with a follow-up, an import batch, a
merge, an erasure), made by the command line itself. Copied to PostgreSQL and back, it
dumps (``store.transfer.dump``: every table in id order, values normalised) equal to the
original; a target that is not empty, or a copy that fails half-way, leaves the target as
it was.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from coalition.cli import cli
from coalition.store.database import open_database
from coalition.store.transfer import dump
from tests.conftest import fails, ok

MEMBERS = """name,email,organisation,country
Anna Kowalska,anna.kowalska@example.org,Fundacja Testowa,PL
Jean Dupont,jean.dupont@example.net,Association Exemple,FR
Ελένη Παπαδοπούλου,eleni@example.org,Ένωση Παράδειγμα,GR
Émilie Müller,emilie.muller@example.org,Minors Care Example,BE
"""


def coalition(*args: str) -> Result:
    # alice by $COALITION_USER, not --as: on a server the database role is recorded, and
    # --as naming another is refused there (domain/team.py)
    runner = CliRunner(env={"COALITION_USER": "alice"})
    return runner.invoke(cli, list(args), catch_exceptions=True)


def fill(path: Path) -> None:
    """A coordinator's database after a few weeks, made by the command line."""
    members = path.parent / "members.csv"
    members.write_text(MEMBERS, encoding="utf-8")
    steps = [
        ["org", "add", "Minors Care Example", "--acronym", "MCE", "--kind", "ngo",
         "--country", "BE", "--tag", "eu"],
        ["contact", "add", "--name", "Émilie Müller", "--email", "emilie.muller@example.org",
         "--org", "Minors Care Example", "--role", "Policy Officer", "--tag", "eu",
         "--phone", "+32 2 555 01 01"],
        ["contact", "add", "--name", "E. Müller", "--email", "e.mueller@example.net"],
        ["contact", "add", "--name", "Zoé Erased", "--email", "zoe.erased@example.org",
         "--org", "Minors Care Example"],
        ["campaign", "add", "csam-2022", "--name", "Joint statement on child protection",
         "--deadline", "2026-12-31", "--target", "200", "--state", "open"],
        ["import", str(members), "--tag", "members", "--on-duplicate", "merge"],
        ["signon", "set", "MCE", "csam-2022", "invited"],
        ["signon", "set", "MCE", "csam-2022", "signed", "--by", "emilie.muller@example.org",
         "--display-name", "Minors Care Example (MCE)", "--public"],
        ["signon", "set", "Fundacja Testowa", "csam-2022", "declined"],
        ["log", "--org", "MCE", "--channel", "email", "--subject", "Invitation to sign",
         "--campaign", "csam-2022", "--follow-up", "+7d"],
        ["log", "--contact", "anna.kowalska@example.org", "--channel", "call",
         "--subject", "Draft text", "--follow-up", "tomorrow"],
        ["contact", "merge", "emilie.muller@example.org", "e.mueller@example.net", "--yes"],
        ["person", "erase", "zoe.erased@example.org", "--yes"],
    ]  # fmt: skip
    for step in steps:
        ok(coalition("--db", str(path), *step))


@pytest.fixture(scope="module")
def original_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("original") / "coalition.db"
    with pytest.MonkeyPatch.context() as env:
        env.delenv("COALITION_DB", raising=False)
        env.setenv("HOME", str(path.parent / "home"))
        fill(path)
    return path


@pytest.fixture
def original(original_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "original.db"
    shutil.copyfile(original_file, path)
    return path


def dumped(target: Path | str) -> dict[str, list[tuple[Any, ...]]]:
    db = open_database(target)
    try:
        return dump(db)
    finally:
        db.close()


@pytest.fixture
def empty_server_database(pg_server: Any) -> Iterator[str]:
    """A new database on the suite's PostgreSQL server, without a table."""
    name = f"coalition_copy_{uuid.uuid4().hex[:8]}"
    maintenance = pg_server.url.database or "postgres"
    pg_server._run(maintenance, f"CREATE DATABASE {name}")
    yield pg_server.url_of(name)
    pg_server._run(maintenance, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def server_tables(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return [name for (name,) in rows]


def test_the_original_holds_what_the_copy_must_carry(original: Path) -> None:
    """The fixture is worth testing against: every kind of history is in it."""
    tables = dumped(original)
    for name in (
        "organisations", "contacts", "contact_emails", "contact_phones", "tags",
        "contact_tags", "organisation_tags", "campaigns", "signons", "signon_events",
        "interactions", "audit_log", "import_batches", "import_changes", "merges",
        "erasures",
    ):  # fmt: skip
        assert tables[name], f"{name} is empty in the original"


def test_a_file_copied_to_postgresql_and_back_dumps_equal_to_the_original(
    original: Path, empty_server_database: str, tmp_path: Path
) -> None:
    before = dumped(original)

    to_server = ok(coalition("db", "copy", str(original), empty_server_database))
    assert "every table has the same rows on both sides" in to_server.stderr
    assert "contacts" in to_server.stdout and "DIFFERS" not in to_server.stdout
    assert dumped(empty_server_database) == before

    back = tmp_path / "back.db"
    ok(coalition("db", "copy", empty_server_database, str(back)))
    assert dumped(back) == before
    assert dumped(original) == before  # the source is only read

    # On the server: found by the search index rebuilt there, history kept, and the next
    # record takes the id after the copied ones.
    found = ok(coalition("--db", empty_server_database, "search", "mull"))
    assert "Émilie Müller" in found.stdout
    found = ok(coalition("--db", empty_server_database, "search", "ελενη"))
    assert "Ελένη" in found.stdout
    history = ok(coalition("--db", empty_server_database, "history", "MCE", "--format", "json"))
    assert (
        history.stdout
        == ok(coalition("--db", str(original), "history", "MCE", "--format", "json")).stdout
    )
    added = ok(coalition("--db", empty_server_database, "org", "add", "Association Neuve"))
    highest = max(row[0] for row in before["organisations"])
    assert f"#{highest + 1} " in added.stderr
    assert ok(coalition("--db", empty_server_database, "imports", "list")).stdout.count("members")


def test_a_file_copied_to_a_new_file_dumps_equal_and_is_searchable(
    original: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.db"
    ok(coalition("db", "copy", str(original), str(copy)))
    assert dumped(copy) == dumped(original)
    assert copy.stat().st_mode & 0o777 == 0o600
    assert "Émilie Müller" in ok(coalition("--db", str(copy), "search", "emilie")).stdout
    assert "Jean Dupont" in ok(coalition("--db", str(copy), "search", "dupo")).stdout


def test_a_target_with_rows_is_refused_and_left_as_it_was(
    original: Path, db_path: Path | str, run: Callable[..., Result]
) -> None:
    ok(run("org", "add", "Association Existante"))
    before = dumped(db_path)
    said = fails(coalition("db", "copy", str(original), str(db_path)))
    assert "is not empty" in said and "nothing was copied" in said
    assert len(said.splitlines()) == 1
    assert dumped(db_path) == before


def test_an_empty_coalition_database_takes_the_copy(original: Path, db_path: Path | str) -> None:
    """A database made by `coalition init` (the schema, no rows) is empty enough."""
    ok(coalition("db", "copy", str(original), str(db_path)))
    assert dumped(db_path) == dumped(original)


def _orphan(path: Path) -> None:
    """An email whose contact is gone: a row SQLite kept with its foreign keys off (as an
    older program, or a hand edit, may leave one) and that no target will take."""
    connection = sqlite3.connect(path)
    try:
        connection.execute(
            "INSERT INTO contact_emails (contact_id, address, address_key, is_primary, valid) "
            "VALUES (9999, 'ghost@example.org', 'ghost@example.org', 0, 1)"
        )
        connection.commit()
    finally:
        connection.close()


def test_a_copy_that_fails_half_way_leaves_no_file_behind(original: Path, tmp_path: Path) -> None:
    _orphan(original)
    target = tmp_path / "copy.db"
    said = fails(coalition("db", "copy", str(original), str(target)))
    assert "contact_emails" in said and "nothing was copied" in said
    assert not list(tmp_path.glob("copy.db*"))


def test_a_copy_that_fails_half_way_leaves_the_server_database_empty(
    original: Path, empty_server_database: str
) -> None:
    _orphan(original)
    said = fails(coalition("db", "copy", str(original), empty_server_database))
    assert "contact_emails" in said and "nothing was copied" in said
    assert server_tables(empty_server_database) == []  # not even the schema
    ok(coalition("db", "copy", str(original_without_orphan(original)), empty_server_database))


def original_without_orphan(path: Path) -> Path:
    connection = sqlite3.connect(path)
    try:
        connection.execute("DELETE FROM contact_emails WHERE contact_id = 9999")
        connection.commit()
    finally:
        connection.close()
    return path


def test_a_missing_source_or_the_same_database_twice_is_said(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    said = fails(coalition("db", "copy", str(missing), str(tmp_path / "copy.db")))
    assert "There is no database at" in said
    assert not missing.exists() and not (tmp_path / "copy.db").exists()
    said = fails(coalition("db", "copy", str(tmp_path / "a.db"), str(tmp_path / "a.db")))
    assert "same database" in said
