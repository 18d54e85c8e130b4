"""One meaning of a filter everywhere: the command line's lists, the terminal app's
filtered tables and the exports select the same records for the same words."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from coalition.domain import browse, campaigns, exports, people
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


def column_of(path: Path, column: str) -> set[str]:
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
    assert column_of(sheet, "email") == expected

    merge = tmp_path / "merge.csv"
    ok(run("export", "mailmerge", str(merge), "--country", country))
    assert column_of(merge, "Email") == expected
    with merge.open(encoding="utf-8-sig", newline="") as handle:
        assert {row["Country"] for row in csv.DictReader(handle)} == {country}


def test_lists_split_the_same_in_the_command_line_and_the_app(run: Any, db: Any) -> None:
    """ "a, b;c" is three tags wherever it is typed: an option or a form's field."""
    from coalition.tui.screens import record_forms

    assert record_forms.split_values("eu; members, children") == ["eu", "members", "children"]
    ok(run("contact", "add", "--name", "Ann Example", "--tag", "eu; members, children"))
    (ann,) = json.loads(ok(run("contact", "list", "--format", "json")).stdout)
    assert ann["tags"] == ["children", "eu", "members"]


@pytest.fixture
def varied(unit: Any) -> None:
    """People who differ in every way a filter can tell them apart: tag, language,
    their organisation's membership, its sign-on for a campaign, a searchable name."""
    with unit() as w:
        campaigns.add_campaign(w, "kids-2027", name="Kids 2027")
        people.add_organisation(w, name="Alpha Kids", country="BE", membership="member")
        people.add_organisation(w, name="Beta Jeunesse", country="FR", membership="partner")
        people.add_organisation(w, name="Gamma Youth", country="DE")
        campaigns.set_signon(w, "Alpha Kids", "kids-2027", "invited")
        campaigns.set_signon(w, "Beta Jeunesse", "kids-2027", "signed")
        for given, org, language, tags in (
            ("Ana", "Alpha Kids", "fr", ["press"]),
            ("Ben", "Alpha Kids", "nl", []),
            ("Cleo", "Beta Jeunesse", "fr", ["press", "board"]),
            ("Dan", "Gamma Youth", "de", ["board"]),
            ("Eva", None, "en", ["press"]),
        ):
            people.add_contact(
                w,
                given_name=given,
                family_name="Example",
                emails=[f"{given.lower()}@example.org"],
                organisation=org,
                language=language,
                tags=tags,
            )


@pytest.mark.parametrize(("options", "expected"), [
    ({"tag": "press"}, {"ana", "cleo", "eva"}),
    ({"language": "fr"}, {"ana", "cleo"}),
    ({"membership": "member"}, {"ana", "ben"}),
    ({"campaign": "kids-2027", "statuses": ("signed",)}, {"cleo"}),
    ({"campaign": "kids-2027", "statuses": ("none",)}, {"dan", "eva"}),
    ({"campaign": "kids-2027", "statuses": ("none", "invited")}, {"ana", "ben", "dan", "eva"}),
    ({"tag": "board", "search_text": "cle"}, {"cleo"}),
    ({"tag": "press", "country": "BE"}, {"ana"}),
])  # fmt: skip
def test_every_filter_selects_the_same_people_in_lists_the_app_and_exports(
    varied: None, db: Any, options: dict[str, Any], expected: set[str]
) -> None:
    def names(views: Any) -> set[str]:
        return {v.given_name.lower() for v in views}

    with db.read_session() as s:
        listed = names(browse.list_contacts(s, **options))
        page = browse.first_contacts(s, ContactQuery(**options))
        shown = names(people.contacts_by_id(s, [row.id for row in page.rows]))
        wanted = exports.RecipientFilter(**options)
        sheet = names(exports.address_book(s, wanted))
        merge = {r.given_name.lower() for r in exports.mailmerge_recipients(s, wanted).recipients}
    assert listed == shown == sheet == merge == expected
    assert page.total == len(expected)


def test_the_command_line_takes_the_same_filters(varied: None, run: Any, tmp_path: Path) -> None:
    """The mail merge reaches the organisations with no sign-on yet, as the app's
    "no sign-on" filter lists them."""
    merge = tmp_path / "merge.csv"
    ok(run("export", "mailmerge", str(merge), "--campaign", "kids-2027", "--status", "none"))
    assert column_of(merge, "Email") == {"dan@example.org", "eva@example.org"}
    listed = json.loads(
        ok(run("contact", "list", "--tag", "press", "--language", "fr", "--format", "json")).stdout
    )
    assert {c["given_name"] for c in listed} == {"Ana", "Cleo"}


def test_organisations_are_listed_and_exported_by_the_same_campaign_filter(
    varied: None, run: Any, db: Any, tmp_path: Path
) -> None:
    """Who is not in the campaign yet: the organisations to invite next."""
    listed = json.loads(
        ok(
            run("org", "list", "--campaign", "kids-2027", "--status", "none", "--format", "json")
        ).stdout
    )
    assert [o["name"] for o in listed] == ["Gamma Youth"]
    sheet = tmp_path / "orgs.csv"
    ok(run("export", "organisations", str(sheet), "--campaign", "kids-2027",
           "--status", "invited,signed"))  # fmt: skip
    assert column_of(sheet, "organisation") == {"Alpha Kids", "Beta Jeunesse"}
    with db.read_session() as s:
        page = browse.first_organisations(
            s, browse.OrganisationQuery(campaign="kids-2027", statuses=("none",))
        )
        assert [row.name for row in page.rows] == ["Gamma Youth"]
