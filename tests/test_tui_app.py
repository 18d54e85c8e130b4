"""The terminal app: start screen, help, command palette, failures, the CLI entry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from coalition.tui.app import CoalitionApp, make_app
from coalition.tui.screens.browse import BrowseScreen, ContactsScreen, OrganisationsScreen
from coalition.tui.screens.confirm import ConfirmDialog
from coalition.tui.screens.export_dialog import ExportDialog
from coalition.tui.screens.help import HelpScreen
from coalition.tui.screens.import_batches import ImportBatchesScreen
from coalition.tui.screens.import_wizard import ImportWizard
from coalition.tui.screens.signon_dialog import AddAllDialog
from coalition.tui.screens.start import FollowUpList, StartScreen
from coalition.tui.widgets.buttons import ButtonRow
from coalition.tui.widgets.lazy_table import LazyTable
from tests.tui_helpers import (
    LARGE,
    SMALL,
    footer_keys,
    make_filled_template,
    notes,
    palette_offers,
    screen_text,
    settle,
    until,
)


@pytest.fixture(scope="module")
def filled_template(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_filled_template(template_db, tmp_path_factory.mktemp("tui-app"), contacts=200)


@pytest.fixture
def filled_path(filled_template: Path, tmp_path: Path) -> Path:
    from tests.browse_data import copy

    return copy(filled_template, tmp_path / "filled.db")


async def start_screen(target: str, size: tuple[int, int]) -> tuple[CoalitionApp, str]:
    """Open the app on ``target`` and return it, closed, with its start screen's text."""
    app = make_app(target, "tester")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, StartScreen)
        return app, screen_text(app)


@pytest.mark.asyncio
async def test_an_empty_database_greets_a_newcomer_with_what_to_do(db_path: Path) -> None:
    _, text = await start_screen(str(db_path), SMALL)
    assert "Welcome to coalition" in text
    assert "coalition import imports/coalition-members.xlsx" in text
    assert 'coalition org add "Minors Care Example"' in text
    assert "Follow-ups due" not in text


@pytest.mark.asyncio
async def test_a_draft_campaign_already_taking_sign_ons_is_on_the_start_screen(
    db_path: Path,
) -> None:
    from coalition.domain import campaigns, people
    from coalition.domain.audit import work
    from coalition.store.database import open_database

    db = open_database(db_path)
    with work(db, "alice") as w:
        campaigns.add_campaign(w, "csam-2022", name="Joint statement", target=10)
        people.add_organisation(w, name="Minors Care Example", country="BE")
        campaigns.set_signon(w, "Minors Care Example", "csam-2022", "signed")
    db.close()
    _, text = await start_screen(str(db_path), SMALL)
    assert "No open campaigns" not in text
    line = next(line for line in text.splitlines() if "csam-2022" in line and "Joint" in line)
    assert "draft" in line and "1 / 10" in line


@pytest.mark.asyncio
async def test_start_screen_shows_followups_campaigns_and_recent_activity(
    filled_path: Path,
) -> None:
    app, text = await start_screen(str(filled_path), LARGE)
    assert "Welcome" not in text
    assert "51 organisations, 201 contacts" in text
    assert "2 due today or overdue" in text
    assert "Invitation to sign" in text and "Fondation Test 0002" in text
    # Markup characters in names and subjects are shown as typed.
    assert "Call about [bold] things" in text
    assert "[bold]Brackets[/] Network / [bold]Eve [/]Mallory" in text
    assert "csam-2022" in text and "1 / 10" in text and "1 invited" in text
    assert "Recent activity" in text and "alice" in text
    assert app.database_open  # opened behind the first look, for the next screen


@pytest.mark.asyncio
async def test_the_start_screen_is_filled_the_usual_way_where_the_first_look_cannot(
    filled_path: Path,
) -> None:
    # A URL (as a server's would be) is not read with sqlite3 alone: SQLAlchemy reads it.
    _, text = await start_screen(f"sqlite:///{filled_path}", LARGE)
    assert "51 organisations, 201 contacts" in text
    assert "2 due today or overdue" in text and "Invitation to sign" in text


