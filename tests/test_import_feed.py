"""A big file's rows read and checked in a second process (``interchange.feed``).

The import must be the one the file gives when it is read here: the same records
(CSV, XLSX, vCard), the same checks, the same plan, window after window; an error in
the file says what reading it here says; and whatever happens to either process — the
reader killed, the importer killed, Ctrl+C — the batch is all or nothing and no reader is
left running.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from coalition.domain.audit import work
from coalition.domain.imports import Outcome, import_records, rehearse
from coalition.errors import FileProblem
from coalition.interchange import feed
from coalition.interchange.importer import Source, open_source, options_for
from coalition.store.database import open_database

WINDOW = 40
"""Rows a window holds here: the 300-row files below make eight of them."""

HEADERS = ["Organisation", "First name", "Last name", "E-mail", "Phone", "Country", "Tags"]
GIVEN = ["Anna", "Émilie", "Jan", "Zofia", "Ελένη", "Søren", "Ines", "Piotr"]
FAMILY = ["Müller", "Bonneau", "Nowak", "Kowalska", "García", "Rossi"]


def people_rows(n: int) -> list[list[str]]:
    """Fictional rows with what a plan has to decide: people repeated later in the file
    (same address, in another window), one organisation spelled three ways, invalid
    addresses, numbers to check, rows that are only an organisation (with info@)."""
    rows = []
    for i in range(n):
        org = f"Fondation Exemple {i % 23}"
        if i % 17 == 0:
            org = org.upper()
        elif i % 19 == 0:
            org = org.replace(" ", "-")
        person = i - 50 if i % 11 == 0 and i >= 50 else i  # a person met again, windows later
        given, family = GIVEN[person % len(GIVEN)], FAMILY[person % len(FAMILY)]
        email = f"person{person}@example.org" if i % 29 else f"person{person}@@example.org"
        if i % 31 == 0:
            given = family = ""
            email = f"info@fondation{i % 23}.example.net"
        phone = f"+32 2 555 {i:04d}" if i % 3 else f"0{i:09d}"
        rows.append([org, given, family, email, phone, ["BE", "fr", "Pologne", "XX"][i % 4], "eu"])
    return rows


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_vcf(path: Path, rows: list[list[str]]) -> Path:
    cards = []
    for org, given, family, email, phone, _country, tags in rows:
        cards.append(
            "BEGIN:VCARD\r\nVERSION:3.0\r\n"
            f"N:{family};{given};;;\r\nFN:{given} {family}\r\nORG:{org}\r\n"
            f"EMAIL;TYPE=WORK:{email}\r\nTEL;TYPE=CELL:{phone}\r\nCATEGORIES:{tags}\r\n"
            "END:VCARD\r\n"
        )
    path.write_text("".join(cards), encoding="utf-8")
    return path


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "vcf": write_vcf}

SNAPSHOT = {
    "contacts": "SELECT id, given_name, family_name, display_name, organisation_id, language, "
    "country, notes, import_batch_id FROM contacts ORDER BY id",
    "emails": "SELECT contact_id, address, is_primary, valid, label FROM contact_emails "
    "ORDER BY contact_id, address",
    "phones": "SELECT contact_id, number, e164, label FROM contact_phones "
    "ORDER BY contact_id, number",
    "organisations": "SELECT id, name, country, email, website, notes FROM organisations "
    "ORDER BY id",
    "tags": "SELECT ct.contact_id, t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id "
    "ORDER BY 1, 2",
    "batches": "SELECT id, file_name, counts FROM import_batches ORDER BY id",
    "index": "SELECT rowid, name, emails, organisation, tags FROM contact_search ORDER BY rowid",
}


def snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What an import wrote, without what differs between two runs (new uids, times)."""
    with sqlite3.connect(path) as con:
        return {name: con.execute(sql).fetchall() for name, sql in SNAPSHOT.items()}


def said(outcome: Outcome) -> tuple[Any, ...]:
    return (
        outcome.rows,
        dict(outcome.counts),
        outcome.matches.shown,
        outcome.matches.total,
        outcome.notes.shown,
        outcome.notes.total,
    )


def imported(path: Path, source: Source, records: Iterable[Any], window: int = WINDOW) -> Outcome:
    db = open_database(path)
    try:
        with work(db, "tester") as w:
            return import_records(w, records, options_for(source), window=window)
    finally:
        db.close()


