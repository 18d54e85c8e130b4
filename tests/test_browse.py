"""domain.browse: pages of lean rows, counts, detail panes and the start screen's overview."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from coalition.domain import browse
from coalition.domain.browse import ContactQuery, OrganisationQuery
from coalition.domain.values import fold
from coalition.errors import InvalidValue, NotFound
from coalition.store.database import Database, open_database
from tests.browse_data import add_story, copy, fill


@pytest.fixture(scope="module")
def filled_template(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 1,200 people: a search matching all of them takes the many-matches (subquery) path.
    path = copy(template_db, tmp_path_factory.mktemp("browse") / "filled.db")
    fill(path, 1200, 40)
    add_story(path)
    return path


@pytest.fixture
def filled(filled_template: Path, tmp_path: Path) -> Iterator[Database]:
    db = open_database(copy(filled_template, tmp_path / "filled.db"))
    yield db
    db.close()


def test_contact_pages_follow_the_name_order_and_cover_the_listing(filled: Database) -> None:
    with filled.read_session() as s:
        total = browse.count_contacts(s)
        assert total == 1201
        seen = []
        for offset in range(0, total, 500):
            seen.extend(browse.contact_page(s, ContactQuery(), offset=offset, limit=500))
    assert len(seen) == total == len({r.id for r in seen})
    names = [r.name for r in seen]
    assert names[0] == "[bold]Eve [/]Mallory"  # "[" sorts before letters
    keys = [(fold(r.name), r.id) for r in seen]
    assert keys == sorted(keys)
    row = next(r for r in seen if r.email == "person3@example.org")
    assert (row.organisation, row.role, row.country) == (
        "Fondation Test 0003",
        "Policy Officer",
        "PL",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("emilie", 120),  # accents ignored
        ("müller pol", 50),  # every word must match, the last as a prefix
        ("example", 1201),  # many matches: the name index is walked
        ("zzz", 0),
        ("[bold]", 2),  # punctuation is not searchable; "bold" is (Eve, and the organisation)
    ],
)
def test_search_narrows_and_counts(filled: Database, text: str, expected: int) -> None:
    with filled.read_session() as s:
        query = ContactQuery(search_text=text)
        first = browse.first_contacts(s, query, limit=100)
        assert first.total == browse.count_contacts(s, query)
        rows = browse.contact_page(s, query, limit=2000)
    if text != "[bold]":
        assert first.total == expected == len(rows)
    assert first.rows == rows[:100]
    assert [fold(r.name) for r in rows[:50]] == sorted(fold(r.name) for r in rows[:50])


def test_many_matches_page_in_name_order_like_the_plain_listing(filled: Database) -> None:
    # Every contact has an example.org/.net address.
    with filled.read_session() as s:
        many = browse.contact_page(s, ContactQuery(search_text="example"), offset=600, limit=50)
        plain = browse.contact_page(s, ContactQuery(), offset=600, limit=50)
    assert [r.id for r in many] == [r.id for r in plain]


@pytest.mark.parametrize("sort", browse.CONTACT_SORTS)
def test_every_contact_column_sorts_both_ways_with_empty_values_last(
    filled: Database, sort: str
) -> None:
    with filled.read_session() as s:
        up = browse.contact_page(s, ContactQuery(sort=sort), limit=2000)
        down = browse.contact_page(s, ContactQuery(sort=sort, descending=True), limit=2000)
    assert len(up) == len(down) == 1201
    values = [getattr(r, sort) for r in up]
    present = [fold(v) for v in values if v is not None]
    assert present == sorted(present)
    assert values[len(present) :] == [None] * (len(values) - len(present))  # empty ones last
    if sort == "name":
        assert [r.id for r in down] == [r.id for r in reversed(up)]
    else:
        values = [getattr(r, sort) for r in down]
        shown = [fold(v) for v in values if v is not None]
        assert shown == sorted(shown, reverse=True)
        assert values[len(shown) :] == [None] * (len(values) - len(shown))


def test_filters_narrow_pages_and_counts(filled: Database) -> None:
    with filled.read_session() as s:
        org = browse.organisation_page(s, OrganisationQuery(search_text="Fondation Test 0003"))[0]
        query = ContactQuery(organisation_id=org.id)
        assert browse.count_contacts(s, query) == org.contacts == 30
        assert browse.count_contacts(s, ContactQuery(country="be")) > 0
        tagged = ContactQuery(tag="[RED]tag")
        assert [r.name for r in browse.contact_page(s, tagged)] == ["[bold]Eve [/]Mallory"]
        assert browse.count_contacts(s, tagged) == 1
        with pytest.raises(InvalidValue):
            browse.contact_page(s, ContactQuery(sort="shoe size"))


def test_organisation_pages_sort_and_count(filled: Database) -> None:
    with filled.read_session() as s:
        assert browse.count_organisations(s) == 41
        by_people = browse.organisation_page(
            s, OrganisationQuery(sort="contacts", descending=True), limit=3
        )
        assert [o.contacts for o in by_people] == [30, 30, 30]
        fewest = browse.organisation_page(s, OrganisationQuery(sort="contacts"), limit=1)[0]
        assert (fewest.name, fewest.contacts, fewest.acronym) == (
            "[bold]Brackets[/] Network",
            1,
            "[/]",
        )
        found = browse.first_organisations(s, OrganisationQuery(search_text="test 0007"))
        assert [o.name for o in found.rows] == ["Fondation Test 0007"] and found.total == 1
        for sort in browse.ORGANISATION_SORTS:
            assert len(browse.organisation_page(s, OrganisationQuery(sort=sort), limit=100)) == 41
        assert (
            browse.count_organisations(s, OrganisationQuery(country="PL", search_text="test")) == 6
        )


def test_detail_panes_gather_people_signons_and_outreach(filled: Database) -> None:
    with filled.read_session() as s:
        org_id = browse.organisation_page(s, OrganisationQuery(search_text="test 0002"))[0].id
        org = browse.organisation_detail(s, org_id, members=5)
        assert org.organisation.contact_count == 30 and len(org.people) == 5
        assert [(x.campaign, x.status) for x in org.signons] == [("csam-2022", "invited")]
        assert [i.subject for i in org.interactions] == ["Invitation to sign"]
        eve_id = browse.contact_page(s, ContactQuery(search_text="mallory"))[0].id
        eve = browse.contact_detail(s, eve_id)
        assert eve.contact.tags == ["[red]tag"]
        assert [i.subject for i in eve.interactions] == ["Call about [bold] things"]
        with pytest.raises(NotFound):
            browse.contact_detail(s, 99_999)
        with pytest.raises(NotFound):
            browse.organisation_detail(s, 99_999)


def test_overview_of_an_empty_and_a_filled_database(db: Database, filled: Database) -> None:
    with db.read_session() as s:
        empty = browse.overview(s)
    assert empty.empty and not empty.followups and not empty.open_campaigns
    with filled.read_session() as s:
        seen = browse.overview(s, today=dt.date.today())
    assert not seen.empty
    assert (seen.organisations, seen.contacts, seen.campaigns) == (41, 1201, 1)
    # Overdue first; the one logged with Eve's organisation is due today.
    assert [f.subject for f in seen.followups] == ["Invitation to sign", "Call about [bold] things"]
    assert seen.followups_total == 2
    assert [c.code for c in seen.open_campaigns] == ["csam-2022"]
    assert seen.open_campaigns[0].counts["signed"] == 1
    assert seen.recent[0].coordinator == "alice"


def test_go_to_finds_organisations_then_contacts(filled: Database) -> None:
    with filled.read_session() as s:
        hits = browse.go_to(s, "brackets")
        assert [(h.kind, h.title) for h in hits] == [
            ("organisation", "[bold]Brackets[/] Network"),
            ("contact", "[bold]Eve [/]Mallory"),
        ]
        assert browse.go_to(s, "  ") == []
