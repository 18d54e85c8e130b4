"""One meaning of a filter everywhere: the command line's lists, the terminal app's
filtered tables and the exports select the same records for the same words."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from coalition.domain import browse, people
from coalition.domain.browse import ContactQuery
from tests.conftest import ok


@pytest.fixture
def crossed(unit: Any) -> None:
    """A Belgian organisation employing a person with a French address, a French one
    employing a person with a Belgian address, and one person at each without an
    address country of their own."""
    with unit() as w:
        people.add_organisation(w, name="Bruxelles Enfance", country="BE")
        people.add_organisation(w, name="Paris Enfance", country="FR")
        people.add_contact(w, given_name="Fleur", family_name="Frontalière",
                           emails=["fleur@example.org"], organisation="Bruxelles Enfance",
                           country="FR")  # fmt: skip
        people.add_contact(w, given_name="Bram", family_name="Pendelaar",
                           emails=["bram@example.org"], organisation="Paris Enfance",
                           country="BE")  # fmt: skip
        for given, family, org in (
            ("Anne", "Bruxelloise", "Bruxelles Enfance"),
            ("Paul", "Parisien", "Paris Enfance"),
        ):
            address = f"{given.lower()}@example.org"
            people.add_contact(
                w, given_name=given, family_name=family, emails=[address], organisation=org
            )


def emails_in(path: Path, column: str) -> set[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row[column] for row in csv.DictReader(handle)}


@pytest.mark.parametrize(("country", "expected"), [
    ("BE", {"bram@example.org", "anne@example.org"}),
    ("FR", {"fleur@example.org", "paul@example.org"}),
])  # fmt: skip
def test_country_means_the_same_in_lists_the_app_and_exports(
    crossed: None, run: Any, db: Any, tmp_path: Path, country: str, expected: set[str]
) -> None:
    listed = json.loads(ok(run("contact", "list", "--country", country, "--format", "json")).stdout)
    assert {c["emails"][0]["address"] for c in listed} == expected

    with db.read_session() as s:  # what the app's Contacts screen reads for its Country filter
        query = ContactQuery(country=country)
        page = browse.first_contacts(s, query)
        assert {people.get_contact(s, row.id).emails[0].address for row in page.rows} == expected
        assert browse.count_contacts(s, query) == len(expected)
        assert {row.country for row in page.rows} == {country}
        choices = {c.value: c.count for c in browse.contact_country_choices(s)}
        assert choices[country] == len(expected)

    sheet = tmp_path / "contacts.csv"
    ok(run("export", "contacts", str(sheet), "--country", country))
    assert emails_in(sheet, "email") == expected

    merge = tmp_path / "merge.csv"
    ok(run("export", "mailmerge", str(merge), "--country", country))
    assert emails_in(merge, "Email") == expected
    with merge.open(encoding="utf-8-sig", newline="") as handle:
        assert {row["Country"] for row in csv.DictReader(handle)} == {country}


def test_lists_split_the_same_in_the_command_line_and_the_app(run: Any, db: Any) -> None:
    """ "a, b;c" is three tags wherever it is typed: an option or a form's field."""
    from coalition.tui.screens import record_forms

    assert record_forms.split_values("eu; members, children") == ["eu", "members", "children"]
    ok(run("contact", "add", "--name", "Ann Example", "--tag", "eu; members, children"))
    (ann,) = json.loads(ok(run("contact", "list", "--format", "json")).stdout)
    assert ann["tags"] == ["children", "eu", "members"]
