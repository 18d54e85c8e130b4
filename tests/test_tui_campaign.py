"""The campaign screen (F5): the pipeline's columns, one-key moves, progress, who is quiet,
and the form that starts a campaign or changes one (n, e)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from textual.widgets import Button, Select, Static

from coalition import settings
from coalition.domain import campaigns, people, pipeline, reports
from coalition.domain.audit import work
from coalition.errors import CoalitionError
from coalition.store.database import open_database
from coalition.store.models import SignOn, SignOnEvent, utcnow
from coalition.tui import clock
from coalition.tui.app import make_app
from coalition.tui.screens.campaign import (
    STAGES,
    CampaignPicker,
    CampaignScreen,
    StageList,
    StatusPicker,
    new_campaign,
)
from coalition.tui.screens.campaign_form import CampaignForm
from coalition.tui.screens.campaign_report import CampaignReportView
from coalition.tui.screens.confirm import ConfirmDialog
from coalition.tui.screens.help import HelpScreen
from tests.tui_helpers import (
    LARGE,
    SMALL,
    footer_keys,
    notes,
    palette_offers,
    screen_text,
    settle,
    until,
)

CODE = "open-letter"


def make_campaign(
    path: Path, code: str = CODE, statuses: dict[str, str] | None = None, target: int = 10
) -> None:
    """A campaign and its sign-ons, organisation name → status."""
    statuses = statuses or {
        "Verein Alpha": "prospect",
        "Verein Beta": "prospect",
        "[bold]Brackets[/] Network": "prospect",
        "Fundacja Gamma": "invited",
        "Stichting Delta": "invited",
        "Association Epsilon": "signed",
    }
    db = open_database(path)
    with work(db, "alice") as w:
        campaigns.add_campaign(w, code, name=f"Letter {code}", target=target, state="open")
        for name, status in statuses.items():
            if people.lookup_organisation(w.session, name) is None:
                people.add_organisation(w, name=name, email=None)
            campaigns.set_signon(w, name, code, status)
    db.close()


def status_of(path: Path, name: str, code: str = CODE) -> str:
    db = open_database(path)
    try:
        with db.read_session() as s:
            return next(v.status for v in pipeline.list_signons(s, code) if v.organisation == name)
    finally:
        db.close()


def set_elsewhere(path: Path, name: str, status: str) -> None:
    """A colleague moves an organisation on, on the command line, while the app runs."""
    db = open_database(path)
    with work(db, "bob") as w:
        campaigns.set_signon(w, name, CODE, status)
    db.close()


def counts(screen: CampaignScreen) -> dict[str, int]:
    return {s: screen.stage_list(s).total for s in STAGES}


def test_the_columns_are_the_pipelines_statuses() -> None:
    assert campaigns.PIPELINE == STAGES


@pytest.mark.asyncio
async def test_without_a_campaign_the_screen_says_how_to_add_one(db_path: Path) -> None:
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, CampaignScreen)
        text = screen_text(app)
    assert "There are no campaigns yet." in text
    assert "Press n to start one" in text
    assert "coalition campaign add csam-2022" in text
    assert "Prospect" not in text


@pytest.mark.asyncio
async def test_the_pipeline_shows_each_status_with_its_count_and_names_as_typed(
    db_path: Path,
) -> None:
    make_campaign(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=LARGE) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        text = screen_text(app)
    assert "Campaign open-letter  Letter open-letter" in text
    header = next(line for line in text.splitlines() if "Prospect" in line)
    assert all(s.capitalize() in header for s in STAGES)
    counts_line = next(line for line in text.splitlines() if "3 organisations" in line)
    assert counts_line.split() == [
        *("3", "organisations", "2", "organisations", "0", "organisations"),
        *("1", "organisation", "0", "organisations", "0", "organisations"),
    ]
    assert "[bold]Brackets[/] Network" in text
    assert "Signed 1 / 10" in text and "10%" in text


@pytest.mark.asyncio
async def test_a_campaign_whose_sign_ons_all_came_today_shows_no_empty_chart(
    db_path: Path,
) -> None:
    make_campaign(db_path)  # opened today, its one signature today
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=LARGE) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        chart = app.screen.query_one("#campaign-sparkline")
        text = screen_text(app)
    assert not chart.display, "a flat line would read as nothing signed"
    assert "1 in 7 days" in text
    assert "▁▁▁" not in text


@pytest.mark.asyncio
async def test_one_key_moves_an_organisation_on_and_the_counts_and_progress_follow(
    db_path: Path,
) -> None:
    make_campaign(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CampaignScreen)
        assert counts(screen)["invited"] == 2
        await pilot.press("right")  # the invited column: Fundacja Gamma first
        assert "Fundacja Gamma" in screen_text(app).splitlines()[-2]
        await pilot.press("m")
        await settle(pilot)
        assert status_of(db_path, "Fundacja Gamma") == "considering"
        assert counts(screen) == {
            "prospect": 3,
            "invited": 1,
            "considering": 1,
            "signed": 1,
            "declined": 0,
            "withdrawn": 0,
        }
        assert "Fundacja Gamma: invited → considering" in notes(app)
        # The cursor stays in its column, on the next organisation.
        assert screen.focused is screen.stage_list("invited")
        assert "Stichting Delta" in screen_text(app).splitlines()[-2]

        await pilot.press("right", "m")  # considering → signed
        await settle(pilot)
        assert status_of(db_path, "Fundacja Gamma") == "signed"
        text = screen_text(app)
    assert "Signed 2 / 10" in text and "20%" in text


@pytest.mark.asyncio
async def test_enter_moves_to_any_allowed_status_and_a_final_one_is_explained(
    db_path: Path,
) -> None:
    make_campaign(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("right", "enter")
        picker = app.screen
        assert isinstance(picker, StatusPicker)
        text = screen_text(app)
        assert "Move Fundacja Gamma (invited) to:" in text
        assert "considering  the next step (m)" in text and "declined" in text
        assert "prospect" not in text.split("to:")[1]  # going back is not offered
        await pilot.press("down", "down", "enter")  # considering, signed, declined
        await settle(pilot)
        assert isinstance(app.screen, CampaignScreen)
        assert status_of(db_path, "Fundacja Gamma") == "declined"

        # Signed has no usual next step: m says what is possible and changes nothing.
        await pilot.press("right", "right", "m")
        await settle(pilot)
        messages = notes(app)
        assert any(
            "Association Epsilon is signed: there is no usual next step" in m and "withdrawn" in m
            for m in messages
        ), messages
    assert status_of(db_path, "Association Epsilon") == "signed"


@pytest.mark.asyncio
async def test_delete_takes_a_sign_on_recorded_by_mistake_out_once_asked(db_path: Path) -> None:
    make_campaign(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("right", "delete")  # Fundacja Gamma, invited
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        text = screen_text(app)
        assert "Take Fundacja Gamma out of open-letter?" in text
        assert "set that status instead" in text
        await pilot.press("enter")  # Cancel has the focus: Enter alone takes nothing out
        await settle(pilot)
        assert isinstance(app.screen, CampaignScreen)
        assert status_of(db_path, "Fundacja Gamma") == "invited"

        await pilot.press("delete", "left", "enter")  # "Take out"
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CampaignScreen)
        assert counts(screen)["invited"] == 1
        assert "Took Fundacja Gamma out of open-letter (it was invited)." in notes(app)
    db = open_database(db_path)
    try:
        with db.read_session() as s:
            listed = {v.organisation for v in pipeline.list_signons(s, CODE)}
    finally:
        db.close()
    assert "Fundacja Gamma" not in listed and "Stichting Delta" in listed


@pytest.mark.asyncio
async def test_i_lists_the_highlighted_organisations_outreach(db_path: Path) -> None:
    from coalition.domain import outreach
    from coalition.tui.screens.interactions import InteractionsScreen

    make_campaign(db_path)
    db = open_database(db_path)
    with work(db, "alice") as w:
        outreach.log_interaction(w, organisation="Fundacja Gamma", subject="Invitation",
                                 campaign=CODE, follow_up_on="2027-01-10")  # fmt: skip
    db.close()
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("right", "i")  # Fundacja Gamma, invited
        await settle(pilot)
        assert isinstance(app.screen, InteractionsScreen)
        assert "Invitation" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CampaignScreen)


@pytest.mark.asyncio
async def test_a_move_made_elsewhere_meanwhile_is_not_overtaken(db_path: Path) -> None:
    make_campaign(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("right")
        set_elsewhere(db_path, "Fundacja Gamma", "signed")
        await pilot.press("m")
        await settle(pilot)
        messages = notes(app)
        screen = app.screen
        assert isinstance(screen, CampaignScreen)
        assert counts(screen)["signed"] == 2  # read again
    assert any("Fundacja Gamma is now signed" in m for m in messages), messages
    assert status_of(db_path, "Fundacja Gamma") == "signed"


@pytest.mark.asyncio
async def test_who_has_not_answered_for_n_days(db_path: Path) -> None:
    make_campaign(db_path)
    db = open_database(db_path)
    with db.session() as s:  # Gamma was invited 20 days ago, Delta 10 days ago
        for name, back in (("Fundacja Gamma", 20), ("Stichting Delta", 10)):
            org = people.find_organisation(s, name)
            at = utcnow() - dt.timedelta(days=back)
            ids = [x.id for x in org.signons]
            s.execute(update(SignOnEvent).where(SignOnEvent.signon_id.in_(ids)).values(at=at))
            s.execute(update(SignOn).where(SignOn.id.in_(ids)).values(created_at=at))
    db.close()
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert "1 quiet 14d+ (q)" in screen_text(app)
        await pilot.press("q")
        await settle(pilot)
        text = screen_text(app)
        assert "No answer for 14 days or more  1 organisation" in text
        assert "Fundacja Gamma" in text and "invited" in text
        quiet = text.split("No answer for")[1]
        assert "Stichting Delta" not in quiet
        await pilot.press("minus")  # 7 days: Delta too
        await settle(pilot)
        quiet = screen_text(app).split("No answer for")[1]
        assert "7 days or more  2 organisations" in quiet and "Stichting Delta" in quiet
        await pilot.press("plus", "plus")  # 21 days: nobody
        await settle(pilot)
        quiet = screen_text(app).split("No answer for")[1]
        assert "21 days or more  0 organisations" in quiet
        assert "Nobody has been quiet that long." in quiet
        # m works on the list too: chasing done, Gamma moves on and leaves it.
        await pilot.press("minus", "minus")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert status_of(db_path, "Fundacja Gamma") == "considering"
        quiet = screen_text(app).split("No answer for")[1]
        assert "1 organisation" in quiet and "Fundacja Gamma" not in quiet
        await pilot.press("q")
        assert "No answer for" not in screen_text(app)


@pytest.mark.asyncio
async def test_o_opens_the_highlighted_organisation(db_path: Path) -> None:
    make_campaign(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("o")
        await until(pilot, lambda: app.current_mode == "organisations", "the organisations screen")
        await settle(pilot)
        assert app.current_mode == "organisations"
        assert "[bold]Brackets[/] Network" in screen_text(app)


@pytest.mark.asyncio
async def test_several_open_campaigns_ask_which_and_the_choice_is_kept(db_path: Path) -> None:
    make_campaign(db_path, "first-letter")
    make_campaign(db_path, "second-letter", {"Verein Alpha": "signed"}, target=4)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, CampaignPicker)
        text = screen_text(app)
        assert "Which campaign?" in text
        assert "second-letter" in text and "first-letter" in text
        await pilot.press("down", "enter")  # newest first: second, then first
        await settle(pilot)
        assert "Campaign first-letter" in screen_text(app)
        await pilot.press("c")
        assert isinstance(app.screen, CampaignPicker)
        await pilot.press("up", "enter")
        await settle(pilot)
        text = screen_text(app)
        assert "Campaign second-letter" in text and "Signed 1 / 4" in text
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, CampaignScreen)
        assert "Campaign second-letter" in screen_text(app)


@pytest.mark.asyncio
async def test_the_chosen_campaign_is_shown_again_in_the_next_run(db_path: Path) -> None:
    make_campaign(db_path, "first-letter")
    make_campaign(db_path, "second-letter", {"Verein Alpha": "signed"}, target=4)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, CampaignPicker)
        await pilot.press("down", "enter")  # first-letter
        await settle(pilot)
        assert "Campaign first-letter" in screen_text(app)
    again = make_app(str(db_path), "tester")
    async with again.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(again.screen, CampaignScreen), "not asked again"
        assert "Campaign first-letter" in screen_text(again)
    other = db_path.with_name("other.db")
    other.write_bytes(db_path.read_bytes())
    elsewhere = make_app(str(other), "tester")
    async with elsewhere.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(elsewhere.screen, CampaignPicker), "another database asks afresh"


@pytest.mark.asyncio
async def test_a_long_column_is_read_a_page_at_a_time(db_path: Path) -> None:
    statuses = {f"Organisation {i:03d}": "prospect" for i in range(260)}
    make_campaign(db_path, statuses=statuses | {"Verein Zeta": "signed"})
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CampaignScreen)
        column = screen.stage_list("prospect")
        assert column.total == 260 and column.held_rows <= 100
        await pilot.press("end")
        await settle(pilot)
        assert "Organisation 259" in screen_text(app).splitlines()[-2]


@pytest.mark.asyncio
async def test_help_lists_the_campaign_keys_and_the_palette_opens_it(db_path: Path) -> None:
    make_campaign(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        sections = dict(app.screen.sections())
        listed = "\n".join(f"{k} {w}" for k, w in sections["Campaign pipeline"])
        for binding in CampaignScreen.BINDINGS:
            assert binding.description in listed, binding  # type: ignore[union-attr]
        everywhere = "\n".join(f"{k} {w}" for k, w in sections["Everywhere"])
        assert "f5 Campaign" in everywhere
        await pilot.press("escape", "f2")
        await settle(pilot)
        await pilot.press("ctrl+p", *"pipeline")
        await palette_offers(pilot, "Sign-ons by status")
        await pilot.press("enter")
        await until(pilot, lambda: app.current_mode == "campaign", "the campaign screen")
        await settle(pilot)
        assert app.current_mode == "campaign"
        assert isinstance(app.screen.focused, StageList)


# --- the report (R) -----------------------------------------------------------------------

REPORT_TODAY = dt.date(2026, 12, 7)
REPORT_NOW = dt.datetime(2026, 12, 7, 9, 30)

# organisation: [(status, the day it came to it)]
HISTORY: dict[str, list[tuple[str, str]]] = {
    "Alpha Kids": [("invited", "2026-11-02"), ("signed", "2026-11-05")],
    "Beta Jeunesse": [("invited", "2026-11-02"), ("declined", "2026-11-12")],
    "Gamma Enfance": [("invited", "2026-11-03"), ("considering", "2026-11-04")],
    "Delta Jugend": [("invited", "2026-11-09")],
    "Epsilon Jeunes": [("prospect", "2026-11-01")],
    "Zeta Famille": [("signed", "2026-11-16")],
    "Eta Network": [("invited", "2026-11-02"), ("signed", "2026-11-23"),
                    ("withdrawn", "2026-11-30")],
}  # fmt: skip


def make_history(path: Path) -> None:
    """A campaign whose sign-ons moved on known days: each event dated as it happened."""
    db = open_database(path)
    with work(db, "alice") as w:
        campaigns.add_campaign(w, CODE, name="Kids 2027", target=10, state="open")
        for name, moves in HISTORY.items():
            people.add_organisation(w, name=name, email=None)
            for status, _ in moves:
                campaigns.set_signon(w, name, CODE, status)
    with db.session() as s:
        for name, moves in HISTORY.items():
            ids = [x.id for x in people.find_organisation(s, name).signons]
            for status, day in moves:
                at = dt.datetime.fromisoformat(f"{day} 09:00")
                s.execute(
                    update(SignOnEvent)
                    .where(SignOnEvent.signon_id.in_(ids), SignOnEvent.to_status == status)
                    .values(at=at)
                )
    db.close()


def the_report(path: Path) -> reports.CampaignReport:
    db = open_database(path)
    try:
        with db.read_session() as s:
            return reports.campaign_report(s, CODE, today=REPORT_TODAY, now=REPORT_NOW)
    finally:
        db.close()


def line_of(text: str, start: str) -> list[str]:
    """The words of the screen's line that starts with ``start``."""
    return next(line.split() for line in text.splitlines() if line.strip().startswith(start))


