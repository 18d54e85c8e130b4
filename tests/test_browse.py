"""domain.browse: pages of lean rows, counts, detail panes and the start screen's overview."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalition.domain import browse, campaigns, people
from coalition.domain.audit import work
from coalition.domain.browse import ContactQuery, OrganisationQuery
from coalition.domain.values import fold
from coalition.errors import InvalidValue, NotFound
from coalition.store.database import Database, open_database
from coalition.store.models import Contact, SignOn
from coalition.store.schema import SIGNON_STATUSES
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
        ("example", 1201),  # every contact matches: the search narrows nothing
        ("example.org", 601),  # many matches: the name index is walked
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


def test_half_the_contacts_matching_page_like_the_plain_listing_filtered(
    filled: Database,
) -> None:
    # Half the addresses are at example.org: a page is found by walking the name index.
    with filled.read_session() as s:
        plain = browse.contact_page(s, ContactQuery(), limit=2000)
        query = ContactQuery(search_text="example.org")
        assert browse.count_contacts(s, query) == 601
        pages = [browse.contact_page(s, query, offset=o, limit=100) for o in range(0, 700, 100)]
    expected = [r.id for r in plain if r.email and r.email.endswith("@example.org")]
    assert [r.id for page in pages for r in page] == expected


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


# --- filters ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def filters_template(filled_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The filled database with memberships, tags, own countries, a person without an
    organisation and a second campaign, all set through the domain."""
    path = copy(filled_template, tmp_path_factory.mktemp("filters") / "filters.db")
    db = open_database(path)
    with work(db, "alice") as w:
        for i in range(15):
            membership = "member" if i < 10 else "partner"
            tags = ["Climate"] if i < 5 else []
            people.edit_organisation(
                w, f"Fondation Test {i:04d}", {"membership": membership}, add_tags=tags
            )
        for i in range(12):
            people.edit_contact(w, f"person{i}@{_domain(i)}", {}, add_tags=["climate"])
        for i in (20, 21):  # in Belgian and German organisations, living in Luxembourg
            people.edit_contact(w, f"person{i}@{_domain(i)}", {"country": "LU"})
        people.add_contact(w, given_name="Nomad", family_name="Person", country="LU")
        campaigns.add_campaign(w, "eu-2026", name="European statement", state="open")
        for org, status in [(3, "invited"), (4, "considering"), (5, "considering"), (6, "signed")]:
            campaigns.set_signon(w, f"Fondation Test {org:04d}", "eu-2026", status)
    db.close()
    return path


def _domain(i: int) -> str:
    return "example.org" if i % 2 else "example.net"


@pytest.fixture
def filtered_db(filters_template: Path, tmp_path: Path) -> Iterator[Database]:
    db = open_database(copy(filters_template, tmp_path / "filters.db"))
    yield db
    db.close()


@dataclass
class _Facts:
    """What each contact is, read through the ORM: the reference the filters must match."""

    tags: set[str]
    country: str | None
    membership: str | None
    signons: dict[str, str]


def _facts(session: Session) -> dict[int, _Facts]:
    signons: dict[int, dict[str, str]] = {}
    for signon in session.scalars(select(SignOn)):
        signons.setdefault(signon.organisation_id, {})[signon.campaign.code] = signon.status
    facts = {}
    for c in session.scalars(select(Contact)):
        org = c.organisation
        facts[c.id] = _Facts(
            {fold(t.name) for t in c.tags},
            c.country or (org.country if org else None),
            org.membership if org else None,
            signons.get(org.id, {}) if org else {},
        )
    return facts


def _keeps(f: _Facts, q: ContactQuery) -> bool:
    if q.tag and fold(q.tag) not in f.tags:
        return False
    if q.country and f.country != q.country:
        return False
    if q.membership and f.membership != q.membership:
        return False
    if q.campaign:
        status = f.signons.get(q.campaign, browse.NO_SIGNON)
        if q.statuses and status not in q.statuses:
            return False
        if not q.statuses and status == browse.NO_SIGNON:
            return False
    return True


