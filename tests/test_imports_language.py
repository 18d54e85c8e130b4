"""A file without a language column: each person gets their country's language when it has
one clear language, so the mail merge greets French people in French."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ok

HEADERS = ["Organisation", "Country", "First name", "Last name", "E-mail", "Home country"]
MEMBERS = [
    ["Enfance Exemple", "France", "Pierre", "Dubois", "pierre.dubois@example.org", ""],
    ["Kinderschutz Beispiel e.V.", "Germany", "Lena", "Schneider", "lena@example.net", ""],
    ["Kinderhilfe Wien", "Austria", "Jakob", "Huber", "jakob.huber@example.net", ""],
    ["Fundacja Przykład", "Poland", "Zofia", "Kowalska", "zofia@example.net", ""],
    ["Minors Care Example", "Belgium", "Émilie", "Müller", "emilie@example.org", ""],
    ["Kinderschutz Schweiz", "Switzerland", "Nina", "Keller", "nina@example.net", ""],
    # Her own address is in Belgium: the French organisation does not make her French.
    ["Enfance Exemple", "France", "Sophie", "Leroy", "sophie.leroy@example.org", "Belgium"],
]


def excel_csv(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    """As Excel's "CSV UTF-8 (comma delimited)" saves a sheet: with a byte order mark."""
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def people(run: Any) -> dict[str, dict[str, Any]]:
    listed = json.loads(ok(run("contact", "list", "--format", "json")).stdout)
    return {c["display_name"]: c for c in listed}


def test_each_person_gets_their_countrys_language_and_the_mail_merge_greets_in_it(
    run: Any, tmp_path: Path
) -> None:
    members = excel_csv(tmp_path / "members.csv", HEADERS, MEMBERS)
    report = tmp_path / "report.csv"
    result = ok(run("import", str(members), "--report", str(report)))
    assert "4 languages set from country" in result.stderr
    found = people(run)
    assert {name: c["language"] for name, c in found.items()} == {
        "Pierre Dubois": "fr",
        "Lena Schneider": "de",
        "Jakob Huber": "de",
        "Zofia Kowalska": "pl",
        "Émilie Müller": None,
        "Nina Keller": None,
        "Sophie Leroy": None,
    }
    reasons = {r["name"]: r["reason"] for r in csv.DictReader(report.open(encoding="utf-8"))}
    assert reasons["Jakob Huber"] == "new contact; language de from country AT"
    assert reasons["Émilie Müller"] == "new contact"

    merge = tmp_path / "invitations.csv"
    ok(run("export", "mailmerge", str(merge)))
    greeting = {
        r["Email"]: r["Salutation"] for r in csv.DictReader(merge.open(encoding="utf-8-sig"))
    }
    assert greeting["pierre.dubois@example.org"] == "Bonjour Pierre Dubois"
    assert greeting["lena@example.net"] == "Guten Tag Lena Schneider"
    assert greeting["emilie@example.org"] == "Dear Émilie Müller"


def test_the_dry_run_says_so_and_changes_nothing(run: Any, tmp_path: Path, db_path: Path) -> None:
    members = excel_csv(tmp_path / "members.csv", HEADERS, MEMBERS[:2])
    before = db_path.read_bytes()
    result = ok(run("import", str(members), "--dry-run"))
    assert "2 languages set from country" in result.stderr
    assert db_path.read_bytes() == before


def test_a_language_the_file_or_the_contact_has_is_kept(run: Any, tmp_path: Path) -> None:
    # Known already, with her own language: an update does not replace it with a guess.
    ok(run("contact", "add", "--name", "Claire Martin", "--email", "claire@example.org",
           "--language", "en"))  # fmt: skip
    # Known already, without a language: filled in like a merge fills any empty field.
    ok(run("contact", "add", "--name", "Paul Petit", "--email", "paul@example.org"))
    sheet = excel_csv(
        tmp_path / "update.csv",
        ["Organisation", "Country", "Name", "E-mail", "Language"],
        [
            ["Enfance Exemple", "France", "Claire Martin", "claire@example.org", ""],
            ["Enfance Exemple", "France", "Paul Petit", "paul@example.org", ""],
            ["Enfance Exemple", "France", "Anne Roux", "anne@example.org", "English"],
            ["Enfance Exemple", "France", "Marc Blanc", "marc@example.org", ""],
        ],
    )
    result = ok(run("import", str(sheet), "--on-duplicate", "update"))
    assert "2 languages set from country" in result.stderr
    found = people(run)
    assert found["Claire Martin"]["language"] == "en"
    assert found["Paul Petit"]["language"] == "fr"
    assert found["Anne Roux"]["language"] == "en"
    assert found["Marc Blanc"]["language"] == "fr"


def test_an_edited_export_that_empties_a_language_is_not_refilled(run: Any, tmp_path: Path) -> None:
    members = excel_csv(tmp_path / "members.csv", HEADERS, MEMBERS[:1])
    ok(run("import", str(members)))
    exported = tmp_path / "contacts.csv"
    ok(run("export", "contacts", str(exported)))
    rows = list(csv.DictReader(exported.open(encoding="utf-8-sig")))
    assert rows[0]["language"] == "fr"
    rows[0]["language"] = ""  # the coordinator cleared it on purpose
    with exported.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    ok(run("import", str(exported)))
    assert people(run)["Pierre Dubois"]["language"] is None


@pytest.mark.parametrize(
    ("country", "language"),
    [("FR", "fr"), ("DE", "de"), ("AT", "de"), ("PL", "pl"), ("ES", "es"), ("IT", "it"),
     ("NL", "nl"), ("PT", "pt"), ("CZ", "cs"), ("IE", "en"), ("gr", "el"), ("BE", None),
     ("CH", None), ("LU", None), ("CA", None), ("FI", None), (None, None), ("ZZ", None)],
)  # fmt: skip
def test_which_countries_have_one_clear_language(country: str | None, language: str) -> None:
    from coalition.domain.values import language_of_country

    assert language_of_country(country) == language