@pytest.fixture
def report_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "today", lambda: REPORT_TODAY)
    monkeypatch.setattr(clock, "now", lambda: REPORT_NOW)


async def open_report(pilot: Any) -> CampaignScreen:
    """The campaign screen (F5), then its report (R), once read."""
    await pilot.press("f5")
    await settle(pilot)
    await pilot.press("R")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CampaignScreen) and screen.report_shown
    return screen


@pytest.mark.asyncio
async def test_the_report_shows_campaign_reports_numbers(db_path: Path, report_clock: None) -> None:
    make_history(db_path)
    expected = the_report(db_path)
    overall = expected.overall
    # Known numbers, so that a report that counted wrong is not matched by its drawing.
    assert overall.counts == {"prospect": 1, "invited": 1, "considering": 1, "signed": 2,
                              "declined": 1, "withdrawn": 1}  # fmt: skip
    assert (overall.asked, overall.answered, overall.median_days_to_answer) == (6, 4, 10)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=LARGE) as pilot:
        screen = await open_report(pilot)
        assert isinstance(screen.focused, CampaignReportView)
        text = screen_text(app)
    assert "Sign-ons by status  7 organisations on 2026-12-07 · target 10 signed" in text
    for status in expected.statuses:
        words = line_of(text, status.capitalize())
        assert words[1] == str(overall.counts[status]), words
        assert (len(words) > 2) == bool(overall.counts[status])  # a bar, or none for 0
    assert "Answered 67% (4 of 6 asked) · median 10 days from invitation to answer" in text
    weeks = expected.weeks
    assert [w.signatures for w in weeks] == [1, 0, 1, 1, 0, 0]
    assert line_of(text, "signed ")[1:] == [str(w.signatures) for w in weeks]
    assert line_of(text, "in all ")[2:] == [str(w.total) for w in weeks]
    assert "3 in all since the week of 2026-11-02" in text
    assert line_of(text, "week of")[2:] == [
        "2", "Nov", "9", "Nov", "16", "Nov", "23", "Nov", "30", "Nov", "7", "Dec"
    ]  # fmt: skip
    assert "No answer longest  2 organisations, invited or considering" in text
    assert [q.name for q in expected.quiet] == ["Gamma Enfance", "Delta Jugend"]
    for q in expected.quiet:
        words = line_of(text, q.name)
        assert words[-4:] == [q.status, q.quiet_since.date().isoformat(), str(q.days), "never"]
    assert "coalition report open-letter" in text


