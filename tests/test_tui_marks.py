"""Marked rows: space marks organisations (or contacts) one by one, through any number of
searches and orders; C puts the marked organisations in a campaign at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, OptionList

from coalition.domain import people, pipeline
from coalition.domain.audit import work
from coalition.store.database import open_database
from coalition.tui.app import make_app
from coalition.tui.screens.browse import BrowseScreen, ContactsScreen, OrganisationsScreen
from coalition.tui.screens.signon_dialog import MARKED_GONE, AddAllDialog
from tests.browse_data import copy
from tests.tui_helpers import SMALL, make_filled_template, notes, screen_text, settle, until

# make_filled_template: 50 organisations Fondation Test 0000-0049 (and the story's Brackets
# Network); csam-2022 is open, with Fondation Test 0001 signed and 0002 invited.


@pytest.fixture(scope="module")
def marks_template(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_filled_template(template_db, tmp_path_factory.mktemp("tui-marks"), contacts=200)


@pytest.fixture
def marks_path(marks_template: Path, tmp_path: Path) -> Iterator[Path]:
    yield copy(marks_template, tmp_path / "marks.db")


def statuses(path: Path, code: str = "csam-2022") -> dict[str, str]:
    """Every sign-on of ``code`` by organisation, read through the domain."""
    db = open_database(path)
    try:
        with db.read_session() as s:
            return {v.organisation: v.status for v in pipeline.list_signons(s, code)}
    finally:
        db.close()


async def browse(pilot: Any, key: str = "f4") -> BrowseScreen:
    await pilot.press(key)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, BrowseScreen)
    return screen


async def search(pilot: Any, text: str) -> None:
    await pilot.press("slash", "ctrl+a", "ctrl+k", *text, "enter")
    await settle(pilot)


def title(app: Any) -> str:
    return screen_text(app).splitlines()[0]


def marked_on_screen(app: Any) -> list[str]:
    """The names on the table's lines that show the mark, top to bottom."""
    return [line[2:].split("  ")[0] for line in screen_text(app).splitlines() if line[:2] == "● "]


def marked_names(screen: BrowseScreen) -> list[str]:
    return sorted(row.name for row in screen.table.marked_rows)


async def add_dialog(pilot: Any) -> AddAllDialog:
    await pilot.press("C")
    await until(pilot, lambda: isinstance(pilot.app.screen, AddAllDialog), "the dialog")
    dialog = pilot.app.screen
    assert isinstance(dialog, AddAllDialog)
    await until(pilot, lambda: dialog.plan is not None, "what it would do")
    await settle(pilot)
    return dialog


async def choose_status(pilot: Any, dialog: AddAllDialog, status: str) -> None:
    listed = dialog.query_one("#signon-status", OptionList)
    listed.highlighted = [o.id for o in listed.options].index(status)
    await until(
        pilot,
        lambda: dialog.plan is not None and dialog.plan.status == status,
        "what it would do",
    )
    await settle(pilot)