@pytest.mark.parametrize("kind", ["csv", "xlsx", "vcf"])
def test_the_second_process_gives_the_import_the_rows_read_here(tmp_path: Path, kind: str) -> None:
    file = WRITERS[kind](tmp_path / f"people.{kind}", people_rows(300))
    here = open_source(file)
    inline = imported(tmp_path / "inline.db", here, here.records)
    there = open_source(file)
    fed = imported(tmp_path / "fed.db", there, feed.Feed(there, WINDOW))
    # (Equal since the plan stopped filling in the reader's own organisation record, which
    # later windows' rows share, from other spellings: their numbers were then read in
    # that record's new country here, and not in a second process, whose windows each
    # get records of their own.)
    assert said(fed) == said(inline)
    assert snapshot(tmp_path / "fed.db") == snapshot(tmp_path / "inline.db")
    # worth comparing: several windows, people met again, organisations spelled apart
    assert fed.rows == 300 and fed.counts["create"] > 200
    assert fed.counts["in-file duplicate"] > 0 and fed.counts["invalid emails"] > 0
    # what the reader learnt at the end of the file comes back too (a vCard's count)
    assert there.records.count == here.records.count == 300
    assert there.notes == here.notes and there.problems == here.problems


def test_a_dry_run_through_the_second_process_plans_the_same(tmp_path: Path) -> None:
    file = write_csv(tmp_path / "people.csv", people_rows(300))
    db = open_database(tmp_path / "dry.db")
    try:
        here = open_source(file)
        inline = rehearse(db, "tester", here.records, options_for(here), window=WINDOW)
        there = open_source(file)
        fed = rehearse(db, "tester", feed.Feed(there, WINDOW), options_for(there), window=WINDOW)
    finally:
        db.close()
    assert said(fed) == said(inline)
    assert snapshot(tmp_path / "dry.db")["contacts"] == []  # a dry run changes nothing


def test_a_file_the_reader_refuses_is_refused_as_here(tmp_path: Path) -> None:
    file = write_csv(tmp_path / "people.csv", people_rows(600))
    errors = []
    for records in (lambda s: s.records, lambda s: feed.Feed(s, WINDOW)):
        source = open_source(file, max_rows=450)  # refused while read, at row 451
        with pytest.raises(FileProblem) as refused:
            imported(tmp_path / "refused.db", source, records(source))
        errors.append(str(refused.value))
    assert errors[0] == errors[1] and "450" in errors[0]
    assert snapshot(tmp_path / "refused.db")["batches"] == []  # nothing written


def test_a_bug_in_the_reader_stays_a_bug_with_its_traceback(tmp_path: Path) -> None:
    # Not a sentence about the file: what the reader raised, where, for a report.
    file = write_csv(tmp_path / "people.csv", people_rows(50))
    source = open_source(file)
    source.opened = {**source.opened, "no_such_option": True}  # open_source() refuses it
    with pytest.raises(RuntimeError) as failed:
        list(feed.Feed(source, WINDOW))
    assert "The process reading the file failed" in str(failed.value)
    assert "TypeError" in str(failed.value) and "no_such_option" in str(failed.value)


def test_a_file_changed_since_it_was_opened_is_refused(tmp_path: Path) -> None:
    file = write_csv(tmp_path / "people.csv", people_rows(50))
    source = open_source(file)
    write_csv(file, people_rows(60))
    with pytest.raises(FileProblem, match="has changed since it was opened"):
        list(feed.Feed(source, WINDOW))


def test_a_reader_killed_mid_file_leaves_nothing_and_says_so(tmp_path: Path) -> None:
    file = write_csv(tmp_path / "people.csv", people_rows(300))
    source = open_source(file)
    rows = feed.Feed(source, WINDOW)

    def kill_the_reader(_plan: object) -> None:  # once the first window is written
        assert rows.reader is not None
        rows.reader.kill()

    db = open_database(tmp_path / "killed.db")
    try:
        with pytest.raises(FileProblem) as lost, work(db, "tester") as w:
            import_records(w, rows, options_for(source), window=WINDOW, observe=kill_the_reader)
    finally:
        db.close()
    assert "was stopped by signal 9" in str(lost.value)
    assert "nothing of it was imported" in str(lost.value)
    assert snapshot(tmp_path / "killed.db")["contacts"] == []


