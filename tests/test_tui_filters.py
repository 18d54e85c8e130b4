"""Filters on the Contacts and Organisations tables: the dialog (f), the bar above the
table, the count, clearing (F), and their combination with search and sort."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Select, SelectionList

from coalition.domain import browse, people
from coalition.domain.audit import work
from coalition.store.database import open_database
from coalition.tui.app import make_app
from coalition.tui.screens.browse import BrowseScreen
from coalition.tui.screens.filters import FilterDialog, Filters
from tests.browse_data import GIVEN, copy
from tests.tui_helpers import (
    LARGE,
    SMALL,
    make_filled_template,
    screen_text,
    select_options,
    settle,
)

# make_filled_template: 2,000 people in 50 organisations (Fondation Test 0000-0049, their
# countries BE, DE, FR, PL, ES, IT, NL in turn, 40 people each), and the story: Eve in the
# Belgian "[bold]Brackets[/] Network" tagged "[red]tag"; csam-2022 with Fondation Test 0001
# (DE) signed and 0002 (FR) invited.


@pytest.fixture(scope="module")
def filters_template(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = make_filled_template(template_db, tmp_path_factory.mktemp("tui-filters"))
    db = open_database(path)
    with work(db, "alice") as w:
        for i in range(10):  # person0 .. person9: one of each given name
            domain = "example.org" if i % 2 else "example.net"
            # person0 .. person2 read Portuguese (no country of the sample's speaks it)
            changes = {"language": "pt"} if i < 3 else {}
            people.edit_contact(w, f"person{i}@{domain}", changes, add_tags=["climate"])
        people.edit_organisation(w, "Fondation Test 0002", {"membership": "partner"})
    db.close()
    return path


@pytest.fixture
def filters_path(filters_template: Path, tmp_path: Path) -> Iterator[Path]:
    yield copy(filters_template, tmp_path / "filters.db")


async def open_table(pilot: Any, key: str) -> BrowseScreen:
    await pilot.press(key)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, BrowseScreen)
    return screen


async def open_dialog(pilot: Any) -> FilterDialog:
    await pilot.press("f")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, FilterDialog)
    assert dialog.choices is not None  # read in its worker before settle() returned
    return dialog


async def apply(pilot: Any, dialog: FilterDialog, **values: Any) -> None:
    """Choose values as a user would leave them in the dialog, then Ctrl+S."""
    statuses = values.pop("statuses", None)
    for name, value in values.items():
        dialog.query_one(f"#filter-{name}", Select).value = value
    await pilot.pause()
    if statuses is not None:
        selection = dialog.query_one("#filter-statuses", SelectionList)
        selection.deselect_all()
        for status in statuses:
            selection.select(status)
    await pilot.press("ctrl+s")
    await settle(pilot)


@pytest.mark.asyncio
async def test_a_tag_narrows_the_table_combines_with_search_and_clears(filters_path: Path) -> None:
    app = make_app(str(filters_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_table(pilot, "f3")
        assert screen.table.total == 2001
        assert "F clears" not in screen_text(app)
        dialog = await open_dialog(pilot)
        # The tag list by keyboard: open it, the first tag (most used), choose it.
        assert dialog.focused is dialog.query_one("#filter-tag")
        await pilot.press("enter", "down", "enter")
        await pilot.pause()
        assert dialog.query_one("#filter-tag", Select).value == "climate"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.table.total == 10
        text = screen_text(app)
        assert "10 contacts, 1 filter" in text
        assert "Filters tag: climate  F clears" in text
        # With a search: the tag's people whose name matches.
        await pilot.press("slash", *"anna")
        await settle(pilot)
        assert screen.table.total == 1
        assert screen.table.current_row.name == f"{GIVEN[0]} Müller"
        assert "1 contact matches anna, 1 filter" in screen_text(app)  # one matches, two match
        # F clears (from the table; in the search box it is a letter).
        await pilot.press("escape", "F")
        await settle(pilot)
        assert screen.filters == Filters()
        assert screen.table.total == 200  # every tenth person is an Anna
        text = screen_text(app)
        assert "filter" not in text.split("\n")[0] and "F clears" not in text


@pytest.mark.asyncio
async def test_country_and_campaign_statuses_narrow_and_sort(filters_path: Path) -> None:
    app = make_app(str(filters_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_table(pilot, "f3")
        dialog = await open_dialog(pilot)
        await apply(pilot, dialog, campaign="csam-2022", statuses=["invited", "signed"])
        assert screen.filters == Filters(campaign="csam-2022", statuses=("invited", "signed"))
        assert screen.table.total == 80  # the people of Fondation Test 0001 and 0002
        assert "campaign csam-2022: invited, signed" in screen_text(app)
        # The dialog opens on the filters in force; a country narrows them further.
        dialog = await open_dialog(pilot)
        assert dialog.query_one("#filter-campaign", Select).value == "csam-2022"
        selected = dialog.query_one("#filter-statuses", SelectionList).selected
        assert sorted(selected) == ["invited", "signed"]
        await apply(pilot, dialog, country="FR")
        assert screen.table.total == 40
        assert {screen.table.row_at(i).organisation for i in range(40)} == {"Fondation Test 0002"}
        assert "40 contacts, 2 filters" in screen_text(app)
        # Sorting keeps the filters.
        await pilot.press("r")
        await settle(pilot)
        assert screen.table.total == 40 and screen.table.descending
        # Esc in the dialog changes nothing.
        dialog = await open_dialog(pilot)
        dialog.query_one("#filter-country", Select).value = "BE"
        await pilot.press("escape")
        await settle(pilot)
        assert screen.table.total == 40 and screen.filters.country == "FR"
        # "Clear all" in the dialog.
        dialog = await open_dialog(pilot)
        await pilot.click("#filter-clear")
        await settle(pilot)
        assert screen.filters == Filters() and screen.table.total == 2001


@pytest.mark.asyncio
async def test_organisations_without_a_sign_on_and_by_membership(filters_path: Path) -> None:
    app = make_app(str(filters_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_table(pilot, "f4")
        assert screen.table.total == 51
        dialog = await open_dialog(pilot)
        assert dialog.query_one("#filter-kind", Select) is not None
        assert not dialog.query("#filter-language")  # a person's, not an organisation's
        await apply(pilot, dialog, campaign="csam-2022", statuses=["none"])
        assert screen.table.total == 49
        assert "campaign csam-2022: no sign-on" in screen_text(app)
        # At 80 columns the footer still offers what comes next: put every organisation
        # listed in the campaign (the filter bar says F clears the filters).
        footer = screen_text(app).splitlines()[-1]
        assert "c C Sign-on" in footer and "a Person" in footer
        assert "F clears" in screen_text(app)
        dialog = await open_dialog(pilot)
        await apply(pilot, dialog, campaign=Select.NULL, membership="partner")
        assert screen.filters == Filters(membership="partner")
        assert screen.table.total == 1
        assert screen.table.current_row.name == "Fondation Test 0002"


@pytest.mark.asyncio
async def test_a_language_narrows_contacts_as_the_command_line_does(filters_path: Path) -> None:
    app = make_app(str(filters_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_table(pilot, "f3")
        dialog = await open_dialog(pilot)
        offered = select_options(dialog.query_one("#filter-language", Select))
        assert [(str(label), value) for label, value in offered if value == "pt"] == [
            ("pt Portuguese  3", "pt")
        ]
        await apply(pilot, dialog, language="pt")
        assert screen.filters == Filters(language="pt")
        assert screen.table.total == 3
        assert "Filters language: pt" in screen_text(app)
        shown = sorted(screen.table.row_at(i).id for i in range(3))
    db = open_database(filters_path)
    with db.read_session() as session:
        listed = browse.list_contacts(session, language="Portuguese")
    db.close()
    assert sorted(c.id for c in listed) == shown


@pytest.mark.asyncio
async def test_the_filter_bar_is_readable_and_shows_names_literally(filters_path: Path) -> None:
    app = make_app(str(filters_path), "tester")
    async with app.run_test(size=LARGE) as pilot:
        screen = await open_table(pilot, "f3")
        dialog = await open_dialog(pilot)
        tags = dialog.query_one("#filter-tag", Select)
        assert [str(label) for label, _ in select_options(tags)[1:]] == [
            "climate  10",
            "[red]tag  1",
        ]
        await apply(pilot, dialog, tag="[red]tag", country="BE")
        assert screen.table.total == 1
        text = screen_text(app)
        assert "Filters tag: [red]tag · country: BE  F clears" in text
        assert "1 contact, 2 filters" in text
        assert text.count("[bold]Eve [/]Mallory") >= 2  # in the table and the detail pane
        # The dialog names countries and counts, and shows a chosen tag as typed.
        dialog = await open_dialog(pilot)
        assert "[red]tag" in screen_text(app)
        countries = [
            str(label) for label, _ in select_options(dialog.query_one("#filter-country", Select))
        ]
        assert "BE Belgium  321" in countries  # 8 Belgian organisations of 40, and Eve
        await pilot.press("escape")
        await settle(pilot)


@pytest.mark.asyncio
async def test_the_arrows_move_between_the_dialogs_buttons(filters_path: Path) -> None:
    app = make_app(str(filters_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await open_table(pilot, "f4")
        dialog = await open_dialog(pilot)
        dialog.query_one("#filter-apply").focus()
        seen = []
        for key in ("right", "right", "right", "left"):
            await pilot.press(key)
            seen.append(dialog.focused.id if dialog.focused else None)
        assert seen == ["filter-clear", "filter-cancel", "filter-apply", "filter-cancel"]
        await pilot.press("escape")
        await settle(pilot)
        # The export dialog's too (F7).
        await pilot.press("f7")
        await settle(pilot)
        export = app.screen
        assert type(export).__name__ == "ExportDialog"
        export.query_one("#export-write").focus()
        await pilot.press("right")
        assert export.focused is export.query_one("#export-cancel")
        await pilot.press("left")
        assert export.focused is export.query_one("#export-write")