@pytest.mark.asyncio
async def test_C_puts_exactly_the_marked_organisations_in_the_campaign(marks_path: Path) -> None:
    app = make_app(str(marks_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await browse(pilot)
        await search(pilot, "Fondation Test 001")
        assert screen.table.total == 10
        before = statuses(marks_path)
        # Space marks the highlighted one and goes to the next: mark 0010, 0012 and 0015.
        await pilot.press("space", "down", "space", "down", "down", "space")
        await settle(pilot)
        assert screen.table.current_row.name == "Fondation Test 0016"
        chosen = ["Fondation Test 0010", "Fondation Test 0012", "Fondation Test 0015"]
        assert marked_on_screen(app) == chosen
        assert "3 marked (Esc unmarks)" in title(app)
        # The gutter costs the 80 columns no column: all six are still shown, whole.
        header = screen_text(app).splitlines()[2]
        assert header.split() == ["Name", "▲", "Acronym", "Country", "City", "Membership", "People"]

        dialog = await add_dialog(pilot)
        assert dialog.campaign == "csam-2022"
        await choose_status(pilot, dialog, "invited")
        text = screen_text(app)
        assert "Add the 3 marked organisations to csam-2022 as invited?" in text
        assert "Fondation Test 0010, Fondation Test 0012 and Fondation Test 0015" in text
        # The counts are the marked ones', not the ten listed.
        assert "3 organisations not in csam-2022 yet: added as invited." in text
        assert str(dialog.query_one("#signon-apply", Button).label) == "Add 3"
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen, "the dialog to close")
        await settle(pilot)

        after = statuses(marks_path)
        added = {name: status for name, status in after.items() if name not in before}
        assert added == dict.fromkeys(chosen, "invited")
        assert {name: after[name] for name in before} == before
        assert "Added 3 organisations to csam-2022 as invited." in notes(app)
        # Done: the marks are gone, from the table and the title.
        assert screen.table.marked_count == 0
        assert marked_on_screen(app) == []
        assert "marked" not in title(app)

        # Without marks C does what it did: every organisation listed.
        dialog = await add_dialog(pilot)
        assert "Add 10 organisations to csam-2022 as prospect?" in screen_text(app)
        assert "7 organisations not in csam-2022 yet: added as prospect." in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)


