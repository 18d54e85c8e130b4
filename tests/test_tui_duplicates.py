"""Likely duplicates in the terminal app: the list, a pair side by side, merge, swap, take,
"not a duplicate"; and the ways in (D on a table, the palette, a form about to repeat a
record)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input

from coalition.domain import browse, duplicates, people
from coalition.domain.audit import work
from coalition.errors import NotFound
from coalition.store.database import open_database
from coalition.tui.app import CoalitionApp, make_app
from coalition.tui.screens.browse import ContactsScreen, OrganisationsScreen
from coalition.tui.screens.duplicates import ConfirmMerge, DuplicatesScreen, FieldRow, key_of
from coalition.tui.screens.help import HelpScreen
from coalition.tui.screens.record_forms import ContactForm, OrganisationForm
from tests.browse_data import copy
from tests.tui_helpers import SMALL, notes, palette_offers, screen_text, settle, until

CONTACTS = ("contact", 1, 2)
ORGANISATIONS = ("organisation", 1, 2)


@pytest.fixture(scope="module")
def pairs_template(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two contacts sharing an address, and Alpha Kids (acronym AK) beside an "AK"."""
    path = copy(template_db, tmp_path_factory.mktemp("tui-duplicates") / "pairs.db")
    with open_database(path) as db, work(db, "tester") as w:
        people.add_organisation(w, name="Alpha Kids", acronym="AK", country="BE", city="Brussels")
        people.add_organisation(
            w, name="AK", country="BE", website="example.org", allow_duplicate=True
        )
        people.add_contact(
            w,
            given_name="Jan",
            family_name="Nowak",
            emails=["jan@example.org"],
            organisation="Alpha Kids",
            role="Director",
        )
        people.add_contact(
            w,
            given_name="J.",
            family_name="Nowak",
            emails=["JAN@example.org"],
            phones=["+32 2 555 01 01"],
            role="Policy officer",
            allow_duplicate=True,
        )
    return path


@pytest.fixture
def pairs_db(pairs_template: Path, tmp_path: Path) -> Path:
    return copy(pairs_template, tmp_path / "pairs.db")


async def open_duplicates(
    pilot: Pilot[None], app: CoalitionApp, kind: str | None = None
) -> DuplicatesScreen:
    await settle(pilot)
    app.action_duplicates(kind)
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, DuplicatesScreen)
    return screen


def said(app: CoalitionApp) -> str:
    """The screen's text with its lines run together (a sentence may wrap)."""
    return " ".join(screen_text(app).replace("│", " ").split())


def listed(screen: DuplicatesScreen) -> list[tuple[str, int, int]]:
    return [key_of(p) for p in screen.pairs]


def field(screen: DuplicatesScreen) -> FieldRow:
    """The highlighted line of the side by side view."""
    row = screen.fields_table.current_row
    assert isinstance(row, FieldRow)
    return row


def contact_ids(path: Path) -> list[int]:
    with open_database(path) as db, db.read_session() as session:
        return sorted(c.id for c in browse.list_contacts(session))


async def merge_highlighted(pilot: Pilot[None], app: CoalitionApp) -> None:
    """``m``, then Merge in the question (Cancel has the focus)."""
    await pilot.press("m")
    await settle(pilot)
    assert isinstance(app.screen, ConfirmMerge)
    await pilot.press("left", "enter")
    await settle(pilot)


