"""Snapshots of the terminal app's main screens at 80x24, in the dark and the light theme.

Each test draws a screen and compares it with the SVG kept in ``__snapshots__/``;
a change to a screen fails it until the new look is accepted with
``pytest tests/test_tui_snapshots.py --snapshot-update`` (look at the report first).

What would change from run to run is pinned: the screens' clock
(``coalition.tui.clock``), the stored timestamps (set after the data is made),
the time zone the times are shown in, the database's place (under the test's
home folder, shown as ``~/coalition.db``), the import wizard's folder (a
relative one) and the text cursor's blink.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import DateTime, case, select, update
from textual.pilot import Pilot
from textual.widgets import DirectoryTree, Footer, Input

from coalition.domain import campaigns, outreach, people
from coalition.domain.audit import work
from coalition.store.database import open_database
from coalition.store.models import (
    AuditEntry,
    Base,
    Interaction,
    Organisation,
    SignOn,
    SignOnEvent,
)
from coalition.tui import clock
from coalition.tui.app import CoalitionApp, make_app
from coalition.tui.screens.export_dialog import ExportDialog
from coalition.tui.screens.help import HelpScreen
from coalition.tui.screens.import_wizard import ImportWizard
from tests.browse_data import copy
from tests.tui_helpers import SMALL, screen_text

NOW = dt.datetime(2025, 3, 14, 9, 30)
"""The frozen moment (UTC, as stored)."""
TODAY = NOW.date()
BEGAN = dt.datetime(2025, 2, 17, 10, 0)
"""When the story's records were made."""
WEEK = dt.timedelta(days=7)

Compare = Callable[..., bool]

# (organisation, country, status, days before NOW it came to that status)
PIPELINE = [
    ("Verein Alpha", "DE", "prospect", 25),
    ("Kappa Network", "IE", "prospect", 25),
    ("Verein Beta", "AT", "prospect", 20),
    ("Fundacja Gamma", "PL", "invited", 24),
    ("Udruga Iota", "HR", "invited", 5),
    ("Stichting Delta", "NL", "considering", 12),
    ("Association Epsilon", "FR", "signed", 23),
    ("Fondation Zêta", "BE", "signed", 16),
    ("Associazione Eta", "IT", "signed", 9),
    ("Asociación Lambda", "ES", "signed", 2),
    ("Föreningen Theta", "SE", "declined", 11),
    ("Yhdistys Omikron", "FI", "withdrawn", 4),
]


def write_story(path: Path) -> None:
    """One open campaign, its pipeline, two people and two follow-ups due (fictional)."""
    db = open_database(path)
    with work(db, "alice") as w:
        campaigns.add_campaign(
            w,
            "open-letter-2025",
            name="Open letter on safe online spaces",
            target=8,
            state="open",
            opened_on="2025-02-17",
            deadline="2025-04-30",
        )
        for name, country, status, _ in PIPELINE:
            people.add_organisation(w, name=name, country=country)
            if status == "withdrawn":
                campaigns.set_signon(w, name, "open-letter-2025", "signed")
            campaigns.set_signon(w, name, "open-letter-2025", status)
        people.add_contact(
            w,
            given_name="Émilie",
            family_name="Bonneau",
            emails=["emilie.bonneau@example.org"],
            organisation="Association Epsilon",
            role="Policy Officer",
        )
        people.add_contact(
            w,
            given_name="Jan",
            family_name="Nowak",
            emails=["jan.nowak@example.net"],
            organisation="Fundacja Gamma",
        )
        outreach.log_interaction(
            w,
            organisation="Fundacja Gamma",
            subject="Invitation to sign",
            campaign="open-letter-2025",
            follow_up_on=TODAY - dt.timedelta(days=4),
            occurred_at=NOW - dt.timedelta(days=24),
        )
    with work(db, "bob") as w:
        outreach.log_interaction(
            w,
            contact="emilie.bonneau@example.org",
            channel="call",
            subject="Thank you call",
            follow_up_on=TODAY,
            occurred_at=NOW - dt.timedelta(days=6),
        )
    pin_times(db)
    db.close()