@pytest.mark.asyncio
async def test_the_report_at_80x24_and_back_to_the_pipeline(
    db_path: Path, report_clock: None
) -> None:
    make_history(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_report(pilot)
        text = screen_text(app)
        lines = text.splitlines()
        assert all(len(line.rstrip()) <= 80 for line in lines)
        assert lines[1].startswith(" Sign-ons by status")
        assert line_of(text, "Signed")[1] == "2" and line_of(text, "Withdrawn")[1] == "1"
        assert "Answered 67% (4 of 6 asked)" in text
        assert line_of(text, "in all ")[2:] == ["1", "1", "2", "3", "3", "3"]
        assert "Signed 2 / 10" not in text  # the pipeline's head, board and card give way
        keys = [k for k, _ in footer_keys(app)]
        assert keys[0] == "esc Pipeline" and "R Report" in keys
        assert not any(k.startswith(("m ", "q ")) for k in keys)
        await pilot.press("m", "q")  # the pipeline's keys do nothing over the report
        await settle(pilot)
        assert screen.report_shown and not screen.quiet_shown
        assert status_of(db_path, "Epsilon Jeunes") == "prospect"
        await pilot.press("escape")
        assert not screen.report_shown
        assert isinstance(screen.focused, StageList)
        text = screen_text(app)
        assert "Sign-ons by status" not in text and "Signed 2 / 10" in text
        await pilot.press("R")
        await settle(pilot)
        await pilot.press("R")  # the same key goes back too
        assert not screen.report_shown
        assert "Prospect" in screen_text(app)


@pytest.mark.asyncio
async def test_the_report_is_read_again_with_the_pipeline(
    db_path: Path, report_clock: None
) -> None:
    make_history(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await open_report(pilot)
        assert line_of(screen_text(app), "Signed")[1] == "2"
        set_elsewhere(db_path, "Delta Jugend", "signed")
        await pilot.press("ctrl+r")
        await settle(pilot)
        text = screen_text(app)
    assert line_of(text, "Signed")[1] == "3" and line_of(text, "Invited")[1] == "0"
    assert "Answered 83% (5 of 6 asked)" in text


@pytest.mark.asyncio
async def test_a_report_that_cannot_be_read_is_said_so(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_campaign(db_path)

    def fails(*args: object, **kwargs: object) -> reports.CampaignReport:
        raise CoalitionError("The database is locked.")

    monkeypatch.setattr(reports, "campaign_report", fails)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        text = screen_text(app)
        assert "The database is locked." in notes(app)
    assert "The report could not be read; Ctrl+R tries again." in text


# --- starting and changing a campaign (n, e) ----------------------------------------------


def stored(path: Path, code: str) -> campaigns.CampaignView:
    db = open_database(path)
    try:
        with db.read_session() as s:
            return campaigns.get_campaign(s, code)
    finally:
        db.close()


def codes(path: Path) -> list[str]:
    db = open_database(path)
    try:
        with db.read_session() as s:
            return sorted(c.code for c in campaigns.list_campaigns(s))
    finally:
        db.close()


def message(form: CampaignForm, name: str) -> str:
    """What is said under a field of the form ("" when nothing is)."""
    shown = form.query_one(f"#msg-{name}", Static)
    return str(shown.render()) if shown.display else ""


async def type_into(pilot: Any, form: CampaignForm, name: str, text: str) -> None:
    """Focus a field of the form and type ``text`` into it, key by key."""
    form.query_one(f"#field-{name}").focus()
    await pilot.press(*text)


async def choose(pilot: Any, form: CampaignForm, name: str, option: str) -> None:
    """Choose ``option`` in a select of the form with the keyboard: open it, move, Enter."""
    select = form.query_one(f"#field-{name}", Select)
    spec = next(f for f in form.specs if f.name == name)
    select.focus()
    steps = spec.choices.index(option) - spec.choices.index(str(select.value))
    await pilot.press("enter", *(["down"] * steps), "enter")
    assert select.value == option


async def open_form(pilot: Any, key: str) -> CampaignForm:
    app = pilot.app
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, CampaignForm), "the campaign form")
    await settle(pilot)  # the codes taken (and the campaign being edited) are read
    form = app.screen
    assert isinstance(form, CampaignForm)
    return form


@pytest.mark.asyncio
async def test_a_campaign_is_started_in_the_form_from_an_empty_database(db_path: Path) -> None:
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert "There are no campaigns yet." in screen_text(app)
        form = await open_form(pilot, "n")
        assert "Start a campaign" in screen_text(app)
        await type_into(pilot, form, "code", "Open-Letter-2025")
        assert message(form, "code") == "Kept as open-letter-2025"
        await type_into(pilot, form, "name", "Open letter on safe online spaces")
        await choose(pilot, form, "state", "open")
        assert "Collecting sign-ons" in message(form, "state")
        await type_into(pilot, form, "target", "1,200")
        assert message(form, "target") == "1,200 signatories"
        await type_into(pilot, form, "deadline", "2031-06-30")
        await type_into(pilot, form, "link", "example.org/open-letter")
        assert message(form, "link") == "Kept as https://example.org/open-letter"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, CampaignScreen), "the form to close")
        await settle(pilot)
        text = screen_text(app)
        screen = app.screen
        assert isinstance(screen, CampaignScreen)
        assert isinstance(screen.focused, StageList), "the columns take the keys at once"
        said = notes(app)
    assert "Campaign open-letter-2025  Open letter on safe online spaces  ·  open" in text
    assert "Signed 0 / 1,200" in text and "deadline 2031-06-30" in text
    assert "There are no campaigns yet." not in text
    assert "Added campaign open-letter-2025: Open letter on safe online spaces (open)." in said
    view = stored(db_path, "open-letter-2025")
    assert (view.name, view.state, view.target, view.kind) == (
        "Open letter on safe online spaces",
        "open",
        1200,
        "statement",
    )
    assert view.deadline == dt.date(2031, 6, 30)
    assert view.link == "https://example.org/open-letter"
    assert settings.saved_campaign(str(db_path)) == "open-letter-2025", "shown next time too"


