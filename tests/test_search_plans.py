"""A search's listing is planned from its count (store/planner.py), and answers alike
however it is planned, on every engine.

1,201 people: "example" matches 1,200 of them (more than ``WALK_FROM``: a page in name
order walks the name index and checks each row), "ελ" the 120 Ελένη, who sort last in
name order (few: their rows are read first, then sorted; PostgreSQL left to itself
walked the whole name index to find them). Each listing is compared with the plain
listing of everyone, kept to the contacts the search finds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from coalition.domain import browse, people
from coalition.domain.audit import work
from coalition.domain.browse import ContactQuery, OrganisationQuery
from coalition.store import search
from coalition.store.database import Database, open_database
from coalition.store.planner import WALK_FROM
from tests.browse_data import fill

SEARCHES = ["ελ", "ελε", "example", "example.org", "emilie m", "policy", "zzz"]


@pytest.fixture
def crowd(db_path: Path | str) -> Any:
    fill(db_path, 1200, 40)  # type: ignore[arg-type]  # a file, or a server's URL
    db = open_database(db_path)
    with work(db, "tester") as w:
        people.add_contact(w, given_name="Zed", family_name="Nomail")  # "example" misses him
    yield db
    db.close()


def _found(db: Database, typed: str) -> set[int]:
    with db.read_session() as s:
        return set(search.search_contacts(s, typed, limit=None))


def test_the_searches_take_each_plan(crowd: Database) -> None:
    assert len(_found(crowd, "example")) == 1200 >= WALK_FROM
    assert len(_found(crowd, "ελ")) == 120


def test_many_matches_on_a_server_come_before_their_count(crowd: Database, engine: str) -> None:
    # Counting every match costs PostgreSQL ~0.6 us each (a visit of its row): the first
    # page of a search alone says "at least" once its plan is settled, and the count is
    # asked after. SQLite counts in its index: always the count.
    query = ContactQuery(search_text="example")
    with crowd.read_session() as s:
        first = browse.first_contacts(s, query, limit=50)
        assert len(first.rows) == 50
        if engine == "postgresql":
            assert not first.exact and 50 < first.total < 1200
        else:
            assert first.exact and first.total == 1200
        assert browse.count_contacts(s, query) == 1200
        # Few matches, or any filter besides the search: counted whole, as before.
        assert browse.first_contacts(s, ContactQuery(search_text="ελ"), limit=50).exact
        filtered = ContactQuery(search_text="example", country="FR")
        assert browse.first_contacts(s, filtered, limit=50).exact


def test_a_count_stops_only_where_it_may(crowd: Database) -> None:
    # up_to: "at least that many" is enough (a server may stop there; SQLite counts
    # all). One word's share the server's statistics foresee well; words in a phrase
    # they foresee as if their order did not matter: "org.example" is in no address,
    # though both words are in all 1,200, and must be counted, not foreseen.
    table = search.CONTACT_TABLE
    with crowd.read_session() as s:
        assert 100 <= search.count_matches(s, table, "example", up_to=100) <= 1200
        assert search.count_matches(s, table, "example") == 1200
        assert search.count_matches(s, table, "org.example", up_to=100) == 0
        assert 100 <= search.count_matches(s, table, "ελ", up_to=100) <= 120
        assert search.count_matches(s, table, "ελ", up_to=500) == 120
        first = browse.first_contacts(s, ContactQuery(search_text="org.example"), limit=50)
        assert (first.rows, first.total, first.exact) == ([], 0, True)


@pytest.mark.parametrize("typed", SEARCHES)
def test_search_pages_are_the_plain_listing_kept_to_the_matches(
    crowd: Database, typed: str, engine: str
) -> None:
    found = _found(crowd, typed)
    with crowd.read_session() as s:
        for sort in browse.CONTACT_SORTS:
            for descending in (False, True):
                every = browse.contact_page(
                    s, ContactQuery(sort=sort, descending=descending), limit=5000
                )
                expected = [r for r in every if r.id in found]
                query = ContactQuery(search_text=typed, sort=sort, descending=descending)
                first = browse.first_contacts(s, query, limit=50)
                assert first.rows == expected[:50], query
                if first.exact:
                    assert first.total == len(expected), query
                else:
                    # On a server, a search alone in name order stops counting where
                    # its plan is settled (347 of 1,200 here): the page says "at least".
                    assert engine == "postgresql" and sort == "name", query
                    assert len(first.rows) < first.total < len(expected), query
                assert browse.contact_page(s, query, offset=100, limit=30) == expected[100:130]
                assert browse.count_contacts(s, query) == len(expected)
        by_name = [r.id for r in browse.contact_page(s, ContactQuery(), limit=5000)]
        expected_ids = [i for i in by_name if i in found]
        listed = browse.list_contacts(s, search_text=typed, limit=50)
        assert [c.id for c in listed] == expected_ids[:50]
        deeper = browse.list_contacts(s, search_text=typed, limit=20, offset=110)
        assert [c.id for c in deeper] == expected_ids[110:130]
        assert [c.id for c in browse.list_contacts(s, search_text=typed)] == expected_ids


@pytest.mark.parametrize("typed", ["fondation", "fondation test 001", "zzz"])
def test_organisation_search_pages_are_the_plain_listing_kept_to_the_matches(
    crowd: Database, typed: str
) -> None:
    with crowd.read_session() as s:
        found = set(search.search_organisations(s, typed, limit=None))
        every = browse.organisation_page(s, OrganisationQuery(), limit=5000)
        expected = [r for r in every if r.id in found]
        query = OrganisationQuery(search_text=typed)
        assert browse.organisation_page(s, query, limit=5000) == expected
        assert browse.organisation_page(s, query, offset=3, limit=5) == expected[3:8]


def test_a_large_import_leaves_the_server_knowing_the_tables_size(
    crowd: Database, engine: str
) -> None:
    if engine != "postgresql":
        pytest.skip("SQLite keeps no statistics here (store/planner.py counts for it)")
    with crowd.read_session() as s:
        sizes = dict(
            s.execute(
                text(
                    "SELECT relname, reltuples FROM pg_class "
                    "WHERE relname IN ('contacts', 'contact_search')"
                )
            ).all()
        )
    # Without the import's ANALYZE the server would plan from tables it never sampled
    # (-1: unknown) until its autovacuum came round.
    assert sizes["contacts"] >= 1200 and sizes["contact_search"] >= 1200


def test_a_renamed_contact_moves_in_a_searchs_name_order(crowd: Database) -> None:
    # "fondation test 0001" finds the 30 people of one organisation (by its name, not
    # theirs): few, so their first page is read from the matches, which on PostgreSQL
    # hold each contact's name key beside the words. Renamed, a contact must move in that
    # order as in the plain listing: the key follows the name.
    typed = "fondation test 0001"
    with crowd.read_session() as s:
        before = browse.first_contacts(s, ContactQuery(search_text=typed), limit=5).rows
    last = before[-1]
    with work(crowd, "tester") as w:
        people.edit_contact(w, last.id, {"given_name": "Aaron", "family_name": "Aalto"})
    found = _found(crowd, typed)
    assert last.id in found
    with crowd.read_session() as s:
        by_name = [r.id for r in browse.contact_page(s, ContactQuery(), limit=5000)]
        expected = [i for i in by_name if i in found]
        for descending in (False, True):
            query = ContactQuery(search_text=typed, descending=descending)
            wanted = expected[::-1] if descending else expected
            assert [r.id for r in browse.first_contacts(s, query, limit=5).rows] == wanted[:5]
    assert expected[0] == last.id  # "Aaron Aalto" now comes first


def test_an_upgraded_database_lists_its_searches_in_name_order(db_path: Path | str) -> None:
    # Migration 0010 gives PostgreSQL's index entries their contacts' name keys: from an
    # older database, the entries are filled from the contacts (left empty, the matches
    # would come in the order they were added).
    from alembic import command

    from coalition.store import database

    db = open_database(db_path)
    with work(db, "tester") as w:
        for given in ("Zoe", "Anna", "Mia"):
            people.add_contact(w, given_name=given, family_name="Upgrade")
        people.add_contact(w, given_name="Otto", family_name="Elsewhere")  # not found
    try:
        with db.engine.begin() as connection:
            command.downgrade(database._alembic_config(connection), "0009")
    finally:
        db.close()
    db = open_database(db_path)  # upgraded again, to the newest revision
    try:
        with db.read_session() as s:
            for descending, names in (
                (False, ["Anna", "Mia", "Zoe"]),
                (True, ["Zoe", "Mia", "Anna"]),
            ):
                query = ContactQuery(search_text="upgrade", descending=descending)
                listed = browse.first_contacts(s, query, limit=2).rows  # a page of two
                assert [r.name.split()[0] for r in listed] == names[:2]
    finally:
        db.close()