CONTACT_FILTERS = [
    ContactQuery(tag="climate"),
    ContactQuery(tag="CLIMATE"),
    ContactQuery(tag="no such tag"),
    ContactQuery(country="LU"),
    ContactQuery(country="BE"),
    ContactQuery(membership="member"),
    ContactQuery(membership="partner"),
    ContactQuery(campaign="eu-2026"),
    ContactQuery(campaign="eu-2026", statuses=("considering",)),
    ContactQuery(campaign="eu-2026", statuses=("invited", "signed")),
    ContactQuery(campaign="eu-2026", statuses=("none",)),
    ContactQuery(campaign="eu-2026", statuses=("none", "invited")),
    ContactQuery(campaign="csam-2022", statuses=("signed",)),
    ContactQuery(tag="climate", membership="member"),
    ContactQuery(country="DE", membership="member", campaign="eu-2026"),
    ContactQuery(tag="climate", country="BE", campaign="eu-2026", statuses=("none",)),
]


@pytest.mark.parametrize("text", ["", "person", "anna", "zzz"])
def test_contact_filters_match_the_records_with_search_and_every_sort(
    filtered_db: Database, text: str
) -> None:
    with filtered_db.read_session() as s:
        facts = _facts(s)
        for sort in browse.CONTACT_SORTS:
            for descending in (False, True):
                plain = ContactQuery(search_text=text, sort=sort, descending=descending)
                everyone = browse.contact_page(s, plain, limit=5000)
                for base in CONTACT_FILTERS:
                    query = replace(base, search_text=text, sort=sort, descending=descending)
                    expected = [r for r in everyone if _keeps(facts[r.id], query)]
                    assert browse.contact_page(s, query, limit=5000) == expected, query
                    assert browse.count_contacts(s, query) == len(expected), query
                    first = browse.first_contacts(s, query, limit=7)
                    assert (first.rows, first.total) == (expected[:7], len(expected)), query
                    # A small page walks the name index rather than sort a big filter's.
                    assert browse.contact_page(s, query, offset=5, limit=3) == expected[5:8]


def test_a_contact_of_a_luxembourg_address_counts_there_not_under_their_organisation(
    filtered_db: Database,
) -> None:
    with filtered_db.read_session() as s:
        lu = browse.contact_page(s, ContactQuery(country="Luxembourg"))
        assert "Nomad Person" in {r.name for r in lu}
        assert {r.country for r in lu} == {"LU"} and len(lu) == 3
        countries = {c.value: c.count for c in browse.contact_country_choices(s)}
        assert countries["LU"] == 3
        assert sum(countries.values()) == browse.count_contacts(s)  # everyone has one
        assert countries["BE"] == browse.count_contacts(s, ContactQuery(country="BE"))


def test_organisation_filters_narrow_with_search_and_sort(filtered_db: Database) -> None:
    with filtered_db.read_session() as s:
        every = browse.organisation_page(s, OrganisationQuery(), limit=100)
        by_name = {o.name: o for o in every}
        climate = browse.organisation_page(s, OrganisationQuery(tag="climate"))
        assert [o.name for o in climate] == [f"Fondation Test {i:04d}" for i in range(5)]
        partners = OrganisationQuery(membership="partner", sort="country", descending=True)
        rows = browse.organisation_page(s, partners)
        assert {o.name for o in rows} == {f"Fondation Test {i:04d}" for i in range(10, 15)}
        assert [o.country for o in rows] == sorted((o.country for o in rows), reverse=True)
        considering = OrganisationQuery(campaign="eu-2026", statuses=("considering",))
        assert [o.name for o in browse.organisation_page(s, considering)] == [
            "Fondation Test 0004",
            "Fondation Test 0005",
        ]
        asked = browse.first_organisations(s, OrganisationQuery(campaign="EU-2026"))
        assert asked.total == 4
        not_asked = OrganisationQuery(campaign="eu-2026", statuses=("none",))
        assert browse.count_organisations(s, not_asked) == len(every) - 4
        assert "Fondation Test 0004" not in {
            o.name for o in browse.organisation_page(s, not_asked, limit=100)
        }
        combined = OrganisationQuery(
            search_text="test", tag="climate", campaign="eu-2026", statuses=("invited", "signed")
        )
        assert [o.name for o in browse.organisation_page(s, combined)] == ["Fondation Test 0003"]
        assert browse.count_organisations(s, combined) == 1
        assert by_name["Fondation Test 0003"].membership == "member"
        be = browse.first_organisations(s, OrganisationQuery(country="BE", kind="other"))
        assert be.total == sum(1 for o in every if o.country == "BE")


