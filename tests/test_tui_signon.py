"""Sign-ons from the Organisations screen: c puts the highlighted organisation in a
campaign (or moves it on), C every organisation listed, once asked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Checkbox, Input, OptionList, Select

from coalition.domain import campaigns, people, pipeline
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
            return {v.organisation: v.status for v in pipeline.list_signons(s, code)}
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


def offered(dialog: Any) -> list[str | None]:
    """The statuses the dialog's list offers, top to bottom."""
    return [option.id for option in dialog.query_one("#signon-status", OptionList).options]


async def choose_status(pilot: Any, dialog: Any, status: str) -> None:
    """Move the status list's highlight (the choice) to ``status``, as the arrows do."""
    listed = dialog.query_one("#signon-status", OptionList)
    listed.highlighted = offered(dialog).index(status)
    await pilot.pause()
    assert dialog.status == status


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
        assert dialog.focused is dialog.query_one("#signon-status")
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
        assert offered(dialog) == ["prospect", "invited", "considering", "signed", "declined"]
        assert "○ prospect  as it is" in screen_text(app)
        assert "● invited  the next step" in screen_text(app)
        await choose_status(pilot, dialog, "signed")
        assert str(dialog.query_one("#signon-apply", Button).label) == "Move to signed"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen, "the dialog to close")
        await settle(pilot)
        assert statuses(signon_path)["Fondation Test 0003"] == "signed"
        assert signon_line(app)[1:3] == ["csam-2022", "signed"]

        # Signed: only withdrawn is possible, and the status stays as it is: Enter saves
        # nothing, as nothing was changed.
        await pilot.press("c")
        dialog = await dialog_of(pilot, SignOnDialog)
        assert offered(dialog) == ["signed", "withdrawn"]
        assert dialog.status == "signed"
        assert dialog.query_one("#signon-apply", Button).disabled
        assert "it can move to withdrawn" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is dialog
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
        assert offered(dialog) == ["prospect", "invited", "considering", "signed", "declined"]
        await choose_status(pilot, dialog, "invited")
        await until(pilot, lambda: dialog.plan is not None, "what it would do")
        await settle(pilot)
        text = screen_text(app)
        assert "Add 5 organisations to csam-2022 as invited?" in text
        assert "3 organisations not in csam-2022 yet: added as invited." in text
        assert "1 organisation invited already." in text
        assert "1 organisation in it already left as it is (1 signed)." in text
        assert str(dialog.query_one("#signon-apply", Button).label) == "Add 3"
        assert dialog.focused is dialog.query_one("#signon-status")  # Enter does it
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
        await choose_status(pilot, dialog, "considering")
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


def signon_of(path: Path, organisation: str, code: str = "csam-2022") -> Any:
    db = open_database(path)
    try:
        with db.read_session() as s:
            found = pipeline.list_signons(s, code)
            return next(v for v in found if v.organisation == organisation)
    finally:
        db.close()


def people_of(path: Path, organisation: str) -> list[tuple[int, str]]:
    db = open_database(path)
    try:
        with db.read_session() as s:
            org = people.get_organisation(s, organisation)
            return [(c.id, c.display_name) for c in people.contacts_of(s, org.id)]
    finally:
        db.close()


