"""Full-text search: case- and accent-insensitive, prefix as you type, kept current."""

from __future__ import annotations

from typing import Any

import pytest

from coalition.domain import browse, people
from coalition.store import search


@pytest.fixture
def sample(unit: Any) -> dict[str, int]:
    with unit() as w:
        mce = people.add_organisation(
            w, name="Minors Care Example", acronym="MCE", city="Bruxelles", tags=["eu"]
        )
        fund = people.add_organisation(w, name="Fundación Niños Seguros", country="ES")
        emilie = people.add_contact(
            w,
            given_name="Émilie",
            family_name="Müller",
            emails=["emilie.muller@example.org"],
            organisation="MCE",
            role="Policy Officer",
        ).contact
        jose = people.add_contact(
            w,
            given_name="José",
            family_name="Núñez",
            organisation="Fundación Niños Seguros",
            tags=["press"],
        ).contact
        greek = people.add_contact(w, given_name="Ελένη", family_name="Παπαδοπούλου").contact
    return {"mce": mce.id, "fund": fund.id, "emilie": emilie.id, "jose": jose.id, "greek": greek.id}


def names(session: Any, query: str) -> list[str]:
    return [h.title for h in people.search_all(session, query)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("muller", "Émilie Müller"),
        ("MÜLLER", "Émilie Müller"),
        ("mul", "Émilie Müller"),
        ("emil mu", "Émilie Müller"),
        ("emilie.muller@ex", "Émilie Müller"),
        ("policy", "Émilie Müller"),
        ("nunez", "José Núñez"),
        ("ninos", "Fundación Niños Seguros"),
        ("press", "José Núñez"),
        ("ελένη", "Ελένη Παπαδοπούλου"),
        ("ελενη", "Ελένη Παπαδοπούλου"),
        ("bruxel", "Minors Care Example"),
    ],
)
def test_case_accent_and_prefix_insensitive(
    sample: Any, session: Any, query: str, expected: str
) -> None:
    assert expected in names(session, query)


def test_every_word_must_match(sample: Any, session: Any) -> None:
    assert names(session, "emilie nunez") == []


def test_contacts_are_found_by_their_organisation(sample: Any, session: Any) -> None:
    found = names(session, "mce")
    assert found[0] == "Minors Care Example"
    assert "Émilie Müller" in found


@pytest.mark.parametrize(
    "query", ['"', "*", "AND", "OR NOT", "-", "(", 'a"b', "NEAR(", "^x", "   "]
)
def test_odd_input_never_breaks_the_query(sample: Any, session: Any, query: str) -> None:
    people.search_all(session, query)


def test_index_follows_edits_and_deletes(sample: dict[str, int], unit: Any, db: Any) -> None:
    with unit() as w:
        people.edit_contact(w, sample["emilie"], {"family_name": "Bonneau"})
        people.edit_organisation(w, sample["mce"], {"name": "Enfants Disparus Europe"})
        people.delete_contact(w, sample["jose"])
    with db.read_session() as s:
        assert names(s, "minors") == []
        assert names(s, "bonneau") == ["Émilie Bonneau"]
        assert "Émilie Bonneau" in names(s, "disparus"), "contact reindexed with new org name"
        assert names(s, "nunez") == []


def test_rebuild_restores_a_lost_index(sample: Any, unit: Any, db: Any) -> None:
    with db.session() as s:
        s.execute(search.text(f"DELETE FROM {search.CONTACT_TABLE}"))
    with db.session() as s:
        assert search.search_contacts(s, "muller") == []
        search.rebuild(s)
    with db.read_session() as s:
        assert search.search_contacts(s, "muller") == [sample["emilie"]]


def test_match_expression_quotes_terms() -> None:
    assert search.match_expression('emilie "x') == '"emilie"* AND """x"*'
    assert search.match_expression("-- ***") is None


