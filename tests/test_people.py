"""Organisations and contacts through the domain layer, with their audit trail."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from coalition.domain import audit, browse, people
from coalition.domain.people import EmailInput, PhoneInput
from coalition.errors import Ambiguous, InvalidValue, NotFound
from coalition.store.models import AuditEntry, Contact, Interaction, Organisation


def add_org(unit: Any, name: str = "Minors Care Example", **fields: Any) -> people.OrganisationView:
    with unit() as w:
        return people.add_organisation(w, name=name, **fields)


def add_contact(unit: Any, **fields: Any) -> people.ContactResult:
    with unit() as w:
        return people.add_contact(w, **fields)


def test_organisation_fields_are_validated_and_normalised(unit: Any, session: Any) -> None:
    view = add_org(
        unit,
        acronym="MCE",
        kind="NGO",
        country="Belgium",
        website="example.org",
        email="Info@Example.org",
        membership="member",
        member_since="2024-03-01",
        tags=["eu", "EU", "children"],
    )
    assert view.country == "BE"
    assert view.kind == "ngo"
    assert view.website == "https://example.org"
    assert view.email == "info@example.org"
    assert sorted(view.tags) == ["children", "eu"]
    assert view.member_since.isoformat() == "2024-03-01"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("country", "Atlantis", "not a country"),
        ("kind", "club", "not a kind of organisation"),
        ("membership", "gold", "not a membership"),
        ("email", "info@@example.org", "not a valid email"),
        ("member_since", "next spring", "not a date"),
    ],
)
def test_bad_organisation_values_are_refused_and_nothing_is_written(
    unit: Any, db: Any, field: str, value: str, message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        add_org(unit, **{field: value})
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Organisation)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_same_name_in_same_country_is_refused_unless_allowed(unit: Any) -> None:
    first = add_org(unit, "Save the Children", country="BE")
    with pytest.raises(people.Duplicate, match="already exists") as refused:
        add_org(unit, "save  the children", country="BE")
    # The refusal names the organisation it repeats, for a form to offer "add anyway".
    assert refused.value.existing_id == first.id
    assert refused.value.existing == f"#{first.id} Save the Children, BE"
    assert refused.value.same == "name"
    other = add_org(unit, "Save the Children", country="IT")
    assert other.country == "IT"
    forced = add_org(unit, "Save the Children", country="BE", allow_duplicate=True)
    assert forced.id != other.id


def test_contact_display_name_is_derived_unless_set(unit: Any) -> None:
    derived = add_contact(unit, given_name="Émilie", family_name="Müller").contact
    assert derived.display_name == "Émilie Müller"
    custom = add_contact(
        unit, given_name="Jan", family_name="Nowak", display_name="Dr Jan Nowak"
    ).contact
    assert custom.display_name == "Dr Jan Nowak"
    email_only = add_contact(unit, emails=["press@example.org"]).contact
    assert email_only.display_name == "press@example.org"
    with unit() as w:
        edited = people.edit_contact(w, derived.id, {"family_name": "Bonneau"}).contact
        assert edited.display_name == "Émilie Bonneau"
        people.edit_contact(w, custom.id, {"family_name": "Kowalski"})
        assert people.get_contact(w.session, custom.id).display_name == "Dr Jan Nowak"
        reset = people.edit_contact(w, custom.id, {"display_name": ""}).contact
        assert reset.display_name == "Jan Kowalski"


def test_contact_needs_a_name_or_an_email(unit: Any) -> None:
    with pytest.raises(InvalidValue, match="name or an email"):
        add_contact(unit, role="Director")
    with pytest.raises(InvalidValue, match="name or an email"):
        add_contact(unit, emails=[" "])


def test_invalid_email_is_refused_unless_allowed_then_kept_and_flagged(unit: Any) -> None:
    with pytest.raises(InvalidValue, match="allow-invalid"):
        add_contact(unit, given_name="Jan", emails=["jan@@example.org"])
    result = add_contact(
        unit, given_name="Jan", emails=["jan@@example.org", "jan@example.org"], allow_invalid=True
    )
    first, second = result.contact.emails
    assert first.address == "jan@example.org" and first.valid and first.primary
    assert second.address == "jan@@example.org"
    assert not second.valid and second.invalid_reason
    assert result.warnings and "mail merge" in result.warnings[0]


def test_emails_and_phones_keep_labels_and_primary(unit: Any) -> None:
    result = add_contact(
        unit,
        given_name="Anna",
        emails=[
            EmailInput("anna@example.org", "work"),
            EmailInput("anna@example.net", "home", primary=True),
        ],
        phones=[PhoneInput("02 555 01 01", "office"), PhoneInput("+32 470 55 01 02", "mobile")],
        country="BE",
    )
    contact = result.contact
    assert [(e.address, e.label, e.primary) for e in contact.emails] == [
        ("anna@example.net", "home", True),
        ("anna@example.org", "work", False),
    ]
    assert [(p.number, p.e164, p.label) for p in contact.phones] == [
        ("02 555 01 01", "+3225550101", "office"),
        ("+32 470 55 01 02", "+32470550102", "mobile"),
    ]


def test_phone_region_comes_from_the_organisation(unit: Any) -> None:
    add_org(unit, "Kinderschutz Beispiel e.V.", country="DE")
    result = add_contact(
        unit, given_name="Lena", organisation="Kinderschutz Beispiel e.V.", phones=["030 5550 1234"]
    )
    assert result.contact.phones[0].e164 == "+493055501234"


def test_duplicate_email_is_refused_unless_allowed(unit: Any) -> None:
    anna = add_contact(unit, given_name="Anna", emails=["anna@example.org"]).contact
    with pytest.raises(people.Duplicate, match="already belongs to") as refused:
        add_contact(unit, given_name="Anna B", emails=["ANNA@example.org"])
    assert refused.value.existing_id == anna.id
    assert refused.value.existing == f"#{anna.id} Anna <anna@example.org>"
    assert refused.value.same == "email"
    assert add_contact(unit, given_name="Anna B", emails=["anna@example.org"], allow_duplicate=True)


def test_an_edit_that_would_share_an_address_is_refused_unless_allowed(unit: Any) -> None:
    anna = add_contact(unit, given_name="Anna", emails=["info@example.org"]).contact
    ben = add_contact(unit, given_name="Ben").contact
    with unit() as w, pytest.raises(people.Duplicate) as refused:
        people.edit_contact(w, ben.id, {}, add_emails=["info@example.org"])
    assert refused.value.existing_id == anna.id
    with unit() as w:
        shared = people.edit_contact(
            w, ben.id, {}, add_emails=["info@example.org"], allow_duplicate=True
        )
    assert [e.address for e in shared.contact.emails] == ["info@example.org"]


def test_contact_with_unknown_organisation_creates_it(unit: Any) -> None:
    result = add_contact(unit, given_name="Zofia", organisation="Fundacja Przykład")
    assert result.created_organisation is not None
    assert result.contact.organisation == "Fundacja Przykład"
    again = add_contact(unit, given_name="Piotr", organisation="fundacja przykład")
    assert again.created_organisation is None
    assert again.contact.organisation_id == result.contact.organisation_id


def test_organisations_are_found_by_id_name_acronym_or_email(unit: Any, db: Any) -> None:
    org = add_org(unit, acronym="MCE", email="info@example.org")
    with db.read_session() as s:
        for ref in (
            str(org.id),
            f"#{org.id}",
            "minors care example",
            "mce",
            "INFO@example.org",
        ):
            assert people.find_organisation(s, ref).id == org.id
        with pytest.raises(NotFound, match="Did you mean: #1 Minors Care Example"):
            people.find_organisation(s, "Minors Care")
        with pytest.raises(NotFound, match="no organisation #99"):
            people.find_organisation(s, "99")


def test_ambiguous_name_lists_the_candidates(unit: Any, db: Any) -> None:
    add_contact(unit, given_name="Anna", family_name="Nowak", emails=["anna@example.org"])
    add_contact(unit, given_name="Anna", family_name="Nowak", emails=["anna.n@example.net"])
    with db.read_session() as s, pytest.raises(Ambiguous) as caught:
        people.find_contact(s, "Anna Nowak")
    assert len(caught.value.candidates) == 2
    assert "anna@example.org" in str(caught.value) and "anna.n@example.net" in str(caught.value)
    with db.read_session() as s:
        assert (
            people.find_contact(s, "anna.n@example.net").emails[0].address == "anna.n@example.net"
        )


def test_edit_adds_and_removes_emails_phones_tags(unit: Any) -> None:
    c = add_contact(unit, given_name="Anna", emails=["anna@example.org"], tags=["eu"]).contact
    with unit() as w:
        edited = people.edit_contact(
            w,
            c.id,
            {"city": "Gent"},
            add_emails=["anna@example.net"],
            remove_emails=["ANNA@example.org"],
            add_phones=["+32 9 555 01 01"],
            add_tags=["press"],
            remove_tags=["EU"],
        ).contact
    assert [e.address for e in edited.emails] == ["anna@example.net"]
    assert edited.emails[0].primary
    assert edited.phones[0].e164 == "+3295550101"
    assert edited.tags == ["press"]
    assert edited.city == "Gent"
    with unit() as w, pytest.raises(NotFound, match="has no address"):
        people.edit_contact(w, c.id, {}, remove_emails=["nobody@example.org"])


def test_create_edit_delete_are_audited_with_before_and_after(unit: Any, db: Any) -> None:
    org = add_org(unit, country="BE")
    with unit("alice") as w:
        people.edit_organisation(w, org.id, {"city": "Brussels", "country": "FR"})
    with unit("bob") as w:
        people.delete_organisation(w, org.id)
    with db.read_session() as s:
        entries = audit.history(s, organisation_id=org.id)
    delete, update, create = entries
    assert (create.action, create.coordinator, create.before) == ("create", "tester", None)
    assert create.after["name"] == "Minors Care Example"
    assert update.action == "update" and update.coordinator == "alice"
    assert update.before == {"city": None, "country": "BE"}
    assert update.after == {"city": "Brussels", "country": "FR"}
    assert delete.action == "delete" and delete.coordinator == "bob"
    assert delete.before["name"] == "Minors Care Example" and delete.after is None


def test_contact_audit_entries(unit: Any, db: Any) -> None:
    c = add_contact(unit, given_name="Anna", emails=["anna@example.org"]).contact
    with unit() as w:
        people.edit_contact(w, c.id, {"role": "Director"}, add_emails=["anna@example.net"])
        people.edit_contact(w, c.id, {"role": "Director"})  # no change: no entry
    with db.read_session() as s:
        entries = audit.history(s, contact_id=c.id)
    assert [e.action for e in entries] == ["update", "create"]
    assert entries[0].after == {
        "emails": ["anna@example.org", "anna@example.net"],
        "role": "Director",
    }
    with unit() as w:
        people.delete_contact(w, c.id)
    with db.read_session() as s:
        entries = audit.history(s, contact_id=c.id)
    # Deleted, the contact's entries keep which fields there were, not the values.
    assert [e.action for e in entries] == ["delete", "update", "create"]
    assert entries[1].after == {"emails": "[deleted]", "role": "[deleted]"}
    assert entries[0].before["emails"] == "[deleted]"
    assert "anna" not in repr(entries).lower()


def test_deleting_an_organisation_keeps_its_people_and_their_outreach(unit: Any, db: Any) -> None:
    from coalition.domain import outreach

    add_org(unit)
    c = add_contact(unit, given_name="Anna", organisation="Minors Care Example").contact
    with unit() as w:
        outreach.log_interaction(w, organisation="Minors Care Example", subject="Org only")
        outreach.log_interaction(w, contact=str(c.id), subject="With Anna")
        people.delete_organisation(w, "Minors Care Example")
    with db.read_session() as s:
        anna = s.get(Contact, c.id)
        assert anna is not None and anna.organisation_id is None
        subjects = list(s.scalars(select(Interaction.subject)))
        assert subjects == ["With Anna"]


def test_listing_filters(unit: Any, db: Any) -> None:
    add_org(unit, "Alpha", country="BE", membership="member", tags=["eu"])
    add_org(unit, "Beta", country="DE", membership="prospect")
    add_contact(unit, given_name="Anna", organisation="Alpha", language="fr", tags=["press"])
    add_contact(unit, given_name="Bert", organisation="Beta", language="de")
    with db.read_session() as s:
        assert [o.name for o in browse.list_organisations(s)] == ["Alpha", "Beta"]
        assert [o.name for o in browse.list_organisations(s, country="Germany")] == ["Beta"]
        assert [o.name for o in browse.list_organisations(s, membership="member")] == ["Alpha"]
        assert [o.name for o in browse.list_organisations(s, tag="EU")] == ["Alpha"]
        assert browse.list_organisations(s)[0].contact_count == 1
        assert [c.display_name for c in browse.list_contacts(s, country="DE")] == ["Bert"]
        assert [c.display_name for c in browse.list_contacts(s, language="French")] == ["Anna"]
        assert [c.display_name for c in browse.list_contacts(s, tag="press")] == ["Anna"]
        assert [c.display_name for c in browse.list_contacts(s, organisation="Beta")] == ["Bert"]
        assert [c.display_name for c in browse.list_contacts(s, limit=1, offset=1)] == ["Bert"]


# --- phones a person types, and labels -----------------------------------------------------


@pytest.mark.parametrize(
    ("phones", "message"),
    [
        (["anna@example.org"], "looks like an email address"),
        (["+32 2 555 01 01", "n/a"], "has no digits"),
        (["ring the bell twice, then 12"], "is mostly words"),
    ],
)
def test_a_typed_phone_that_cannot_be_one_is_refused(
    unit: Any, db: Any, phones: list[str], message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        add_contact(unit, given_name="Anna", phones=phones)
    anna = add_contact(unit, given_name="Anna", phones=["02 555 01 01 ext. 12"], country="BE")
    with pytest.raises(InvalidValue, match=message), unit() as w:  # rolled back
        people.edit_contact(w, anna.contact.id, {"role": "Director"}, add_phones=phones)
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Contact)) == 1
        kept = people.get_contact(s, anna.contact.id)
        assert kept.role is None
        assert [(p.number, p.e164) for p in kept.phones] == [
            ("02 555 01 01 ext. 12", "+3225550101")
        ]


def test_an_organisation_phone_that_cannot_be_one_is_refused(unit: Any, db: Any) -> None:
    with pytest.raises(InvalidValue, match="looks like an email address"):
        add_org(unit, phone="info@example.org")
    org = add_org(unit, phone="+32 2 555 01 01 poste 12")
    with pytest.raises(InvalidValue, match="has no digits"), unit() as w:
        people.edit_organisation(w, org.id, {"city": "Gent", "phone": "see website"})
    with db.read_session() as s:
        kept = people.get_organisation(s, org.id)
        assert (kept.phone, kept.city) == ("+32 2 555 01 01 poste 12", None)


def test_the_importer_keeps_phones_a_person_could_not_type(unit: Any, db: Any) -> None:
    from coalition.domain import imports
    from coalition.domain.imports import ContactRecord, ImportOptions, OrganisationRecord

    record = ContactRecord(source="row 2", full_name="Piet Voorbeeld", phones=[("n/a", "work")])
    record.organisation = OrganisationRecord(name="Voorbeeld Stichting", phone="ask at reception")
    options = ImportOptions(file_name="people.csv", sha256="ef" * 32, file_format="csv")
    with db.read_session() as s:
        plan = imports.plan_import(s, [record], options)
    with unit() as w:
        imports.apply_plan(w, plan)
    with db.read_session() as s:
        piet = people.get_contact(s, "Piet Voorbeeld")
        assert [(p.number, p.e164, p.label) for p in piet.phones] == [("n/a", None, "work")]
        org = people.get_organisation(s, "Voorbeeld Stichting")
        assert org.phone == "ask at reception"
    # Stored, they are not judged again: an edit of other fields goes through.
    with unit() as w:
        people.edit_contact(w, piet.id, {"role": "Volunteer"})
        people.edit_organisation(w, org.id, {"phone": "ask at reception", "city": "Utrecht"})
    with db.read_session() as s:
        assert people.get_contact(s, piet.id).phones[0].number == "n/a"
        assert people.get_organisation(s, org.id).city == "Utrecht"


def test_edit_relabels_existing_addresses_and_numbers(unit: Any, db: Any) -> None:
    anna = add_contact(
        unit,
        given_name="Anna",
        emails=[EmailInput("anna@example.org", "work"), "anna@example.net"],
        phones=[PhoneInput("+32 470 55 01 01", "mobile")],
    ).contact
    with unit() as w:
        edited = people.edit_contact(
            w,
            anna.id,
            {},
            relabel_emails={"ANNA@example.org": None, "anna@example.net": "home"},
            relabel_phones={"+32470550101": "work"},  # by its E.164 form, or as stored
        ).contact
    assert [(e.address, e.label) for e in edited.emails] == [
        ("anna@example.org", None),
        ("anna@example.net", "home"),
    ]
    assert [(p.number, p.label) for p in edited.phones] == [("+32 470 55 01 01", "work")]
    assert edited.updated_at > anna.updated_at
    with db.read_session() as s:
        entry = audit.history(s, contact_id=anna.id)[0]
    assert (entry.action, entry.before, entry.after) == (
        "update",
        {"email_labels": ["work: anna@example.org"], "phone_labels": ["mobile: +32 470 55 01 01"]},
        {"email_labels": ["home: anna@example.net"], "phone_labels": ["work: +32 470 55 01 01"]},
    )
    with unit() as w, pytest.raises(NotFound, match="has no phone"):
        people.edit_contact(w, anna.id, {}, relabel_phones={"+32 2 555 01 01": "work"})


def test_the_command_line_refuses_a_phone_that_cannot_be_one(run: Any) -> None:
    from tests.conftest import ok

    refused = run("contact", "add", "--name", "Anna Beispiel", "--phone", "anna@example.org")
    assert refused.exit_code == 1
    assert "'anna@example.org' looks like an email address" in refused.output
    assert "Traceback" not in refused.output
    assert ok(run("contact", "list", "--format", "json")).stdout.strip() == "[]"

    ok(run("contact", "add", "--name", "Anna Beispiel", "--phone", "mobile:+32 470 55 01 01"))
    refused = run("contact", "edit", "Anna Beispiel", "--add-phone", "work:n/a")
    assert refused.exit_code == 1 and "'n/a' has no digits" in refused.output
    refused = run("org", "add", "Stichting Voorbeeld", "--phone", "see the website")
    assert refused.exit_code == 1 and "has no digits" in refused.output
    assert ok(run("org", "list", "--format", "json")).stdout.strip() == "[]"
    shown = ok(run("contact", "show", "Anna Beispiel")).stdout
    assert "mobile: +32 470 55 01 01" in shown and "n/a" not in shown