def test_filters_refuse_what_cannot_be_asked(filtered_db: Database) -> None:
    with filtered_db.read_session() as s:
        with pytest.raises(InvalidValue, match="choose the campaign too"):
            browse.contact_page(s, ContactQuery(statuses=("signed",)))
        with pytest.raises(InvalidValue, match="sign-on status"):
            browse.count_contacts(s, ContactQuery(campaign="eu-2026", statuses=("maybe",)))
        with pytest.raises(NotFound, match="eu-2026"):
            browse.first_organisations(s, OrganisationQuery(campaign="nope"))
        with pytest.raises(InvalidValue, match="membership"):
            browse.contact_page(s, ContactQuery(membership="friend"))
        with pytest.raises(InvalidValue, match="not a country"):
            browse.contact_page(s, ContactQuery(country="Atlantis"))


def test_filter_choices_count_what_each_filter_shows(filtered_db: Database) -> None:
    with filtered_db.read_session() as s:
        choices = browse.contact_filter_choices(s)
        assert choices.total == browse.count_contacts(s) == 1202
        assert [(c.value, c.count) for c in choices.tags] == [("Climate", 12), ("[red]tag", 1)]
        assert choices.kinds == []
        for tag in choices.tags:
            assert browse.count_contacts(s, ContactQuery(tag=tag.value)) == tag.count
        assert choices.countries[0].count >= choices.countries[-1].count
        assert next(c for c in choices.countries if c.value == "BE").label == "Belgium"
        for country in choices.countries:
            assert browse.count_contacts(s, ContactQuery(country=country.value)) == country.count
        assert [m.value for m in choices.memberships] == ["member", "partner", "none"]
        for m in choices.memberships:
            assert browse.count_contacts(s, ContactQuery(membership=m.value)) == m.count
        assert [c.code for c in choices.campaigns] == ["eu-2026", "csam-2022"]
        eu = choices.campaigns[0]
        assert [st.value for st in eu.statuses] == [*SIGNON_STATUSES, "none"]
        assert eu.statuses[-1].label == "no sign-on"
        assert eu.count == browse.count_contacts(s, ContactQuery(campaign="eu-2026")) == 4 * 30
        for campaign in choices.campaigns:
            for st in campaign.statuses:
                query = ContactQuery(campaign=campaign.code, statuses=(st.value,))
                assert browse.count_contacts(s, query) == st.count

        orgs = browse.organisation_filter_choices(s)
        assert orgs.total == 41
        assert [(c.value, c.count) for c in orgs.tags] == [("Climate", 5)]
        assert [(k.value, k.label) for k in orgs.kinds] == [("other", "other")]
        for country in orgs.countries:
            query = OrganisationQuery(country=country.value)
            assert browse.count_organisations(s, query) == country.count
        for m in orgs.memberships:
            assert browse.count_organisations(s, OrganisationQuery(membership=m.value)) == m.count
        for campaign in orgs.campaigns:
            for st in campaign.statuses:
                query = OrganisationQuery(campaign=campaign.code, statuses=(st.value,))
                assert browse.count_organisations(s, query) == st.count


def test_filter_choices_of_an_empty_database(db: Database) -> None:
    with db.read_session() as s:
        for choices in (browse.contact_filter_choices(s), browse.organisation_filter_choices(s)):
            assert (choices.tags, choices.countries, choices.memberships) == ([], [], [])
            assert (choices.campaigns, choices.total) == ([], 0)
