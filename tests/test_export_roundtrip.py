"""Export, then import what was exported: stable, no duplicates, non-ASCII intact."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from coalition.domain import campaigns, outreach, people
from tests.conftest import ok

PEOPLE = [
    dict(
        given_name="Émilie",
        family_name="Müller",
        emails=["emilie@example.org", "e.m@example.net"],
        phones=["+32 2 555 01 01"],
        role="Policy Officer; Advocacy",
        organisation="Company, The",
        tags=["eu", "press, media"],
        notes="Line one\nLine two; with, punctuation \\ slash",
        city="Bruxelles",
        country="BE",
        language="fr",
        honorific="Mme",
    ),
    dict(
        given_name="Ελένη",
        family_name="Παπαδοπούλου",
        emails=["eleni@example.org"],
        organisation="Ελληνική Δράση",
    ),
    dict(
        given_name="Jan",
        family_name="Nowak",
        phones=["+48 601 555 012"],
        organisation="Fundacja Przykład",
    ),
    dict(
        given_name="Zoë",
        family_name="Ångström-Łukasiewicz-Kowalska-Van der Berg-Longname",
        emails=["zoe@example.net"],
        notes="Ein sehr langer Hinweis " * 6,
    ),
]


@pytest.fixture
def filled(unit: Any) -> None:
    with unit() as w:
        for person in PEOPLE:
            people.add_contact(w, **person)


def state(run: Any) -> list[dict[str, Any]]:
    data = json.loads(ok(run("contact", "list", "--format", "json")).stdout)
    for c in data:
        c.pop("created_at")
        c.pop("updated_at")
    return data


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_vcard_round_trip_creates_no_duplicates_and_changes_nothing(
    filled: None, run: Any, tmp_path: Path, version: str
) -> None:
    before = state(run)
    path = tmp_path / "all.vcf"
    ok(run("export", "vcard", str(path), "--vcard-version", version))
    result = ok(run("import", str(path)))
    assert "4 duplicates skipped" in result.stderr
    assert state(run) == before
    # And into an empty database, the same people come out.
    fresh = tmp_path / "fresh.db"
    ok(run("import", str(path), db=fresh))
    again = json.loads(ok(run("contact", "list", "--format", "json", db=fresh)).stdout)
    by_name = {c["display_name"]: c for c in again}
    emilie = by_name["Émilie Müller"]
    assert [e["address"] for e in emilie["emails"]] == ["emilie@example.org", "e.m@example.net"]
    assert emilie["organisation"] == "Company, The"
    assert emilie["role"] == "Policy Officer; Advocacy"
    assert sorted(emilie["tags"]) == ["eu", "press, media"]
    assert emilie["notes"] == "Line one\nLine two; with, punctuation \\ slash"
    assert emilie["phones"][0]["e164"] == "+3225550101"
    assert emilie["uid"] == next(c["uid"] for c in before if c["display_name"] == "Émilie Müller")
    assert by_name["Ελένη Παπαδοπούλου"]["organisation"] == "Ελληνική Δράση"


def test_vcards_parse_with_vobject(filled: None, run: Any, tmp_path: Path) -> None:
    vobject = pytest.importorskip("vobject", reason="in the bench extra")
    path = tmp_path / "all.vcf"
    ok(run("export", "vcard", str(path)))
    cards = list(vobject.readComponents(path.read_text(encoding="utf-8")))
    assert sorted(c.fn.value for c in cards) == sorted(
        p["given_name"] + " " + p["family_name"] for p in PEOPLE
    )
    emilie = next(c for c in cards if c.fn.value == "Émilie Müller")
    assert emilie.org.value == ["Company, The"]
    assert emilie.note.value == "Line one\nLine two; with, punctuation \\ slash"


def test_vdir_is_listed_by_khard(filled: None, run: Any, tmp_path: Path) -> None:
    khard = shutil.which("khard") or str(Path(sys.executable).with_name("khard"))
    if not Path(khard).exists():
        pytest.fail("khard is part of the test extras; install with pip install -e '.[test]'")
    vdir = tmp_path / "book"
    ok(run("export", "vcard", str(vdir)))
    assert len(list(vdir.glob("*.vcf"))) == 4
    config = tmp_path / "khard.conf"
    config.write_text(
        f"[addressbooks]\n[[coalition]]\npath = {vdir}\n\n[general]\ndefault_action = list\n"
        "editor = true\nmerge_editor = true\n",
        encoding="utf-8",
    )
    listed = subprocess.run(
        [khard, "-c", str(config), "list", "--parsable"],
        capture_output=True,
        text=True,
        check=True,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    ).stdout
    names = {line.split("\t")[1] for line in listed.splitlines() if line.strip()}
    assert "Émilie Müller" in names and "Ελένη Παπαδοπούλου" in names and "Jan Nowak" in names
    emails = subprocess.run(
        [khard, "-c", str(config), "email", "--parsable", "emilie"],
        capture_output=True,
        text=True,
        check=True,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    ).stdout
    assert "emilie@example.org" in emails


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_contacts_sheet_round_trip_updates_by_id(
    filled: None, run: Any, tmp_path: Path, suffix: str
) -> None:
    before = state(run)
    path = tmp_path / f"contacts{suffix}"
    ok(run("export", "contacts", str(path)))
    result = ok(run("import", str(path)))
    assert "4 unchanged" in result.stderr and "updated" not in result.stderr
    assert state(run) == before, "importing an unedited export changes nothing"
    # Edit one role in the sheet, as a coordinator would in Excel.
    if suffix == ".csv":
        rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
        role = rows[0].index("role")
        rows[1][role] = "Directrice"
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    else:
        from openpyxl import load_workbook

        book = load_workbook(path)
        sheet = book.active
        role = [c.value for c in sheet[1]].index("role") + 1
        sheet.cell(row=2, column=role).value = "Directrice"
        book.save(path)
    result = ok(run("import", str(path), "--dry-run"))
    assert "1 updated, 3 unchanged" in result.stderr, "the preview shows the one edit"
    ok(run("import", str(path), "--force"))
    after = {c["display_name"]: c for c in state(run)}
    changed = [c for c in after.values() if c["role"] == "Directrice"]
    assert len(changed) == 1 and len(after) == 4
    # The display name in the sheet was the derived one: it still follows the name.
    ok(run("contact", "edit", "emilie@example.org", "--family-name", "Bonneau"))
    shown = json.loads(ok(run("contact", "show", "emilie@example.org", "--format", "json")).stdout)
    assert shown["display_name"] == "Émilie Bonneau"


def test_organisation_and_signon_sheets(filled: None, unit: Any, run: Any, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    with unit() as w:
        campaigns.add_campaign(w, "csam-2022")
        campaigns.set_signon(
            w, "Company, The", "csam-2022", "signed", signed_by="emilie@example.org"
        )
        outreach.log_interaction(w, organisation="Company, The", subject="Thanks for signing")
    orgs = tmp_path / "orgs.csv"
    ok(
        run(
            "export",
            "organisations",
            str(orgs),
            "--columns",
            "organisation_id,organisation,contacts",
        )
    )
    rows = list(csv.DictReader(orgs.open(encoding="utf-8")))
    assert {r["organisation"]: r["contacts"] for r in rows}["Company, The"] == "1"
    grid = tmp_path / "signons.xlsx"
    ok(run("export", "signons", "csam-2022", str(grid)))
    sheet = load_workbook(grid).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["Organisation"] == "Company, The" and row["Status"] == "signed"
    assert row["Signed by"] == "Émilie Müller" and row["Last outreach"] == "Thanks for signing"
    bad = run("export", "organisations", str(orgs), "--columns", "shoe_size")
    assert bad.exit_code == 1 and "Unknown column" in bad.stderr


def test_organisation_sheet_edited_and_imported_back_updates_by_id(
    filled: None, run: Any, tmp_path: Path
) -> None:
    path = tmp_path / "orgs.csv"
    ok(run("export", "organisations", str(path)))
    before = json.loads(ok(run("org", "list", "--format", "json")).stdout)
    result = ok(run("import", str(path)))
    assert "organisations updated" not in result.stderr, "an unedited sheet changes nothing"
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    for row in rows:
        if row["organisation"] == "Company, The":
            row["city"] = "Liège"
            row["organisation"] = "Company, The (Belgium)"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = ok(run("import", str(path), "--force"))
    assert "1 organisation updated" in result.stderr
    orgs = {o["id"]: o for o in json.loads(ok(run("org", "list", "--format", "json")).stdout)}
    assert len(orgs) == len(before), "no organisation was created"
    changed = [o for o in orgs.values() if o["city"] == "Liège"]
    assert [o["name"] for o in changed] == ["Company, The (Belgium)"]
    emilie = json.loads(ok(run("contact", "show", "emilie@example.org", "--format", "json")).stdout)
    assert emilie["organisation"] == "Company, The (Belgium)"
    assert [
        h["title"] for h in json.loads(ok(run("search", "belgium", "--format", "json")).stdout)
    ][:1] == ["Company, The (Belgium)"]
    batches = json.loads(ok(run("imports", "list", "--format", "json")).stdout)
    ok(run("imports", "undo", str(batches[0]["id"]), "--yes"))
    restored = json.loads(ok(run("org", "show", str(changed[0]["id"]), "--format", "json")).stdout)
    assert (restored["name"], restored["city"]) == ("Company, The", None)


def _blank(path: Path, match: tuple[str, str], columns: list[str]) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    for row in rows:
        if row[match[0]] == match[1]:
            for column in columns:
                row[column] = ""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_a_cell_emptied_in_an_edited_sheet_clears_the_field(
    filled: None, run: Any, tmp_path: Path
) -> None:
    ok(run("org", "edit", "Company, The", "--city", "Bruxelles", "--acronym", "CTB"))
    before = state(run)
    contacts = tmp_path / "contacts.csv"
    ok(run("export", "contacts", str(contacts)))
    _blank(contacts, ("email", "emilie@example.org"), ["role", "notes", "honorific", "email"])
    ok(run("import", str(contacts)))
    emilie = json.loads(ok(run("contact", "show", "emilie@example.org", "--format", "json")).stdout)
    assert (emilie["role"], emilie["notes"], emilie["honorific"]) == (None, None, None)
    # An emptied email cell does not delete an address, and the others are untouched.
    assert [e["address"] for e in emilie["emails"]] == ["emilie@example.org", "e.m@example.net"]
    after = {c["id"]: c for c in state(run)}
    assert [c for c in before if c["id"] != emilie["id"]] == [
        after[c["id"]] for c in before if c["id"] != emilie["id"]
    ]

    organisations = tmp_path / "orgs.csv"
    ok(run("export", "organisations", str(organisations)))
    _blank(organisations, ("organisation", "Company, The"), ["city", "acronym", "membership"])
    result = ok(run("import", str(organisations)))
    assert "1 organisation updated" in result.stderr
    org = json.loads(ok(run("org", "show", "Company, The", "--format", "json")).stdout)
    assert (org["city"], org["acronym"], org["membership"]) == (None, None, "none")

    # Both batches undo, newest first, and every cleared value comes back.
    for batch in json.loads(ok(run("imports", "list", "--format", "json")).stdout):
        ok(run("imports", "undo", str(batch["id"]), "--yes"))
    assert state(run) == before
    org = json.loads(ok(run("org", "show", "Company, The", "--format", "json")).stdout)
    assert (org["city"], org["acronym"]) == ("Bruxelles", "CTB")
