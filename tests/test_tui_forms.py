"""Adding, editing and deleting organisations and contacts in the terminal app's forms."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

import pytest
from textual.widgets import Button, Checkbox, Input, Select, Static

from coalition.domain import people
from coalition.domain.audit import history, work
from coalition.domain.browse import list_contacts, list_organisations
from coalition.errors import NotFound
from coalition.store.database import open_database
from coalition.tui.app import CoalitionApp, make_app
from coalition.tui.screens.browse import BrowseScreen
from coalition.tui.screens.confirm import ConfirmDialog
from coalition.tui.screens.record_forms import ConfirmDelete, ContactForm, OrganisationForm
from tests.tui_helpers import LARGE, SMALL, notes, screen_text, settle, toasts, until

Opened = TypeVar("Opened")


def fill(app: CoalitionApp, **typed: str) -> None:
    """Put text in the form's fields as if typed (each change is checked as typing is)."""
    for name, text in typed.items():
        app.screen.query_one(f"#field-{name}", Input).value = text


def message(app: CoalitionApp, name: str) -> str:
    shown = app.screen.query_one(f"#msg-{name}", Static)
    return str(shown.render()) if shown.display else ""


async def opened_by(pilot: Any, app: CoalitionApp, key: str, kind: type[Opened]) -> Opened:
    """Press ``key`` and return the screen it opens, a ``kind``."""
    await pilot.press(key)
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, kind)
    return screen


async def browse(pilot: Any, app: CoalitionApp, key: str) -> BrowseScreen:
    return await opened_by(pilot, app, key, BrowseScreen)


async def organisation_form(pilot: Any, app: CoalitionApp, key: str) -> OrganisationForm:
    """Press ``key`` (n or e) and return the organisation form it opens."""
    return await opened_by(pilot, app, key, OrganisationForm)


async def contact_form(pilot: Any, app: CoalitionApp, key: str) -> ContactForm:
    """Press ``key`` (n, e or a) and return the contact form it opens."""
    return await opened_by(pilot, app, key, ContactForm)


def import_contact(path: Path, record: Any, sha256: str) -> None:
    """Bring ``record`` in as an import does (plan, then apply), values kept as they are."""
    from coalition.domain import imports
    from coalition.domain.imports import ImportOptions

    with open_database(path) as db:
        with db.read_session() as session:
            plan = imports.plan_import(
                session,
                [record],
                ImportOptions(file_name="people.csv", sha256=sha256, file_format="csv"),
            )
        with work(db, "tester") as w:
            imports.apply_plan(w, plan)


def seed(path: Path) -> None:
    with open_database(path) as db, work(db, "tester") as w:
        people.add_organisation(w, name="Fondation Exemple", country="FR")
        people.add_contact(
            w,
            given_name="Jan",
            family_name="Nowak",
            emails=["jan@example.net"],
            organisation="Fondation Exemple",
        )


