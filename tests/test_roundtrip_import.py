"""``export contacts`` then ``import`` of the file unchanged changes nothing, the formula
guard included: its apostrophes come off for coalition's own CSV exports, and only there."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coalition.domain import people
from coalition.interchange.mapping import exported_by_coalition
from coalition.interchange.safety import safe_text, unguard
from tests.conftest import ok

# Twelve people, several with values a spreadsheet would run as formulas (which a CSV
# export marks with an apostrophe) and some that start with an apostrophe of their own.
PEOPLE: list[dict[str, Any]] = [
    dict(display_name="+Plus Name", given_name="+Plus", family_name="Name",
         emails=["plus@example.org"]),
    dict(given_name="Anna", family_name="-Minus", role="=Head of Policy",
         emails=["anna@example.org"]),
    dict(given_name="Bob", family_name="Builder", notes="@everyone please call back",
         emails=["bob@example.org"], phones=["+32 2 555 01 01"]),
    dict(given_name="Émilie", family_name="Müller", role="'quoted role",
         emails=["emilie@example.org", "e.m@example.net"], organisation="Company, The",
         tags=["eu", "press, media"], city="Bruxelles", country="BE", language="fr"),
    dict(given_name="Carl", family_name="Dunn", notes="Line one\n=HYPERLINK(\"x\")\n-dash",
         emails=["carl@example.org"]),
    dict(given_name="Dana", family_name="Eve", role="'=already marked by hand",
         emails=["dana@example.net"]),
    dict(given_name="Ελένη", family_name="Παπαδοπούλου", organisation="Ελληνική Δράση",
         emails=["eleni@example.org"]),
    dict(given_name="Jan", family_name="Nowak", phones=["+48 601 555 012"],
         organisation="Fundacja Przykład", emails=["jan@example.org"]),
    dict(given_name="Fay", family_name="Green", role="-12.5 budget", notes="''=two marks",
         emails=["fay@example.org"]),
    dict(given_name="Gus", family_name="Hill", street="@Home 1", postal_code="1000",
         emails=["gus@example.org"]),
    dict(given_name="Zoë", family_name="Ångström", notes="'", emails=["zoe@example.net"]),
    dict(given_name="Hal", family_name="Ito", role="+ and - of policy",
         emails=["hal@example.org"], organisation="=Sum Foundation"),
]  # fmt: skip


@pytest.fixture
def filled(unit: Any) -> None:
    with unit() as w:
        for person in PEOPLE:
            people.add_contact(w, **person)


def state(run: Any) -> dict[str, Any]:
    contacts = json.loads(ok(run("contact", "list", "--format", "json")).stdout)
    orgs = json.loads(ok(run("org", "list", "--format", "json")).stdout)
    for record in (*contacts, *orgs):
        record.pop("updated_at", None)
    return {"contacts": contacts, "organisations": orgs}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_unedited_export_imported_back_changes_nothing(
    filled: None, run: Any, tmp_path: Path, suffix: str
) -> None:
    before = state(run)
    assert len(before["contacts"]) == 12
    path = tmp_path / f"contacts{suffix}"
    ok(run("export", "contacts", str(path)))
    if suffix == ".csv":
        written = path.read_text(encoding="utf-8")
        assert "'+Plus Name" in written and "'=Head of Policy" in written, "the guard is on"
    result = ok(run("import", str(path)))
    assert "12 unchanged" in result.stderr
    assert "updated" not in result.stderr and "new contact" not in result.stderr
    assert state(run) == before


def _edit(path: Path, email: str, column: str, value: str) -> None:
    """Change one cell, as a coordinator would in a spreadsheet, and save as CSV."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    at = rows[0].index(column)
    for row in rows[1:]:
        if row[rows[0].index("email")] == email:
            row[at] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def test_an_export_with_a_name_fixed_changes_that_name_only(
    filled: None, run: Any, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.csv"
    ok(run("export", "contacts", str(path)))
    _edit(path, "hal@example.org", "family_name", "Itō")
    result = ok(run("import", str(path)))
    assert "1 updated, 11 unchanged" in result.stderr
    contacts = json.loads(ok(run("contact", "list", "--format", "json")).stdout)
    by_email = {c["emails"][0]["address"]: c for c in contacts}
    assert by_email["hal@example.org"]["family_name"] == "Itō"
    assert by_email["hal@example.org"]["role"] == "+ and - of policy"
    assert by_email["plus@example.org"]["display_name"] == "+Plus Name"
    assert by_email["anna@example.org"]["role"] == "=Head of Policy"
    assert by_email["dana@example.net"]["role"] == "'=already marked by hand"


def test_an_export_resaved_without_its_apostrophes_reads_the_same(
    filled: None, run: Any, tmp_path: Path
) -> None:
    """Excel and LibreOffice may take the apostrophe as their own mark and save the value
    without it: "+Plus Name" in the file is then read as written."""
    before = state(run)
    path = tmp_path / "contacts.csv"
    ok(run("export", "contacts", str(path)))
    _edit(path, "plus@example.org", "display_name", "+Plus Name")
    _edit(path, "anna@example.org", "role", "=Head of Policy")
    result = ok(run("import", str(path)))
    assert "12 unchanged" in result.stderr
    assert state(run) == before


def test_someone_elses_file_keeps_its_apostrophes(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_text(
        "Name,Email,Role\n'+Plus Name,plus@example.org,'=Head of Policy\n"
        "Ann Lee,ann@example.org,'quoted\n",
        encoding="utf-8",
    )
    ok(run("import", str(path)))
    contacts = json.loads(ok(run("contact", "list", "--format", "json")).stdout)
    by_email = {c["emails"][0]["address"]: c for c in contacts}
    assert by_email["plus@example.org"]["display_name"] == "'+Plus Name"
    assert by_email["plus@example.org"]["role"] == "'=Head of Policy"
    assert by_email["ann@example.org"]["role"] == "'quoted"


def test_an_export_without_its_id_column_is_someone_elses_file(
    filled: None, run: Any, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.csv"
    ok(run("export", "contacts", str(path), "--columns", "display_name,email,role"))
    fresh = tmp_path / "fresh.db"
    ok(run("import", str(path), db=fresh))
    contacts = json.loads(ok(run("contact", "list", "--format", "json", db=fresh)).stdout)
    roles = {c["emails"][0]["address"]: c["role"] for c in contacts}
    assert roles["anna@example.org"] == "'=Head of Policy"


def test_which_header_rows_are_coalitions_own_exports() -> None:
    assert exported_by_coalition(["id", "display_name", "email", "role"])
    assert exported_by_coalition(["email", "id", "notes"])  # reordered in a spreadsheet
    assert exported_by_coalition(["organisation_id", "organisation", "city"])
    assert not exported_by_coalition(["display_name", "email", "role"])  # no id
    assert not exported_by_coalition(["id", "Email", "Role"])  # not the export's spelling
    assert not exported_by_coalition(["id", "email", "Comment"])  # a column added
    assert not exported_by_coalition(["id", "email", "email"])
    assert not exported_by_coalition(["ID", "Name", "E-mail 1 - Value"])


@given(st.text())
def test_unguard_takes_off_exactly_what_safe_text_put_on(value: str) -> None:
    assert unguard(safe_text(value)) == value


@given(st.text(alphabet="'=+-@ \t\r\n\u00a0ax1", max_size=12))
def test_unguard_round_trips_values_made_of_marks_and_triggers(value: str) -> None:
    assert unguard(safe_text(value)) == value


@pytest.mark.parametrize(
    "value", ["'quoted", "'", "''", "'+32 2 555 01 01", "'-12.5", "'Émilie", "a'=b"]
)
def test_an_apostrophe_that_is_not_a_mark_stays(value: str) -> None:
    assert safe_text(value) == value and unguard(value) == value


def test_an_unedited_organisation_export_imported_back_changes_nothing(
    filled: None, run: Any, tmp_path: Path
) -> None:
    ok(run("org", "edit", "=Sum Foundation", "--city", "-Nowhere", "--notes", "+1 more"))
    before = state(run)
    path = tmp_path / "organisations.csv"
    ok(run("export", "organisations", str(path)))
    assert "'=Sum Foundation" in path.read_text(encoding="utf-8")
    result = ok(run("import", str(path)))
    assert "organisations updated" not in result.stderr
    assert "organisation updated" not in result.stderr
    assert state(run) == before