@pytest.mark.asyncio
@pytest.mark.parametrize("url", [False, True], ids=["first look", "the usual way"])
async def test_an_unfinished_erasure_is_said_first_on_the_start_screen(
    filled_path: Path, url: bool
) -> None:
    """An erasure cut short after its commit (a process killed) leaves the erased person's
    details in the file until `person erase --finish`: the start screen says so, both when
    it reads the file itself and when it reads it through SQLAlchemy."""
    import os

    env = {**os.environ, "COALITION_TEST_KILL_AT": "committed"}
    killed = subprocess.run(
        [sys.executable, "-m", "coalition", "--db", str(filled_path), "person", "erase",
         "#1", "--yes"], env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert killed.returncode == -9, killed.stderr
    target = f"sqlite:///{filled_path}" if url else str(filled_path)
    _, text = await start_screen(target, LARGE)
    assert "1 erasure is not finished" in text
    assert "coalition person erase --finish" in text
    finished = subprocess.run(
        [sys.executable, "-m", "coalition", "--db", str(filled_path), "person", "erase",
         "--finish"], capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr
    _, text = await start_screen(target, LARGE)
    assert "not finished" not in text


def _followups(path: Path) -> list[tuple[str | None, Any]]:
    from coalition.domain import outreach
    from coalition.store.database import open_database

    with open_database(path) as db, db.read_session() as s:
        return [(f.subject, f.follow_up_on) for f in outreach.list_followups(s)]


@pytest.mark.asyncio
async def test_follow_ups_due_are_done_moved_on_opened_and_logged_from_the_start_screen(
    filled_path: Path,
) -> None:
    import datetime as dt

    from coalition.tui.screens.log_dialog import LogDialog

    app = make_app(str(filled_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, StartScreen)
        # The list has the keys at once: the oldest first, overdue.
        assert screen.focused is screen.followup_list
        footer = screen_text(app).splitlines()[-1]
        assert "d Done" in footer and "p In a week" in footer
        assert screen.highlighted_followup is not None
        assert screen.highlighted_followup.subject == "Invitation to sign"
        # Enter opens the organisation it is with.
        await pilot.press("enter")
        await until(pilot, lambda: app.current_mode == "organisations", "the organisation")
        await settle(pilot)
        assert app.screen.table.current_row.name == "Fondation Test 0002"  # type: ignore[attr-defined]
        await pilot.press("f2")
        await settle(pilot)
        # Ctrl+L starts the log with the party and campaign of the follow-up.
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, LogDialog), "the log dialog")
        dialog = app.screen
        assert isinstance(dialog, LogDialog)
        assert dialog.prefill.organisation is not None
        assert dialog.prefill.organisation.text == "Fondation Test 0002"
        assert dialog.prefill.campaign == "csam-2022"
        await pilot.press("escape")
        await settle(pilot)
        # d marks it done; the cursor goes on to the next one, which p moves a week on.
        await pilot.press("d")
        await settle(pilot)
        assert "Follow-up with Fondation Test 0002 done." in notes(app)
        assert "1 due today or overdue" in screen_text(app)
        assert screen.highlighted_followup is not None
        assert screen.highlighted_followup.subject == "Call about [bold] things"
        await pilot.press("p")
        await settle(pilot)
        text = screen_text(app)
    week_on = dt.date.today() + dt.timedelta(days=7)
    assert "Nothing due today." in text
    assert _followups(filled_path) == [("Call about [bold] things", week_on)]
    assert "Invitation to sign" not in [s for s, _ in _followups(filled_path)]


@pytest.mark.asyncio
async def test_d_pressed_twice_marks_two_follow_ups_done(filled_path: Path) -> None:
    app = make_app(str(filled_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("d", "d")  # as fast as keys come: each takes the next one
        await settle(pilot)
        text = screen_text(app)
        said = notes(app)
    assert "Nothing due today." in text
    assert _followups(filled_path) == []
    assert sum(m.startswith("Follow-up with") and m.endswith("done.") for m in said) == 2


@pytest.mark.asyncio
async def test_help_lists_every_binding_and_closes(db_path: Path) -> None:
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        listed = "\n".join(
            f"{key} {what}" for _, rows in app.screen.sections() for key, what in rows
        )
        for cls in (
            CoalitionApp, BrowseScreen, LazyTable, HelpScreen, ImportWizard,
            ImportBatchesScreen, ExportDialog, OrganisationsScreen, AddAllDialog, FollowUpList,
            ButtonRow,
        ):  # fmt: skip
            for binding in cls.BINDINGS:
                assert binding.description in listed, binding  # type: ignore[union-attr]
        assert "Command palette" in listed and "^p" in listed
        await pilot.press("escape")
        assert isinstance(app.screen, StartScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)


@pytest.mark.asyncio
async def test_command_palette_goes_to_a_contact_found_in_the_index(filled_path: Path) -> None:
    app = make_app(str(filled_path), "tester")
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"mallory")
        await pilot.app.workers.wait_for_complete()
        # The palette searches as you type; wait until the contact is offered.
        await until(
            pilot,
            lambda: "Contact: [bold]Eve [/]Mallory" in screen_text(app),
            "the palette to offer the contact",
        )
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ContactsScreen), "the contacts screen")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ContactsScreen)
        assert screen.search_input.value == "[bold]Eve [/]Mallory"
        assert screen.table.current_row.name == "[bold]Eve [/]Mallory"
        assert screen.detail_shown == screen.table.current_row.id
        text = screen_text(app)
    assert "eve@example.org" in text and "[red]tag" in text
    assert "+32 470 55 01 23 (mobile)" in text  # a phone with its label


