"""Subject access, erasure that really erases, backup and restore."""

from __future__ import annotations

import json
import re
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from coalition.domain import campaigns, outreach, people
from tests.conftest import ok

SECRET = "zuzanna.tajemnicza@example.org"


@pytest.fixture
def person(unit: Any) -> None:
    with unit() as w:
        people.add_organisation(w, name="Alpha")
        campaigns.add_campaign(w, "csam-2022")
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
        people.edit_contact(w, SECRET, {"role": "Chair"})
        campaigns.set_signon(w, "Alpha", "csam-2022", "signed", signed_by=SECRET)
        outreach.log_interaction(w, contact=SECRET, subject="Call with Zuzanna", notes="Her views")
        people.add_contact(
            w, given_name="Other", family_name="Person", emails=["other@example.org"]
        )
        outreach.log_interaction(w, contact="other@example.org", subject="Unrelated")


def test_subject_access_export_holds_everything(person: None, run: Any, tmp_path: Path) -> None:
    out = tmp_path / "zuzanna.json"
    ok(run("person", "export", SECRET, str(out)))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["contact"]["display_name"] == "Zuzanna Tajemnicza"
    assert data["contact"]["street"] == "ul. Przykładowa 7"
    assert data["emails"][0]["address"] == SECRET
    assert data["phones"][0]["e164"] == "+48601555999"
    assert [i["subject"] for i in data["interactions"]] == ["Call with Zuzanna"]
    assert data["signed_on_behalf_of"][0]["status"] == "signed"
    assert {e["action"] for e in data["change_log"]} >= {"create", "update"}


def test_subject_access_export_writes_times_as_every_json_output_does(
    person: None, run: Any, tmp_path: Path
) -> None:
    """UTC with a Z, as `contact show`, `history` and every --format json write them."""
    out = tmp_path / "zuzanna.json"
    ok(run("person", "export", SECRET, str(out)))
    data = json.loads(out.read_text(encoding="utf-8"))
    shown = json.loads(ok(run("contact", "show", SECRET, "--format", "json")).stdout)
    logged = json.loads(ok(run("history", "--contact", SECRET, "--format", "json")).stdout)
    assert data["contact"]["created_at"] == shown["created_at"]
    assert data["contact"]["updated_at"] == shown["updated_at"]
    assert shown["updated_at"].endswith("Z")
    assert [i["occurred_at"] for i in data["interactions"]] == [
        i["occurred_at"] for i in shown["interactions"]
    ]
    assert sorted(e["at"] for e in data["change_log"]) == sorted(e["at"] for e in logged)
    sheet = tmp_path / "people.csv"
    sheet.write_text("Name,Email\nIda Imported,ida@example.net\n", encoding="utf-8")
    ok(run("import", str(sheet)))
    ok(run("person", "export", "ida@example.net", str(out)))
    imported = json.loads(out.read_text(encoding="utf-8"))["source"]["imported_at"]
    batch = json.loads(ok(run("imports", "list", "--format", "json")).stdout)[0]
    assert imported == batch["created_at"]
    times = [
        data["contact"]["created_at"],
        *(i["occurred_at"] for i in data["interactions"]),
        *(e["at"] for e in data["change_log"]),
        imported,
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", t) for t in times), times


def test_erasure_leaves_no_trace_in_the_file_or_its_wal(
    person: None, run: Any, db_path: Path
) -> None:
    wal = Path(str(db_path) + "-wal")

    def stored() -> bytes:
        return db_path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")

    assert SECRET.encode() in stored(), "the check below can fail"
    ok(run("person", "erase", SECRET, "--yes"))
    blobs = stored()
    for needle in (
        SECRET,
        SECRET.upper(),
        "Tajemnicza",
        "Przykładowa",
        "Tuesdays",
        "Call with Zuzanna",
        "555 999",
    ):
        assert needle.encode() not in blobs, needle
    con = sqlite3.connect(db_path)
    assert con.execute("SELECT status, signed_by_id FROM signons").fetchone() == ("signed", None)
    assert con.execute(
        "SELECT count(*) FROM interactions WHERE subject = '[erased]'"
    ).fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM audit_log WHERE action = 'erase'").fetchone() == (1,)
    assert con.execute("SELECT subject FROM interactions WHERE subject = 'Unrelated'").fetchone()
    con.close()
    assert json.loads(ok(run("search", "zuzanna", "--format", "json")).stdout) == []
    assert [
        c["display_name"] for c in json.loads(ok(run("contact", "list", "--format", "json")).stdout)
    ] == ["Other Person"]


def test_erasing_a_merged_person_erases_what_the_merge_kept_to_undo_it(
    person: None, run: Any, unit: Any, db_path: Path
) -> None:
    from coalition.domain import merge

    second = "z.tajemnicza.prywatnie@example.net"
    with unit() as w:
        people.add_contact(
            w, given_name="Zuzia", family_name="Tajemnicza", emails=[second],
            notes="Second record, home address ul. Ukryta 3", allow_duplicate=True,
        )  # fmt: skip
        merge.merge_contacts(w, SECRET, second)
    wal = Path(str(db_path) + "-wal")
    assert b"Ukryta" in db_path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    ok(run("person", "erase", SECRET, "--yes"))
    blobs = db_path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    for needle in (SECRET, second, "Tajemnicza", "Zuzia", "Ukryta", "Przykładowa"):
        assert needle.encode() not in blobs, needle
    (listed,) = json.loads(ok(run("merges", "list", "--format", "json")).stdout)
    assert "Tajemnicza" not in json.dumps(listed)
    assert "cannot" in run("merges", "undo", str(listed["id"]), "--yes").stderr.lower()


def test_erase_asks_first(person: None, run: Any) -> None:
    result = run("person", "erase", SECRET, input="n\n")
    assert result.exit_code == 1
    assert json.loads(ok(run("contact", "show", SECRET, "--format", "json")).stdout)["id"]


def test_backup_and_restore(person: None, run: Any, db_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "backup.db"
    ok(run("backup", str(copy)))
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    ok(run("contact", "delete", SECRET, "--yes"))
    assert len(json.loads(ok(run("contact", "list", "--format", "json")).stdout)) == 1
    result = ok(run("restore", str(copy), "--yes"))
    assert "before-restore" in result.stderr
    names = [
        c["display_name"] for c in json.loads(ok(run("contact", "list", "--format", "json")).stdout)
    ]
    assert names == ["Other Person", "Zuzanna Tajemnicza"]
    safety = list(tmp_path.glob("coalition.db.before-restore-*"))
    assert len(safety) == 1


def test_restore_refuses_what_is_not_a_coalition_file(
    person: None, run: Any, tmp_path: Path, db_path: Path
) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("not a database" * 100)
    result = run("restore", str(junk), "--yes")
    assert result.exit_code == 1 and "not a coalition database" in result.stderr
    assert len(json.loads(ok(run("contact", "list", "--format", "json")).stdout)) == 2
