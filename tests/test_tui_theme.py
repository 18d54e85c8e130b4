"""The terminal app's theme: chosen in the command palette, kept for the next run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from coalition import settings
from coalition.tui.app import make_app
from tests.tui_helpers import SMALL, notes, screen_text, settle


async def until(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    for _ in range(300):
        await pilot.pause()
        if condition():
            return
    raise AssertionError(f"waited in vain for {what}:\n{screen_text(pilot.app)}")


def test_the_settings_file_is_in_the_user_config_dir() -> None:
    assert settings.config_path() == Path.home() / ".config" / "coalition" / "settings.json"


@pytest.mark.asyncio
async def test_a_theme_chosen_in_the_palette_is_kept_for_the_next_run(db_path: Path) -> None:
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert app.current_theme.dark
        background = app.screen.styles.background
        await pilot.press("ctrl+p", *"theme")
        await until(pilot, lambda: "Theme: light or dark" in screen_text(app), "the action")
        await app.workers.wait_for_complete()  # the palette's search, done
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: "dracula" in screen_text(app), "the theme picker")
        await pilot.press(*"textual-light", "enter")
        await until(pilot, lambda: app.theme == "textual-light", "the light theme")
        await settle(pilot)
        assert not app.current_theme.dark
        lighter = app.screen.styles.background
        assert lighter.brightness > 0.5 > background.brightness
    assert json.loads(settings.config_path().read_text(encoding="utf-8")) == {
        "theme": "textual-light"
    }

    again = make_app(str(db_path), "tester")
    async with again.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert again.theme == "textual-light"
        assert again.screen.styles.background.brightness > 0.5


@pytest.mark.parametrize("content", ["{not json", '{"theme": "no-such-theme"}', "[1, 2]"])
@pytest.mark.asyncio
async def test_a_broken_or_unknown_saved_theme_falls_back_to_the_default(
    db_path: Path, content: str
) -> None:
    path = settings.config_path()
    path.parent.mkdir(parents=True)
    path.write_text(content, encoding="utf-8")
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        assert "Welcome to coalition" in screen_text(app)


@pytest.mark.asyncio
async def test_a_theme_that_cannot_be_saved_is_said_and_still_used(db_path: Path) -> None:
    folder = settings.config_path().parent
    folder.parent.mkdir(parents=True)
    folder.write_text("a file where the folder should be", encoding="utf-8")
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        app.theme = "textual-light"
        await until(pilot, lambda: bool(notes(app)), "the notification")
        assert app.is_running and app.theme == "textual-light"
        [note] = notes(app)
    assert note.startswith("The theme could not be kept for next time")
