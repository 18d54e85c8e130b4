"""One table of searches and their hits, the same on every engine.

SQLite answers with FTS5 (``unicode61 remove_diacritics 2``), PostgreSQL with tsvector
documents coalition builds itself (``coalition.store.search``). A coordinator moving a
coalition from a file to the team server must find the same people with the same
words: each row below runs on SQLite and, when the suite has a PostgreSQL server
(tests/conftest.py), on PostgreSQL, and expects exactly the hits listed, in order.
"""

from __future__ import annotations

from typing import Any

import pytest

from coalition.domain import browse, people
from coalition.store import search


@pytest.fixture
def sample(unit: Any) -> None:
    with unit() as w:
        people.add_organisation(
            w, name="Minors Care Example", acronym="MCE", city="Bruxelles", tags=["eu"]
        )
        people.add_organisation(w, name="Fundación Niños Seguros", acronym="FNS", country="ES")
        people.add_organisation(w, name="Łódź Youth Forum", city="Łódź", country="PL")
        people.add_contact(
            w,
            given_name="Émilie",
            family_name="Müller",
            emails=["emilie.muller@example.org"],
            organisation="MCE",
            role="Policy Officer",
        )
        people.add_contact(
            w,
            given_name="José",
            family_name="Núñez",
            organisation="Fundación Niños Seguros",
            tags=["press"],
        )
        people.add_contact(w, given_name="Ελένη", family_name="Παπαδοπούλου")
        people.add_contact(
            w,
            given_name="Jörg",
            family_name="Straßberger",
            emails=["j.strassberger@example.net"],
            organisation="Łódź Youth Forum",
        )
        people.add_contact(
            w, given_name="Anna", family_name="Kowalska", emails=["anna@example.net"],
            role="Press officer",
        )  # fmt: skip
        people.add_contact(w, given_name="Petra", family_name="Pressler")


MCE = "Minors Care Example"
FNS = "Fundación Niños Seguros"
LODZ = "Łódź Youth Forum"
EMILIE = "Émilie Müller"
JOSE = "José Núñez"
ELENI = "Ελένη Παπαδοπούλου"
JORG = "Jörg Straßberger"
ANNA = "Anna Kowalska"
PETRA = "Petra Pressler"

SEARCHES: list[tuple[str, list[str]]] = [
    # What was typed, and the hits: organisations, then contacts; name matches first.
    # Accents and case ignored, both ways.
    ("muller", [EMILIE]),
    ("MÜLLER", [EMILIE]),
    ("Muller", [EMILIE]),
    ("émilie", [EMILIE]),
    ("nunez", [JOSE]),
    ("NÚÑEZ", [JOSE]),
    ("ninos", [FNS, JOSE]),
    ("fundacion", [FNS, JOSE]),
    # Other scripts, and letters with a stroke or ligature.
    ("ελενη", [ELENI]),
    ("ΕΛΈΝΗ", [ELENI]),
    ("παπαδ", [ELENI]),
    ("lodz", [LODZ, JORG]),
    ("łódź", [LODZ, JORG]),
    ("strass", [JORG]),
    ("straß", [JORG]),
    ("jorg", [JORG]),
    # Every word a prefix, from the first letter.
    ("m", [MCE, EMILIE]),
    ("mu", [EMILIE]),
    ("emil mu", [EMILIE]),
    ("bruxel", [MCE]),
    ("pol off", [EMILIE]),
    # Several words: each must match, in any column, in any order.
    ("emilie mce", [EMILIE]),
    ("mce emilie", [EMILIE]),
    ("emilie nunez", []),
    ("youth forum jorg", [JORG]),
    # Acronyms find the organisation and its people.
    ("mce", [MCE, EMILIE]),
    ("MCE", [MCE, EMILIE]),
    ("fns", [FNS, JOSE]),
    # Addresses and punctuation: the words in order.
    ("emilie.muller@example.org", [EMILIE]),
    ("emilie.muller@ex", [EMILIE]),
    ("j.strass", [JORG]),
    ("anna@example", [ANNA]),
    ("example.net", [JORG, ANNA]),
    # Name matches before others: Pressler by name, then a tag and a role.
    ("press", [PETRA, JOSE, ANNA]),
    # A phrase does not run from one field into the next ("Müller" then the address).
    ("muller emilie.muller", [EMILIE]),
    ("muller.emilie", []),
    # Nothing to search for, and what matches nobody.
    ("zzz", []),
    ("   ", []),
    ("-", []),
    ('"', []),
]


def hits(session: Any, query: str) -> list[str]:
    return [h.title for h in people.search_all(session, query)]


@pytest.mark.parametrize(("query", "expected"), SEARCHES, ids=[q for q, _ in SEARCHES])
def test_the_same_searches_find_the_same_people(
    sample: None, session: Any, query: str, expected: list[str]
) -> None:
    assert hits(session, query) == expected


@pytest.mark.parametrize("query", ["m", "press", "lodz", "ninos", "example.net", "zzz"])
def test_counts_and_listings_agree_with_the_search(sample: None, session: Any, query: str) -> None:
    """The count beside a searched list and the list itself (the filters' subquery)
    hold the same contacts as the search."""
    found = search.search_contacts(session, query, limit=None)
    assert search.count_matches(session, search.CONTACT_TABLE, query) == len(found)
    listed = browse.list_contacts(session, search_text=query)
    assert sorted(c.id for c in listed) == sorted(found)
    page = browse.first_contacts(session, browse.ContactQuery(search_text=query))
    assert page.total == len(found)
    organisations = search.search_organisations(session, query, limit=None)
    assert browse.count_organisations(session, browse.OrganisationQuery(search_text=query)) == len(
        organisations
    )