@pytest.mark.asyncio
async def test_command_palette_runs_the_apps_actions(db_path: Path) -> None:
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"organis")
        await palette_offers(pilot, "Every organisation, with live search")
        await pilot.press("enter")
        # The palette runs the chosen command once it has closed.
        await until(pilot, lambda: app.current_mode == "organisations", "the organisations screen")
        await settle(pilot)
        assert app.current_mode == "organisations"
        assert "No organisations match." in screen_text(app)


@pytest.mark.asyncio
async def test_the_palette_starts_a_campaign_and_points_to_sign_on(db_path: Path) -> None:
    from coalition.tui.screens.campaign_form import CampaignForm

    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"new campaign")
        await palette_offers(pilot, "Start a campaign: code")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CampaignForm), "the campaign form")
        assert app.current_mode == "campaign"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, CampaignForm), "the form to close")
        await pilot.press("ctrl+p", *"sign-on of")
        await palette_offers(pilot, "put the highlighted one")
        await pilot.press("enter")
        await until(pilot, lambda: app.current_mode == "organisations", "the organisations")
        said = notes(app)
    assert "Organisations: highlight one, then c." in said


@pytest.mark.asyncio
async def test_a_database_that_cannot_open_is_a_notification_not_a_crash(tmp_path: Path) -> None:
    app = make_app(str(tmp_path), "tester")  # a folder, not a database file
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        messages = notes(app)
        assert app.is_running
    assert any("is a folder" in m for m in messages), messages


@pytest.mark.asyncio
async def test_the_question_before_an_action(db_path: Path) -> None:
    """One question for a delete, a merge or an undo: Cancel has the focus before an action
    that destroys (Enter alone never does it), the action's button before any other; ← and
    → switch between them; Esc cancels."""
    app = make_app(str(db_path), "tester")
    answers: list[bool | None] = []

    async def ask(pilot: Any, *keys: str, destructive: bool = True) -> bool | None:
        question = ConfirmDialog("Remove it?", "It goes.", confirm="Go", destructive=destructive)
        await app.push_screen(question, answers.append)
        await pilot.pause()
        assert app.screen is question
        assert "Remove it?" in screen_text(app) and "It goes." in screen_text(app)
        await pilot.press(*keys)
        await pilot.pause()
        assert app.screen is not question
        return answers.pop()

    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert await ask(pilot, "enter") is False
        assert await ask(pilot, "left", "enter") is True
        assert await ask(pilot, "right", "right", "enter") is False
        assert await ask(pilot, "escape") is False
        assert await ask(pilot, "enter", destructive=False) is True


