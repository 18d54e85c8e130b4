"""The interactions of an organisation or a contact in the app (``i``): list, correct,
delete, mark a follow-up done."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from coalition.domain import audit, campaigns, outreach, people
from coalition.domain.audit import work
from coalition.errors import NotFound
from coalition.store.database import open_database
from coalition.tui import clock
from coalition.tui.app import make_app
from coalition.tui.screens.browse import ContactsScreen, OrganisationsScreen
from coalition.tui.screens.confirm import ConfirmDialog
from coalition.tui.screens.help import HelpScreen
from coalition.tui.screens.interactions import InteractionsScreen, open_interactions
from coalition.tui.screens.log_dialog import InteractionEditor, LogDialog
from tests.tui_helpers import LARGE, SMALL, footer_keys, notes, screen_text, settle

TODAY = dt.date(2026, 3, 2)
SUBJECT = "Call back about the French translation of the draft"


def seed(path: Path) -> dict[str, int]:
    """Alpha Kids: a meeting, an invitation with a follow-up, and a call with Jan Nowak
    (notes, outcome, open follow-up), newest last; Beta Net: an email of its own."""
    with open_database(path) as db, work(db, "alice") as w:
        people.add_organisation(w, name="Alpha Kids", acronym="AK", country="BE")
        people.add_organisation(w, name="Beta Net", country="FR")
        people.add_contact(
            w, given_name="Jan", family_name="Nowak", emails=["jan@example.org"], organisation="AK"
        )
        campaigns.add_campaign(w, "statement-2026", name="Joint statement", state="open")
        ids = {}
        for key, fields in {
            "meeting": {
                "organisation": "AK",
                "channel": "meeting",
                "subject": "Coffee",
                "occurred_at": dt.datetime(2026, 1, 15, 10),
            },
            "invitation": {
                "organisation": "AK",
                "subject": "Invitation to sign",
                "campaign": "statement-2026",
                "follow_up_on": "2026-02-20",
                "occurred_at": dt.datetime(2026, 2, 10, 10),
            },
            "beta": {
                "organisation": "Beta Net",
                "subject": "Hello Beta",
                "occurred_at": dt.datetime(2026, 2, 11, 10),
            },
            "call": {
                "contact": "jan@example.org",
                "channel": "call",
                "direction": "in",
                "subject": SUBJECT,
                "campaign": "statement-2026",
                "follow_up_on": "2026-03-09",
                "notes": "Wants the draft in French.\nAsk Marie before Friday.",
                "outcome": "Will sign once it is translated",
                "occurred_at": dt.datetime(2026, 3, 2, 10),
                "close_followups": False,
            },
        }.items():
            ids[key] = outreach.log_interaction(w, **fields).interaction.id  # type: ignore[arg-type]
    return ids


def read(path: Path, interaction_id: int) -> outreach.InteractionView:
    with open_database(path) as db, db.read_session() as session:
        return outreach.get_interaction(session, interaction_id)


def changelog(path: Path, interaction_id: int) -> list[audit.AuditView]:
    """The change log's entries about this interaction, newest first."""
    with open_database(path) as db, db.read_session() as session:
        entries = audit.history(session, limit=None)
    return [e for e in entries if e.entity == "interaction" and e.entity_id == interaction_id]


async def open_list(pilot: Pilot[None], key: str = "f4") -> InteractionsScreen:
    """The Organisations (or Contacts) screen, then ``i`` on its first row."""
    await pilot.press(key)
    await settle(pilot)
    await pilot.press("i")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, InteractionsScreen)
    return screen


def detail(screen: InteractionsScreen) -> str:
    return str(screen.query_one("#interactions-detail-content", Static).render())


def subjects(screen: InteractionsScreen) -> list[str | None]:
    return [row.subject for row in screen.rows]


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "today", lambda: TODAY)


