"""When things go wrong the command line says so in one sentence, and tells the truth.

Each test runs the real program in a child process (``python -m coalition``), as a user
would: with a second program holding the database, on a read-only or full file system
(a small tmpfs mounted in a private mount namespace with ``unshare``; those tests are
skipped, saying why, where the machine does not allow it), with a byte that is not UTF-8
on the command line, and with Ctrl+C (a real SIGINT) around an import's commit.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import ok

PYTHON = sys.executable


def coalition(
    db: Path | bytes, *args: str | bytes, timeout: float = 60
) -> subprocess.CompletedProcess:
    """Run ``coalition --db DB ARGS`` in a child process; arguments may be bytes."""
    return subprocess.run(
        [PYTHON, "-m", "coalition", "--db", db, *args],
        capture_output=True,
        text=True,
        errors="backslashreplace",
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
    )


def refused(proc: subprocess.CompletedProcess) -> str:
    """Assert a one-sentence refusal: exit 1, no traceback; return the sentence."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("Error: "), proc.stderr
    return proc.stderr.strip()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextmanager
def writer_holding(path: Path, *, write: bool = True) -> Iterator[None]:
    """Another program holds the write lock on ``path`` (BEGIN IMMEDIATE, a row written
    and not committed) until the block ends."""
    code = textwrap.dedent(
        """
        import sqlite3, sys
        con = sqlite3.connect(sys.argv[1], isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        if sys.argv[2] == "write":
            con.execute("INSERT INTO tags (name, key) VALUES ('held', 'held')")
        print("holding", flush=True)
        sys.stdin.read()  # until the test closes our stdin
        con.execute("ROLLBACK")
        """
    )
    holder = subprocess.Popen(
        [PYTHON, "-c", code, str(path), "write" if write else "lock"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def journal_mode(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        return str(con.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        con.close()


def people_csv(path: Path, rows: int, notes: int = 0, first: int = 0) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["Name", "Email", "Organisation", "Notes"])
        for i in range(first, first + rows):
            writer.writerow(
                [f"Person {i} Example", f"person{i}@example.org", f"Org {i % 50}", "n" * notes]
            )
    return path


# --- bytes that are not UTF-8 ----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ((b"contact", b"add", b"--name", b"Bad\xffName"), "--name"),
        ((b"log", b"--org", b"Acme", b"--subject", b"Caf\xe9 talk"), "--subject"),
        ((b"org", b"edit", b"Acme", b"--city", b"Z\xfcrich"), "--city"),
        ((b"org", b"add", b"Caf\xe9 Europe"), "NAME"),
    ],
    ids=["contact add", "log", "org edit", "org add"],
)
def test_a_value_that_is_not_utf8_is_named_and_refused(
    db_path: Path, run: Callable[..., Result], args: tuple[bytes, ...], named: str
) -> None:
    ok(run("org", "add", "Acme"))
    before = digest(db_path)
    sentence = refused(coalition(db_path, *args))
    assert named in sentence
    assert "\\x" in sentence  # the byte, shown as it came
    assert "not UTF-8" in sentence
    assert digest(db_path) == before


def test_a_file_name_in_another_encoding_is_taken_as_it_is(db_path: Path, tmp_path: Path) -> None:
    # A Latin-1 file name is a real file's name: only text values are refused.
    target = os.fsencode(tmp_path) + b"/caf\xe9-backup.db"
    proc = coalition(db_path, b"backup", target)
    assert proc.returncode == 0, proc.stderr
    assert os.path.exists(target)


# --- another program holds the database ------------------------------------------------


def test_reads_do_not_wait_for_a_writer_and_writes_say_who_they_waited_for(
    db_path: Path, run: Callable[..., Result]
) -> None:
    ok(run("contact", "add", "--name", "Anna Example", "--email", "anna@example.org"))
    with writer_holding(db_path):
        started = time.monotonic()
        listed = coalition(db_path, "contact", "list")
        took = time.monotonic() - started
        assert listed.returncode == 0, listed.stderr
        assert "Anna Example" in listed.stdout
        assert took < 8, f"contact list waited {took:.1f} s behind the writer"

        started = time.monotonic()
        sentence = refused(coalition(db_path, "contact", "add", "--name", "Bo Example"))
        took = time.monotonic() - started
    assert sentence == (
        f"Error: Another program is writing to the database {db_path}; waited 10 s. "
        "Try again when it has finished."
    )
    assert took >= 9.5
    assert "Bo Example" not in coalition(db_path, "contact", "list").stdout


def test_reading_a_file_in_rollback_journal_mode_does_not_switch_it_or_wait(
    db_path: Path, run: Callable[..., Result]
) -> None:
    # A backup (or a copy made with another tool) is in rollback-journal mode: switching it
    # to WAL needs the file to itself, which a read must not wait for, nor do.
    ok(run("contact", "add", "--name", "Anna Example"))
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA journal_mode = DELETE")
    con.close()
    with writer_holding(db_path):
        started = time.monotonic()
        listed = coalition(db_path, "contact", "list")
        took = time.monotonic() - started
    assert listed.returncode == 0, listed.stderr
    assert "Anna Example" in listed.stdout
    assert took < 8, f"contact list waited {took:.1f} s"
    assert journal_mode(db_path) == "delete"
    # The first write switches it to WAL.
    ok(run("contact", "add", "--name", "Bo Example"))
    assert journal_mode(db_path) == "wal"


def test_another_programs_sqlite_file_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE foo (id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("INSERT INTO foo (name) VALUES ('kept as it is')")
    con.commit()
    con.close()
    before = digest(path)
    assert journal_mode(path) == "delete"
    for args in (("contact", "list"), ("contact", "add", "--name", "X"), ("check",)):
        sentence = refused(coalition(path, *args))
        assert "is not a coalition database" in sentence
    assert digest(path) == before
    assert journal_mode(path) == "delete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]  # no -wal, no -shm


# --- a damaged database ----------------------------------------------------------------


def test_a_missing_table_is_said_to_be_damage_with_what_to_run(
    db_path: Path, run: Callable[..., Result]
) -> None:
    ok(run("contact", "add", "--name", "Anna Example", "--tag", "press"))
    con = sqlite3.connect(db_path)
    con.execute("DROP TABLE contact_tags")
    con.commit()
    con.close()
    sentence = refused(coalition(db_path, "contact", "add", "--name", "Bo", "--tag", "press"))
    assert sentence == (
        f"Error: The database {db_path} is damaged (the table contact_tags is missing); "
        "run `coalition check`."
    )


# --- Ctrl+C around an import's commit --------------------------------------------------

INTERRUPTING = textwrap.dedent(
    """
    # Ctrl+C (a real SIGINT, sent to ourselves) just before or just after the import's
    # unit of work commits: the two moments a user's Ctrl+C can fall on either side of.
    import os, signal, sys
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    moment = sys.argv.pop(1)

    def interrupt(session):
        if session.get_bind().get_execution_options().get("sqlite_begin") != "DEFERRED":
            os.kill(os.getpid(), signal.SIGINT)

    event.listen(Session, moment, interrupt)
    sys.argv[0] = "coalition"
    from coalition.cli import main
    main()
    """
)


@pytest.mark.parametrize(
    ("moment", "said", "batches"),
    [
        (
            "after_commit",
            "Interrupted; the import was saved as batch #1 "
            "(undo it with `coalition imports undo 1`).",
            1,
        ),
        ("before_commit", "Interrupted; nothing was changed.", 0),
    ],
)
def test_ctrl_c_around_the_commit_says_whether_the_import_was_saved(
    db_path: Path, tmp_path: Path, moment: str, said: str, batches: int
) -> None:
    source = people_csv(tmp_path / "people.csv", 50)
    proc = subprocess.run(
        [PYTHON, "-c", INTERRUPTING, moment, "--db", str(db_path), "import", str(source)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 130, proc.stderr
    assert "Traceback" not in proc.stderr and "Aborted" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == said
    con = sqlite3.connect(db_path)
    try:
        assert con.execute("SELECT count(*) FROM import_batches").fetchone()[0] == batches
        assert con.execute("SELECT count(*) FROM contacts").fetchone()[0] == 50 * batches
    finally:
        con.close()


def test_ctrl_c_at_any_moment_of_an_import_tells_the_truth(db_path: Path, tmp_path: Path) -> None:
    """A real Ctrl+C at several moments of a 12,000-row import: whatever the moment, the
    sentence matches the file (saved as batch #N, or nothing changed), and the status is 130
    unless the import had finished."""

    def batches() -> list[int]:
        con = sqlite3.connect(db_path)
        try:
            return [r[0] for r in con.execute("SELECT id FROM import_batches ORDER BY id")]
        finally:
            con.close()

    # The moments: while Python starts, while the file is read and planned, while it is
    # written, while it commits, and after (the import is planned and written in one
    # transaction, and says what it did at the end).
    for run, delay in enumerate((0.4, 0.6, 0.8, 1.0, 1.2, 1.5, 2.0, 4.0)):
        # new people each time, so that each run imports 12,000 of them
        source = people_csv(tmp_path / "people.csv", 12_000, first=run * 12_000)
        before = batches()
        child = subprocess.Popen(
            [PYTHON, "-m", "coalition", "--db", str(db_path), "import", "--force", str(source)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stderr is not None
        time.sleep(delay)
        child.send_signal(signal.SIGINT)
        rest = child.stderr.read()
        child.wait(timeout=120)
        lines = rest.strip().splitlines()
        assert "Traceback" not in rest and "Aborted" not in rest, rest
        after = batches()
        last = lines[-1] if lines else ""
        print(f"Ctrl+C {delay} s after the start: {last} (status {child.returncode})")
        if last.startswith("Imported"):
            # Done before the signal came (it may still end the finished process: 130 is
            # what a shell shows for both).
            assert child.returncode in (0, 130, -signal.SIGINT), lines
            assert last == (
                f"Imported people.csv as batch #{after[-1]}; "
                f"`coalition imports undo {after[-1]}` takes it back."
            )
            continue
        assert child.returncode == 130, lines
        if last == "Interrupted; nothing was changed.":
            assert after == before
        elif last.startswith("Interrupted; what was done before was saved"):
            assert len(after) == len(before) + 1  # Ctrl+C after the commit, while saying so
        else:
            assert after == [*before, after[-1]]
            assert last == (
                f"Interrupted; the import was saved as batch #{after[-1]} "
                f"(undo it with `coalition imports undo {after[-1]}`)."
            )


# --- read-only and full file systems (a tmpfs in a private mount namespace) --------------

DRIVER = textwrap.dedent(
    """
    # Runs inside the mount namespace: each step a coalition command or a shell command;
    # prints each one's exit status and output as JSON.
    import json, subprocess, sys
    steps = json.loads(sys.argv[1])
    results = []
    for step in steps:
        if step[0] == "sh":
            proc = subprocess.run(step[1], shell=True, capture_output=True, text=True)
        else:
            proc = subprocess.run(
                [sys.executable, "-m", "coalition", *step], capture_output=True, text=True
            )
        results.append([proc.returncode, proc.stdout, proc.stderr])
    print(json.dumps(results))
    """
)


def _namespace_reason() -> str | None:
    if not shutil.which("unshare"):
        return "no unshare command to make a private mount namespace"
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        probe = subprocess.run(
            ["unshare", "-rm", "sh", "-c", f'mount -t tmpfs -o size=64k tmpfs "{folder}"'],
            capture_output=True,
            text=True,
        )
    if probe.returncode != 0:
        return f"cannot mount a tmpfs in a user namespace here: {probe.stderr.strip()}"
    return None


NAMESPACE_REASON = _namespace_reason()
needs_namespace = pytest.mark.skipif(NAMESPACE_REASON is not None, reason=NAMESPACE_REASON or "")


def on_small_disk(
    folder: Path, size: str, steps: list[list[str]], *, read_only: bool = False
) -> list[tuple[int, str, str]]:
    """Mount a ``size`` tmpfs over ``folder`` (empty) in a private mount namespace, copy
    in the files ``folder`` held, and run ``steps`` there."""
    stash = folder.with_name(folder.name + "-files")
    shutil.move(folder, stash)
    folder.mkdir()
    script = (
        f'mount -t tmpfs -o size={size} tmpfs "{folder}" && cp -a "{stash}"/. "{folder}"/ '
        + (f'&& mount -o remount,ro "{folder}" ' if read_only else "")
        + '&& exec "$@"'
    )
    proc = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", PYTHON, "-c", DRIVER, json.dumps(steps)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 0, proc.stderr
    return [tuple(r) for r in json.loads(proc.stdout)]  # type: ignore[misc]


@needs_namespace
def test_a_read_only_file_system_can_be_read_and_says_why_it_cannot_be_written(
    tmp_path: Path, db_path: Path, run: Callable[..., Result]
) -> None:
    ok(run("contact", "add", "--name", "Anna Example"))
    disk = tmp_path / "disk"
    disk.mkdir()
    shutil.copy(db_path, disk / "coalition.db")
    db = str(disk / "coalition.db")
    listed, added, checked = on_small_disk(
        disk,
        "4m",
        [
            ["--db", db, "contact", "list"],
            ["--db", db, "contact", "add", "--name", "Bo Example"],
            ["--db", db, "check"],
        ],
        read_only=True,
    )
    assert listed[0] == 0, listed
    assert "Anna Example" in listed[1]
    assert added[0] == 1 and "Traceback" not in added[2], added
    assert added[2].strip() == (
        f"Error: The database {db} is on a read-only file system; nothing was changed. "
        "Copy it to a disk you can write to and give the copy with --db."
    )
    assert checked[0] == 0, checked


@needs_namespace
def test_a_full_disk_during_an_import_says_so_and_changes_nothing(
    tmp_path: Path, db_path: Path
) -> None:
    source = people_csv(tmp_path / "people.csv", 3000, notes=200)
    disk = tmp_path / "disk"
    disk.mkdir()
    shutil.copy(db_path, disk / "coalition.db")
    db = str(disk / "coalition.db")
    imported, listed, checked = on_small_disk(
        disk,
        "1m",
        [
            ["--db", db, "import", str(source)],
            ["--db", db, "imports", "list"],
            ["--db", db, "check"],
        ],
    )
    assert imported[0] == 1 and "Traceback" not in imported[2], imported
    assert imported[2].strip().splitlines()[-1] == (
        f"Error: The disk holding {db} is full; nothing was changed. Free some space and try again."
    )
    assert listed[0] == 0 and "No imports yet." in listed[2], listed
    assert checked[0] == 0, checked  # the database is whole


@needs_namespace
def test_a_full_disk_while_writing_a_report_or_an_export_names_the_file(
    tmp_path: Path, db_path: Path, run: Callable[..., Result]
) -> None:
    for i in range(30):
        ok(run("contact", "add", "--name", f"Person {i}", "--notes", "n" * 2000))
    source = people_csv(tmp_path / "people.csv", 2000, notes=100)
    disk = tmp_path / "disk"
    disk.mkdir()
    report, export = str(disk / "report.csv"), str(disk / "contacts.csv")
    db = str(db_path)
    reported, exported = on_small_disk(
        disk,
        "16k",
        [
            ["--db", db, "import", "--dry-run", "--report", report, str(source)],
            ["--db", db, "export", "contacts", export],
        ],
    )
    for result, path in ((reported, report), (exported, export)):
        assert result[0] == 1 and "Traceback" not in result[2], result
        assert result[2].strip().splitlines()[-1] == (
            f"Error: The disk holding {path} is full; nothing was changed. "
            "Free some space and try again."
        )
