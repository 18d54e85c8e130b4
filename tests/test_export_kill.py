"""`export mailmerge --log-outreach` is all-or-nothing, even under SIGKILL.

The child runs the real command on a file with 3,000 recipients and kills
itself with SIGKILL inside the logging transaction: after the interactions
are inserted, or after the prospects were moved to invited. The parent then
finds no interaction logged, every prospect still a prospect, and no mail-merge
file in place (the list was only ever under its temporary name).
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from coalition.domain import campaigns
from coalition.domain.imports import (
    ContactRecord,
    ImportOptions,
    OrganisationRecord,
    apply_plan,
    plan_import,
)

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from coalition.cli import cli
    import coalition.domain.exports as exports
    import coalition.store.bulk as bulk

    db, out, point = sys.argv[1], sys.argv[2], sys.argv[3]
    real_insert = bulk.bulk_insert

    def insert(session, table, rows):
        real_insert(session, table, rows)
        if table.name == "interactions" and point == "after-interactions":
            os.kill(os.getpid(), signal.SIGKILL)
        if table.name == "audit_log" and point == "after-invites":
            os.kill(os.getpid(), signal.SIGKILL)

    bulk.bulk_insert = insert
    cli(["--db", db, "export", "mailmerge", out, "--campaign", "csam-2022",
         "--log-outreach", "Invitation"], prog_name="coalition")
    """
)


@pytest.fixture
def prospects(db: Any, unit: Any) -> None:
    records = []
    for i in range(3000):
        r = ContactRecord(
            source=f"row {i}", full_name=f"Person {i}", emails=[(f"p{i}@example.org", None)]
        )
        r.organisation = OrganisationRecord(name=f"Organisation {i % 300}")
        records.append(r)
    with unit() as w:
        campaigns.add_campaign(w, "csam-2022")
    options = ImportOptions(
        file_name="list.csv", sha256="ab" * 32, file_format="csv", campaign="csam-2022"
    )
    with db.read_session() as s:
        plan = plan_import(s, records, options)
    with unit() as w:
        apply_plan(w, plan)


@pytest.mark.parametrize("point", ["after-interactions", "after-invites"])
def test_sigkill_while_logging_leaves_nothing_logged(
    prospects: None, db: Any, db_path: Path, tmp_path: Path, point: str
) -> None:
    db.close()
    out = tmp_path / "invitations.csv"
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(db_path), str(out), point],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    con = sqlite3.connect(db_path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("SELECT count(*) FROM interactions").fetchone() == (0,)
        statuses = dict(
            con.execute("SELECT status, count(*) FROM signons GROUP BY status").fetchall()
        )
    finally:
        con.close()
    assert statuses == {"prospect": 300}
    assert not out.exists()


def test_without_a_kill_everyone_is_logged(
    prospects: None, db: Any, db_path: Path, tmp_path: Path
) -> None:
    db.close()
    out = tmp_path / "invitations.csv"
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(db_path), str(out), "none"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    con = sqlite3.connect(db_path)
    try:
        assert con.execute("SELECT count(*) FROM interactions").fetchone() == (3000,)
        assert con.execute("SELECT status, count(*) FROM signons GROUP BY status").fetchall() == [
            ("invited", 300)
        ]
    finally:
        con.close()
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3001