@pytest.mark.asyncio
async def test_a_wrong_target_or_a_code_taken_is_named_under_it_and_nothing_is_saved(
    db_path: Path,
) -> None:
    make_campaign(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        form = await open_form(pilot, "n")
        await type_into(pilot, form, "code", CODE)
        assert message(form, "code") == f"A campaign '{CODE}' already exists; choose another code."
        await type_into(pilot, form, "target", "lots")
        assert message(form, "target") == (
            "'lots' is not a number: write how many signatories you hope for, e.g. 200."
        )
        assert form.query_one("#form-save", Button).disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form, "the form stays, with what was typed"
        assert "Correct the marked fields first." in screen_text(app)
        assert codes(db_path) == [CODE]
        # Put right, it saves; the new campaign is the one shown.
        form.query_one("#field-code").focus()
        await pilot.press("ctrl+u", *"second-letter")
        await settle(pilot)
        assert "Correct the marked fields first." in screen_text(app)  # the target still is
        form.query_one("#field-target").focus()
        await pilot.press("ctrl+u", *"40")
        assert message(form, "code") == "" and message(form, "target") == "40 signatories"
        await settle(pilot)
        assert "Correct the marked fields first." not in screen_text(app)  # and now it is not
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, CampaignScreen), "the form to close")
        await settle(pilot)
        text = screen_text(app)
    assert "Campaign second-letter  second-letter  ·  draft" in text
    assert codes(db_path) == sorted([CODE, "second-letter"])
    assert stored(db_path, "second-letter").target == 40


