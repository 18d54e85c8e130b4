"""Killing the process with SIGKILL while an import is applied leaves no partial batch.

A child process plans and applies a 5,000-record import and kills itself with
SIGKILL at a chosen point of the apply (through the progress callback, so the
points are exact: after the organisations, part-way through the contacts,
before and after indexing). The parent then opens the file and finds either
nothing of the batch or — when the kill came after the commit — all of it.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from coalition.store.database import open_database
    from coalition.domain.audit import work
    from coalition.domain.imports import (
        ContactRecord, ImportOptions, OrganisationRecord, apply_plan, plan_import,
    )

    path, stage, at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    records = []
    for i in range(5000):
        r = ContactRecord(
            source=f"row {i + 2}", full_name=f"Person {i}", emails=[(f"p{i}@example.org", None)]
        )
        r.organisation = OrganisationRecord(name=f"Organisation {i % 400}")
        records.append(r)
    db = open_database(path)
    options = ImportOptions(file_name="big.csv", sha256="ee" * 32, file_format="csv")
    with db.read_session() as s:
        plan = plan_import(s, records, options)

    def progress(name, done, total):
        if name == stage and done >= at:
            os.kill(os.getpid(), signal.SIGKILL)

    with work(db, "tester") as w:
        apply_plan(w, plan, progress)
    if stage == "after-commit":
        os.kill(os.getpid(), signal.SIGKILL)
    """
)


def counts(path: Path) -> tuple[int, int, int, int]:
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        batches = con.execute("SELECT count(*) FROM import_batches").fetchone()[0]
        contacts = con.execute("SELECT count(*) FROM contacts").fetchone()[0]
        orgs = con.execute("SELECT count(*) FROM organisations").fetchone()[0]
        indexed = con.execute("SELECT count(*) FROM contact_search").fetchone()[0]
    finally:
        con.close()
    return batches, contacts, orgs, indexed


@pytest.mark.parametrize(
    ("stage", "at"),
    [
        ("organisations", 0),
        ("contacts", 2000),
        ("contacts", 4000),
        ("indexing", 0),
        ("indexing", 1),
    ],
)
def test_sigkill_during_apply_leaves_no_partial_batch(db_path: Path, stage: str, at: int) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(db_path), stage, str(at)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert counts(db_path) == (0, 0, 0, 0)


def test_sigkill_after_commit_keeps_the_whole_batch(db_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(db_path), "after-commit", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert counts(db_path) == (1, 5000, 400, 5000)
