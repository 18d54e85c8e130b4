"""Erasure that tells the truth: the rewrite checked, re-runnable, and the erasure ledger.

A second program holding the file, and a kill at each step of the erase, are real
processes here: the command runs as ``python -m coalition`` in a subprocess.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coalition.domain import outreach, people
from tests.conftest import fails, ok

SECRET = "zuzanna.tajemnicza@example.org"
NEEDLES = (SECRET, "Zuzanna Tajemnicza", "+48601555999", "601 555 999")
"""The person's identifiers as they would sit in the file: email, name, phone."""


@pytest.fixture
def person(unit: Any, db: Any) -> None:
    with unit() as w:
        people.add_organisation(w, name="Alpha")
        people.add_contact(
            w,
            given_name="Zuzanna",
            family_name="Tajemnicza",
            emails=[SECRET],
            phones=["+48 601 555 999"],
            organisation="Alpha",
            notes="Prefers calls on Tuesdays",
            street="ul. Przykładowa 7",
        )
        outreach.log_interaction(w, contact=SECRET, subject="Call", notes="Her views")
        people.add_contact(
            w, given_name="Other", family_name="Person", emails=["other@example.net"]
        )
    db.close()  # the test's own connections let go, as a finished command does


def occurrences(db_path: Path, needles: tuple[str, ...] = NEEDLES) -> int:
    """How often any of the needles occurs in the database file and its -wal (any ASCII case;
    as UTF-8 and as JSON writes it)."""
    blob = b""
    for part in (db_path, db_path.with_name(db_path.name + "-wal")):
        if part.exists():
            blob += part.read_bytes().lower()
    forms = {f.lower().encode() for n in needles for f in (n, json.dumps(n)[1:-1])}
    return sum(blob.count(form) for form in forms)


def listed(run: Any) -> list[str]:
    """The names `contact list` shows."""
    return [
        c["display_name"] for c in json.loads(ok(run("contact", "list", "--format", "json")).stdout)
    ]