def pin_times(db: Any) -> None:
    """Stored timestamps as if the story had happened around ``NOW``, whenever it ran."""
    with db.engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, DateTime) and column.name != "occurred_at":
                    connection.execute(
                        update(table).where(column.is_not(None)).values({column: BEGAN})
                    )
        for name, _, status, days in PIPELINE:
            signon = connection.scalar(
                select(SignOn.id).join(Organisation).where(Organisation.name == name)
            )
            at = NOW - dt.timedelta(days=days)
            connection.execute(
                update(SignOnEvent)
                .where(SignOnEvent.signon_id == signon)
                .values(at=case((SignOnEvent.to_status == status, at), else_=at - WEEK))
            )
        entries = connection.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()
        for minutes, entry in enumerate(entries):
            connection.execute(
                update(AuditEntry)
                .where(AuditEntry.id == entry)
                .values(at=NOW - dt.timedelta(hours=2, minutes=-3 * minutes))
            )
        connection.execute(update(Interaction).values(created_at=Interaction.occurred_at))


@pytest.fixture(scope="module")
def story_template(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = copy(template_db, tmp_path_factory.mktemp("snapshots") / "story.db")
    write_story(path)
    return path


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The screens' clock stopped at ``NOW``; times shown in UTC."""
    monkeypatch.setattr(clock, "now", lambda: NOW)
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    monkeypatch.delenv("NO_COLOR", raising=False)  # it would draw every screen grey
    zone = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if zone is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = zone
    time.tzset()


@pytest.fixture
def home_db(template_db: Path) -> Path:
    """An empty database in the test's home folder (the start screen shows ``~/coalition.db``)."""
    Path.home().mkdir(parents=True, exist_ok=True)
    return copy(template_db, Path.home() / "coalition.db")


@pytest.fixture
def story_db(story_template: Path) -> Path:
    Path.home().mkdir(parents=True, exist_ok=True)
    return copy(story_template, Path.home() / "coalition.db")


def write_duplicates(path: Path) -> None:
    """The story, with a person entered twice and an organisation under its acronym."""
    db = open_database(path)
    with work(db, "bob") as w:
        people.add_contact(
            w,
            given_name="E.",
            family_name="Bonneau",
            emails=["Emilie.Bonneau@example.org"],
            phones=["+33 1 55 50 01 01"],
            role="Chargée de plaidoyer",
            city="Lyon",
            allow_duplicate=True,
        )
        people.edit_organisation(w, "Association Epsilon", {"acronym": "AEX"})
        people.add_organisation(
            w, name="AEX", country="FR", website="example.org", allow_duplicate=True
        )
    pin_times(db)
    db.close()


@pytest.fixture
def duplicates_db(story_template: Path) -> Path:
    Path.home().mkdir(parents=True, exist_ok=True)
    path = copy(story_template, Path.home() / "coalition.db")
    write_duplicates(path)
    return path


def app_on(path: Path, theme: str = "textual-dark") -> CoalitionApp:
    app = make_app(str(path), "tester")
    app.theme = theme
    return app


def steady(then: Callable[[Pilot[None]], Awaitable[None]] | None = None) -> Any:
    """A ``run_before``: wait for the app's jobs, run ``then``, stop the cursors blinking."""

    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CoalitionApp)
        await app.settle()
        if then is not None:
            await then(pilot)
        for box in app.screen.query(Input):
            box.cursor_blink = False
        # A footer lists its keys once the screen's bindings are settled, a moment after
        # the screen shows; a snapshot taken before then has an empty footer.
        for footer in app.screen.query(Footer):
            await until(pilot, lambda f=footer: bool(f.children), "the footer's keys")
        await pilot.pause()

    return run_before


