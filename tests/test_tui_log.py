"""Logging an interaction from anywhere (Ctrl+L), pre-filled from what is selected."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from textual.widgets import Button, Input, Select, Static

from coalition.domain import campaigns, outreach, people
from coalition.domain.audit import work
from coalition.store.database import open_database
from coalition.tui import clock
from coalition.tui.app import make_app
from coalition.tui.screens.browse import ContactsScreen, OrganisationsScreen
from coalition.tui.screens.campaign import CampaignPicker, CampaignScreen
from coalition.tui.screens.confirm import ConfirmDialog
from coalition.tui.screens.log_dialog import LogDialog
from tests.tui_helpers import SMALL, notes, screen_text, settle

TODAY = dt.date(2026, 3, 2)


def seed(path: Path) -> None:
    with open_database(path) as db, work(db, "tester") as w:
        people.add_organisation(w, name="[bold]Fondation[/] Exemple", acronym="FE", country="FR")
        people.add_contact(
            w,
            given_name="Jan",
            family_name="Nowak",
            emails=["jan@example.net"],
            organisation="FE",
        )
        campaigns.add_campaign(w, "statement-2026", name="Joint statement", state="open")
        outreach.log_interaction(
            w, organisation="FE", subject="Invitation to sign", follow_up_on=TODAY
        )


def message(dialog: LogDialog, name: str) -> str:
    shown = dialog.query_one(f"#msg-{name}", Static)
    return str(shown.render()) if shown.display else ""


@pytest.mark.asyncio
async def test_log_a_call_with_a_follow_up_from_the_contacts_screen(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db_path)
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ContactsScreen)
        assert screen.table.current_row.name == "Jan Nowak"
        await pilot.press("ctrl+l")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, LogDialog)
        # Pre-filled from the highlighted contact, with their organisation; shown literally.
        assert dialog.value("contact") == "Jan Nowak"
        assert dialog.value("organisation") == "[bold]Fondation[/] Exemple"
        assert message(dialog, "contact") == "#1 Jan Nowak, [bold]Fondation[/] Exemple"
        assert "Log an interaction with Jan Nowak / [bold]Fondation[/] Exemple" in screen_text(app)
        assert dialog.value("date") == "2026-03-02"
        assert dialog.focused is dialog.query_one("#field-subject", Input)

        await pilot.press(*"Call back")
        dialog.query_one("#field-channel", Select).value = "call"
        dialog.query_one("#field-campaign", Select).value = "statement-2026"
        follow_up = dialog.query_one("#field-follow_up", Input)
        follow_up.value = "next friday"
        await settle(pilot)
        assert "could be this week's or next week's" in message(dialog, "follow_up")
        assert dialog.query_one("#form-save", Button).disabled
        follow_up.value = "fri"
        await settle(pilot)
        assert message(dialog, "follow_up") == "Friday 2026-03-06, in 4 days"
        follow_up.value = "next month"
        await settle(pilot)
        assert message(dialog, "follow_up") == "Wednesday 2026-04-01, in 30 days"
        follow_up.value = "next week"  # on a Monday: the Monday after
        await settle(pilot)
        assert message(dialog, "follow_up") == "Monday 2026-03-09, in 7 days"
        assert not dialog.query_one("#form-save", Button).disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen

    with open_database(db_path) as db, db.read_session() as session:
        due = outreach.list_followups(session, due_before=dt.date(2026, 3, 10))
        assert [(i.subject, i.follow_up_on) for i in due] == [("Call back", dt.date(2026, 3, 9))]
        call = due[0]
        assert (call.channel, call.contact, call.organisation, call.campaign) == (
            "call",
            "Jan Nowak",
            "[bold]Fondation[/] Exemple",
            "statement-2026",
        )
        assert call.coordinator == "tester"
        # The invitation's follow-up was closed by the call, as `coalition log` does.
        assert not outreach.list_followups(session, due_before=dt.date(2026, 3, 9))

    # A week later the start screen says it is due.
    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 3, 9))
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "1 due today or overdue" in text
        assert "Call back" in text and "Jan Nowak" in text


@pytest.mark.asyncio
async def test_log_from_the_organisations_screen_and_keep_earlier_follow_ups(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db_path)
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrganisationsScreen)
        await pilot.press("ctrl+l")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, LogDialog)
        assert dialog.value("contact") == ""
        assert dialog.value("organisation") == "[bold]Fondation[/] Exemple"
        assert message(dialog, "organisation") == "#1 [bold]Fondation[/] Exemple, FR"
        dialog.query_one("#field-contact", Input).value = "nobody@example.org"
        await settle(pilot)
        assert "No contact matches" in message(dialog, "contact")
        dialog.query_one("#field-contact", Input).value = ""
        dialog.query_one("#field-subject", Input).value = "Draft text sent"
        dialog.set_value("keep", "yes")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("ctrl+l", "escape")  # Esc leaves without logging
        await settle(pilot)
        assert app.screen is screen

    with open_database(db_path) as db, db.read_session() as session:
        logged = outreach.interactions_of(session, organisation_id=1)
        assert [(i.subject, i.contact, i.done) for i in logged] == [
            ("Draft text sent", None, False),
            ("Invitation to sign", None, False),  # kept open
        ]


def seed_campaigns(path: Path) -> None:
    """Two open campaigns; the older one, "first-letter", has two organisations in it."""
    with open_database(path) as db, work(db, "tester") as w:
        campaigns.add_campaign(w, "first-letter", name="First letter", state="open")
        people.add_organisation(w, name="Verein Alpha", country="AT")
        people.add_organisation(w, name="[bold]Fundacja[/] Gamma", country="PL")
        campaigns.set_signon(w, "Verein Alpha", "first-letter", "prospect")
        campaigns.set_signon(w, "[bold]Fundacja[/] Gamma", "first-letter", "invited")
        campaigns.add_campaign(w, "second-letter", name="Second letter", state="open")


@pytest.mark.asyncio
async def test_log_from_the_campaign_screen_for_the_highlighted_organisation(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_campaigns(db_path)
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, CampaignPicker)
        await pilot.press("down", "enter")  # newest first: the second, then the first
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CampaignScreen)
        assert "Campaign first-letter" in screen_text(app)
        await pilot.press("right")  # the invited column
        assert "[bold]Fundacja[/] Gamma" in screen_text(app).splitlines()[-2]

        await pilot.press("ctrl+l")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, LogDialog)
        # The highlighted organisation, by its id, and the campaign shown, not the newest.
        assert dialog.value("organisation") == "[bold]Fundacja[/] Gamma"
        assert message(dialog, "organisation") == "#2 [bold]Fundacja[/] Gamma, PL"
        assert dialog.value("campaign") == "first-letter"
        assert dialog.value("contact") == ""
        assert "Log an interaction with [bold]Fundacja[/] Gamma" in screen_text(app)

        await pilot.press(*"Asked whether they sign")
        dialog.query_one("#field-follow_up", Input).value = "fri"
        await settle(pilot)
        assert message(dialog, "follow_up") == "Friday 2026-03-06, in 4 days"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert any(
            "with [bold]Fundacja[/] Gamma. Follow up on 2026-03-06." in n for n in notes(app)
        )

    with open_database(db_path) as db, db.read_session() as session:
        logged = outreach.interactions_of(session, organisation_id=2)
        assert [
            (i.subject, i.organisation, i.contact, i.campaign, i.follow_up_on) for i in logged
        ] == [
            (
                "Asked whether they sign",
                "[bold]Fundacja[/] Gamma",
                None,
                "first-letter",
                dt.date(2026, 3, 6),
            )
        ]
        assert not outreach.interactions_of(session, organisation_id=1)


def seed_signons(path: Path) -> None:
    """Verein Alpha takes part in one campaign not yet closed; Stichting Beta in two."""
    with open_database(path) as db, work(db, "tester") as w:
        campaigns.add_campaign(w, "old-letter", name="Old letter", state="closed")
        campaigns.add_campaign(w, "first-letter", name="First letter")  # a draft
        campaigns.add_campaign(w, "second-letter", name="Second letter", state="open")
        people.add_organisation(w, name="Verein Alpha", country="AT")
        people.add_organisation(w, name="Stichting Beta", country="NL")
        people.add_contact(w, given_name="Anna", family_name="Berger", organisation="Verein Alpha")
        campaigns.set_signon(w, "Verein Alpha", "old-letter", "signed")
        campaigns.set_signon(w, "Verein Alpha", "first-letter", "invited")
        campaigns.set_signon(w, "Stichting Beta", "first-letter", "invited")
        campaigns.set_signon(w, "Stichting Beta", "second-letter", "considering")


@pytest.mark.asyncio
async def test_the_campaign_of_the_selected_party_is_chosen_when_there_is_only_one(
    db_path: Path,
) -> None:
    seed_signons(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        # A contact: their organisation's one campaign not closed.
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, LogDialog)
        assert dialog.value("contact") == "Anna Berger"
        assert dialog.query_one("#field-campaign", Select).value == "first-letter"
        await pilot.press("escape")
        # An organisation in two campaigns: which one is the coordinator's to say.
        await pilot.press("f4")
        await settle(pilot)
        assert app.screen.table.current_row.name == "Stichting Beta"  # type: ignore[attr-defined]
        await pilot.press("ctrl+l")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, LogDialog)
        assert dialog.query_one("#field-campaign", Select).is_blank()


@pytest.mark.asyncio
async def test_escape_leaves_at_once_unless_something_was_typed(db_path: Path) -> None:
    seed_signons(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        # Filled in for the coordinator (the contact, today, the campaign): nothing to lose.
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.screen.query_one("#field-campaign", Select).value == "first-letter"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        # A summary typed: asked first; kept on Enter ("Keep editing"), gone on Discard.
        await pilot.press("ctrl+l")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, LogDialog)
        await pilot.press(*"Called about the letter", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "Discard your changes?" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog and dialog.value("subject") == "Called about the letter"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("left", "enter")
        await settle(pilot)
        assert app.screen is screen
    with open_database(db_path) as db, db.read_session() as session:
        assert outreach.interactions_of(session, organisation_id=1) == []