def cli(db_path: Path, *args: str, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    """``coalition --db DB ARGS`` in a process of its own."""
    env = dict(os.environ)
    env.pop("COALITION_TEST_KILL_AT", None)
    if kill_at:
        env["COALITION_TEST_KILL_AT"] = kill_at
    return subprocess.run(
        [sys.executable, "-m", "coalition", "--db", str(db_path), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.fixture
def reader(db_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another program with a read transaction open on the file (as the terminal app or a
    backup in progress has), until the test ends it."""
    code = (
        "import sqlite3, sys\n"
        f"c = sqlite3.connect({str(db_path)!r}, isolation_level=None)\n"
        "c.execute('BEGIN')\n"
        "c.execute('SELECT count(*) FROM contact_emails').fetchone()\n"
        "print('reading', flush=True)\n"
        "sys.stdin.readline()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "reading"
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def close(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.write("\n")
    proc.stdin.flush()
    proc.wait(timeout=10)


def test_a_reader_holding_a_snapshot_makes_the_erase_say_so_and_finish_later(
    person: None, db_path: Path, reader: subprocess.Popen[str]
) -> None:
    assert occurrences(db_path) > 0, "the checks below can fail"
    started = time.monotonic()
    held = cli(db_path, "person", "erase", SECRET, "--yes")
    waited = time.monotonic() - started
    assert held.returncode == 1, held
    assert "Traceback" not in held.stderr
    assert (
        "Erased from the records; another program has the database open — close it and run "
        "`coalition person erase --finish`."
    ) in held.stderr
    assert "the file was rewritten" not in (held.stdout + held.stderr)
    assert "Erased contact #" in held.stderr
    remaining = occurrences(db_path)
    assert remaining > 0  # what the reader still sees is in the -wal or the file …
    said = re.search(
        r"Until then their details occur (\d+) times? in the database file", held.stderr
    )
    assert said is not None and int(said.group(1)) > 0  # … and the command said so
    assert waited < 8, f"waited {waited:.1f} s before saying so"
    listed = cli(db_path, "contact", "list", "--format", "json")
    assert [c["display_name"] for c in json.loads(listed.stdout)] == ["Other Person"]
    again = cli(db_path, "person", "erase", SECRET, "--yes")
    assert again.returncode == 1 and "--finish" in again.stderr

    close(reader)
    done = cli(db_path, "person", "erase", "--finish")
    assert done.returncode == 0, done
    assert "occur 0 times in the database file and its -wal" in done.stderr
    assert occurrences(db_path) == 0
    assert "No erasure is pending" in cli(db_path, "person", "erase", "--finish").stderr


STEPS = ["erased", "committed", "optimized", "vacuumed", "checkpointed", "counted"]


@pytest.mark.parametrize("step", STEPS)
def test_a_kill_at_any_step_of_the_erase_is_finished_by_a_rerun(
    person: None, db_path: Path, step: str
) -> None:
    killed = cli(db_path, "person", "erase", SECRET, "--yes", kill_at=step)
    assert killed.returncode == -signal.SIGKILL, killed
    if step == "erased":  # before the commit: nothing happened, the erase runs again
        assert cli(db_path, "contact", "show", SECRET).returncode == 0
        rerun = cli(db_path, "person", "erase", SECRET, "--yes")
    else:
        assert cli(db_path, "contact", "show", SECRET).returncode == 1
        if step in ("committed", "optimized", "vacuumed"):  # recorded, not yet finished
            listing = cli(db_path, "contact", "list")
            assert listing.returncode == 0
            assert "1 erasure is not finished" in listing.stderr
            assert "coalition person erase --finish" in listing.stderr
        rerun = cli(db_path, "person", "erase", "--finish")
    assert rerun.returncode == 0, rerun
    assert "occur 0 times" in rerun.stderr
    assert occurrences(db_path) == 0
    con = sqlite3.connect(db_path)
    assert con.execute("SELECT count(*), sum(pending) FROM erasures").fetchone() == (1, 0)
    con.close()
    assert "not finished" not in cli(db_path, "contact", "list").stderr


def test_finishing_after_a_kill_finds_what_is_left_by_its_hashes(
    person: None, db_path: Path
) -> None:
    """Killed after the commit, the values are gone from the tables and from the process;
    a later --finish that cannot rewrite still recognises the copies by their hashes."""
    assert cli(db_path, "person", "erase", SECRET, "--yes", kill_at="committed").returncode < 0
    assert occurrences(db_path, (SECRET,)) > 0
    code = (
        "import sqlite3, sys\n"
        f"c = sqlite3.connect({str(db_path)!r}, isolation_level=None)\n"
        "c.execute('BEGIN')\n"
        "c.execute('SELECT count(*) FROM contacts').fetchone()\n"
        "print('reading', flush=True)\n"
        "sys.stdin.readline()\n"
    )
    second = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert second.stdout is not None and second.stdout.readline().strip() == "reading"
        held = cli(db_path, "person", "erase", "--finish")
        assert held.returncode == 1
        assert "close it and run `coalition person erase --finish`" in held.stderr
        assert "Until then their details occur" in held.stderr  # found by hash, not by value
    finally:
        close(second)
    done = cli(db_path, "person", "erase", "--finish")
    assert done.returncode == 0 and "occur 0 times" in done.stderr
    assert occurrences(db_path) == 0


def test_restoring_an_older_backup_erases_them_again_and_says_so(
    person: None, run: Any, db_path: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "before-erase.db"
    ok(run("backup", str(copy)))
    ok(run("person", "erase", SECRET, "--yes"))
    result = ok(run("restore", str(copy), "--yes"))
    assert "1 person(s) in the backup had been erased since: erased again" in result.stderr
    assert "occur 0 times" in result.stderr
    names = listed(run)
    assert names == ["Other Person"]
    assert json.loads(ok(run("search", "zuzanna", "--format", "json")).stdout) == []
    assert occurrences(db_path) == 0
    # The ledger came along: the restored database still knows they were erased.
    assert "erased already" in fails(run("person", "erase", SECRET, "--yes"))


def test_restoring_a_backup_taken_after_the_erasure_says_nothing_more(
    person: None, run: Any, tmp_path: Path
) -> None:
    ok(run("person", "erase", SECRET, "--yes"))
    copy = tmp_path / "after.db"
    ok(run("backup", str(copy)))
    result = ok(run("restore", str(copy), "--yes"))
    assert "erased since" not in result.stderr


def test_a_later_import_skips_an_erased_person_unless_allowed(
    person: None, run: Any, tmp_path: Path
) -> None:
    ok(run("person", "erase", SECRET, "--yes"))
    sheet = tmp_path / "people.csv"
    sheet.write_text(
        f"Name,Email\nZuzanna Tajemnicza,{SECRET.upper()}\nNew Person,new@example.net\n",
        encoding="utf-8",
    )
    result = ok(run("import", str(sheet)))
    assert "1 erased person skipped" in result.stderr
    assert "erased earlier" in result.stderr and "--allow-erased" in result.stderr
    names = set(listed(run))
    assert names == {"Other Person", "New Person"}
    ok(run("import", str(sheet), "--allow-erased", "--force"))
    names = set(listed(run))
    assert "Zuzanna Tajemnicza" in names


def test_a_vcard_of_an_erased_person_is_skipped_by_its_uid(
    person: None, run: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "cards"
    ok(run("export", "vcard", f"{folder}/"))
    (card,) = [p for p in folder.glob("*.vcf") if SECRET in p.read_text(encoding="utf-8")]
    ok(run("person", "erase", SECRET, "--yes"))
    # The card carries the UID; a copy with the address changed is still them.
    text = card.read_text(encoding="utf-8").replace(SECRET, "zuzia@example.net")
    other = tmp_path / "zuzia.vcf"
    other.write_text(text, encoding="utf-8")
    result = ok(run("import", str(other)))
    assert "1 erased person skipped" in result.stderr


def test_a_vdir_written_again_loses_the_erased_persons_card(
    person: None, run: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "cards"
    ok(run("export", "vcard", f"{folder}/"))
    assert len(list(folder.glob("*.vcf"))) == 2
    ok(run("person", "erase", SECRET, "--yes"))
    ok(run("export", "vcard", f"{folder}/"))
    left = list(folder.glob("*.vcf"))
    assert len(left) == 1
    assert all(SECRET not in p.read_text(encoding="utf-8") for p in left)
    assert all("Tajemnicza" not in p.read_text(encoding="utf-8") for p in left)


def audit_text(db_path: Path) -> str:
    """The change log's labels and values, decoded (JSON escapes non-ASCII letters)."""
    con = sqlite3.connect(db_path)
    try:
        rows = con.execute("SELECT label, before, after FROM audit_log").fetchall()
    finally:
        con.close()
    decoded = [(label, json.loads(b or "null"), json.loads(a or "null")) for label, b, a in rows]
    return json.dumps(decoded, ensure_ascii=False)


def test_contact_delete_keeps_no_personal_data_in_the_change_log(
    person: None, run: Any, db_path: Path
) -> None:
    ok(run("contact", "edit", SECRET, "--role", "Chair"))
    assert "Tajemnicza" in audit_text(db_path)
    ok(run("contact", "delete", SECRET, "--yes"))
    logged = audit_text(db_path)
    for needle in (SECRET, "Tajemnicza", "Zuzanna", "Przykładowa", "Tuesdays", "601 555"):
        assert needle not in logged, needle
    con = sqlite3.connect(db_path)
    (before,) = con.execute(
        "SELECT before FROM audit_log WHERE action = 'delete' AND entity = 'contact'"
    ).fetchone()
    con.close()
    assert {"emails", "phones", "display_name", "street"} <= set(json.loads(before))


def test_erase_reaches_a_contact_deleted_before_this_change(
    person: None, run: Any, db_path: Path
) -> None:
    """A delete entry written by earlier versions held the whole record: an erase by the
    person's address finds it and scrubs it, and every entry about them."""
    shown = json.loads(ok(run("contact", "show", SECRET, "--format", "json")).stdout)
    cid = shown["id"]
    ok(run("contact", "delete", SECRET, "--yes"))
    snapshot = {
        "display_name": "Zuzanna Tajemnicza",
        "emails": [SECRET],
        "phones": ["+48 601 555 999"],
        "street": "ul. Przykładowa 7",
    }
    con = sqlite3.connect(db_path)
    con.execute(
        "UPDATE audit_log SET label = 'Zuzanna Tajemnicza', before = ? "
        "WHERE action = 'delete' AND entity_id = ?",
        (json.dumps(snapshot), cid),
    )
    con.commit()
    con.close()
    assert "Przykładowa" in audit_text(db_path)
    result = ok(run("person", "erase", SECRET, "--yes"))
    assert f"Erased contact #{cid}" in result.stderr and "occur 0 times" in result.stderr
    assert "Tajemnicza" not in audit_text(db_path)
    assert occurrences(db_path, (SECRET, "Przykładowa", "Tajemnicza")) == 0
