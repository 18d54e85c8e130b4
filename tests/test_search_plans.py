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


@pytest.mark.parametrize("typed", SEARCHES)
def test_search_pages_are_the_plain_listing_kept_to_the_matches(
    crowd: Database, typed: str
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
                assert (first.rows, first.total) == (expected[:50], len(expected)), query
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
