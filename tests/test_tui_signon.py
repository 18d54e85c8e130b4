"""Sign-ons from the Organisations screen: c puts the highlighted organisation in a
campaign (or moves it on), C every organisation listed, once asked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Checkbox, Select

from coalition.domain import campaigns, people
from coalition.domain.audit import work
from coalition.store.database import open_database
from coalition.tui.app import make_app
from coalition.tui.screens.browse import OrganisationsScreen
from coalition.tui.screens.filters import FilterDialog
from coalition.tui.screens.signon_dialog import NO_CAMPAIGN, AddAllDialog, SignOnDialog
from tests.browse_data import copy
from tests.tui_helpers import (
    LARGE,
    SMALL,
    make_filled_template,
    notes,
    screen_text,
    select_options,
    settle,
    until,
)

# make_filled_template: 50 organisations Fondation Test 0000-0049 (and the story's Brackets
# Network); csam-2022 is open, with Fondation Test 0001 signed and 0002 invited.
MEMBERS = [f"Fondation Test {i:04d}" for i in (1, 2, 10, 11, 12)]
"""Tagged "members": one signed, one invited, three not in csam-2022."""


@pytest.fixture(scope="module")
def signon_template(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = make_filled_template(template_db, tmp_path_factory.mktemp("tui-signon"), contacts=200)
    db = open_database(path)
    with work(db, "alice") as w:
        for name in MEMBERS:
            people.edit_organisation(w, name, {}, add_tags=["members"])
        campaigns.add_campaign(w, "draft-2026", name="Next year's letter")  # a draft
    db.close()
    return path


@pytest.fixture
def signon_path(signon_template: Path, tmp_path: Path) -> Iterator[Path]:
    yield copy(signon_template, tmp_path / "signon.db")


def statuses(path: Path, code: str = "csam-2022") -> dict[str, str]:
    db = open_database(path)
    try:
        with db.read_session() as s:
            return {v.organisation: v.status for v in campaigns.list_signons(s, code)}
    finally:
        db.close()


def signon_line(app: Any, code: str = "csam-2022") -> list[str]:
    """The words of the detail pane's line about ``code`` (beside the table at 200x50)."""
    pane = app.screen.query_one("#browse-detail").region
    lines = screen_text(app).split("\n")[pane.y : pane.bottom]
    found = [line[pane.x : pane.right].split() for line in lines if code in line]
    assert found, f"no line about {code} in the detail pane"
    return found[-1]


async def organisations(pilot: Any, search: str = "") -> OrganisationsScreen:
    await pilot.press("f4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, OrganisationsScreen)
    if search:
        await pilot.press("slash", *search, "enter")
        await settle(pilot)
    return screen


async def dialog_of(pilot: Any, kind: type[Any]) -> Any:
    await until(pilot, lambda: isinstance(pilot.app.screen, kind), f"the {kind.__name__}")
    await settle(pilot)
    return pilot.app.screen


@pytest.mark.asyncio
async def test_c_puts_the_organisation_in_the_campaign_and_the_detail_pane_shows_it(
    signon_path: Path,
) -> None:
    app = make_app(str(signon_path), "tester")
    async with app.run_test(size=LARGE) as pilot:
        screen = await organisations(pilot, "Fondation Test 0003")
        assert screen.table.current_row.name == "Fondation Test 0003"
        await pilot.press("c")
        dialog = await dialog_of(pilot, SignOnDialog)
        # The one open campaign, and a first sign-on starts as a prospect; Enter does it.
        assert (dialog.campaign, dialog.status) == ("csam-2022", "prospect")
        text = screen_text(app)
        assert "Sign-on of Fondation Test 0003" in text and "Not in csam-2022 yet." in text
        assert dialog.focused is dialog.query_one("#signon-apply", Button)
        assert str(dialog.query_one("#signon-apply", Button).label) == "Add as prospect"
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen, "the dialog to close")
        await settle(pilot)
        assert statuses(signon_path)["Fondation Test 0003"] == "prospect"
        assert "Fondation Test 0003 is prospect for csam-2022." in notes(app)
        assert screen.detail_shown == screen.table.current_row.id
        assert signon_line(app)[1:3] == ["csam-2022", "prospect"]

        # Again: it is in the campaign now; the next step is offered, any allowed move taken.
        await pilot.press("c")
        dialog = await dialog_of(pilot, SignOnDialog)
        assert dialog.status == "invited"
        assert "Prospect in csam-2022 since" in screen_text(app)
        offered = [
            v
            for _, v in select_options(dialog.query_one("#signon-status", Select))
            if isinstance(v, str)
        ]
        assert offered == ["invited", "considering", "signed", "declined"]
        dialog.query_one("#signon-status", Select).value = "signed"
        await pilot.pause()
        assert str(dialog.query_one("#signon-apply", Button).label) == "Move to signed"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen, "the dialog to close")
        await settle(pilot)
        assert statuses(signon_path)["Fondation Test 0003"] == "signed"
        assert signon_line(app)[1:3] == ["csam-2022", "signed"]

        # Signed: only withdrawn is possible, and nothing is chosen for Enter to do.
        await pilot.press("c")
        dialog = await dialog_of(pilot, SignOnDialog)
        assert dialog.status is None
        assert dialog.query_one("#signon-apply", Button).disabled
        assert "it can move to withdrawn" in screen_text(app)
        # A draft campaign is a choice too: the organisation is not in it yet.
        dialog.query_one("#signon-campaign", Select).value = "draft-2026"
        await pilot.pause()
        assert dialog.status == "prospect"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert "Fondation Test 0003" not in statuses(signon_path, "draft-2026")


