"""Two coordinators editing one record: the second save is refused with who changed it and
when, never written over the first (issue 17, "no silent overwrite").

An editor keeps the version it opened a record at and passes it back as
``expected_version``; the domain compares it with the stored one inside the unit of work.
Runs on SQLite and PostgreSQL (the database fixtures).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
from sqlalchemy import select, text

from coalition.domain import campaigns, merge, people
from coalition.domain.imports import ContactRecord, ImportOptions, OrganisationRecord
from coalition.domain.values import local
from coalition.errors import Conflict
from coalition.store.models import AuditEntry
from tests.conftest import fails, ok


@pytest.fixture
def brussels(monkeypatch: pytest.MonkeyPatch) -> None:
    """The coordinators' clock, an hour or two off UTC, so a time shown in UTC is caught."""
    monkeypatch.setenv("TZ", "Europe/Brussels")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def latest_change(db: Any, entity: str, entity_id: int) -> AuditEntry:
    with db.read_session() as s:
        entry = s.scalar(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
        assert entry is not None
        return entry


def shown_time(moment: dt.datetime) -> str:
    return f"{local(moment):%H:%M}"


# --- organisations ---------------------------------------------------------------------------


def test_the_second_save_of_an_organisation_is_refused_with_who_and_when(
    unit: Any, db: Any, brussels: None
) -> None:
    with unit("alice") as w:
        added = people.add_organisation(w, name="Alpha Kids", city="Gent")
    assert added.version == 1
    opened_by_alice = opened_by_bob = added.version

    with unit("bob") as w:
        saved = people.edit_organisation(
            w, added.id, {"city": "Brugge"}, expected_version=opened_by_bob
        )
    assert saved.version == 2

    with unit("alice") as w, pytest.raises(Conflict) as refused:
        people.edit_organisation(
            w, added.id, {"city": "Antwerpen"}, expected_version=opened_by_alice
        )
    at = latest_change(db, "organisation", added.id).at
    assert str(refused.value) == (
        f"Changed by bob at {shown_time(at)} since you opened it: the organisation Alpha Kids "
        "— your changes were not saved; look at what it holds now and make them again."
    )
    assert refused.value.version == 2 and refused.value.coordinator == "bob"
    with db.read_session() as s:
        assert people.get_organisation(s, added.id).city == "Brugge", "Bob's save stands"

    # Alice, having seen Bob's values, saves on the version she was shown.
    with unit("alice") as w:
        again = people.edit_organisation(w, added.id, {"city": "Antwerpen"}, expected_version=2)
    assert (again.city, again.version) == ("Antwerpen", 3)


def test_a_tag_alone_moves_the_version_on(unit: Any) -> None:
    with unit() as w:
        added = people.add_organisation(w, name="Alpha Kids")
        tagged = people.edit_organisation(w, added.id, {}, add_tags=["members"])
    assert tagged.version == 2
    with unit() as w, pytest.raises(Conflict):
        people.edit_organisation(w, added.id, {"city": "Gent"}, expected_version=1)


def test_a_save_that_changes_nothing_leaves_the_version(unit: Any) -> None:
    with unit() as w:
        added = people.add_organisation(w, name="Alpha Kids", city="Gent")
        same = people.edit_organisation(w, added.id, {"city": "Gent"}, expected_version=1)
    assert same.version == 1


def test_a_write_that_did_not_wait_for_the_lock_is_refused_too(unit: Any, db: Any) -> None:
    """SQLAlchemy's own check (an UPDATE that finds the row at another version): a row
    changed under the unit of work after it was read, as by a program that writes
    without the write lock, is refused with the same sentence, not a traceback."""
    with unit("alice") as w:
        added = people.add_organisation(w, name="Alpha Kids")
    with unit("tester") as w:
        people.find_organisation(w.session, str(added.id))  # held by the session at version 1
        w.session.execute(
            text("UPDATE organisations SET version = 7 WHERE id = :i"), {"i": added.id}
        )
        with pytest.raises(Conflict, match=r"^Changed by alice .* since you opened it"):
            people.edit_organisation(w, added.id, {"city": "Gent"}, expected_version=1)


# --- contacts --------------------------------------------------------------------------------


def test_the_second_save_of_a_contact_is_refused(unit: Any, db: Any, brussels: None) -> None:
    with unit("alice") as w:
        jana = people.add_contact(w, given_name="Jana", family_name="Novak").contact
    with unit("bob") as w:
        people.edit_contact(w, jana.id, {"role": "Director"}, expected_version=jana.version)
    with unit("alice") as w, pytest.raises(Conflict) as refused:
        people.edit_contact(
            w, jana.id, {"role": "Policy officer"}, add_emails=["jana@example.org"],
            expected_version=jana.version,
        )  # fmt: skip
    at = latest_change(db, "contact", jana.id).at
    assert str(refused.value).startswith(
        f"Changed by bob at {shown_time(at)} since you opened it: the contact Jana Novak"
    )
    with db.read_session() as s:
        stored = people.get_contact(s, jana.id)
    assert (stored.role, stored.emails) == ("Director", []), "nothing of Alice's save"


def test_an_address_added_moves_the_contact_on(unit: Any) -> None:
    with unit() as w:
        jana = people.add_contact(w, given_name="Jana").contact
        people.edit_contact(w, jana.id, {}, add_emails=["jana@example.org"])
    with unit() as w, pytest.raises(Conflict):
        people.edit_contact(w, jana.id, {"role": "Director"}, expected_version=jana.version)


# --- campaigns -------------------------------------------------------------------------------


def test_the_second_save_of_a_campaign_is_refused(unit: Any, db: Any) -> None:
    with unit("alice") as w:
        kids = campaigns.add_campaign(w, "kids-2027", name="Kids 2027")
    with unit("bob") as w:
        campaigns.edit_campaign(w, "kids-2027", {"state": "open"}, expected_version=kids.version)
    with unit("alice") as w, pytest.raises(Conflict, match=r"^Changed by bob at .* kids-2027"):
        campaigns.edit_campaign(w, "kids-2027", {"target": 200}, expected_version=kids.version)
    with db.read_session() as s:
        stored = campaigns.get_campaign(s, "kids-2027")
    assert (stored.state, stored.target, stored.version) == ("open", None, 2)


# --- sign-ons --------------------------------------------------------------------------------


@pytest.fixture
def kids(unit: Any) -> None:
    with unit("alice") as w:
        campaigns.add_campaign(w, "kids-2027", name="Kids 2027")
        people.add_organisation(w, name="Alpha Kids")
        people.add_organisation(w, name="Beta Jeunesse")


def test_the_second_change_of_a_sign_on_is_refused(kids: None, unit: Any, db: Any) -> None:
    with unit("alice") as w:
        opened = campaigns.set_signon(w, "Alpha Kids", "kids-2027", "invited")
    with unit("bob") as w:
        campaigns.change_signon(
            w, "Alpha Kids", "kids-2027", "signed", expected_version=opened.version
        )
    with unit("alice") as w, pytest.raises(Conflict, match=r"^Changed by bob .* Alpha Kids / kids"):
        campaigns.change_signon(
            w, "Alpha Kids", "kids-2027", "declined", notes="no", expected_version=opened.version
        )
    with db.read_session() as s:
        stored = campaigns.get_signon(s, "Alpha Kids", "kids-2027")
    assert (stored.status, stored.notes) == ("signed", None)


def test_a_sign_on_recorded_meanwhile_is_not_recorded_over(kids: None, unit: Any) -> None:
    """Opened when the organisation had none (version 0), recorded by Bob since."""
    with unit("bob") as w:
        campaigns.set_signon(w, "Alpha Kids", "kids-2027", "signed")
    with unit("alice") as w, pytest.raises(Conflict, match=r"^Changed by bob"):
        campaigns.change_signon(w, "Alpha Kids", "kids-2027", "prospect", expected_version=0)
    with unit("alice") as w:  # none there: 0 is what it was
        done = campaigns.change_signon(
            w, "Beta Jeunesse", "kids-2027", "prospect", expected_version=0
        )
    assert done.signon.version == 1


def test_a_sign_on_deleted_meanwhile_is_not_recorded_again(kids: None, unit: Any) -> None:
    with unit("alice") as w:
        opened = campaigns.set_signon(w, "Alpha Kids", "kids-2027", "invited")
    with unit("bob") as w:
        campaigns.delete_signon(w, "Alpha Kids", "kids-2027")
    with unit("alice") as w, pytest.raises(Conflict, match=r"^Deleted by bob .* nothing was saved"):
        campaigns.change_signon(
            w, "Alpha Kids", "kids-2027", "signed", expected_version=opened.version
        )


def test_many_at_once_moves_each_sign_on_on(kids: None, unit: Any) -> None:
    """``set_signons`` writes in bulk (Core UPDATE): each sign-on it moves counts as
    changed for an editor who opened it before."""
    with unit("alice") as w:
        opened = campaigns.set_signon(w, "Alpha Kids", "kids-2027", "prospect")
        campaigns.set_signons(
            w, [opened.organisation_id], "kids-2027", "invited", move_existing=True
        )
    with unit("bob") as w, pytest.raises(Conflict, match=r"^Changed by alice"):
        campaigns.change_signon(
            w, "Alpha Kids", "kids-2027", "signed", expected_version=opened.version
        )


def test_deleting_the_signatory_changes_the_sign_on(kids: None, unit: Any) -> None:
    with unit("alice") as w:
        jana = people.add_contact(w, given_name="Jana", organisation="Alpha Kids").contact
        opened = campaigns.set_signon(w, "Alpha Kids", "kids-2027", "signed", signed_by="Jana")
        people.delete_contact(w, jana.id)
    with unit("bob") as w, pytest.raises(Conflict):
        campaigns.change_signon(
            w, "Alpha Kids", "kids-2027", notes="late reply", expected_version=opened.version
        )


# --- rows written in bulk and by merges ------------------------------------------------------


def test_imported_rows_start_at_version_one_and_an_import_update_moves_them_on(
    unit: Any, db: Any
) -> None:
    from coalition.domain import imports

    def imported(role: str, sha: str, on_duplicate: str = "skip") -> None:
        record = ContactRecord(
            source="row 2", full_name="Anna Nowak", emails=[("anna@example.org", None)], role=role
        )
        record.organisation = OrganisationRecord(name="Kinderschutz Beispiel")
        options = ImportOptions(
            file_name="members.csv", sha256=sha, file_format="csv", on_duplicate=on_duplicate
        )
        with db.read_session() as s:
            plan = imports.plan_import(s, [record], options)
        with unit() as w:
            imports.apply_plan(w, plan)

    imported("CEO", "ab" * 32)
    with db.read_session() as s:
        anna = people.get_contact(s, "anna@example.org")
        org = people.get_organisation(s, "Kinderschutz Beispiel")
    assert (anna.version, org.version) == (1, 1)
    imported("Director", "cd" * 32, on_duplicate="update")
    with unit() as w, pytest.raises(Conflict):
        people.edit_contact(w, anna.id, {"notes": "met"}, expected_version=anna.version)


def test_a_merge_changes_the_kept_record(unit: Any) -> None:
    with unit("alice") as w:
        kept = people.add_organisation(w, name="Alpha Kids")
        other = people.add_organisation(
            w, name="Alpha Kids Gent", city="Gent", allow_duplicate=True
        )
        merge.merge_organisations(w, kept.id, other.id)
    with unit("bob") as w, pytest.raises(Conflict, match=r"^Changed by alice"):
        people.edit_organisation(w, kept.id, {"city": "Brugge"}, expected_version=kept.version)


# --- the command line ------------------------------------------------------------------------


def test_the_command_line_refuses_a_stale_edit_and_exits_1(run: Any) -> None:
    ok(run("org", "add", "Alpha Kids", as_="alice"))
    shown = json.loads(ok(run("org", "show", "Alpha Kids", "--format", "json")).stdout)
    assert shown["version"] == 1
    ok(run("org", "edit", "Alpha Kids", "--city", "Brugge", "--expected-version", "1", as_="bob"))
    sentence = fails(
        run("org", "edit", "Alpha Kids", "--city", "Gent", "--expected-version", "1", as_="alice")
    )
    assert sentence.startswith("Error: Changed by bob at ")
    assert "since you opened it: the organisation Alpha Kids" in sentence
    shown = json.loads(ok(run("org", "show", "Alpha Kids", "--format", "json")).stdout)
    assert (shown["city"], shown["version"]) == ("Brugge", 2)


def test_the_version_is_checked_for_contacts_campaigns_and_sign_ons_on_the_command_line(
    run: Any,
) -> None:
    ok(run("contact", "add", "--name", "Jana Novak", as_="bob"))
    ok(run("contact", "edit", "Jana Novak", "--role", "Director", as_="bob"))
    assert "Changed by bob" in fails(
        run("contact", "edit", "Jana Novak", "--role", "CEO", "--expected-version", "1")
    )
    ok(run("campaign", "add", "kids-2027", as_="bob"))
    ok(run("campaign", "edit", "kids-2027", "--target", "10", as_="bob"))
    assert "Changed by bob" in fails(
        run("campaign", "edit", "kids-2027", "--target", "20", "--expected-version", "1")
    )
    ok(run("org", "add", "Alpha Kids", as_="bob"))
    ok(run("signon", "set", "Alpha Kids", "kids-2027", "invited", as_="bob"))
    assert "Changed by bob" in fails(
        run("signon", "set", "Alpha Kids", "kids-2027", "signed", "--expected-version", "0")
    )