def test_listing_a_broad_search_pages_by_name(unit: Any, db: Any) -> None:
    """Over a thousand matches take the other plan (walking the name index); same answer."""
    from coalition.domain.imports import ContactRecord, ImportOptions, apply_plan, plan_import

    records = [
        ContactRecord(source=f"row {i}", given_name=f"Person{i:04d}", family_name="Sharedname")
        for i in range(1200, 0, -1)
    ]
    options = ImportOptions(file_name="many.csv", sha256="cd" * 32, file_format="csv")
    with db.read_session() as s:
        plan = plan_import(s, records, options)
    with unit() as w:
        apply_plan(w, plan)
    with db.read_session() as s:
        found = search.matches(s, search.CONTACT_TABLE, "sharedn")
        assert found is not None and found.count == 1200
        page = browse.list_contacts(s, search_text="sharedn", limit=3, offset=10)
        assert [c.given_name for c in page] == ["Person0011", "Person0012", "Person0013"]
        narrow = browse.list_contacts(s, search_text="person0011")
        assert [c.given_name for c in narrow] == ["Person0011"]


@pytest.mark.parametrize(
    ("stored", "typed", "before_marta"),
    [
        ("Łukasz Wałęsa", "lukasz walesa", True),
        ("Łukasz Wałęsa", "łukasz", True),
        ("Søren Ørsted", "soren orsted", False),
        ("Đorđe Đukić", "dorde dukic", True),
        ("Karl Straße", "strasse", True),
        ("Karl Strasse", "straße", True),
        ("Ægir Cœur", "aegir coeur", True),
    ],
)
def test_letters_with_a_stroke_are_found_and_sorted_by_their_base_letters(
    unit: Any, db: Any, stored: str, typed: str, before_marta: bool
) -> None:
    given, family = stored.split(" ")
    with unit() as w:
        people.add_contact(w, given_name=given, family_name=family)
        people.add_contact(w, given_name="Marta", family_name="Nowak")
    with db.read_session() as s:
        assert names(s, typed) == [stored]
        listed = [c.display_name for c in browse.list_contacts(s)]
    assert listed == ([stored, "Marta Nowak"] if before_marta else ["Marta Nowak", stored])


def test_name_parts_the_display_name_lacks_are_still_found(unit: Any, db: Any) -> None:
    # The index leaves out name parts the display name already holds; one it lacks
    # ("Annabelle" beside "Belle Smithson") or holds only inside a word must stay findable.
    with unit() as w:
        people.add_contact(
            w, display_name="Belle Smithson", given_name="Annabelle", family_name="Smithson"
        )
        people.add_contact(w, display_name="Rosannabel Ott", given_name="Anna", family_name="Ott")
        people.add_contact(w, given_name="Jonas", family_name="Berg")
    with db.read_session() as s:
        assert names(s, "annabelle") == ["Belle Smithson"]
        assert names(s, "belle smith") == ["Belle Smithson"]
        assert names(s, "anna ott") == ["Rosannabel Ott"]
        assert names(s, "jonas berg") == ["Jonas Berg"]


def test_an_imports_documents_are_those_of_one_contact_at_a_time() -> None:
    # An import builds 100,000 documents with the repeated columns folded once each; they
    # must be the documents ``contact_document`` gives one contact at a time.
    orgs = [("Fundación Niños Seguros", "FNS"), ("Łódź Network", None), ()]
    people_ = [
        ("Émilie Müller", "Émilie", "Müller", None),
        ("Dr Anna Nowak", "Anna", "Nowak", "Dr"),
        ("Ελένη Παπαδοπούλου", "Ελένη", "Παπαδοπούλου", None),
        ("Belle Smithson", "Annabelle", "Smithson", None),
        ("anna@example.org", None, None, None),
        ("", None, None, None),
    ]
    calls = [
        (
            names,
            [f"person{i}@example.org"] if i % 2 else [],
            orgs[i % len(orgs)],
            ["Policy Officer", None, "Directrice générale"][i % 3],
            [("Kraków", "PL"), (None, "BE"), (None, None)][i % 3],
            [["coalition"], [], ["eu", "presse"]][i % 3],
        )
        for i, names in enumerate(people_ * 3)
    ]
    build = search.contact_documents()
    assert [build(*c) for c in calls] == [search.contact_document(*c) for c in calls]
    # The display name made of its parts is indexed once; a part it lacks, beside it.
    assert build(*calls[0])[0] == "Émilie Müller"
    assert build(*calls[3])[0] == "Belle Smithson Annabelle"
