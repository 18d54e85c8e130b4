"""Contacts and Organisations in the terminal app: live search, sorting, the detail pane,
and a table that holds only the rows around its view."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from coalition.domain.browse import ContactQuery, contact_page
from coalition.store.database import open_database
from coalition.tui.app import make_app
from coalition.tui.screens.browse import ContactsScreen, OrganisationsScreen
from coalition.tui.widgets.lazy_table import PAGE
from tests.browse_data import copy
from tests.tui_helpers import LARGE, SMALL, make_filled_template, screen_text, settle, until


@pytest.fixture(scope="module")
def filled_template(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_filled_template(template_db, tmp_path_factory.mktemp("tui-browse"))


@pytest.fixture
def filled_path(filled_template: Path, tmp_path: Path) -> Iterator[Path]:
    yield copy(filled_template, tmp_path / "filled.db")


async def contacts(pilot: object, app: object) -> ContactsScreen:
    await pilot.press("f3")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, ContactsScreen)
    return screen


@pytest.mark.asyncio
async def test_typing_narrows_the_table_as_you_go(filled_path: Path) -> None:
    app = make_app(str(filled_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await contacts(pilot, app)
        assert screen.table.total == 2001
        await pilot.press("slash", *"emi")
        await settle(pilot)
        assert screen.table.total == 200  # every tenth person is an Émilie
        assert "200 contacts match emi" in screen_text(app)
        # The scrollbar is sized to the new listing: a header line and 200 rows.
        assert screen.table.vertical_scrollbar.window_virtual_size == 201
        await pilot.press(*"lie dub")
        await settle(pilot)
        assert screen.search_input.value == "emilie dub"
        assert screen.table.total == 25
        assert {screen.table.current_row.name} == {"Émilie Dubois"}
        await pilot.press(*"zz")
        await settle(pilot)
        assert screen.table.total == 0
        assert "No contacts match." in screen_text(app)
        assert not screen.table.show_vertical_scrollbar  # nothing to scroll: it goes
        await pilot.press("backspace", "backspace")
        await settle(pilot)
        assert screen.table.total == 25 and screen.table.show_vertical_scrollbar  # and comes back
        assert screen.table.vertical_scrollbar.window_virtual_size == 26
        await pilot.press("escape", "end")
        await settle(pilot)
        assert screen.focused is screen.table
        assert screen.table.cursor == 24
        table = screen.table
        assert table.scroll_y == table.max_scroll_y == 26 - table.scrollable_content_region.height
        bottom = screen_text(app).splitlines()[table.region.bottom - 1]
        assert table.current_row.email[:16] in bottom  # the last row, in the last line


@pytest.mark.asyncio
async def test_a_first_page_before_its_count_is_shown_at_once_and_counted_after(
    filled_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a server a search's first page of many matches comes with a total it has at
    # least, and its count after (test_search_plans). The screen's side of it, made to
    # happen on a file: the page comes saying "at least 120", the count waits for the
    # test's word.
    import threading

    from coalition.domain import browse

    real_first, real_count = browse.first_contacts, browse.count_contacts
    may_count = threading.Event()

    def first_at_least(session, query, **options):  # type: ignore[no-untyped-def]
        page = real_first(session, query, **options)
        if not query.search_text:
            return page
        return browse.Page(page.rows, 120, exact=False)

    def count_when_told(session, query):  # type: ignore[no-untyped-def]
        assert may_count.wait(20), "the test never let the count go"
        return real_count(session, query)

    monkeypatch.setattr(browse, "first_contacts", first_at_least)
    monkeypatch.setattr(browse, "count_contacts", count_when_told)
    app = make_app(str(filled_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await contacts(pilot, app)
        await pilot.press("slash", *"emi")
        await until(pilot, lambda: "120+ contacts match emi" in screen_text(app), "the page")
        await pilot.press("tab", "down", "down")  # the coordinator moves on meanwhile
        picked = screen.table.current_row
        assert screen.table.cursor == 2 and picked is not None
        may_count.set()
        await settle(pilot)
        assert "200 contacts match emi" in screen_text(app)
        assert screen.table.total == 200
        assert screen.table.vertical_scrollbar.window_virtual_size == 201
        assert screen.table.current_row == picked  # the count moved nothing
        await pilot.press("end")
        await settle(pilot)
        assert screen.table.cursor == 199  # the last row is the count's, not the guess's


@pytest.mark.asyncio
async def test_a_name_with_markup_is_shown_literally(filled_path: Path) -> None:
    app = make_app(str(filled_path), "tester")
    async with app.run_test(size=LARGE) as pilot:
        screen = await contacts(pilot, app)
        await pilot.press("slash", *"mallory")
        await settle(pilot)
        assert screen.table.total == 1
        text = screen_text(app)
    assert text.count("[bold]Eve [/]Mallory") >= 2  # in the table and atop the detail pane
    assert "[bold]Brackets[/] Network" in text and "[red]tag" in text


@pytest.mark.asyncio
async def test_columns_sort_by_key_and_by_clicking_their_title(filled_path: Path) -> None:
    app = make_app(str(filled_path), "tester")
    async with app.run_test(size=LARGE) as pilot:
        screen = await contacts(pilot, app)
        table = screen.table
        await pilot.press("s")  # the next column: organisation
        await settle(pilot)
        assert (table.sort_key, table.descending) == ("organisation", False)
        first = table.current_row
        assert first.organisation == "[bold]Brackets[/] Network"
        await pilot.press("r")
        await settle(pilot)
        assert table.descending and table.current_row.organisation == "Fondation Test 0049"
        assert "Organisation ▼" in screen_text(app)
        # A click on the Country title sorts by country.
        x = table.mark_gutter + sum(
            w + 1 for column, w in table.shown_columns if column.key not in ("country",)
        )
        await pilot.click(table, offset=(x + 1, 0))
        await settle(pilot)
        assert table.sort_key == "country"
        assert table.current_row.country == "BE"
        assert "by country A–Z" in screen_text(app)


@pytest.mark.asyncio
async def test_the_detail_pane_follows_the_cursor(filled_path: Path) -> None:
    app = make_app(str(filled_path), "tester")
    async with app.run_test(size=LARGE) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrganisationsScreen)
        await pilot.press("slash", *"test 000")
        await settle(pilot)
        assert [screen.table.row_at(i).name for i in range(3)] == [
            f"Fondation Test 000{i}" for i in range(3)
        ]
        await pilot.press("enter", "down", "down")
        await settle(pilot)
        assert screen.detail_shown == screen.table.current_row.id
        text = screen_text(app)
        assert "Fondation Test 0002" in text
        assert "People  40, first 20 shown" in text
        assert "csam-2022" in text and "invited" in text
        # The sign-ons come before the people, so a change made with c is in view.
        assert text.index("csam-2022") < text.index("People  40")
        assert "Invitation to sign" in text and "follow up 2020-01-01" in text


@pytest.mark.asyncio
async def test_the_table_holds_only_the_rows_around_its_view(filled_path: Path) -> None:
    with open_database(filled_path) as db, db.read_session() as s:
        last = contact_page(s, ContactQuery(), offset=2000, limit=1)[0]
        middle = contact_page(s, ContactQuery(), offset=1000, limit=1)[0]
    app = make_app(str(filled_path), "tester")
    async with app.run_test(size=LARGE) as pilot:
        screen = await contacts(pilot, app)
        table = screen.table
        assert table.total == 2001
        assert table.held_rows <= 2 * PAGE  # not 2,001
        await pilot.press("end")
        await settle(pilot)
        assert table.cursor == 2000 and table.current_row == last
        assert table.held_rows <= 2 * PAGE
        assert table.row_at(0) is None  # the top was let go
        table.scroll_to(y=990, animate=False)
        await settle(pilot)
        assert table.row_at(1000) == middle
        # The pages around the view, and the cursor's (still on the last row).
        assert table.held_rows <= 4 * PAGE
        await pilot.press("home", "pagedown", "pagedown")
        await settle(pilot)
        assert table.cursor == 2 * table.data_height()
        assert table.held_rows <= 3 * PAGE


@pytest.mark.parametrize(("size", "side_by_side"), [(SMALL, False), (LARGE, True)])
@pytest.mark.asyncio
async def test_detail_pane_beside_or_below_the_table(
    filled_path: Path, size: tuple[int, int], side_by_side: bool
) -> None:
    app = make_app(str(filled_path), "tester")
    async with app.run_test(size=size) as pilot:
        screen = await contacts(pilot, app)
        table = screen.table.region
        detail = screen.query_one("#browse-detail").region
        assert (detail.x > table.x and detail.y == table.y - 1) == side_by_side
        assert (detail.y > table.bottom - 1) == (not side_by_side)
        assert screen.table.region.height >= 8
        text = screen_text(app)
    assert "Name ▲" in text
