"""Import plans, batches and undo, at the domain level (no files)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text

from coalition.domain import audit, browse, campaigns, imports, people, pipeline
from coalition.domain.imports import ContactRecord, ImportOptions, OrganisationRecord
from coalition.errors import CoalitionError
from coalition.store import bulk as imports_bulk
from coalition.store import search
from coalition.store.models import Contact, ContactEmail, Organisation


def options(**kw: Any) -> ImportOptions:
    base = {"file_name": "members.csv", "sha256": "ab" * 32, "file_format": "csv"}
    return ImportOptions(**{**base, **kw})


def rec(source: str, org: str | None = None, **kw: Any) -> ContactRecord:
    r = ContactRecord(source=source, **kw)
    if org:
        r.organisation = OrganisationRecord(name=org)
    return r


def run_import(unit: Any, db: Any, records: list[ContactRecord], **kw: Any) -> imports.BatchView:
    with db.read_session() as s:
        plan = imports.plan_import(s, records, options(**kw))
    with unit() as w:
        return imports.apply_plan(w, plan)


def plan_of(db: Any, records: list[ContactRecord], **kw: Any) -> imports.Plan:
    with db.read_session() as s:
        return imports.plan_import(s, records, options(**kw))


def count(db: Any, model: Any) -> int:
    with db.read_session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_rows_create_contacts_and_their_organisations(unit: Any, db: Any) -> None:
    records = [
        rec(
            "row 2",
            "Kinderschutz Beispiel e.V.",
            full_name="Lena Schneider",
            emails=[("lena@example.net", None)],
            phones=[("030 5550 1234", None)],
            country=None,
        ),
        rec(
            "row 3",
            "Kinderschutz-Beispiel eV",
            full_name="Jürgen Fischer",
            emails=[("juergen@example.net", "work")],
        ),
        rec("row 4", "Fundación Niños Seguros", given_name="José", family_name="Núñez"),
    ]
    records[0].organisation.country = "Germany"  # type: ignore[union-attr]
    batch = run_import(unit, db, records, tags=("members",))
    assert batch.counts["create"] == 3
    assert batch.counts["organisations created"] == 2, "the two spellings are one organisation"
    with db.read_session() as s:
        listed = browse.list_contacts(s)
        by_name = {c.display_name: c for c in listed}
        lena = by_name["Lena Schneider"]
        assert lena.organisation == "Kinderschutz Beispiel e.V."
        assert lena.phones[0].e164 == "+493055501234", "region from the organisation's country"
        assert by_name["Jürgen Fischer"].organisation_id == lena.organisation_id
        assert by_name["Jürgen Fischer"].emails[0].label == "work"
        assert lena.tags == ["members"]
        assert browse.list_organisations(s, tag="members")
        assert [h.title for h in people.search_all(s, "nunez")] == ["José Núñez"]


def test_existing_contacts_are_recognised_by_email(unit: Any, db: Any) -> None:
    with unit() as w:
        people.add_contact(w, given_name="Anna", emails=["Anna@Example.org"], role="Director")
    records = [
        rec("row 2", full_name="Anna Nowak", emails=[("anna@example.org", None)], role="CEO")
    ]
    plan = plan_of(db, records)
    assert plan.rows[0].action == "duplicate" and "contact #1" in plan.rows[0].reason
    run_import(unit, db, records, on_duplicate="merge")
    with db.read_session() as s:
        anna = people.get_contact(s, 1)
    assert anna.role == "Director", "merge only fills what is empty"
    assert anna.family_name == "Nowak"
    run_import(unit, db, records, on_duplicate="update", sha256="cd" * 32)
    with db.read_session() as s:
        assert people.get_contact(s, 1).role == "CEO"
    assert count(db, Contact) == 1


def test_duplicates_inside_one_file_are_merged(db: Any) -> None:
    records = [
        rec("row 2", full_name="Anna Nowak", emails=[("anna@example.org", None)]),
        rec(
            "row 3",
            full_name="Anna Nowak",
            emails=[("ANNA@example.org", None), ("anna@example.net", None)],
            role="CEO",
        ),
    ]
    plan = plan_of(db, records)
    assert [r.action for r in plan.rows] == ["create", "in-file duplicate"]
    first = plan.rows[0]
    assert [e[0] for e in first.emails] == ["anna@example.org", "anna@example.net"]
    assert first.record.role == "CEO"


def test_invalid_values_are_kept_and_reported(unit: Any, db: Any) -> None:
    records = [
        rec(
            "row 2",
            full_name="Sam Example",
            emails=[("sam@@example.org", None)],
            country="Atlantis",
        )
    ]
    plan = plan_of(db, records)
    assert plan.counts()["invalid emails"] == 1
    assert any("kept, marked invalid" in w for w in plan.rows[0].warnings)
    assert any("Country 'Atlantis' kept in notes" in w for w in plan.rows[0].warnings)
    run_import(unit, db, records)
    with db.read_session() as s:
        sam = people.get_contact(s, "Sam Example")
    assert sam.emails[0].address == "sam@@example.org" and not sam.emails[0].valid
    assert "Atlantis" in (sam.notes or "")


def test_organisation_only_rows_and_empty_rows(db: Any) -> None:
    plan = plan_of(db, [rec("row 2", "Digital Rights Network"), rec("row 3")])
    assert [r.action for r in plan.rows] == ["organisation", "skip"]


def test_similar_organisation_is_flagged_not_merged(unit: Any, db: Any) -> None:
    with unit() as w:
        people.add_organisation(w, name="Minors Care Example")
    plan = plan_of(db, [rec("row 2", "Minors Care Exampel", full_name="Eva Example")])
    assert "likely duplicate of #1" in plan.rows[0].org_note
    plan = plan_of(db, [rec("row 2", "MINORS CARE EXAMPLE AISBL", full_name="Eva Example")])
    assert plan.rows[0].org_action == "existing"


def test_signon_answers_with_a_campaign(unit: Any, db: Any) -> None:
    with unit() as w:
        campaigns.add_campaign(w, "csam-2022")
    records = [
        rec(
            "row 2",
            "Alpha",
            full_name="A One",
            signon_status="Oui",
            signon_display_name="Alpha (FR)",
        ),
        rec("row 3", "Beta", full_name="B Two", signon_status="nein"),
        rec("row 4", "Gamma", full_name="C Three", signon_status="vielleicht"),
        rec("row 5", "Delta", full_name="D Four"),
        rec("row 6", "Epsilon", full_name="E Five", signon_status="purple"),
    ]
    plan = plan_of(db, records, campaign="csam-2022")
    assert [r.signon for r in plan.rows] == [
        "signed",
        "declined",
        "considering",
        "prospect",
        "prospect",
    ]
    assert any("not understood" in w for w in plan.rows[4].warnings)
    run_import(unit, db, records, campaign="csam-2022")
    with db.read_session() as s:
        signons = {x.organisation: x for x in pipeline.list_signons(s, "csam-2022")}
    assert signons["Alpha"].status == "signed"
    assert signons["Alpha"].display_name == "Alpha (FR)"
    assert signons["Alpha"].signed_by == "A One"
    assert signons["Beta"].status == "declined"
    with db.read_session() as s:
        named = {e.label for e in audit.history(s) if e.entity == "signon"}
    assert "Alpha / csam-2022" in named, "history names the organisation, not its number"


def test_illegal_signon_moves_are_reported_not_applied(unit: Any, db: Any) -> None:
    with unit() as w:
        campaigns.add_campaign(w, "csam-2022")
        people.add_organisation(w, name="Alpha")
        campaigns.set_signon(w, "Alpha", "csam-2022", "signed")
    plan = plan_of(
        db, [rec("row 2", "Alpha", full_name="A One", signon_status="no")], campaign="csam-2022"
    )
    assert plan.rows[0].signon is None
    assert any("cannot move from signed to declined" in w for w in plan.rows[0].warnings)


def test_the_same_file_is_refused_unless_forced(unit: Any, db: Any) -> None:
    run_import(unit, db, [rec("row 2", full_name="A One")])
    with pytest.raises(CoalitionError, match="already imported"):
        run_import(unit, db, [rec("row 2", full_name="A One")])
    run_import(unit, db, [rec("row 2", full_name="A One")], force=True)


def test_undo_removes_created_and_restores_updated(unit: Any, db: Any) -> None:
    with unit() as w:
        people.add_contact(
            w, given_name="Anna", emails=["anna@example.org"], role="Director", tags=["old"]
        )
        campaigns.add_campaign(w, "csam-2022")
    before_orgs = count(db, Organisation)
    records = [
        rec(
            "row 2",
            "Alpha",
            full_name="Anna Nowak",
            emails=[("anna@example.org", None), ("anna@example.net", None)],
            role="CEO",
            tags=["new"],
            signon_status="yes",
        ),
        rec("row 3", "Beta", full_name="Bert Example", emails=[("bert@example.org", None)]),
    ]
    batch = run_import(unit, db, records, on_duplicate="update", campaign="csam-2022")
    assert count(db, Contact) == 2
    with unit() as w:
        undone = imports.undo_batch(w, batch.id)
    assert undone.undone_at is not None
    with db.read_session() as s:
        anna = people.get_contact(s, 1)
        assert anna.role == "Director" and anna.tags == ["old"]
        assert [e.address for e in anna.emails] == ["anna@example.org"]
        assert pipeline.list_signons(s, "csam-2022") == []
        assert people.search_all(s, "bert") == []
    assert count(db, Contact) == 1
    assert count(db, Organisation) == before_orgs
    assert count(db, ContactEmail) == 1
    with unit() as w, pytest.raises(CoalitionError, match="already undone"):
        imports.undo_batch(w, batch.id)


def test_undo_refuses_when_later_changes_depend_on_the_batch(unit: Any, db: Any) -> None:
    batch = run_import(
        unit, db, [rec("row 2", "Alpha", full_name="A One", emails=[("a@example.org", None)])]
    )
    with unit("alice") as w:
        people.edit_contact(w, "a@example.org", {"role": "Chair"})
    with unit() as w, pytest.raises(CoalitionError, match="later changes depend") as caught:
        imports.undo_batch(w, batch.id)
    assert "alice" in str(caught.value)
    assert count(db, Contact) == 1


def test_import_is_audited_once_and_shows_in_each_rows_history(unit: Any, db: Any) -> None:
    batch = run_import(
        unit,
        db,
        [
            rec("row 2", "Alpha", full_name="A One", emails=[("a@example.org", None)]),
            rec("row 3", "Alpha", full_name="B Two", emails=[("b@example.org", None)]),
        ],
    )
    with unit("alice") as w:
        people.add_contact(w, given_name="Later", organisation="Alpha")
    with db.read_session() as s:
        everything = audit.history(s)
        contact = people.find_contact(s, "a@example.org")
        of_contact = audit.history(s, contact_id=contact.id)
        assert contact.organisation_id is not None
        of_org = audit.history(s, organisation_id=contact.organisation_id)
    # The log has one entry for the batch, not one per row it created.
    assert [(e.action, e.entity) for e in everything] == [
        ("create", "contact"),
        ("create", "import_batch"),
    ]
    assert everything[1].entity_id == batch.id and everything[1].coordinator == "tester"
    # Each row's own history says which batch and file it came from.
    assert [(e.action, e.entity, e.entity_id, e.label) for e in of_contact] == [
        ("create", "contact", contact.id, "A One")
    ]
    assert of_contact[0].after == {"import_batch": batch.id, "file": "members.csv"}
    assert of_contact[0].coordinator == "tester"
    # The organisation's shows its creation, both people, and the later addition first.
    assert [(e.entity, e.label) for e in of_org] == [
        ("contact", "Later"),
        ("organisation", "Alpha"),
        ("contact", "A One"),
        ("contact", "B Two"),
    ]


def test_a_known_persons_answer_still_counts_for_their_organisation(unit: Any, db: Any) -> None:
    with unit() as w:
        campaigns.add_campaign(w, "csam-2022")
        people.add_contact(w, given_name="Anna", emails=["anna@example.org"], organisation="Alpha")
    records = [
        rec(
            "row 2",
            "Alpha",
            full_name="Anna",
            emails=[("anna@example.org", None)],
            signon_status="yes",
        ),
        rec(
            "row 3",
            "Gamma",
            full_name="Anna",
            emails=[("ANNA@example.org", None)],
            signon_status="x",
        ),
    ]
    plan = plan_of(db, records, campaign="csam-2022")
    assert [r.action for r in plan.rows] == ["duplicate", "in-file duplicate"]
    run_import(unit, db, records, campaign="csam-2022")
    with db.read_session() as s:
        (signon,) = pipeline.list_signons(s, "csam-2022")
    assert (signon.organisation, signon.status, signon.signed_by) == ("Alpha", "signed", "Anna")


def test_an_import_indexes_its_rows_as_a_rebuild_would(unit: Any, db: Any) -> None:
    with unit() as w:
        people.add_organisation(
            w, name="Fundacja Dzieci", acronym="FD", city="Kraków", country="PL"
        )
    ligue = rec("row 3", full_name="Émilie Bonneau")
    ligue.organisation = OrganisationRecord(name="Ligue des Droits", acronym="LDD")
    run_import(
        unit,
        db,
        [
            rec(
                "row 2",
                "Fundacja Dzieci",
                given_name="Ελένη",
                family_name="Παπαδοπούλου",
                role="Coordinatrice",
                city="Łódź",
                country="PL",
                emails=[("eleni@example.org", None), ("e.p@example.net", "home")],
                tags=["Child rights", "Balkans"],
            ),
            ligue,
        ],
        tags=("2026 list",),
    )

    def entries() -> dict[str, list[tuple[Any, ...]]]:
        with db.read_session() as s:
            return {
                table: sorted(tuple(r) for r in s.execute(text(f"SELECT rowid, * FROM {table}")))
                for table in (search.CONTACT_TABLE, search.ORGANISATION_TABLE)
            }

    imported = entries()
    with unit() as w:
        search.rebuild(w.session)
    assert entries() == imported
    with db.read_session() as s:
        (eleni,) = people.search_all(s, "ελενη παπα")
        assert eleni.title == "Ελένη Παπαδοπούλου"
        assert [h.title for h in people.search_all(s, "balkans")] == ["Ελένη Παπαδοπούλου"]
        assert [h.title for h in people.search_all(s, "FD coordinatrice")] == ["Ελένη Παπαδοπούλου"]
        assert [h.title for h in people.search_all(s, "2026 list")] == [
            "Ligue des Droits", "Ελένη Παπαδοπούλου", "Émilie Bonneau"
        ]  # fmt: skip


def test_a_stale_index_entry_where_imported_records_land_is_not_found(unit: Any, db: Any) -> None:
    # An entry left in the index past the last record (say, by a tool that deleted rows
    # behind the app's back) must not attach itself to the new record that takes its id.
    with unit() as w:
        kept = people.add_contact(w, given_name="Anna", family_name="Berg").contact.id
        # the ids the next contact and the first organisation will take
        for table, rowid in ((search.CONTACT_TABLE, kept + 1), (search.ORGANISATION_TABLE, 1)):
            w.session.execute(
                text(f"INSERT INTO {table} (rowid, name) VALUES (:id, 'ghostword')"),
                {"id": rowid},
            )
    run_import(
        unit, db, [rec("row 2", "Ligue des Droits", given_name="Marc", family_name="Aubert")]
    )
    with db.read_session() as s:
        assert people.search_all(s, "ghostword") == []
        assert [h.title for h in people.search_all(s, "marc")] == ["Marc Aubert"]
        assert [h.title for h in people.search_all(s, "anna")] == ["Anna Berg"]


@pytest.mark.parametrize(
    ("typed", "country", "shown", "e164"),
    [
        ("46315550123", "SE", "+46 31 555 01 23", "+46315550123"),  # a number cell's "+" lost
        ("4512345678", "DK", "+45 12345678", "+4512345678"),
        ("12345678", "DK", "12345678", "+4512345678"),  # a Danish number written nationally
        ("3471234567", "IT", "3471234567", "+393471234567"),  # an Italian mobile, national
        ("025550101", "BE", "025550101", "+3225550101"),
        ("3225550101", None, "3225550101", None),  # no country: no guess
    ],
)
def test_phone_digits_that_lost_their_plus_are_written_as_international(
    db: Any, typed: str, country: str | None, shown: str, e164: str | None
) -> None:
    (row,) = plan_of(
        db, [rec("row 2", given_name="Ana", country=country, phones=[(typed, None)])]
    ).rows
    assert row.phones == [(shown, e164, None)]


def test_an_update_that_changes_nothing_is_planned_as_unchanged(unit: Any, db: Any) -> None:
    with unit() as w:
        people.add_contact(
            w, given_name="Anna", family_name="Berg", role="Chair", emails=["anna@example.org"]
        )

    def action(on_duplicate: str, **kw: Any) -> str:
        record = rec("row 2", given_name="Anna", emails=[("anna@example.org", None)], **kw)
        (row,) = plan_of(db, [record], on_duplicate=on_duplicate).rows
        return row.action

    assert action("update", role="Chair") == "unchanged"
    assert action("update", role="Director") == "update"
    assert action("merge", role="Director") == "unchanged"  # merge only fills what is empty
    assert action("merge", city="Gent") == "merge"
    assert action("update", phones=[("+32 2 555 01 01", None)]) == "update"
    assert action("update", tags=["press"]) == "update"
    assert action("update", role="Chair", tags=[]) == "unchanged"


def _contact_indexes(db: Any) -> list[tuple[str, str]]:
    with db.read_session() as s:
        rows = s.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN "
                "('contacts', 'contact_emails', 'contact_phones', 'contact_tags') ORDER BY name"
            )
        )
        return [(name, sql) for name, sql in rows]


def test_a_large_import_into_a_small_table_rebuilds_its_indexes(
    unit: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Large imports drop the contact tables' indexes and build them again at the end;
    # made "large" here from two rows, so the path runs on a small file.
    monkeypatch.setattr(imports_bulk, "DEFER_INDEXES_FROM", 2)
    before = _contact_indexes(db)
    records = [
        rec(f"row {i}", "Réseau Exemple", full_name=f"Zoé Martin{i}",
            emails=[(f"zoe{i}@example.org", None)], phones=[(f"+32 2 555 01 0{i}", None)])
        for i in range(1, 6)
    ]  # fmt: skip
    run_import(unit, db, records)
    assert _contact_indexes(db) == before
    with db.read_session() as s:
        plan = " ".join(
            str(r[3])
            for r in s.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT contact_id FROM contact_emails "
                    "WHERE address_key = 'zoe3@example.org'"
                )
            )
        )
        assert "ix_contact_emails_address_key" in plan
        assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    with db.read_session() as s:
        assert people.find_contact(s, "zoe3@example.org").display_name == "Zoé Martin3"


def test_a_failed_large_import_leaves_the_indexes_and_no_rows(
    unit: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports_bulk, "DEFER_INDEXES_FROM", 2)
    before = _contact_indexes(db)
    records = [rec(f"row {i}", full_name=f"Ana Silva{i}") for i in range(1, 4)]
    with db.read_session() as s:
        plan = imports.plan_import(s, records, options())

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(search, "add_contacts", broken)
    with pytest.raises(RuntimeError), unit() as w:
        imports.apply_plan(w, plan)
    assert _contact_indexes(db) == before
    assert count(db, Contact) == 0


def test_counts_read_as_words_one_or_many() -> None:
    from coalition.domain.imports import count_summary, records_phrase

    assert count_summary({"create": 1, "duplicate": 2, "warnings": 1}) == (
        "1 new contact, 2 duplicates skipped, 1 warning"
    )
    assert count_summary({"create": 12000}, grouped=True) == "12,000 new contacts"
    assert (records_phrase(1), records_phrase(12000)) == ("1 record", "12,000 records")
