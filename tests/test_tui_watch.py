"""The app sees what other programs write: within two seconds of another process
changing the database, the screen shown reads it again, keeping its place."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from coalition.tui.app import make_app
from coalition.tui.screens.campaign import CampaignScreen
from coalition.tui.screens.start import StartScreen
from tests.test_tui_campaign import CODE, counts, make_campaign
from tests.tui_helpers import SMALL, screen_text, settle

pytestmark = pytest.mark.watch


def elsewhere(db_path: Path, *args: str) -> None:
    """A colleague's command, in its own process, while the app runs."""
    subprocess.run(
        [sys.executable, "-m", "coalition", "--db", str(db_path), "--as", "bob", *args],
        check=True,
        capture_output=True,
    )


async def within_two_seconds(pilot: object, condition: object, what: str) -> float:
    """How long, after the other process finished, the app took to show it."""
    start = time.monotonic()
    while not condition():  # type: ignore[operator]
        waited = time.monotonic() - start
        assert waited < 2.0, f"after 2 s the app still does not show {what}"
        await pilot.pause(0.05)  # type: ignore[attr-defined]
    return time.monotonic() - start


@pytest.mark.asyncio
async def test_the_campaign_screen_shows_another_programs_move_keeping_its_cursor(
    db_path: Path,
) -> None:
    make_campaign(db_path)
    app = make_app(str(db_path), "alice")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CampaignScreen)
        await pilot.press("right", "down")  # invited: on Stichting Delta, the second
        assert screen.stage_list("invited").cursor == 1
        assert counts(screen)["signed"] == 1

        elsewhere(db_path, "signon", "set", "Verein Alpha", CODE, "signed")
        await within_two_seconds(
            pilot, lambda: counts(screen)["signed"] == 2, "Verein Alpha signed"
        )
        await settle(pilot)
        assert counts(screen)["prospect"] == 2
        assert screen.focused is screen.stage_list("invited")
        assert screen.stage_list("invited").cursor == 1  # still on Stichting Delta
        assert "Stichting Delta" in screen_text(app).splitlines()[-2]


@pytest.mark.asyncio
async def test_the_start_screen_shows_a_followup_logged_elsewhere(db_path: Path) -> None:
    make_campaign(db_path)
    app = make_app(str(db_path), "alice")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, StartScreen)
        assert "Call back about the letter" not in screen_text(app)
        elsewhere(db_path, "log", "--org", "Verein Beta", "--channel", "call",
                  "--subject", "Call back about the letter", "--follow-up", "today")  # fmt: skip
        await within_two_seconds(
            pilot,
            lambda: "Call back about the letter" in screen_text(app),
            "the follow-up logged by bob",
        )


@pytest.mark.asyncio
async def test_the_organisations_list_shows_a_rename_elsewhere_keeping_its_cursor(
    db_path: Path,
) -> None:
    make_campaign(db_path)
    app = make_app(str(db_path), "alice")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("down", "down")
        screen = app.screen
        table = screen.table  # type: ignore[attr-defined]
        kept = table.current_row.id
        elsewhere(db_path, "org", "edit", "Verein Beta", "--name", "Verein Beta-Zwei")
        await within_two_seconds(
            pilot, lambda: "Verein Beta-Zwei" in screen_text(app), "the new name"
        )
        await settle(pilot)
        assert table.current_row.id == kept


@pytest.mark.asyncio
async def test_a_form_open_on_an_organisation_deleted_elsewhere_says_so(db_path: Path) -> None:
    from coalition.tui.screens.record_forms import OrganisationForm

    make_campaign(db_path)
    app = make_app(str(db_path), "alice")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, OrganisationForm) and form.record_id is not None
        elsewhere(db_path, "org", "delete", f"#{form.record_id}", "--yes")
        await within_two_seconds(
            pilot,
            lambda: "deleted or merged by someone else" in screen_text(app),
            "that the organisation is gone",
        )


@pytest.mark.asyncio
async def test_on_a_server_database_the_start_screen_shows_another_coordinators_sign_on(
    pg_server: object,
) -> None:
    """PostgreSQL has no change counter: the app listens for the notification every write
    sends as it commits, and the start screen's activity says who did what."""
    url = pg_server.url_of(pg_server.new_database())  # type: ignore[attr-defined]
    make_campaign(url)  # type: ignore[arg-type]
    app = make_app(url, "alice")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, StartScreen)
        said = f"marked Verein Alpha signed ({CODE})"
        assert said not in screen_text(app)
        subprocess.run(
            [sys.executable, "-m", "coalition", "--db", url, "signon", "set", "Verein Alpha",
             CODE, "signed"],
            check=True, capture_output=True,
        )  # fmt: skip
        await within_two_seconds(pilot, lambda: said in screen_text(app), "the sign-on")