async def until(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    for _ in range(400):
        await pilot.pause()
        if condition():
            return
        await pilot.app.workers.wait_for_complete(
            [
                w
                for w in pilot.app.workers
                if not w.is_finished and not isinstance(w.node, DirectoryTree)
            ]
        )
    raise AssertionError(f"waited in vain for {what}:\n{screen_text(pilot.app)}")


# --- the screens -----------------------------------------------------------------------------


def test_start_screen_greets_a_newcomer(snap_compare: Compare, home_db: Path) -> None:
    assert snap_compare(app_on(home_db), terminal_size=SMALL, run_before=steady())


def test_start_screen_with_followups_campaigns_and_activity(
    snap_compare: Compare, story_db: Path
) -> None:
    assert snap_compare(app_on(story_db), terminal_size=SMALL, run_before=steady())


def test_start_screen_in_the_light_theme(snap_compare: Compare, story_db: Path) -> None:
    app = app_on(story_db, "textual-light")
    assert snap_compare(app, terminal_size=SMALL, run_before=steady())


async def _campaign(pilot: Pilot[None]) -> None:
    await pilot.press("f5")
    await pilot.app.settle()  # type: ignore[attr-defined]


def test_campaign_screen(snap_compare: Compare, story_db: Path) -> None:
    assert snap_compare(app_on(story_db), terminal_size=SMALL, run_before=steady(_campaign))


def test_campaign_screen_in_the_light_theme(snap_compare: Compare, story_db: Path) -> None:
    app = app_on(story_db, "textual-light")
    assert snap_compare(app, terminal_size=SMALL, run_before=steady(_campaign))


async def _campaign_report(pilot: Pilot[None]) -> None:
    await _campaign(pilot)
    await pilot.press("R")
    await pilot.app.settle()  # type: ignore[attr-defined]
    assert "Sign-ons by status" in screen_text(pilot.app)


def test_campaign_report(snap_compare: Compare, story_db: Path) -> None:
    app = app_on(story_db)
    assert snap_compare(app, terminal_size=SMALL, run_before=steady(_campaign_report))


def _browse(key: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def browse(pilot: Pilot[None]) -> None:
        await pilot.press(key)
        await pilot.app.settle()  # type: ignore[attr-defined]  # the list and the detail pane

    return browse


def test_contacts_screen(snap_compare: Compare, story_db: Path) -> None:
    assert snap_compare(app_on(story_db), terminal_size=SMALL, run_before=steady(_browse("f3")))


def test_organisations_screen(snap_compare: Compare, story_db: Path) -> None:
    assert snap_compare(app_on(story_db), terminal_size=SMALL, run_before=steady(_browse("f4")))


def test_contacts_screen_in_the_light_theme(snap_compare: Compare, story_db: Path) -> None:
    app = app_on(story_db, "textual-light")
    assert snap_compare(app, terminal_size=SMALL, run_before=steady(_browse("f3")))


async def _help(pilot: Pilot[None]) -> None:
    await pilot.press("f1")
    assert isinstance(pilot.app.screen, HelpScreen)
    # Without its scrollbar, whose thumb shrinks with every binding added anywhere in the
    # app (test_tui_app checks that every binding is listed); the top of the list is drawn.
    pilot.app.screen.query_one("#help-body").styles.scrollbar_size_vertical = 0


def test_help_screen(snap_compare: Compare, home_db: Path) -> None:
    assert snap_compare(app_on(home_db), terminal_size=SMALL, run_before=steady(_help))


def test_import_wizard_chooses_a_file(
    snap_compare: Compare, home_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = tmp_path / "work" / "imports"
    files.mkdir(parents=True)
    (files / "members.xlsx").write_bytes(b"")  # listed, never opened
    (files / "signon-form.csv").write_text("Name,Email\n", encoding="utf-8")
    (files / "notes.docx").write_text("not importable", encoding="utf-8")
    monkeypatch.chdir(files.parent)

    async def wizard(pilot: Pilot[None]) -> None:
        await pilot.app.push_screen(ImportWizard(folder=Path("imports")))
        await until(pilot, lambda: "signon-form.csv" in screen_text(pilot.app), "the files")

    assert snap_compare(app_on(home_db), terminal_size=SMALL, run_before=steady(wizard))


def test_export_dialog(snap_compare: Compare, story_db: Path) -> None:
    async def export(pilot: Pilot[None]) -> None:
        pilot.app.push_screen(ExportDialog(folder=Path("exports")))
        await until(
            pilot,
            lambda: isinstance(pilot.app.screen, ExportDialog) and pilot.app.screen.campaigns,
            "the campaigns",
        )

    assert snap_compare(app_on(story_db), terminal_size=SMALL, run_before=steady(export))


def test_duplicates_screen(snap_compare: Compare, duplicates_db: Path) -> None:
    async def duplicates(pilot: Pilot[None]) -> None:
        await pilot.app.run_action("duplicates")
        await pilot.app.settle()  # type: ignore[attr-defined]  # the pairs, the first side by side
        assert "Keep #" in screen_text(pilot.app)

    assert snap_compare(app_on(duplicates_db), terminal_size=SMALL, run_before=steady(duplicates))


def test_the_start_screen_names_the_database_briefly_and_without_a_password() -> None:
    from coalition.store.where import shown_url
    from coalition.tui.screens.start import shown_path

    assert shown_path(Path.home() / "data" / "coalition.db") == "~/data/coalition.db"
    assert shown_path(Path("/srv/coalition/coalition.db")) == "/srv/coalition/coalition.db"
    shown = shown_url("postgresql://alice:s3cret@db.example.org/coalition")
    assert "s3cret" not in shown and shown.startswith("postgresql://alice:")