@pytest.mark.asyncio
async def test_the_pairs_are_listed_best_first_and_shown_side_by_side(pairs_db: Path) -> None:
    app = make_app(str(pairs_db), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_duplicates(pilot, app)
        assert listed(screen) == [CONTACTS, ORGANISATIONS]
        text = screen_text(app)
        assert "Likely duplicates  2 pairs  ·  contacts and organisations" in text
        assert re.search(r"100 contact +same email +#1 Jan Nowak / #2 J. Nowak", text)
        assert re.search(r"98 org\. +acronym +#1 Alpha Kids / #2 AK", text)
        # The highlighted pair, field by field: both values, the result, what goes to notes.
        assert "Keep #1 Jan Nowak  ←  merge in and delete #2 J. Nowak" in text
        assert re.search(r"Field +#1 kept +#2 +Result +To notes", text)
        assert re.search(r"role +Director +Policy officer +Director +Policy offi", text)
        assert re.search(r"phones +\+32 2 555 01 01 +\+32 2 555 01 01", text)
        assert "Moves to #1: phones 1, change-log entries 1." in text
        footer = text.splitlines()[-1]
        # At 80 columns Ctrl+R (Reload) gives way to the way out (F1 lists every key).
        for key in ("m Merge", "x Swap", "t Take", "s Skip", "n Not dup", "k Kind", "esc Close"):
            assert key in footer
        # s: the next pair, side by side in its turn.
        await pilot.press("s")
        await settle(pilot)
        text = screen_text(app)
        assert "Keep #1 Alpha Kids  ←  merge in and delete #2 AK" in text
        assert re.search(r"name +Alpha Kids +AK +Alpha Kids +AK", text)
        assert re.search(r"website +https://example… +https://example…", text)  # cut at 80
        await pilot.press("s")  # the last one: it says so, and stays
        await settle(pilot)
        assert screen.current is not None and screen.current.key == ORGANISATIONS
        assert "That is the last pair; Ctrl+R looks again." in notes(app)


@pytest.mark.asyncio
async def test_m_merges_once_asked_and_the_pair_leaves_the_list(pairs_db: Path) -> None:
    app = make_app(str(pairs_db), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_duplicates(pilot, app)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmMerge)
        assert "Merge #2 J. Nowak into #1 Jan Nowak?" in said(app)
        assert "#2 is deleted; everything it holds moves to #1" in said(app)
        await pilot.press("enter")  # Cancel, focused first
        await settle(pilot)
        assert app.screen is screen and listed(screen) == [CONTACTS, ORGANISATIONS]
        assert contact_ids(pairs_db) == [1, 2]

        await merge_highlighted(pilot, app)
        assert app.screen is screen
        assert listed(screen) == [ORGANISATIONS]
        assert screen.current is not None and screen.current.key == ORGANISATIONS
        assert (
            "Merged contact #2 J. Nowak into #1 Jan Nowak; `coalition merges undo 1` takes it back."
            in notes(app)
        )
        text = screen_text(app)
        assert "Likely duplicates  1 pair" in text and "J. Nowak" not in text
        assert "Keep #1 Alpha Kids" in text

    with open_database(pairs_db) as db, db.read_session() as session:
        [jan] = browse.list_contacts(session)
        assert (jan.id, jan.display_name, jan.role) == (1, "Jan Nowak", "Director")
        assert [p.e164 for p in people.get_contact(session, "#1").phones] == ["+3225550101"]
        assert "Merged from #2: role: Policy officer" in (
            people.get_contact(session, "#1").notes or ""
        )


@pytest.mark.asyncio
async def test_x_keeps_the_other_record(pairs_db: Path) -> None:
    app = make_app(str(pairs_db), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_duplicates(pilot, app)
        await pilot.press("x")
        await settle(pilot)
        text = screen_text(app)
        assert "#2 J. Nowak / #1 Jan Nowak" in text
        assert "Keep #2 J. Nowak  ←  merge in and delete #1 Jan Nowak" in text
        assert re.search(r"role +Policy officer +Director +Policy officer +Director", text)
        await merge_highlighted(pilot, app)
        assert listed(screen) == [ORGANISATIONS]
        merged = "Merged contact #1 Jan Nowak into #2 J. Nowak;"
        assert any(m.startswith(merged) for m in notes(app))

    assert contact_ids(pairs_db) == [2]
    with open_database(pairs_db) as db, db.read_session() as session:
        kept = people.get_contact(session, "#2")
        assert kept.role == "Policy officer"
        assert kept.organisation == "Alpha Kids"  # filled from the other: it had none
        with pytest.raises(NotFound):
            people.get_contact(session, "#1")


@pytest.mark.asyncio
async def test_t_takes_the_highlighted_field_from_the_other_record(pairs_db: Path) -> None:
    app = make_app(str(pairs_db), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_duplicates(pilot, app)
        fields = screen.fields_table
        # The fields: Tab goes to them; the cursor starts on the first value that would
        # go to the notes.
        await pilot.press("tab")
        assert screen.focused is fields
        assert field(screen).name == "given_name"
        while field(screen).name != "role":
            await pilot.press("down")
        await settle(pilot)
        assert "#2's goes to the notes. t takes #2's." in said(app)
        await pilot.press("t")
        await settle(pilot)
        row = field(screen)
        assert (row.field, row.result, row.notes) == ("✓ role", "Policy officer", "Director")
        assert "Taken from #2; #1's goes to the notes. t gives it back." in said(app)
        # Taken twice, given back; taken again.
        await pilot.press("t")
        await settle(pilot)
        assert field(screen).result == "Director"
        await pilot.press("t")
        await settle(pilot)
        assert field(screen).result == "Policy officer"
        # What both records keep is not taken from one.
        while field(screen).name != "emails":
            await pilot.press("down")
        await pilot.press("t")
        await settle(pilot)
        assert "The emails of both records are kept: there is nothing to take." in notes(app)
        await merge_highlighted(pilot, app)
        assert listed(screen) == [ORGANISATIONS]

    with open_database(pairs_db) as db, db.read_session() as session:
        [kept] = browse.list_contacts(session)
        assert (kept.id, kept.role) == (1, "Policy officer")
        assert "Before the merge with #2: role: Director" in (
            people.get_contact(session, "#1").notes or ""
        )


@pytest.mark.asyncio
async def test_n_marks_a_pair_not_a_duplicate_for_good(pairs_db: Path) -> None:
    app = make_app(str(pairs_db), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_duplicates(pilot, app)
        await pilot.press("s", "n")
        await settle(pilot)
        assert listed(screen) == [CONTACTS]
        assert (
            "Organisations #1 Alpha Kids and #2 AK are marked as not a duplicate; "
            "they are not listed again." in notes(app)
        )
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert listed(screen) == [CONTACTS]
        assert "#2 AK" not in screen_text(app)

    with open_database(pairs_db) as db, db.read_session() as session:
        assert [key_of(p) for p in duplicates.scan_duplicates(session).pairs] == [CONTACTS]
        assert len(browse.list_organisations(session)) == 2  # both kept


@pytest.mark.asyncio
async def test_a_refused_merge_is_said_and_the_list_stays(pairs_db: Path) -> None:
    app = make_app(str(pairs_db), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_duplicates(pilot, app)
        with open_database(pairs_db) as db, work(db, "bob") as w:
            people.delete_contact(w, 2)  # from the command line, meanwhile
        await merge_highlighted(pilot, app)
        assert app.screen is screen
        assert "There is no contact #2." in notes(app)
        assert listed(screen) == [CONTACTS, ORGANISATIONS]
        assert app.is_running


@pytest.mark.asyncio
async def test_an_empty_list_says_so(db_path: Path) -> None:
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_duplicates(pilot, app)
        text = screen_text(app)
        assert "No likely duplicates." in text
        assert "Ctrl+R looks again; k shows contacts, organisations or both." in text
        assert "m Merge" not in text.splitlines()[-1]
        assert not screen.fields_table.display
        await pilot.press("m")  # nothing to merge: nothing asked
        await settle(pilot)
        assert app.screen is screen


@pytest.mark.asyncio
async def test_D_on_contacts_opens_their_duplicates_and_k_shows_the_other_kinds(
    pairs_db: Path,
) -> None:
    app = make_app(str(pairs_db), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        contacts = app.screen
        assert isinstance(contacts, ContactsScreen)
        await pilot.press("D")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DuplicatesScreen)
        assert screen.kind == "contact" and listed(screen) == [CONTACTS]
        assert "1 pair  ·  contacts" in screen_text(app)
        await pilot.press("k")
        await settle(pilot)
        assert screen.kind == "organisation" and listed(screen) == [ORGANISATIONS]
        await pilot.press("k")
        await settle(pilot)
        assert screen.kind is None and listed(screen) == [CONTACTS, ORGANISATIONS]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is contacts

        await pilot.press("f4", "D")
        await settle(pilot)
        assert isinstance(app.screen, DuplicatesScreen)
        assert listed(app.screen) == [ORGANISATIONS]


@pytest.mark.asyncio
async def test_the_palette_opens_the_duplicates(pairs_db: Path) -> None:
    app = make_app(str(pairs_db), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"duplicates")
        await palette_offers(pilot, "Likely duplicate people")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DuplicatesScreen), "the duplicates")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DuplicatesScreen)
        assert screen.kind is None and listed(screen) == [CONTACTS, ORGANISATIONS]


@pytest.mark.asyncio
async def test_a_form_about_to_repeat_an_organisation_opens_it_instead(pairs_db: Path) -> None:
    app = make_app(str(pairs_db), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        organisations = app.screen
        assert isinstance(organisations, OrganisationsScreen)
        await pilot.press("end")  # elsewhere than on Alpha Kids
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, OrganisationForm)
        form.query_one("#field-name", Input).value = "Alpha Kids"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        opener = form.query_one("#form-open", Button)
        assert opener.display and str(opener.label) == "Open #1 Alpha Kids"
        assert form.query_one("#form-duplicate", Checkbox).display  # "Add anyway" stays
        assert "Open #1 Alpha Kids" in screen_text(app)
        await pilot.press("ctrl+o")
        # The form closes, then the screen under it searches for the record.
        await until(pilot, lambda: organisations.search_input.value == "Alpha Kids", "the search")
        await settle(pilot)
        assert app.screen is organisations
        row = organisations.table.current_row
        assert row is not None and (row.id, row.name) == (1, "Alpha Kids")
        assert organisations.detail_shown == 1
        assert "Alpha Kids (AK)" in screen_text(app)  # the detail pane's heading

    with open_database(pairs_db) as db, db.read_session() as session:
        assert len(browse.list_organisations(session)) == 2  # nothing added


@pytest.mark.asyncio
async def test_a_form_about_to_repeat_a_contact_opens_them_instead(pairs_db: Path) -> None:
    app = make_app(str(pairs_db), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        contacts = app.screen
        assert isinstance(contacts, ContactsScreen)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ContactForm)
        form.query_one("#field-given_name", Input).value = "Ewa"
        form.query_one("#field-emails", Input).value = "jan@example.org"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Open #1 Jan Nowak" in screen_text(app)
        # Another address withdraws the question, and the offer with it.
        form.query_one("#field-emails", Input).value = "ewa@example.org"
        await settle(pilot)
        assert not form.query_one("#form-open", Button).display
        await pilot.press("ctrl+o")  # nothing to open: the form stays
        assert app.screen is form
        form.query_one("#field-emails", Input).value = "jan@example.org"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.click("#form-open")
        await until(pilot, lambda: contacts.search_input.value == "Jan Nowak", "the search")
        await settle(pilot)
        assert app.screen is contacts
        row = contacts.table.current_row
        assert row is not None and row.id == 1
        assert contacts.detail_shown == 1


@pytest.mark.asyncio
async def test_help_lists_the_keys_of_the_duplicates(db_path: Path) -> None:
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        sections = dict(app.screen.sections())
        shown = "\n".join(f"{key} {what}" for key, what in sections["Likely duplicates"])
        for binding in DuplicatesScreen.BINDINGS:
            assert binding.description in shown, binding  # type: ignore[union-attr]
        assert "^r Reload" in shown and "t Take: Take the highlighted field" in shown
        assert any(
            what.startswith("Duplicates") for _, what in sections["Contacts and organisations"]
        )
        assert any(
            what.startswith("Open it")
            for _, what in sections["Forms (organisations, contacts, campaigns)"]
        )
        assert "Before a merge" in sections