@pytest.mark.asyncio
async def test_marks_stay_through_searches_and_orders_and_a_cancel(marks_path: Path) -> None:
    app = make_app(str(marks_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await browse(pilot)
        # Mark one in one search, another in the next: both stay marked.
        await search(pilot, "Fondation Test 0001")
        assert screen.table.current_row.name == "Fondation Test 0001"
        await pilot.press("space")
        await search(pilot, "Fondation Test 0003")
        assert marked_on_screen(app) == []  # the one marked is not listed here
        assert "1 marked" in title(app)
        await pilot.press("space")
        await settle(pilot)
        assert "2 marked" in title(app)
        assert marked_names(screen) == ["Fondation Test 0001", "Fondation Test 0003"]

        # Listed together again, in another order, both show the mark; each keeps it.
        await search(pilot, "Fondation Test 000")
        assert marked_on_screen(app) == ["Fondation Test 0001", "Fondation Test 0003"]
        await pilot.press("r")  # Z-A
        await settle(pilot)
        assert screen.table.descending
        assert marked_on_screen(app) == ["Fondation Test 0003", "Fondation Test 0001"]
        await pilot.press("s")  # by the next column
        await settle(pilot)
        assert screen.table.sort_key != "name"
        assert sorted(marked_on_screen(app)) == ["Fondation Test 0001", "Fondation Test 0003"]

        # C names them, counts them (0001 signed already), and a cancel keeps the marks.
        before = statuses(marks_path)
        dialog = await add_dialog(pilot)
        text = screen_text(app)
        assert "Add the 2 marked organisations to csam-2022 as prospect?" in text
        assert "1 organisation not in csam-2022 yet: added as prospect." in text
        assert "1 organisation in it already left as it is (1 signed)." in text
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, "the dialog to close")
        await settle(pilot)
        assert statuses(marks_path) == before
        assert marked_names(screen) == ["Fondation Test 0001", "Fondation Test 0003"]
        assert "2 marked" in title(app)

        # Applied this time: 0003 is added, 0001 stays signed, and the marks go.
        dialog = await add_dialog(pilot)
        await pilot.click("#signon-apply")
        await until(pilot, lambda: app.screen is screen, "the dialog to close")
        await settle(pilot)
        after = statuses(marks_path)
        assert after["Fondation Test 0003"] == "prospect"
        assert after["Fondation Test 0001"] == "signed"
        assert len(after) == len(before) + 1
        assert (
            "Added 1 organisation to csam-2022 as prospect. "
            "Left 1 organisation as it was (1 signed)."
        ) in notes(app)
        assert screen.table.marked_count == 0
        assert dialog.start.names == ["Fondation Test 0001", "Fondation Test 0003"]


@pytest.mark.asyncio
async def test_space_unmarks_esc_unmarks_all_and_c_is_still_the_highlighted_one(
    marks_path: Path,
) -> None:
    app = make_app(str(marks_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await browse(pilot)
        await search(pilot, "Fondation Test 002")
        await pilot.press("space", "space", "space")  # 0020, 0021, 0022
        await settle(pilot)
        assert marked_on_screen(app) == [f"Fondation Test 002{i}" for i in range(3)]
        # Space on a marked one takes its mark off.
        await pilot.press("up", "space")
        await settle(pilot)
        assert marked_on_screen(app) == ["Fondation Test 0020", "Fondation Test 0021"]
        assert "2 marked" in title(app)
        # A click on the gutter marks a row too.
        await pilot.click(screen.table, offset=(0, 1 + 5))  # the header, then row 5
        await settle(pilot)
        assert "Fondation Test 0025" in marked_on_screen(app)

        # c is still the highlighted organisation alone, marked or not.
        screen.table.cursor = 8
        await settle(pilot)
        await pilot.press("c")
        await until(pilot, lambda: app.screen is not screen, "the sign-on dialog")
        await settle(pilot)
        assert "Sign-on of Fondation Test 0028" in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, "the dialog to close")
        await settle(pilot)
        assert screen.table.marked_count == 3

        # Esc in the search box goes to the results, and leaves the marks alone.
        await pilot.press("slash")
        assert screen.focused is screen.search_input
        await pilot.press("escape")
        assert screen.focused is screen.table
        assert screen.table.marked_count == 3
        # Esc in the table takes every mark off; with none, it is the screen's again.
        await pilot.press("escape")
        await settle(pilot)
        assert screen.table.marked_count == 0
        assert marked_on_screen(app) == [] and "marked" not in title(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.focused is screen.table


@pytest.mark.asyncio
async def test_a_marked_organisation_deleted_meanwhile_is_left_out(marks_path: Path) -> None:
    app = make_app(str(marks_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await browse(pilot)
        await search(pilot, "Fondation Test 003")
        await pilot.press("space", "space")  # 0030 and 0031
        await settle(pilot)
        db = open_database(marks_path)
        with work(db, "bob") as w:  # another coordinator, at the same time
            people.delete_organisation(w, "Fondation Test 0030")
        db.close()
        dialog = await add_dialog(pilot)
        text = screen_text(app)
        assert "Add the marked organisation to csam-2022 as prospect?" in text
        assert dialog.start.names == ["Fondation Test 0031"]
        assert "1 organisation not in csam-2022 yet: added as prospect." in text
        assert marked_names(screen) == ["Fondation Test 0031"]  # its mark went with it
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen, "the dialog to close")
        await settle(pilot)
        assert statuses(marks_path)["Fondation Test 0031"] == "prospect"
        assert screen.table.marked_count == 0

        # Every one marked gone: C says so, takes the marks off and opens nothing.
        await search(pilot, "Fondation Test 004")
        await pilot.press("space")
        await settle(pilot)
        db = open_database(marks_path)
        with work(db, "bob") as w:
            people.delete_organisation(w, "Fondation Test 0040")
        db.close()
        await pilot.press("C")
        await until(pilot, lambda: MARKED_GONE in notes(app), "the sentence")
        await settle(pilot)
        assert app.screen is screen and screen.table.marked_count == 0
        assert "marked" not in title(app)


@pytest.mark.asyncio
async def test_contacts_can_be_marked_too(marks_path: Path) -> None:
    app = make_app(str(marks_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await browse(pilot, "f3")
        assert isinstance(screen, ContactsScreen)
        first = screen.table.current_row
        await pilot.press("space")
        await settle(pilot)
        assert [row.id for row in screen.table.marked_rows] == [first.id]
        assert "1 marked (Esc unmarks)" in title(app)
        assert screen_text(app).splitlines()[3].startswith("● ")
        # Contacts and organisations keep their own marks.
        organisations = await browse(pilot, "f4")
        assert isinstance(organisations, OrganisationsScreen)
        assert organisations.table.marked_count == 0