@pytest.mark.asyncio
async def test_a_deadline_before_the_opening_date_is_refused_as_typed(db_path: Path) -> None:
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        form = await open_form(pilot, "n")
        await type_into(pilot, form, "code", "late-letter")
        await type_into(pilot, form, "deadline", "2031-01-31")
        assert message(form, "deadline").startswith("Friday 2031-01-31, in ")
        await type_into(pilot, form, "opened_on", "2031-03-01")
        assert message(form, "deadline") == (
            "The deadline is before the opening date (2031-03-01)."
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
    assert codes(db_path) == []


@pytest.mark.asyncio
async def test_edit_closes_the_campaign_shown_and_the_state_is_stored(db_path: Path) -> None:
    make_campaign(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert "Campaign open-letter  Letter open-letter  ·  open" in screen_text(app)
        form = await open_form(pilot, "e")
        text = screen_text(app)
        assert f"Edit the campaign {CODE}" in text
        assert not form.query("#field-code"), "a campaign's code does not change"
        assert form.value("name") == f"Letter {CODE}" and form.value("target") == "10"
        await choose(pilot, form, "state", "closed")
        assert "Finished" in message(form, "state")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, CampaignScreen), "the form to close")
        await settle(pilot)
        text = screen_text(app)
        said = notes(app)
        screen = app.screen
        assert isinstance(screen, CampaignScreen)
        signed = screen.stage_list("signed").total
    assert "Campaign open-letter  Letter open-letter  ·  closed" in text
    assert f"Saved campaign {CODE}: now closed." in said
    view = stored(db_path, CODE)
    assert view.state == "closed"
    assert (view.name, view.target) == (f"Letter {CODE}", 10), "what was not changed stays"
    assert signed == 1, "its sign-ons are shown as before"


