"""Helpers for the terminal-app tests: a filled database template and reading the screen."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.geometry import Region
from textual.pilot import Pilot

from tests.browse_data import add_story, copy, fill

SMALL = (80, 24)
LARGE = (200, 50)


def make_filled_template(template_db: Path, folder: Path, contacts: int = 2000) -> Path:
    path = copy(template_db, folder / "filled.db")
    fill(path, contacts, 50)
    add_story(path)
    return path


async def settle(pilot: Pilot[None]) -> None:
    """Wait until every search, page and detail asked for has been fetched and drawn."""
    await pilot.app.settle()  # type: ignore[attr-defined]
    await pilot.pause()


async def until(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    """Let the app run until ``condition`` holds (the command palette searches and runs
    commands in its own tasks, which the app's ``settle`` does not wait for); a slow
    machine gets time, a condition that never comes fails with ``what``."""
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        await pilot.pause(0.01)


def screen_text(app: App[None]) -> str:
    """The screen as plain text, line by line (what a user would read)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def palette_offers(pilot: Pilot[None], help_text: str) -> None:
    """Wait until the command palette's search shows the action whose help is
    ``help_text``, and is over: the unfiltered list is gone, whose first action (the
    start screen) Enter would run. What was typed must not match "Start screen"."""
    app = pilot.app

    def searched() -> bool:
        text = screen_text(app)
        return help_text in text and "Follow-ups due, open campaigns" not in text

    await until(pilot, searched, f"the palette to offer {help_text!r}")


def notes(app: App[Any]) -> list[str]:
    """The notifications shown so far, as text. (The one place the tests read Textual's
    private list of them: a Textual release that renames it breaks this line alone.)"""
    return [n.message for n in app._notifications]


def select_options(select: Any) -> list[tuple[Any, Any]]:
    """A Select's (label, value) pairs, the blank one first where it has one (Textual's
    private list, read here alone)."""
    return list(select._options)


def toasts(app: App[Any]) -> list[Region]:
    """Where the notifications shown on the current screen are (a test runs the app with
    ``notifications=True`` to have them drawn)."""
    return [toast.region for toast in app.screen.query("Toast")]


def footer_keys(app: App[Any]) -> list[tuple[str, Region]]:
    """The keys the current screen's footer shows, as "key description", with where each
    is; the command palette's key last. (Textual's footer keys, read here alone.)"""
    from textual.widgets._footer import FooterKey

    return [
        (f"{key.key_display} {key.description}".strip(), key.region)
        for key in app.screen.query(FooterKey)
        if key.display
    ]