@pytest.mark.asyncio
async def test_C_adds_exactly_the_filtered_organisations_once_asked(signon_path: Path) -> None:
    app = make_app(str(signon_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await organisations(pilot)
        await pilot.press("f")
        await settle(pilot)
        filters = app.screen
        assert isinstance(filters, FilterDialog)
        filters.query_one("#filter-tag", Select).value = "members"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.table.total == 5
        before = statuses(signon_path)

        await pilot.press("C")
        dialog = await dialog_of(pilot, AddAllDialog)
        assert (dialog.campaign, dialog.status) == ("csam-2022", "prospect")
        dialog.query_one("#signon-status", Select).value = "invited"
        await until(pilot, lambda: dialog.plan is not None, "what it would do")
        await settle(pilot)
        text = screen_text(app)
        assert "Add 5 organisations to csam-2022 as invited?" in text
        assert "3 organisations not in csam-2022 yet: added as invited." in text
        assert "1 organisation invited already." in text
        assert "1 organisation in it already left as it is (1 signed)." in text
        assert str(dialog.query_one("#signon-apply", Button).label) == "Add 3"
        assert dialog.focused is dialog.query_one("#signon-apply")  # Enter does it
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen, "the dialog to close")
        await settle(pilot)
        after = statuses(signon_path)
        added = {name: status for name, status in after.items() if name not in before}
        assert added == {name: "invited" for name in MEMBERS[2:]}
        assert {name: after[name] for name in before} == before
        assert (
            "Added 3 organisations to csam-2022 as invited. "
            "Left 2 organisations as they were (1 invited, 1 signed)."
        ) in notes(app)

        # Ticked, those already in move where the pipeline allows: signed stays signed.
        await pilot.press("C")
        dialog = await dialog_of(pilot, AddAllDialog)
        dialog.query_one("#signon-status", Select).value = "considering"
        dialog.query_one("#signon-move", Checkbox).value = True
        await until(
            pilot,
            lambda: dialog.plan is not None and dialog.plan.status == "considering",
            "what it would do",
        )
        await settle(pilot)
        text = screen_text(app)
        assert "4 organisations moved to considering (4 invited)." in text
        assert "1 organisation left as it is (1 signed): the pipeline does not move" in text
        assert str(dialog.query_one("#signon-apply", Button).label) == "Move 4"
        await pilot.click("#signon-apply")
        await until(pilot, lambda: app.screen is screen, "the dialog to close")
        await settle(pilot)
        after = statuses(signon_path)
        assert {name: after[name] for name in MEMBERS} == {
            "Fondation Test 0001": "signed",
            **{name: "considering" for name in MEMBERS[1:]},
        }
        assert len(after) == len(before) + 3  # nobody outside the filter


@pytest.mark.asyncio
async def test_without_a_campaign_or_a_narrowed_list_it_says_what_to_do(db_path: Path) -> None:
    db = open_database(db_path)
    with work(db, "alice") as w:
        people.add_organisation(w, name="Verein Beispiel", country="DE")
    db.close()
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await organisations(pilot)
        await pilot.press("c")
        await until(pilot, lambda: NO_CAMPAIGN in notes(app), "the sentence")
        assert NO_CAMPAIGN == "No campaign yet: press F5, then n to start one."
        await pilot.press("C")  # the whole table: refused before anything is read
        await until(pilot, lambda: any("search or filter" in n for n in notes(app)), "C refused")
        await pilot.press("slash", *"beispiel", "enter")
        await settle(pilot)
        await pilot.press("C")
        await until(pilot, lambda: notes(app).count(NO_CAMPAIGN) == 2, "the sentence again")
        await pilot.press("slash", *"zz", "enter")
        await settle(pilot)
        assert screen.table.total == 0
        await pilot.press("C")
        await until(pilot, lambda: any("No organisation is listed" in n for n in notes(app)), "")
        await settle(pilot)
        assert app.screen is screen
