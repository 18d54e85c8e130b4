"""``coalition check`` finds what is wrong with a database, and ``backup`` refuses a damaged one.

The damage is real: a page of a copy of a real database file overwritten with garbage,
a table dropped, rows that point nowhere, a search index left behind its tables.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import fails, ok


def raw(path: Path, *statements: str) -> None:
    """Change the file behind coalition's back, as another tool (or a bug) would."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA foreign_keys = OFF")
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


@pytest.fixture
def filled(db_path: Path, run: Callable[..., Result]) -> Path:
    """A database with an organisation and 40 contacts (enough for several pages)."""
    ok(run("org", "add", "Acme Europe", "--city", "Lyon"))
    for i in range(40):
        ok(
            run(
                "contact", "add", "--name", f"Person {i} Example",
                "--email", f"person{i}@example.org", "--org", "Acme Europe",
                "--notes", "a note long enough to fill pages " * 10,
            )
        )  # fmt: skip
    return db_path


def corrupt_page_of(path: Path, table: str) -> int:
    """Overwrite the root page of ``table`` with garbage; returns its page number."""
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (page,) = con.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()
        (size,) = con.execute("PRAGMA page_size").fetchone()
    finally:
        con.close()
    with path.open("r+b") as f:
        f.seek((page - 1) * size)
        f.write(b"\xde\xad\xbe\xef" * (size // 4))
    return int(page)


def test_a_whole_database_passes_every_check(filled: Path, run: Callable[..., Result]) -> None:
    result = ok(run("check"))
    lines = result.stdout.splitlines()
    assert lines[0] == f"Checked {filled}:"
    assert [line.split()[0] for line in lines[1:]] == ["ok"] * 5
    out = result.stdout
    assert "integrity_check" in out and "foreign keys" in out and "schema: revision" in out
    assert "40 contacts in step; 1 organisation in step" in out
    assert "No problems found." in result.stderr


def test_check_reads_only(filled: Path, run: Callable[..., Result]) -> None:
    raw(filled, "PRAGMA wal_checkpoint(TRUNCATE)", "PRAGMA journal_mode = DELETE")
    before = hashlib.sha256(filled.read_bytes()).hexdigest()
    ok(run("check"))
    assert hashlib.sha256(filled.read_bytes()).hexdigest() == before
    assert not Path(f"{filled}-wal").exists()


def test_a_corrupted_page_is_found_and_backup_refuses_to_copy_it(
    filled: Path, tmp_path: Path, run: Callable[..., Result]
) -> None:
    ok(run("backup", str(tmp_path / "good.db")))  # taken while the file was whole
    page = corrupt_page_of(filled, "contacts")

    listed = fails(run("contact", "list"))
    assert listed == (
        f"Error: The database {filled} is damaged (database disk image is malformed); "
        "run `coalition check`."
    )

    result = run("check")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "PROBLEM  file structure (SQLite integrity_check):" in result.stdout
    assert f"Page {page}:" in result.stdout
    assert "restore an earlier backup with `coalition restore BACKUP`" in result.stderr
    assert ".recover" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: ")

    refused = fails(run("backup", str(tmp_path / "copy.db")))
    assert refused.startswith(f"Error: The database {filled} is damaged (Page {page}:")
    assert "no backup was made" in refused and "coalition restore" in refused
    assert not (tmp_path / "copy.db").exists()
    assert not list(tmp_path.glob(".copy.db*"))

    # The way back the sentence gives: restore the earlier backup.
    ok(run("restore", "--yes", str(tmp_path / "good.db")))
    ok(run("check"))
    assert "Person 39 Example" in ok(run("contact", "list", "--format", "csv")).stdout


def test_a_missing_table_is_named(filled: Path, run: Callable[..., Result]) -> None:
    raw(filled, "DROP TABLE contact_phones")
    result = run("check")
    assert result.exit_code == 1
    assert "PROBLEM  schema:" in result.stdout
    assert "the table contact_phones is missing" in result.stdout
    assert "A missing table or column cannot be rebuilt here." in result.stderr


def test_rows_that_point_nowhere_are_counted_by_table(
    filled: Path, run: Callable[..., Result]
) -> None:
    raw(
        filled,
        "INSERT INTO contact_emails (contact_id, address, address_key, is_primary, valid) "
        "VALUES (9999, 'ghost@example.net', 'ghost@example.net', 1, 1)",
    )
    result = run("check")
    assert result.exit_code == 1
    assert "PROBLEM  foreign keys:" in result.stdout
    assert "1 row of contact_emails point at a missing row of contacts" in result.stdout


def test_a_search_index_out_of_step_is_found_and_repaired(
    filled: Path, run: Callable[..., Result]
) -> None:
    raw(
        filled,
        "DELETE FROM contact_search WHERE rowid = 3",  # a contact the index lost
        "UPDATE contacts SET display_name = 'Zuzanna Nowak' WHERE id = 5",  # renamed behind it
        "INSERT INTO organisation_search (rowid, name) VALUES (77, 'gone')",  # a deleted one's
    )
    assert "Zuzanna" not in run("search", "zuzanna").output
    result = run("check")
    assert result.exit_code == 1
    out = result.stdout
    assert "PROBLEM  search index:" in out
    assert "1 contact not in the index (contact_search)" in out
    assert "1 contact with an out-of-date entry (contact_search)" in out
    assert "1 entry of deleted organisations (organisation_search)" in out
    assert "`coalition check --repair` rebuilds the search index" in result.stderr

    repaired = ok(run("check", "--repair"))
    assert "Rebuilt the search index from the tables." in repaired.stderr
    after = repaired.stdout.split("After the repair:")[1]
    assert "PROBLEM" not in after
    assert "Zuzanna Nowak" in ok(run("search", "zuzanna")).output
    assert "Person 2 Example" in ok(run("search", "person2")).output


def test_check_runs_beside_a_writer(filled: Path) -> None:
    """Another program holding the write lock: every look still runs (they read), FTS5's own
    check, which needs the lock, is skipped with a word."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
                import sqlite3, sys
                con = sqlite3.connect(sys.argv[1], isolation_level=None)
                con.execute("BEGIN IMMEDIATE")
                print("holding", flush=True)
                sys.stdin.read()
                """
            ),
            str(filled),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        proc = subprocess.run(
            [sys.executable, "-m", "coalition", "--db", str(filled), "check"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert "skipped: another program is writing" in proc.stdout
    assert "40 contacts in step" in proc.stdout


def test_checking_a_file_that_is_not_there_does_not_make_one(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    missing = tmp_path / "typo.db"
    assert fails(run("check", db=missing)) == (
        f"Error: There is no database at {missing}; give its path with --db."
    )
    assert not missing.exists()
