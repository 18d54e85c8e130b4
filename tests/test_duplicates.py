"""The list of likely duplicates, as a coordinator reads it and works through it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from coalition.domain import duplicates, people
from coalition.domain.dedupe import ContactFacts, OrgFacts, compare_contacts, compare_organisations
from coalition.store.database import open_database
from coalition.store.models import AuditEntry, DuplicateDismissal
from tests.conftest import fails, ok


def org(unit: Any, name: str, **fields: Any) -> int:
    with unit() as w:
        return people.add_organisation(w, name=name, allow_duplicate=True, **fields).id


def person(unit: Any, **fields: Any) -> int:
    with unit() as w:
        return people.add_contact(w, allow_duplicate=True, **fields).contact.id


def listed(run: Any, *args: str) -> list[dict[str, Any]]:
    data = json.loads(ok(run("duplicates", "--format", "json", *args)).stdout)
    assert isinstance(data, list)
    return data


def pair_of(items: list[dict[str, Any]], a: int, b: int, kind: str) -> dict[str, Any] | None:
    return next((i for i in items if i["kind"] == kind and i["ids"] == [a, b]), None)


def counts(db: Any) -> tuple[int, int]:
    with db.read_session() as s:
        return (
            s.scalar(select(func.count()).select_from(DuplicateDismissal)),
            s.scalar(select(func.count()).select_from(AuditEntry)),
        )


def test_the_same_email_comes_first_with_its_reason(unit: Any, run: Any) -> None:
    home = org(unit, "Minors Care Example", country="BE")
    colleague = person(
        unit,
        given_name="Jan",
        family_name="Nowak",
        organisation=str(home),
        emails=["jan@example.org"],
    )
    namesake = person(
        unit,
        given_name="Jan",
        family_name="Nowakk",
        organisation=str(home),
        emails=["jn@example.org"],
    )
    first = person(
        unit, given_name="Émilie", family_name="Müller", emails=["emilie.muller@example.org"]
    )
    second = person(
        unit, given_name="Emilie", family_name="Bonneau", emails=["Emilie.Muller@example.org"]
    )
    items = listed(run)
    assert items[0]["kind"] == "contact"
    assert items[0]["ids"] == [first, second]
    assert items[0]["names"] == ["Émilie Müller", "Emilie Bonneau"]
    assert items[0]["reason"] == "same email"
    assert items[0]["score"] == 100 and items[0]["certain"] is True
    similar = pair_of(items, colleague, namesake, "contact")
    assert similar is not None and similar["reason"].startswith("similar name (")
    assert similar["reason"].endswith("at the same organisation") and not similar["certain"]
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)


def test_json_items_have_the_documented_keys(unit: Any, run: Any) -> None:
    a = person(unit, given_name="Anna", emails=["anna@example.org"])
    b = person(unit, given_name="Anna B", emails=["ANNA@example.org"])
    (item,) = listed(run)
    assert list(item) == ["kind", "ids", "names", "reason", "score", "certain"]
    assert item["ids"] == [a, b] and isinstance(item["score"], int)


def test_an_acronym_and_the_name_it_stands_for_are_listed(unit: Any, run: Any) -> None:
    full = org(unit, "Alpha Kids", acronym="AK", country="BE")
    short = org(unit, "AK")
    item = pair_of(listed(run, "--kind", "organisation"), full, short, "organisation")
    assert item is not None
    assert item["names"] == ["Alpha Kids", "AK"]
    assert item["reason"] == "acronym" and item["certain"] is True


def test_national_branches_are_not_certain_duplicates(unit: Any, run: Any) -> None:
    italia = org(unit, "Save the Children Italia", country="IT")
    sweden = org(unit, "Save the Children Sweden", country="SE")
    umbrella = org(unit, "Save the Children")
    items = listed(run, "--kind", "organisation")
    branches = pair_of(items, italia, sweden, "organisation")
    assert branches is None or not branches["certain"]
    # The umbrella may be either branch: a person decides.
    within = pair_of(items, italia, umbrella, "organisation")
    assert within is not None and not within["certain"]


def test_every_organisation_pair_has_the_verdict_an_import_reaches(unit: Any, run: Any) -> None:
    a = org(unit, "Kinderschutz Beispiel e.V.", country="DE", website="kinderschutz.example.org")
    b = org(unit, "KINDERSCHUTZ-BEISPIEL", country="DE")
    c = org(unit, "Kinderschutz Beispiel", country="AT")
    d = org(unit, "Kinderschutz Beispiel Netzwerk", website="https://www.kinderschutz.example.org")
    facts = {
        a: OrgFacts(a, "Kinderschutz Beispiel e.V.", None, "kinderschutz.example.org", None, "DE"),
        b: OrgFacts(b, "KINDERSCHUTZ-BEISPIEL", None, None, None, "DE"),
        c: OrgFacts(c, "Kinderschutz Beispiel", None, None, None, "AT"),
        d: OrgFacts(d, "Kinderschutz Beispiel Netzwerk", None, "www.kinderschutz.example.org"),
    }
    items = listed(run, "--kind", "organisation")
    assert {tuple(i["ids"]) for i in items} == {(a, b), (a, c), (b, c), (a, d), (b, d), (c, d)}
    for item in items:
        low, high = item["ids"]
        match = compare_organisations(facts[low], facts[high])
        assert match is not None
        assert (item["reason"], item["certain"]) == (match.rule, match.certain)
        assert item["score"] == round(match.score)
    assert pair_of(items, a, b, "organisation")["reason"] == "same name"  # type: ignore[index]
    assert pair_of(items, a, d, "organisation")["reason"] == (  # type: ignore[index]
        "same web domain (kinderschutz.example.org)"
    )


def test_people_at_a_public_mail_domain_are_not_paired_by_it(unit: Any, run: Any) -> None:
    person(unit, given_name="Piotr", family_name="Kowalski", emails=["p.kowalski@gmail.com"])
    person(unit, given_name="Ewa", family_name="Nowak", emails=["ewa.nowak@gmail.com"])
    org(unit, "Fundacja Testowa", email="fundacja.testowa@gmail.com", country="PL")
    org(unit, "Stowarzyszenie Przykład", email="przyklad@gmail.com", country="PL")
    assert listed(run) == []
    result = ok(run("duplicates"))
    assert "No likely duplicates." in result.stderr


def test_a_shared_phone_with_another_name_ranks_low(unit: Any, run: Any) -> None:
    home = org(unit, "Minors Care Example", country="BE")
    a = person(unit, given_name="Anna", family_name="Peeters", organisation=str(home),
               phones=["+32 2 555 01 00"])  # fmt: skip
    b = person(unit, given_name="Jan", family_name="Maes", organisation=str(home),
               phones=["02 555 01 00"])  # fmt: skip
    c = person(unit, given_name="Anna", family_name="Peeters", phones=["+32 2 555 01 00"])
    items = listed(run, "--kind", "contact")
    assert pair_of(items, a, c, "contact")["reason"] == "same phone"  # type: ignore[index]
    switchboard = pair_of(items, a, b, "contact")
    assert switchboard is not None and switchboard["reason"] == "same phone, another name"
    assert switchboard["score"] < 80 and not switchboard["certain"]


def test_contact_rules_and_scores() -> None:
    email, phone = frozenset({"anna@example.org"}), frozenset({"+3225550101"})
    cases: list[tuple[ContactFacts, ContactFacts, tuple[str, bool, int] | None]] = [
        (
            ContactFacts(1, "anna peeters", emails=email),
            ContactFacts(2, "jan maes", emails=email),
            ("same email", True, 100),
        ),
        (
            ContactFacts(1, "anna peeters", phones=phone),
            ContactFacts(2, "anna peters", phones=phone),
            ("same phone", False, 95),
        ),
        (
            ContactFacts(1, "anna peeters", 7),
            ContactFacts(2, "anna peeters", 7),
            ("same name and organisation", True, 92),
        ),
        (
            ContactFacts(1, "anna peeters", 7),
            ContactFacts(2, "anna peeters"),
            ("same name, one without organisation", False, 85),
        ),
        (
            ContactFacts(1, "anna peeters"),
            ContactFacts(2, "anna peeters"),
            ("same name, neither with an organisation", False, 80),
        ),
        (
            ContactFacts(1, "jan nowak", 7),
            ContactFacts(2, "jan nowakk", 7),
            ("similar name (95%) at the same organisation", False, 85),
        ),
        (
            ContactFacts(1, "anna peeters", phones=phone),
            ContactFacts(2, "jan maes", phones=phone),
            ("same phone, another name", False, 65),
        ),
        (ContactFacts(1, "anna peeters", 7), ContactFacts(2, "anna peeters", 8), None),
        (ContactFacts(1, "jan nowak", 7), ContactFacts(2, "jan nowakk", 8), None),
        (ContactFacts(1, "jan nowak", 7), ContactFacts(2, "ewa nowak", 7), None),
    ]
    for a, b, expected in cases:
        match = compare_contacts(a, b)
        assert (None if match is None else (match.rule, match.certain, match.score)) == expected


def test_a_dismissed_pair_is_not_listed_again(
    unit: Any, run: Any, db_path: Any, db: Any, me: str
) -> None:
    a = person(unit, given_name="Jan", family_name="Nowak", emails=["jan@example.org"])
    b = person(unit, given_name="Jan", family_name="Nowak", emails=["jan.nowak@example.net"])
    item = pair_of(listed(run), a, b, "contact")
    assert item is not None and item["reason"] == "same name, neither with an organisation"
    result = ok(run("duplicates", "--dismiss", str(b), f"#{a}"))
    assert f"Contacts #{a} Jan Nowak and #{b} Jan Nowak are marked as not a duplicate" in (
        result.stderr
    )
    assert listed(run) == []
    # Marking it again changes nothing.
    before = counts(db)
    again = ok(run("duplicates", "--dismiss", str(a), str(b), "--kind", "contact"))
    assert "already marked" in again.stderr
    assert counts(db) == before
    # It is kept in the database: a fresh opening does not offer it either.
    fresh = open_database(db_path)
    try:
        with fresh.read_session() as s:
            assert duplicates.find_duplicates(s) == []
            (row,) = s.scalars(select(DuplicateDismissal)).all()
            assert (row.kind, row.low_id, row.high_id, row.coordinator) == (
                "contact", a, b, me
            )  # fmt: skip
            entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
            assert entry is not None and entry.action == "create"
            assert entry.entity == "duplicate_dismissal" and entry.contact_id == a
    finally:
        fresh.close()
    # A third record like them is still offered with each.
    c = person(unit, given_name="Jan", family_name="Nowak", emails=["jnowak@example.org"])
    assert {tuple(i["ids"]) for i in listed(run)} == {(a, c), (b, c)}


def test_a_dismissed_organisation_pair_and_a_deleted_record(unit: Any, run: Any) -> None:
    a = org(unit, "Alpha Kids", acronym="AK")
    b = org(unit, "AK")
    c = org(unit, "Alpha Kids Network", acronym="AK")
    ok(run("duplicates", "--dismiss", str(a), str(b)))  # only organisations have these ids
    items = listed(run)
    assert {tuple(i["ids"]) for i in items} == {(a, c), (b, c)}
    with unit() as w:
        people.delete_organisation(w, str(c))
    assert listed(run) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["1", "99"], "#1 and #99 are not the ids of two contacts or of two organisations."),
        (["1", "99", "--kind", "contact"], "There is no contact #99."),
        (["2", "2"], "#2 twice is not a pair; name two different records."),
        (["1", "Nobody"], "No contact or organisation matches 'Nobody'."),
        (["Jan", "jan@example.org"], "#1 twice is not a pair"),
        (["Jan", "Fundacja Testowa"], "a pair is two contacts or two organisations"),
        (["1", "2"], "are the ids of two contacts and of two organisations"),
    ],
)
def test_a_bad_dismissal_is_one_sentence_and_writes_nothing(
    unit: Any, run: Any, db: Any, args: list[str], message: str
) -> None:
    person(unit, given_name="Jan", emails=["jan@example.org"])
    person(unit, given_name="Ewa", emails=["ewa@example.org"])
    org(unit, "Minors Care Example")
    org(unit, "Fundacja Testowa")
    before = counts(db)
    said = fails(run("duplicates", "--dismiss", *args))
    assert message in said
    assert len(said.splitlines()) == 1
    assert counts(db) == before


def test_a_pair_can_be_dismissed_by_the_names_other_commands_take(
    unit: Any, run: Any, db: Any
) -> None:
    person(unit, given_name="Anna", family_name="Peeters", phones=["+32 2 555 01 02"])
    person(unit, given_name="Jan", family_name="Maes", emails=["jan@example.org"],
           phones=["+32 2 555 01 02"])  # fmt: skip
    assert len(listed(run)) == 1
    said = ok(run("duplicates", "--dismiss", "Anna Peeters", "jan@example.org")).stderr
    assert "Contacts #1 Anna Peeters and #2 Jan Maes are marked as not a duplicate" in said
    assert listed(run) == []


def test_the_table_ends_with_what_to_do_next(unit: Any, run: Any) -> None:
    person(unit, given_name="Anna", emails=["anna@example.org"])
    person(unit, given_name="Anna", emails=["ANNA@example.org"])
    result = ok(run("duplicates"))
    assert "same email" in result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert "`coalition contact merge KEEP OTHER`" in last
    assert "`coalition org merge KEEP OTHER`" not in last
    assert "--dismiss A B" in last


def test_a_big_block_is_cut_short_and_says_so(
    unit: Any, run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(duplicates, "PAIRS_PER_BLOCK", 4)
    ids = [person(unit, given_name="info") for _ in range(6)]  # 15 pairs
    items = listed(run)
    assert len(items) == 4
    assert all(i["reason"] == "same name, neither with an organisation" for i in items)
    assert {tuple(i["ids"]) for i in items} == {(ids[0], other) for other in ids[1:5]}
    result = ok(run("duplicates", "--format", "csv"))
    assert "6 contacts share the name 'info' without an organisation" in result.stderr
    assert "only the first 4 pairs" in result.stderr
    assert result.stdout.splitlines()[0] == "kind,ids,names,reason,score,certain"


def test_limit_and_kind(unit: Any, run: Any) -> None:
    person(unit, given_name="Anna", emails=["anna@example.org"])
    person(unit, given_name="Anna", emails=["ANNA@example.org"])
    person(unit, given_name="Jan", emails=["jan@example.org"])
    person(unit, given_name="Jan", emails=["JAN@example.org"])
    org(unit, "Alpha Kids", acronym="AK")
    org(unit, "AK")
    assert len(listed(run)) == 3
    assert len(listed(run, "--limit", "2")) == 2
    assert {i["kind"] for i in listed(run, "--kind", "organisation")} == {"organisation"}
    result = ok(run("duplicates", "--limit", "1"))
    assert "Showing 1 of 3 pairs" in result.stderr
