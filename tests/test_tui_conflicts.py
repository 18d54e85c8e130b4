"""Two coordinators editing one record in the terminal app: the second save is refused
with who changed it and when, the form stays open with what was typed, shows the stored
values beside it (theirs → yours) and saves the merge made by hand (issue 17).

"Bob" saves from outside the app (his own program) while "alice" has the form open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, OptionList, Static

from coalition.domain import campaigns, people
from coalition.domain.audit import work
from coalition.store.database import open_database
from coalition.tui.app import CoalitionApp, make_app
from coalition.tui.screens.browse import BrowseScreen
from coalition.tui.screens.campaign_form import CampaignForm
from coalition.tui.screens.form_base import FormScreen
from coalition.tui.screens.record_forms import ContactForm, OrganisationForm
from coalition.tui.screens.signon_dialog import SignOnDialog
from tests.tui_helpers import SMALL, settle, until


def seed(path: Path) -> None:
    with open_database(path) as db, work(db, "alice") as w:
        people.add_organisation(w, name="Alpha Kids", country="BE", city="Gent")
        people.add_contact(
            w, given_name="Jana", family_name="Novak", organisation="Alpha Kids", role="Officer"
        )
        campaigns.add_campaign(w, "kids-2027", name="Kids 2027", state="open", target=100)
        campaigns.set_signon(w, "Alpha Kids", "kids-2027", "invited")


def as_bob(path: Path, change: Any) -> None:
    """Bob's save, from a program of his own."""
    with open_database(path) as db, work(db, "bob") as w:
        change(w)


def stored(path: Path, read: Any) -> Any:
    with open_database(path) as db, db.read_session() as s:
        return read(s)


def said(form: Any, selector: str = "#form-error") -> str:
    shown = form.query_one(selector, Static)
    return str(shown.render()) if shown.display else ""


async def opened(pilot: Any, keys: tuple[str, ...], kind: type[Any]) -> Any:
    app = pilot.app
    for key in keys:
        await pilot.press(key)
        await settle(pilot)
    await until(pilot, lambda: isinstance(app.screen, kind), kind.__name__)
    await until(pilot, lambda: getattr(app.screen, "ready", True), "the record to be read")
    await settle(pilot)
    return app.screen


async def refused(pilot: Any, form: Any, selector: str = "#form-error") -> str:
    await pilot.press("ctrl+s")
    await until(pilot, lambda: "since you opened it" in said(form, selector), "the refusal")
    await settle(pilot)
    assert pilot.app.screen is form, "the form stays open"
    return said(form, selector)


async def saved(pilot: Any, form: FormScreen | SignOnDialog) -> None:
    await pilot.press("ctrl+s")
    await until(pilot, lambda: pilot.app.screen is not form, "the form to close")
    await settle(pilot)


def typed(app: CoalitionApp, **fields: str) -> None:
    for name, text in fields.items():
        app.screen.query_one(f"#field-{name}", Input).value = text


@pytest.mark.asyncio
async def test_an_organisation_saved_by_bob_meanwhile_is_shown_beside_alices_changes(
    db_path: Path,
) -> None:
    seed(db_path)
    app = make_app(str(db_path), "alice")
    async with app.run_test(size=SMALL) as pilot:
        form = await opened(pilot, ("f4", "e"), OrganisationForm)
        assert form.version == 1
        as_bob(
            db_path,
            lambda w: people.edit_organisation(
                w, "Alpha Kids", {"city": "Brugge", "notes": "Met at the assembly"}
            ),
        )
        typed(app, city="Antwerpen", phone="+32 2 555 01 01")
        await settle(pilot)
        text = await refused(pilot, form)
        assert text.startswith("Changed by bob at ")
        assert "since you opened it: the organisation Alpha Kids" in text
        assert "City: Brugge → Antwerpen" in text  # both changed it: Alice's kept
        assert "Now as they saved it: Notes." in text  # Bob's, taken in
        assert form.value("city") == "Antwerpen"
        assert form.value("notes") == "Met at the assembly"
        org = stored(db_path, lambda s: people.get_organisation(s, "Alpha Kids"))
        assert (org.city, org.phone) == ("Brugge", None), "nothing of Alice's was written"

        await saved(pilot, form)  # the merge, as the form shows it
        assert isinstance(app.screen, BrowseScreen)
    org = stored(db_path, lambda s: people.get_organisation(s, "Alpha Kids"))
    assert (org.city, org.notes, org.phone) == (
        "Antwerpen",
        "Met at the assembly",
        "+32 2 555 01 01",
    )