def test_small_files_are_read_here_and_big_ones_beside(tmp_path: Path, monkeypatch: Any) -> None:
    file = write_csv(tmp_path / "people.csv", people_rows(30))
    source = open_source(file)
    monkeypatch.delenv("COALITION_IMPORT_FEED", raising=False)
    assert feed.records(source) is source.records  # ~5 KB: not worth a process
    monkeypatch.setitem(feed.FEED_FROM_BYTES, "csv", 1)
    assert isinstance(feed.records(source), feed.Feed)
    monkeypatch.setenv("COALITION_IMPORT_FEED", "inline")
    assert feed.records(source) is source.records
    monkeypatch.setenv("COALITION_IMPORT_FEED", "process")
    monkeypatch.setattr(sys, "frozen", True, raising=False)  # a bundled executable
    assert feed.records(source) is source.records  # it cannot start `python -m` itself


# --- the whole command, with real signals ---------------------------------------------------

PYTHON = sys.executable


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_import(db: Path, file: Path) -> tuple[subprocess.Popen[str], int]:
    """`coalition import` of ``file`` with its reader process; returns it and the reader's
    pid, once the reader runs."""
    env = {**os.environ, "COALITION_IMPORT_FEED": "process"}
    command = [PYTHON, "-m", "coalition", "--db", str(db), "import", str(file)]
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True,  # its own process group, as a terminal gives a command
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        readers = _children(child.pid)
        if readers:
            return child, readers[0]
        time.sleep(0.01)
    child.kill()
    raise AssertionError("the reader process never started")


def _batches(db: Path) -> int:
    """How many batches the file holds, each checked whole (all its people are there)."""
    if not db.exists():
        return 0
    with sqlite3.connect(db) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        if "import_batches" not in tables:
            return 0
        batches = con.execute("SELECT id, counts FROM import_batches").fetchall()
        for batch, counts in batches:
            people = con.execute(
                "SELECT count(*) FROM contacts WHERE import_batch_id = ?", (batch,)
            ).fetchone()[0]
            assert people == json.loads(counts)["create"], "a partial batch"
        return len(batches)


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("after", [0.0, 0.6, 1.5])
def test_the_importer_killed_leaves_no_batch_and_no_reader(tmp_path: Path, after: float) -> None:
    file = write_csv(tmp_path / "people.csv", people_rows(30_000))
    db = tmp_path / "coalition.db"
    child, reader = _start_import(db, file)
    time.sleep(after)
    child.kill()
    child.wait(timeout=30)
    assert _gone(reader), "the reader outlived the importer"
    assert _batches(db) == 0  # (30,000 rows take ~3 s: the kill lands before the commit)


@pytest.mark.parametrize("after", [0.0, 0.6, 1.5])
def test_ctrl_c_stops_both_processes_and_says_what_was_saved(tmp_path: Path, after: float) -> None:
    file = write_csv(tmp_path / "people.csv", people_rows(30_000))
    db = tmp_path / "coalition.db"
    child, reader = _start_import(db, file)
    time.sleep(after)
    os.killpg(child.pid, signal.SIGINT)  # as a terminal's Ctrl+C: to the whole group
    _out, err = child.communicate(timeout=120)
    last = err.strip().splitlines()[-1] if err.strip() else ""
    assert "Traceback" not in err, err
    assert _gone(reader), "the reader outlived the importer"
    if child.returncode == 0:  # done before the signal came
        assert _batches(db) == 1
        return
    assert child.returncode == 130, err
    if last == "Interrupted; nothing was changed.":
        assert _batches(db) == 0
    else:  # it came once the batch was committed, while the import said so: it says that
        assert last.startswith("Interrupted; the import was saved as batch #1"), err
        assert _batches(db) == 1


def test_the_reader_process_starts_without_the_database_layer() -> None:
    # Its start is the importer's wait for the first window: without SQLAlchemy, the
    # models and the domain's writing half, ~0.1 s rather than ~0.5 s.
    code = (
        "import sys, coalition.interchange.feed\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'alembic'}))\n"
        "print('coalition.domain.imports.apply' in sys.modules)\n"
    )
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "False"]