@pytest.mark.asyncio
async def test_a_draft_is_opened_and_an_emptied_title_is_refused(db_path: Path) -> None:
    db = open_database(db_path)
    with work(db, "alice") as w:
        campaigns.add_campaign(w, "draft-letter", name="Draft letter", target=5)
    db.close()
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert "·  draft" in screen_text(app)
        form = await open_form(pilot, "e")
        form.query_one("#field-name").focus()
        await pilot.press("ctrl+u")
        assert message(form, "name") == "A campaign needs a title."
        await pilot.press(*"Joint letter")
        await choose(pilot, form, "state", "open")
        form.query_one("#field-target").focus()
        await pilot.press("ctrl+u")  # no target
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, CampaignScreen), "the form to close")
        await settle(pilot)
        text = screen_text(app)
    assert "Campaign draft-letter  Joint letter  ·  open" in text
    view = stored(db_path, "draft-letter")
    assert (view.name, view.state, view.target) == ("Joint letter", "open", None)


@pytest.mark.asyncio
async def test_the_start_screen_says_how_to_start_a_campaign(db_path: Path) -> None:
    db = open_database(db_path)
    with work(db, "alice") as w:
        people.add_organisation(w, name="Verein Alpha")
        campaigns.add_campaign(w, "old-letter", state="closed")
    db.close()
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        text = screen_text(app)
    assert "No open campaigns. F5 then n starts one." in text