@pytest.mark.asyncio
async def test_signing_records_who_signed_the_name_to_publish_and_whether_public(
    signon_path: Path,
) -> None:
    staff = people_of(signon_path, "Fondation Test 0003")
    assert len(staff) >= 2
    app = make_app(str(signon_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await organisations(pilot, "Fondation Test 0003")
        await pilot.press("c")
        dialog = await dialog_of(pilot, SignOnDialog)
        signed_fields = dialog.query_one("#signon-signed")
        assert not signed_fields.display  # a prospect has no signatory
        await choose_status(pilot, dialog, "signed")
        assert signed_fields.display
        # Who signed: one of its people (by name, role beside), or nobody named at first.
        by = dialog.query_one("#signon-by", Select)
        listed = [(value, str(label).split("  ")[0]) for label, value in select_options(by)]
        assert listed[1:] == staff and listed[0][0] is Select.NULL
        assert by.value is Select.NULL
        # The name to publish starts as the organisation's; public, as the domain has it.
        assert dialog.query_one("#signon-display", Input).value == "Fondation Test 0003"
        assert dialog.query_one("#signon-public", Checkbox).value is True
        # Chosen with the keys: the person's list opens in place, ↓ to the second, Enter.
        await pilot.press("tab")
        assert dialog.focused is by
        await pilot.press("enter", "down", "down", "enter")
        assert by.value == staff[1][0]
        await pilot.press("tab")
        dialog.query_one("#signon-display", Input).value = "Fondation Test (Lyon branch)"
        await pilot.press("tab", "space")  # public no more
        assert dialog.query_one("#signon-public", Checkbox).value is False
        await pilot.press("tab", *"At the assembly")
        assert str(dialog.query_one("#signon-apply", Button).label) == "Add as signed"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen, "the dialog to close")
        await settle(pilot)
        view = signon_of(signon_path, "Fondation Test 0003")
        assert (view.status, view.signed_by, view.display_name, view.public, view.notes) == (
            "signed",
            staff[1][1],
            "Fondation Test (Lyon branch)",
            False,
            "At the assembly",
        )
        assert (
            f"Fondation Test 0003 is signed for csam-2022, signed by {staff[1][1]}, "
            "listed as Fondation Test (Lyon branch), not named publicly."
        ) in notes(app)

        # Again: the status stays as it is, the fields as recorded; Save is for a change.
        await pilot.press("c")
        dialog = await dialog_of(pilot, SignOnDialog)
        assert dialog.status == "signed"
        assert dialog.query_one("#signon-by", Select).value == staff[1][0]
        assert dialog.query_one("#signon-display", Input).value == "Fondation Test (Lyon branch)"
        assert dialog.query_one("#signon-public", Checkbox).value is False
        assert dialog.query_one("#signon-notes", Input).value == "At the assembly"
        apply = dialog.query_one("#signon-apply", Button)
        assert (str(apply.label), apply.disabled) == ("Save", True)
        dialog.query_one("#signon-display", Input).value = ""  # back to the organisation's
        dialog.query_one("#signon-by", Select).clear()  # nobody named after all
        await pilot.pause()
        assert not apply.disabled
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen, "the dialog to close")
        await settle(pilot)
        view = signon_of(signon_path, "Fondation Test 0003")
        assert (view.signed_by, view.display_name, view.public, view.notes) == (
            None,
            "Fondation Test 0003",
            False,
            "At the assembly",
        )


@pytest.mark.asyncio
async def test_the_dialogs_read_top_to_bottom_and_nothing_drops_over_their_text(
    signon_path: Path,
) -> None:
    app = make_app(str(signon_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await organisations(pilot, "Fondation Test 0003")
        await pilot.press("c")
        dialog = await dialog_of(pilot, SignOnDialog)

        async def tabs(n: int) -> list[str | None]:
            seen = []
            for _ in range(n):
                await pilot.press("tab")
                seen.append(dialog.focused.id if dialog.focused else None)
            return seen

        # The focus starts on the statuses; Tab takes the fields down, then Save, then Cancel.
        assert dialog.focused is dialog.query_one("#signon-status")
        assert await tabs(4) == ["signon-notes", "signon-apply", "signon-cancel", "signon-campaign"]
        await choose_status(pilot, dialog, "signed")
        dialog.query_one("#signon-status").focus()
        assert await tabs(8) == [
            "signon-by",
            "signon-display",
            "signon-public",
            "signon-notes",
            "signon-apply",
            "signon-cancel",
            "signon-campaign",
            "signon-status",
        ]
        # ← and → go from button to button.
        dialog.query_one("#signon-apply").focus()
        await pilot.press("right")
        assert dialog.focused is dialog.query_one("#signon-cancel")
        await pilot.press("right")
        assert dialog.focused is dialog.query_one("#signon-apply")
        await pilot.press("left")
        assert dialog.focused is dialog.query_one("#signon-cancel")
        # Everything of it on the 80x24 screen, the buttons included.
        body = dialog.query_one("#signon-body").region
        assert body.y >= 0 and body.bottom <= SMALL[1] and body.right <= SMALL[0]
        assert body.contains_region(dialog.query_one("#signon-buttons").region)
        # The campaign's choices open in place: the statuses move down, none is covered.
        campaign = dialog.query_one("#signon-campaign", Select)
        status_top = dialog.query_one("#signon-status").region.y
        campaign.focus()
        await pilot.press("enter")
        await pilot.pause()
        opened = campaign.query_one("SelectOverlay").region
        assert opened.height > 0
        assert dialog.query_one("#signon-status").region.y >= opened.bottom > status_top
        text = screen_text(app)
        assert "Sign-on of Fondation Test 0003" in text and "○ prospect" in text
        await pilot.press("escape")  # closes the choices, not the dialog
        await pilot.pause()
        assert app.screen is dialog
        await pilot.press("escape")
        await settle(pilot)

        # C: the status alone (and whether to move those in it already), in the same order.
        await pilot.press("slash", *"Fondation Test 001", "enter")
        await settle(pilot)
        await pilot.press("C")
        dialog = await dialog_of(pilot, AddAllDialog)
        assert not dialog.query("#signon-by") and not dialog.query("#signon-notes")
        assert dialog.focused is dialog.query_one("#signon-status")
        assert await tabs(5) == [
            "signon-move",
            "signon-apply",
            "signon-cancel",
            "signon-campaign",
            "signon-status",
        ]