@pytest.mark.asyncio
async def test_a_contact_saved_meanwhile_keeps_bobs_address_and_takes_alices_role(
    db_path: Path,
) -> None:
    seed(db_path)
    app = make_app(str(db_path), "alice")
    async with app.run_test(size=SMALL) as pilot:
        form = await opened(pilot, ("f3", "e"), ContactForm)
        as_bob(
            db_path,
            lambda w: people.edit_contact(
                w, "Jana Novak", {"role": "Director"}, add_emails=["jana@example.org"]
            ),
        )
        typed(app, role="Campaigns lead")
        await settle(pilot)
        text = await refused(pilot, form)
        assert "Changed by bob at " in text and "the contact Jana Novak" in text
        assert "Role: Director → Campaigns lead" in text
        assert "Now as they saved it: Emails." in text
        assert form.value("emails") == "jana@example.org"
        await saved(pilot, form)
    jana = stored(db_path, lambda s: people.get_contact(s, "Jana Novak"))
    assert jana.role == "Campaigns lead"
    assert [e.address for e in jana.emails] == ["jana@example.org"], "Bob's address stays"


@pytest.mark.asyncio
async def test_a_campaign_changed_meanwhile_is_not_saved_over(db_path: Path) -> None:
    seed(db_path)
    app = make_app(str(db_path), "alice")
    async with app.run_test(size=SMALL) as pilot:
        form = await opened(pilot, ("f5", "e"), CampaignForm)
        as_bob(db_path, lambda w: campaigns.edit_campaign(w, "kids-2027", {"target": 250}))
        typed(app, name="Kids first 2027")
        await settle(pilot)
        text = await refused(pilot, form)
        assert "Changed by bob at " in text and "the campaign kids-2027" in text
        assert "Now as they saved it: Target." in text
        assert form.value("target") == "250"
        await saved(pilot, form)
    kids = stored(db_path, lambda s: campaigns.get_campaign(s, "kids-2027"))
    assert (kids.name, kids.target) == ("Kids first 2027", 250)


@pytest.mark.asyncio
async def test_a_sign_on_moved_meanwhile_is_shown_and_not_moved_again(db_path: Path) -> None:
    seed(db_path)
    app = make_app(str(db_path), "alice")
    async with app.run_test(size=SMALL) as pilot:
        dialog = await opened(pilot, ("f4", "c"), SignOnDialog)
        as_bob(
            db_path,
            lambda w: campaigns.set_signon(
                w, "Alpha Kids", "kids-2027", "signed", notes="by phone"
            ),
        )
        statuses = dialog.query_one("#signon-status", OptionList)
        statuses.highlighted = [o.id for o in statuses.options].index("considering")
        await pilot.pause()
        dialog.query_one("#signon-notes", Input).value = "call back in May"
        await settle(pilot)
        text = await refused(pilot, dialog, "#signon-error")
        assert text.startswith("Changed by bob at ")
        assert "Alpha Kids / kids-2027" in text
        assert "Status: now signed; you chose considering." in text
        assert "Notes: by phone → call back in May" in text
        assert dialog.query_one("#signon-notes", Input).value == "call back in May"
        # Offered from where it stands now: signed can only be kept or withdrawn.
        assert [o.id for o in statuses.options] == ["signed", "withdrawn"]
        signon = stored(db_path, lambda s: campaigns.get_signon(s, "Alpha Kids", "kids-2027"))
        assert (signon.status, signon.notes) == ("signed", "by phone")