@pytest.mark.asyncio
async def test_add_an_organisation_then_a_contact_in_it(db_path: Path) -> None:
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await browse(pilot, app, "f4")
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, OrganisationForm)
        assert app.screen.focused is app.screen.query_one("#field-name", Input)
        await pilot.press(*"[bold]Réseau")  # typed into the name, focused first
        fill(app, acronym="RX", country="belgium", website="example.org", tags="eu, children")
        await settle(pilot)
        assert message(app, "country") == "Belgium (BE)"
        assert message(app, "website") == "Kept as https://example.org"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.table.total == 1
        assert screen.table.current_row.name == "[bold]Réseau"
        assert "[bold]Réseau" in screen_text(app)  # literally, in the table and the detail

        screen = await browse(pilot, app, "f3")
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ContactForm)
        fill(
            app,
            given_name="Émilie",
            family_name="Exemple",
            organisation="RX",
            emails="emilie@example.org, Emilie.Exemple@EXAMPLE.ORG",
            phones="02 555 01 01",
            country="BE",
            language="French",
        )
        await settle(pilot)
        assert message(app, "organisation") == "#1 [bold]Réseau, BE"
        assert message(app, "phones") == "02 555 01 01 → +3225550101"
        assert message(app, "language") == "ISO 639-1 fr"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.table.current_row.name == "Émilie Exemple"
        assert screen.table.current_row.organisation == "[bold]Réseau"

    with open_database(db_path) as db, db.read_session() as session:
        org = people.get_organisation(session, "RX")
        assert (org.name, org.country, org.website) == ("[bold]Réseau", "BE", "https://example.org")
        assert sorted(org.tags) == ["children", "eu"]
        person = people.get_contact(session, "emilie@example.org")
        assert person.organisation_id == org.id and person.language == "fr"
        assert [e.address for e in person.emails] == [
            "emilie@example.org",
            "Emilie.Exemple@example.org",
        ]
        assert [p.e164 for p in person.phones] == ["+3225550101"]
        logged = history(session, limit=10)
        assert {(e.action, e.entity) for e in logged} == {
            ("create", "organisation"),
            ("create", "contact"),
        }
        assert all(e.coordinator == "tester" for e in logged)


@pytest.mark.asyncio
async def test_a_person_is_added_to_the_highlighted_organisation(db_path: Path) -> None:
    seed(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=LARGE) as pilot:  # room for the detail pane's people
        screen = await browse(pilot, app, "f4")
        assert screen.table.current_row.name == "Fondation Exemple"
        assert screen.table.current_row.contacts == 1
        form = await contact_form(pilot, app, "a")
        assert form.query_one("#field-organisation", Input).value == "Fondation Exemple"
        fill(app, given_name="Inès", family_name="Dubois", emails="ines.dubois@example.org")
        await settle(pilot)
        assert message(app, "organisation") == "#1 Fondation Exemple, FR"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        # Still on the organisation, with its new person counted and listed.
        assert screen.table.current_row.name == "Fondation Exemple"
        assert screen.table.current_row.contacts == 2
        assert "Inès Dubois" in screen_text(app)
    with open_database(db_path) as db, db.read_session() as session:
        person = people.get_contact(session, "ines.dubois@example.org")
        assert person.organisation == "Fondation Exemple"


def said(app: CoalitionApp) -> str:
    """The screen's text with the frame's borders gone and lines run together."""
    return " ".join(screen_text(app).replace("│", " ").split())


@pytest.mark.asyncio
async def test_a_duplicate_name_is_named_and_can_be_added_anyway(db_path: Path) -> None:
    seed(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await browse(pilot, app, "f4")
        await pilot.press("n")
        await settle(pilot)
        fill(app, name="fondation exemple", city="Lyon")
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, OrganisationForm)  # refused: still open, with what was typed
        assert form.value("city") == "Lyon"
        assert "Same name as #1 Fondation Exemple, FR." in said(app)
        box = form.query_one("#form-duplicate", Checkbox)
        assert box.display and not box.value
        assert "Add anyway: it is another organisation" in said(app)
        assert form.focused is box
        assert not form.query_one("#form-save", Button).disabled

        # Changing the name withdraws the question; the same name asks it again.
        fill(app, name="Fondation Exemple Lyon")
        await settle(pilot)
        assert not box.display and "Same name as" not in said(app)
        fill(app, name="fondation exemple")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert box.display and form.focused is box

        await pilot.press("space", "ctrl+s")  # tick "Add anyway", save
        await settle(pilot)
        assert app.screen is screen
        assert screen.table.total == 2

    with open_database(db_path) as db, db.read_session() as session:
        found = list_organisations(session, search_text="fondation")
        assert sorted((o.name, o.city) for o in found) == [
            ("Fondation Exemple", None),
            ("fondation exemple", "Lyon"),
        ]