@pytest.mark.asyncio
async def test_i_lists_an_organisations_interactions_newest_first_readable_at_80x24(
    db_path: Path,
) -> None:
    seed(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_list(pilot)
        assert screen.record_name == "Alpha Kids"
        # Newest first; Beta Net's email is not theirs.
        assert subjects(screen) == [SUBJECT, "Invitation to sign", "Coffee"]
        text = screen_text(app)
        lines = text.splitlines()
        assert "Outreach with Alpha Kids  3 interactions, newest first" in lines[0]
        header = lines[1].split()
        assert header == ["Date", "Kind", "With", "Campaign", "Subject", "Follow-up"]
        assert lines[2].split()[:3] == ["2026-03-02", "call", "Jan"]
        assert "2026-03-09" in lines[2]  # the open follow-up's day
        assert lines[3].split()[:3] == ["2026-02-10", "email", "Alpha"]
        assert lines[4].split()[:2] == ["2026-01-15", "meeting"]
        # The columns fit the table: none runs past its edge.
        table = screen.table
        used = sum(width + 1 for _, width in table.shown_columns) - 1
        assert used <= table.scrollable_content_region.width
        # The line under the table: the subject, notes and outcome in full.
        said = detail(screen)
        assert SUBJECT in said
        assert "Wants the draft in French.\nAsk Marie before Friday." in said
        assert "Outcome: Will sign once it is translated" in said
        assert "Follow up on 2026-03-09 (open)." in said
        assert "Ask Marie before Friday." in text  # drawn, not cut off at 24 lines
        # Its keys, whole, left of the palette's key.
        *shown, (_, palette_at) = footer_keys(app)
        labels = [label for label, _ in shown]
        for key in ("e Edit", "d Done", "del Delete", "esc Close"):
            assert key in labels
        for label, at in shown:
            assert at.right <= palette_at.x, label
        await pilot.press("down")
        await settle(pilot)
        assert "Invitation to sign" in detail(screen) and "No notes or outcome." in detail(screen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, OrganisationsScreen)


@pytest.mark.asyncio
async def test_e_corrects_the_subject_and_the_follow_up_and_the_change_log_has_it(
    db_path: Path,
) -> None:
    ids = seed(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_list(pilot)
        await pilot.press("down")  # the invitation
        await pilot.press("e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, InteractionEditor)
        assert "Correct the email of 2026-02-10 with Alpha Kids (Invitation to sign)" in (
            screen_text(app)
        )
        assert editor.value("subject") == "Invitation to sign"
        assert editor.value("campaign") == "statement-2026"
        assert editor.value("date") == "2026-02-10"
        assert editor.value("follow_up") == "2026-02-20"
        assert editor.value("organisation") == "Alpha Kids"
        assert not editor.changed
        editor.query_one("#field-subject", Input).value = "Invitation to sign, resent"
        editor.query_one("#field-follow_up", Input).value = "next week"
        await settle(pilot)
        assert "Monday 2026-03-09, in 7 days" in screen_text(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        # The list is read again, the cursor still on the interaction corrected.
        assert screen.highlighted is not None and screen.highlighted.id == ids["invitation"]
        assert subjects(screen)[1] == "Invitation to sign, resent"
        assert "Saved the email of 2026-02-10 with Alpha Kids (Invitation to sign, resent)." in (
            notes(app)
        )

    view = read(db_path, ids["invitation"])
    assert view.subject == "Invitation to sign, resent"
    assert view.follow_up_on == dt.date(2026, 3, 9) and not view.done
    # What was not touched stays as it was.
    assert (view.channel, view.direction, view.campaign) == ("email", "out", "statement-2026")
    assert (view.organisation, view.contact) == ("Alpha Kids", None)
    assert view.occurred_at == dt.datetime(2026, 2, 10, 10)
    entry = changelog(db_path, ids["invitation"])[0]
    assert (entry.action, entry.coordinator) == ("update", "tester")
    assert entry.before is not None and entry.after is not None
    changed = {k for k in entry.after if entry.after[k] != entry.before[k]}
    assert changed == {"subject", "follow_up_on"}


@pytest.mark.asyncio
async def test_a_contact_typed_over_is_looked_up_and_a_cleared_campaign_is_cleared(
    db_path: Path,
) -> None:
    ids = seed(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await open_list(pilot)
        await pilot.press("down", "e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, InteractionEditor)
        contact = editor.query_one("#field-contact", Input)
        contact.value = "nobody@example.org"
        await settle(pilot)
        assert "No contact matches" in screen_text(app)
        contact.value = "jan@example.org"
        editor.query_one("#field-campaign", Select).clear()
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, InteractionsScreen)
    view = read(db_path, ids["invitation"])
    assert (view.contact, view.organisation, view.campaign) == ("Jan Nowak", "Alpha Kids", None)
    assert view.subject == "Invitation to sign"


@pytest.mark.asyncio
async def test_delete_asks_naming_the_interaction_and_cancel_keeps_it(db_path: Path) -> None:
    ids = seed(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=LARGE) as pilot:
        screen = await open_list(pilot)
        await pilot.press("down", "delete")
        await settle(pilot)
        question = app.screen
        assert isinstance(question, ConfirmDialog)
        assert question.heading.plain == (
            "Delete the email of 2026-02-10 with Alpha Kids (Invitation to sign)?"
        )
        assert "Its record stays in the change log." in screen_text(app)
        await pilot.press("enter")  # Cancel has the focus: Enter alone never deletes
        await settle(pilot)
        assert app.screen is screen
        assert subjects(screen) == [SUBJECT, "Invitation to sign", "Coffee"]
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert read(db_path, ids["invitation"]).subject == "Invitation to sign"

        await pilot.press("delete")
        await settle(pilot)
        await pilot.click("#confirm-ok")
        await settle(pilot)
        assert app.screen is screen
        assert subjects(screen) == [SUBJECT, "Coffee"]
        assert screen.highlighted is not None and screen.highlighted.subject == "Coffee"
        assert "Deleted the email of 2026-02-10 with Alpha Kids (Invitation to sign)." in (
            notes(app)
        )
        # Back on the organisations screen, its detail pane no longer lists it.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, OrganisationsScreen)
        text = screen_text(app)
        assert "Coffee" in text and "Invitation to sign" not in text

    with pytest.raises(NotFound):
        read(db_path, ids["invitation"])
    entry = changelog(db_path, ids["invitation"])[0]
    assert (entry.action, entry.coordinator, entry.after) == ("delete", "tester", None)
    assert entry.before is not None and entry.before["follow_up_on"] == "2026-02-20"


@pytest.mark.asyncio
async def test_a_refusal_is_a_sentence_and_the_list_is_read_again(db_path: Path) -> None:
    ids = seed(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_list(pilot)
        await pilot.press("down")
        # Another coordinator deletes the invitation, then the call, meanwhile.
        with open_database(db_path) as db, work(db, "bob") as w:
            outreach.delete_interaction(w, ids["invitation"])
        await pilot.press("delete")
        await settle(pilot)
        await pilot.click("#confirm-ok")
        await settle(pilot)
        question = app.screen
        assert isinstance(question, ConfirmDialog)  # it stays, saying why
        said = f"There is no interaction #{ids['invitation']}."
        assert str(question.query_one("#confirm-error", Static).render()) == said
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert subjects(screen) == [SUBJECT, "Coffee"]

        await pilot.press("home")
        with open_database(db_path) as db, work(db, "bob") as w:
            outreach.delete_interaction(w, ids["call"])
        await pilot.press("d")
        await settle(pilot)
        assert notes(app)[-1] == f"There is no interaction #{ids['call']}."
        assert not [n for n in notes(app) if "bug" in n]
        assert subjects(screen) == ["Coffee"]


@pytest.mark.asyncio
async def test_d_marks_the_open_follow_up_done(db_path: Path) -> None:
    ids = seed(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_list(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert screen.rows[0].follow_up == "done"
        assert "Follow up on 2026-03-09 (done)." in detail(screen)
        assert screen.highlighted is not None and screen.highlighted.id == ids["call"]
        assert "done" in screen_text(app).splitlines()[2]
        await pilot.press("d")  # again: nothing to do, and it says so
        await settle(pilot)
        assert notes(app)[-1] == (
            f"The follow-up of the call of 2026-03-02 with Jan Nowak / Alpha Kids ({SUBJECT}) "
            "is already done."
        )
        await pilot.press("down", "down", "d")  # the meeting: no follow-up
        await settle(pilot)
        meeting = "The meeting of 2026-01-15 with Alpha Kids (Coffee)"
        assert notes(app)[-1] == f"{meeting} has no follow-up."

    assert read(db_path, ids["call"]).done
    assert not read(db_path, ids["invitation"]).done  # only the one highlighted
    with open_database(db_path) as db, db.read_session() as session:
        due = outreach.list_followups(session, due_before=dt.date(2026, 12, 31))
    assert ids["call"] not in [i.id for i in due]
    entry = changelog(db_path, ids["call"])[0]
    assert entry.action == "update"
    assert (entry.before or {})["done"] is False and (entry.after or {})["done"] is True


@pytest.mark.asyncio
async def test_a_contacts_interactions_and_logging_another_from_the_list(db_path: Path) -> None:
    seed(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_list(pilot, "f3")
        assert isinstance(app.screen_stack[-2], ContactsScreen)
        assert (screen.kind, screen.record_name) == ("contact", "Jan Nowak")
        assert subjects(screen) == [SUBJECT]  # only those that name him
        await pilot.press("ctrl+l")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, LogDialog) and not isinstance(dialog, InteractionEditor)
        assert dialog.value("contact") == "Jan Nowak"
        dialog.query_one("#field-subject", Input).value = "Sent the French draft"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert subjects(screen) == ["Sent the French draft", SUBJECT]


@pytest.mark.asyncio
async def test_the_campaign_screen_can_open_an_organisations_list_and_f1_lists_its_keys(
    db_path: Path,
) -> None:
    seed(db_path)
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        open_interactions(app, "organisation", 2, "Beta Net")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InteractionsScreen)
        assert subjects(screen) == ["Hello Beta"]
        open_interactions(app, "organisation", 2, "Beta Net")  # there already: not twice
        await settle(pilot)
        assert app.screen is screen and len(app.screen_stack) == 2
        await pilot.press("f1")
        await settle(pilot)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        sections = dict(help_screen.sections())
        own = sections["Outreach of an organisation or contact"]
        listed = "\n".join(f"{k} {w}" for k, w in own)
        for binding in InteractionsScreen.BINDINGS:
            assert binding.description in listed  # type: ignore[union-attr]
        contacts_and_orgs = "\n".join(f"{k} {w}" for k, w in sections["Contacts and organisations"])
        assert "i Outreach" in contacts_and_orgs


@pytest.fixture
def brussels(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The coordinator's clock in Brussels (UTC+1 in March)."""
    monkeypatch.setenv("TZ", "Europe/Brussels")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.asyncio
@pytest.mark.usefixtures("brussels")
async def test_only_what_was_changed_is_saved(db_path: Path) -> None:
    """A call late in the evening in UTC, after midnight in Brussels: the form shows
    Brussels' day, and correcting its outcome leaves its time alone (passing the day shown
    again would move it by a day)."""
    seed(db_path)
    late = dt.datetime(2026, 3, 2, 23, 30)  # 00:30 on 3 March in Brussels
    with open_database(db_path) as db, work(db, "alice") as w:
        late_id = outreach.log_interaction(
            w, contact="jan@example.org", channel="call", subject="Late call", occurred_at=late
        ).interaction.id
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_list(pilot)
        assert screen.rows[0].when == "2026-03-03"
        await pilot.press("e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, InteractionEditor)
        assert editor.value("date") == "2026-03-03"
        assert editor.value("contact") == "Jan Nowak"
        editor.query_one("#field-outcome", Input).value = "Signed on paper"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert "Outcome: Signed on paper" in detail(screen)
        # Esc with nothing changed closes the form without asking.
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
    view = read(db_path, late_id)
    assert (view.occurred_at, view.outcome) == (late, "Signed on paper")
    assert (view.contact, view.organisation) == ("Jan Nowak", "Alpha Kids")
    entry = changelog(db_path, late_id)[0]
    assert entry.before is not None and entry.after is not None
    assert {k for k in entry.after if entry.after[k] != entry.before[k]} == {"outcome"}


@pytest.mark.asyncio
async def test_the_call_keeps_its_organisation_when_the_contact_has_moved(db_path: Path) -> None:
    """Jan has moved to Beta Net since the call: correcting it leaves it with Alpha Kids."""
    ids = seed(db_path)
    with open_database(db_path) as db, work(db, "alice") as w:
        people.edit_contact(w, "jan@example.org", {}, organisation="Beta Net")
    app = make_app(str(db_path), "tester")
    async with app.run_test(size=SMALL) as pilot:
        await open_list(pilot)
        await pilot.press("e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, InteractionEditor)
        assert editor.value("notes") == "Wants the draft in French.\nAsk Marie before Friday."
        editor.query_one("#field-direction", Select).value = "out"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, InteractionsScreen)
    view = read(db_path, ids["call"])
    assert (view.direction, view.contact, view.organisation) == ("out", "Jan Nowak", "Alpha Kids")
    assert (view.follow_up_on, view.done) == (dt.date(2026, 3, 9), False)