@pytest.mark.asyncio
async def test_new_campaign_from_elsewhere_opens_the_form_and_the_picker_waits(
    db_path: Path,
) -> None:
    make_campaign(db_path, "first-letter")
    make_campaign(db_path, "second-letter", {"Verein Alpha": "signed"})
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await new_campaign(app)  # what the palette's "New campaign" runs
        await until(pilot, lambda: isinstance(app.screen, CampaignForm), "the campaign form")
        await settle(pilot)  # the pipeline behind it is read: two open campaigns
        assert isinstance(app.screen, CampaignForm), "the campaign picker does not cover it"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, CampaignPicker), "the picker, now")
        await pilot.press("escape")
    again = make_app(str(db_path), "tester")
    async with again.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await new_campaign(again)
        await until(pilot, lambda: isinstance(again.screen, CampaignForm), "the campaign form")
        await settle(pilot)
        form = again.screen
        assert isinstance(form, CampaignForm)
        await type_into(pilot, form, "code", "third-letter")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(again.screen, CampaignScreen), "the form to close")
        await settle(pilot)
        assert isinstance(again.screen, CampaignScreen), "the new campaign is the answer"
        assert "Campaign third-letter" in screen_text(again)


@pytest.mark.asyncio
async def test_escape_asks_before_a_campaign_typed_in_is_thrown_away(db_path: Path) -> None:
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        await open_form(pilot, "n")
        await pilot.press("escape")  # nothing typed: closed at once
        await settle(pilot)
        assert app.screen is screen
        form = await open_form(pilot, "n")
        await type_into(pilot, form, "code", "letter-2026")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "Discard your changes?" in screen_text(app)
        await pilot.press("left", "enter")  # Discard
        await settle(pilot)
        assert app.screen is screen
    assert codes(db_path) == []


@pytest.mark.asyncio
async def test_the_palette_opens_the_report_from_anywhere(
    db_path: Path, report_clock: None
) -> None:
    make_history(db_path)
    expected = the_report(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"report")
        await palette_offers(pilot, "a bar per status")
        await pilot.press("enter")
        await until(pilot, lambda: app.current_mode == "campaign", "the campaign screen")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CampaignScreen) and screen.report_shown
        answered = expected.overall
        assert f"Answered 67% ({answered.answered} of {answered.asked} asked)" in screen_text(app)