@pytest.mark.asyncio
async def test_a_contact_sharing_an_address_is_named_and_can_be_added_anyway(
    db_path: Path,
) -> None:
    seed(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await browse(pilot, app, "f3")
        await pilot.press("n")
        await settle(pilot)
        fill(app, given_name="Ewa", family_name="Nowak", emails="JAN@example.net")
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ContactForm)
        assert "Same email as #1 Jan Nowak <jan@example.net>, Fondation Exemple." in said(app)
        assert "Add anyway: it is another person sharing the address" in said(app)
        with open_database(db_path) as db, db.read_session() as session:
            assert list_contacts(session, search_text="Ewa") == []

        await pilot.click("#form-duplicate")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.table.total == 2

    with open_database(db_path) as db, db.read_session() as session:
        ewa = people.get_contact(session, "Ewa Nowak")
        assert [e.address for e in ewa.emails] == ["JAN@example.net"]
        jan = people.get_contact(session, "Jan Nowak")
        assert [e.address for e in jan.emails] == ["jan@example.net"]


@pytest.mark.asyncio
async def test_edit_a_contact_refused_while_an_email_is_wrong_then_saved(db_path: Path) -> None:
    seed(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await browse(pilot, app, "f3")
        assert screen.table.current_row.name == "Jan Nowak"
        form = await contact_form(pilot, app, "e")
        assert form.value("emails") == "jan@example.net"
        assert form.value("organisation") == "Fondation Exemple"
        fill(app, emails="jan@@example.net", role="Director")
        await settle(pilot)
        assert "not a valid email address" in message(app, "emails")
        assert form.query_one("#form-save", Button).disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # refused: still open, nothing written
        assert "Correct the marked fields first." in screen_text(app)
        with open_database(db_path) as db, db.read_session() as session:
            assert people.get_contact(session, "Jan Nowak").role is None

        fill(app, emails="jan.nowak@example.net")
        await settle(pilot)
        assert message(app, "emails") == ""
        assert not form.query_one("#form-save", Button).disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.table.current_row.name == "Jan Nowak"
        assert "Director" in screen_text(app)  # the detail pane, read afresh

    with open_database(db_path) as db, db.read_session() as session:
        jan = people.get_contact(session, "Jan Nowak")
        assert jan.role == "Director"
        assert [e.address for e in jan.emails] == ["jan.nowak@example.net"]
        assert jan.organisation == "Fondation Exemple"
        edit = history(session, limit=1)[0]
        assert (edit.action, edit.entity, edit.coordinator) == ("update", "contact", "tester")


@pytest.mark.asyncio
async def test_new_addresses_and_numbers_are_saved_with_the_label_chosen(db_path: Path) -> None:
    seed(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await browse(pilot, app, "f3")
        form = await contact_form(pilot, app, "n")
        assert len(re.findall(r"\blabel +▼", screen_text(app))) == 2  # by Emails, Phones
        fill(app, given_name="Olga", emails="olga@example.org", phones="+32 470 55 01 01")
        form.query_one("#label-emails", Select).value = "work"
        form.query_one("#label-phones", Select).value = "mobile"
        await settle(pilot)
        assert message(app, "emails") == ""  # adding, every address takes the label
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.table.current_row.name == "Olga"

        # Editing, the selects show the labels there; with nothing new typed, a label chosen
        # goes with the first address, and with a new address typed, with the new one only.
        form = await contact_form(pilot, app, "e")
        assert (form.kind_of("emails"), form.kind_of("phones")) == ("work", "mobile")
        assert re.search(r"work +▼", screen_text(app)) and re.search(r"mobile +▼", screen_text(app))
        assert message(app, "emails") == ""
        form.query_one("#label-emails", Select).value = "home"
        await settle(pilot)
        assert message(app, "emails") == "home: olga@example.org (was work)"
        fill(app, emails="olga@example.org, olga@example.net")
        await settle(pilot)
        assert message(app, "emails") == "home: olga@example.net"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen

    with open_database(db_path) as db, db.read_session() as session:
        olga = people.get_contact(session, "Olga")
        assert [(e.address, e.label) for e in olga.emails] == [
            ("olga@example.org", "work"),
            ("olga@example.net", "home"),
        ]
        assert [(p.e164, p.label) for p in olga.phones] == [("+32470550101", "mobile")]


@pytest.mark.asyncio
async def test_an_email_address_in_phones_is_refused_and_a_national_number_is_kept(
    db_path: Path,
) -> None:
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await browse(pilot, app, "f3")
        form = await contact_form(pilot, app, "n")
        fill(app, given_name="Anna", family_name="Beispiel", phones="anna@example.org")
        save = form.query_one("#form-save", Button)
        await until(pilot, lambda: save.disabled, "Save to be refused")
        assert message(app, "phones") == (
            "'anna@example.org' looks like an email address, not a phone number; "
            "enter it as an email instead."
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # refused: still open, nothing written
        assert "Correct the marked fields first." in screen_text(app)
        with open_database(db_path) as db, db.read_session() as session:
            assert list_contacts(session) == []

        # A number written the national way, read in the contact's country.
        fill(app, phones="0470 55 01 01", country="BE")
        await until(pilot, lambda: not save.disabled, "Save to be allowed again")
        assert message(app, "phones") == "0470 55 01 01 → +32470550101"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.table.current_row.name == "Anna Beispiel"

    with open_database(db_path) as db, db.read_session() as session:
        anna = people.get_contact(session, "Anna Beispiel")
        assert [(p.number, p.e164) for p in anna.phones] == [("0470 55 01 01", "+32470550101")]


@pytest.mark.asyncio
async def test_an_organisation_phone_of_words_is_refused(db_path: Path) -> None:
    seed(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await browse(pilot, app, "f4")
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, OrganisationForm)
        fill(app, phone="ask at reception")
        save = form.query_one("#form-save", Button)
        await until(pilot, lambda: save.disabled, "Save to be refused")
        assert "has no digits, so it is not a phone number" in message(app, "phone")
        fill(app, phone="+33 1 55 50 01 01 poste 12")
        await until(pilot, lambda: not save.disabled, "Save to be allowed again")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, OrganisationForm)

    with open_database(db_path) as db, db.read_session() as session:
        assert people.get_organisation(session, "Fondation Exemple").phone == (
            "+33 1 55 50 01 01 poste 12"
        )


@pytest.mark.asyncio
async def test_an_imported_odd_phone_does_not_stop_editing_the_contact(db_path: Path) -> None:
    from coalition.domain.imports import ContactRecord

    record = ContactRecord(source="row 2", full_name="Piet Voorbeeld", phones=[("n/a", None)])
    import_contact(db_path, record, "cd" * 32)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await browse(pilot, app, "f3")
        form = await contact_form(pilot, app, "e")
        assert form.value("phones") == "n/a"
        assert "kept as typed" in message(app, "phones")  # there already: not judged again
        fill(app, role="Volunteer")
        await settle(pilot)
        assert not form.query_one("#form-save", Button).disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen

    with open_database(db_path) as db, db.read_session() as session:
        piet = people.get_contact(session, "Piet Voorbeeld")
        assert piet.role == "Volunteer"
        assert [(p.number, p.e164) for p in piet.phones] == [("n/a", None)]


@pytest.mark.asyncio
async def test_editing_shows_the_label_of_a_phone_and_changes_it(db_path: Path) -> None:
    with open_database(db_path) as db, work(db, "tester") as w:
        people.add_contact(
            w,
            given_name="Mira",
            family_name="Exempel",
            emails=[people.EmailInput("mira@example.net", "office")],  # as the CLI takes any
            phones=[
                people.PhoneInput("+32 470 55 01 01", "mobile"),
                people.PhoneInput("+32 2 555 01 01", "home"),
            ],
        )
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await browse(pilot, app, "f3")
        form = await contact_form(pilot, app, "e")
        assert form.kind_of("phones") == "mobile"  # the first (primary) number's
        assert form.kind_of("emails") == "office"  # offered, though not one of the usual
        assert re.search(r"mobile +▼", screen_text(app))
        form.query_one("#label-phones", Select).value = "work"
        await until(
            pilot,
            lambda: "work: +32 470 55 01 01 (was mobile)" in message(app, "phones"),
            "the hint to say which number takes the label",
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen

    with open_database(db_path) as db, db.read_session() as session:
        mira = people.get_contact(session, "Mira Exempel")
        assert [(p.number, p.label) for p in mira.phones] == [
            ("+32 470 55 01 01", "work"),
            ("+32 2 555 01 01", "home"),  # the others keep theirs
        ]
        assert [(e.address, e.label) for e in mira.emails] == [("mira@example.net", "office")]
        edit = history(session, limit=1)[0]
        assert edit.after == {"phone_labels": ["work: +32 470 55 01 01", "home: +32 2 555 01 01"]}
        assert edit.before == {
            "phone_labels": ["mobile: +32 470 55 01 01", "home: +32 2 555 01 01"]
        }


@pytest.mark.asyncio
async def test_delete_asks_first_and_cancel_keeps_it(db_path: Path) -> None:
    seed(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await browse(pilot, app, "f4")
        await pilot.press("delete")
        await settle(pilot)
        question = app.screen
        assert isinstance(question, ConfirmDelete)
        assert "Delete the organisation Fondation Exemple?" in screen_text(app)
        said = " ".join(screen_text(app).replace("│", " ").split())
        assert "Its 1 contact(s) stay, without an organisation." in said
        assert question.focused is question.query_one("#confirm-cancel", Button)
        await pilot.press("enter")  # Cancel, focused by default
        await settle(pilot)
        assert app.screen is screen and screen.table.total == 1

        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("left", "enter")  # to Delete, and press it
        await settle(pilot)
        assert app.screen is screen
        assert screen.table.total == 0
        assert "No organisations match." in screen_text(app)

    with open_database(db_path) as db, db.read_session() as session:
        with pytest.raises(NotFound):
            people.get_organisation(session, "Fondation Exemple")
        assert people.get_contact(session, "Jan Nowak").organisation is None  # people stay


@pytest.mark.asyncio
async def test_delete_a_contact(db_path: Path) -> None:
    seed(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await browse(pilot, app, "f3")
        await pilot.press("delete")
        await settle(pilot)
        assert "Delete the contact Jan Nowak?" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert screen.table.total == 1
        await pilot.press("delete")
        await settle(pilot)
        await pilot.click("#confirm-ok")
        await settle(pilot)
        assert screen.table.total == 0


@pytest.mark.asyncio
async def test_a_contact_imported_with_an_invalid_address_can_still_be_edited(
    db_path: Path,
) -> None:
    from coalition.domain.imports import ContactRecord

    record = ContactRecord(source="row 2", full_name="Piet Voorbeeld")
    record.emails = [("piet@", None)]
    import_contact(db_path, record, "ef" * 32)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await browse(pilot, app, "f3")
        form = await contact_form(pilot, app, "e")
        assert form.value("emails") == "piet@"
        assert "marked invalid" in message(app, "emails")  # there already: not refused
        fill(app, role="Volunteer")
        await settle(pilot)
        assert not form.query_one("#form-save", Button).disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        # A new address that is not valid is still refused.
        again = await contact_form(pilot, app, "e")
        fill(app, emails="piet@, piet@@example.org")
        save = again.query_one("#form-save", Button)
        await until(pilot, lambda: save.disabled, "Save to be refused")
        assert "'piet@@example.org' is not a valid email address" in message(app, "emails")

    with open_database(db_path) as db, db.read_session() as session:
        piet = people.get_contact(session, "Piet Voorbeeld")
        assert piet.role == "Volunteer"
        assert [(e.address, e.valid) for e in piet.emails] == [("piet@", False)]


@pytest.mark.asyncio
async def test_escape_asks_before_throwing_away_what_was_typed(db_path: Path) -> None:
    seed(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await browse(pilot, app, "f3")
        # Nothing typed, or a record left as it was read: Esc closes the form at once.
        await contact_form(pilot, app, "n")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        form = await contact_form(pilot, app, "e")
        await settle(pilot)
        assert form.value("given_name") == "Jan"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        # Typed into: Esc asks first, "Keep editing" focused; Enter keeps the form as typed.
        form = await contact_form(pilot, app, "n")
        await pilot.press(*"Anna")
        await pilot.press("escape")
        await pilot.pause()
        question = app.screen
        assert isinstance(question, ConfirmDialog)
        assert "Discard your changes?" in screen_text(app)
        assert question.focused is question.query_one("#confirm-cancel", Button)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form and form.value("given_name") == "Anna"
        # Typed back to what it was: nothing to lose, so no question.
        await pilot.press(*["backspace"] * 4)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        # Editing: a field changed, then Discard: the form closes, nothing is saved.
        form = await contact_form(pilot, app, "e")
        await settle(pilot)
        fill(app, role="Chair")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("left", "enter")  # to Discard, and press it
        await settle(pilot)
        assert app.screen is screen
        # The organisation form asks the same, from its Cancel button too.
        screen = await browse(pilot, app, "f4")
        form = await organisation_form(pilot, app, "n")
        fill(app, name="Réseau Exemple")
        await pilot.click("#form-cancel")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")  # Esc keeps editing: pressed twice, nothing is lost
        await pilot.pause()
        assert app.screen is form and form.value("name") == "Réseau Exemple"
    with open_database(db_path) as db, db.read_session() as session:
        assert people.get_contact(session, "Jan Nowak").role is None
        assert [c.display_name for c in list_contacts(session)] == ["Jan Nowak"]
        assert [o.name for o in list_organisations(session)] == ["Fondation Exemple"]


@pytest.mark.asyncio
async def test_the_arrows_move_between_a_forms_buttons(db_path: Path) -> None:
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await browse(pilot, app, "f4")
        form = await organisation_form(pilot, app, "n")
        form.query_one("#form-save").focus()
        await pilot.press("right")
        assert form.focused is form.query_one("#form-cancel")
        await pilot.press("right")  # round the row; the hidden "Open" is passed by
        assert form.focused is form.query_one("#form-save")
        await pilot.press("left")
        assert form.focused is form.query_one("#form-cancel")
        # In a field the arrows move the cursor, as ever.
        name = form.query_one("#field-name", Input)
        name.focus()
        await pilot.press(*"abc", "left", "left")
        assert form.focused is name and name.cursor_position == 1


@pytest.mark.asyncio
async def test_a_notification_does_not_cover_the_forms_buttons(db_path: Path) -> None:
    seed(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        screen = await browse(pilot, app, "f3")
        form = await contact_form(pilot, app, "n")
        fill(app, given_name="Anna", family_name="Example")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        # The next one at once, while "Saved" still shows: it is clear of the form's buttons.
        form = await contact_form(pilot, app, "n")
        await pilot.pause()
        shown = toasts(app)
        assert shown, "the notification of the save still shows"
        buttons = form.query_one(".form-buttons").region
        assert not any(toast.overlaps(buttons) for toast in shown)
        await pilot.press("escape")
        await settle(pilot)
        # A form that fails to read its record says so in itself, not in a notification.
        before = len(notes(app))
        form = ContactForm(record_id=999)
        await app.push_screen(form)
        await until(pilot, lambda: "There is no contact #999." in screen_text(app), "the error")
        assert len(notes(app)) == before
        assert app.screen is form