def test_coalition_without_a_command_opens_the_app(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coalition.cli import cli

    opened: list[Any] = []
    monkeypatch.setattr(CoalitionApp, "run", lambda self: opened.append(self))
    monkeypatch.setenv("COALITION_DB", str(db_path))
    result = CliRunner().invoke(cli, ["--as", "bob"])
    assert result.exit_code == 0, result.output
    [app] = opened
    assert (app.db_target, app.coordinator) == (str(db_path), "bob")


def test_other_commands_do_not_import_textual() -> None:
    code = "import sys, coalition.cli; print(any(m.startswith('textual') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.asyncio
async def test_import_export_and_batches_open_from_anywhere_with_one_key(db_path: Path) -> None:
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("f7")
        assert isinstance(app.screen, ExportDialog)
        await pilot.press("escape")
        assert isinstance(app.screen, StartScreen)
        await pilot.press("f8")
        assert isinstance(app.screen, ImportBatchesScreen)
        await pilot.press("escape")
        await pilot.press("f6")
        assert isinstance(app.screen, ImportWizard)


@pytest.mark.asyncio
async def test_the_follow_up_keys_show_only_with_a_follow_up_to_act_on(
    filled_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from coalition.domain import glance

    released = threading.Event()
    first_look = glance.first_look

    def slow_first_look(*args: Any, **kwargs: Any) -> Any:
        released.wait(20)
        return first_look(*args, **kwargs)

    monkeypatch.setattr(glance, "first_look", slow_first_look)

    def footer() -> str:
        return screen_text(app).splitlines()[-1]

    # While the start screen is being read there is no follow-up to act on yet.
    app = make_app(str(filled_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await until(pilot, lambda: "f1 Help" in footer(), "the footer")
        assert "Loading…" in screen_text(app)
        assert not {"Open", "Done", "In a week"} & set(footer().split())
        released.set()
        await settle(pilot)
        await until(pilot, lambda: "d Done" in footer(), "the follow-up keys")
        assert "⏎ Open" in footer() and "p In a week" in footer()
        # Marked done, the last ones: the keys go with them.
        await pilot.press("d", "d")
        await settle(pilot)
        await until(pilot, lambda: "d Done" not in footer(), "the keys to go")
        assert "Open" not in footer().split()
    # A database with nothing due never offers them.
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await until(pilot, lambda: "f1 Help" in footer(), "the footer")
        assert "Done" not in footer().split()


@pytest.mark.asyncio
async def test_the_footer_leaves_out_whole_keys_where_it_is_narrow(filled_path: Path) -> None:
    app = make_app(str(filled_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        for key in ("f2", "f3", "f4", "f5"):
            await pilot.press(key)
            await settle(pilot)
            await until(pilot, lambda: len(footer_keys(app)) > 2, "the footer's keys")
            *shown, (palette, palette_at) = footer_keys(app)
            assert palette == "^p palette"
            for label, at in shown:  # each whole, left of the palette's key
                assert at.right <= palette_at.x, f"{label} is cut on {key}'s screen"
                assert label in screen_text(app).splitlines()[-1]
            labels = [label for label, _ in shown]
            assert "f1 Help" in labels or len(labels) > 4, "the screen's keys first"
            if key == "f2":
                # The start screen's own key goes first: F3 is more use there than F2.
                assert "f3 Contacts" in labels and "f2 Start" not in labels
                assert labels[:3] == ["⏎ Open", "d Done", "p In a week"]
    app = make_app(str(filled_path), "tester")
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        await until(pilot, lambda: len(footer_keys(app)) > 8, "the footer's keys")
        labels = [label for label, _ in footer_keys(app)]
        assert "f7 Export" in labels and "f2 Start" in labels  # room for every key


@pytest.mark.asyncio
async def test_at_200_columns_the_start_screen_gives_the_campaigns_the_width(
    db_path: Path,
) -> None:
    from coalition.domain import campaigns, people
    from coalition.domain.audit import work
    from coalition.store.database import open_database

    name = "Joint statement on the protection of children online across the European Union"
    db = open_database(db_path)
    with work(db, "alice") as w:
        campaigns.add_campaign(w, "csam-2022", name=name, target=10, state="open")
        for i, status in enumerate(
            ["prospect", "invited", "considering", "signed", "declined", "signed"]
        ):
            people.add_organisation(w, name=f"Verein {i}", country="DE")
            campaigns.set_signon(w, f"Verein {i}", "csam-2022", status)
        campaigns.set_signon(w, "Verein 5", "csam-2022", "withdrawn")
    db.close()
    _, text = await start_screen(str(db_path), LARGE)
    line = next(line for line in text.splitlines() if "csam-2022" in line)
    summary = "1 prospect, 1 invited, 1 considering, 1 declined, 1 withdrawn"
    assert f"csam-2022  {name}  {summary}" in line, line
    assert "1 / 10" in line
    # At 80 columns each column keeps a share, cut where it must be.
    _, text = await start_screen(str(db_path), SMALL)
    line = next(line for line in text.splitlines() if "1 / 10" in line)
    assert line.split()[0] == "csam-2022" and "Joint statement" in line
