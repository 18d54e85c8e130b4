"""Log an interaction from anywhere (Ctrl+L): an email, a call, a meeting, and its follow-up.

The dialog starts from what is selected: the highlighted contact or
organisation of the Contacts and Organisations screens, or the highlighted
organisation and the campaign of the Campaign screen (``prefill_from``). A
pre-filled name stands for that very record (by id) while it is left as it
is; typed over, it is looked up as the command line looks names up. The
date and the follow-up take what ``coalition log`` takes (``values.parse_date``:
2026-12-01, today, +7, 7d, 2w, 1m, a weekday such as fri for the next Friday,
next week for next Monday, next month for the 1st of next month) and say which
day that is as you type, so what a word means is seen before it is saved.

Saving runs ``outreach.log_interaction`` in a worker inside one unit of work,
as ``coalition log`` does: earlier open follow-ups with the organisation are
closed unless "keep" is ticked. Returns the new interaction's id, or None.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.screen import Screen
from textual.suggester import Suggester
from textual.widgets import Select

from coalition.domain import values as checks
from coalition.errors import CoalitionError
from coalition.tui import clock
from coalition.tui.screens.confirm import ConfirmDialog
from coalition.tui.screens.form_base import (
    Field,
    FormScreen,
    OrganisationSuggester,
    day_hint,
    plain,
)
from coalition.tui.widgets.render import campaign_options


@dataclass(frozen=True)
class Pinned:
    """A pre-filled party: the text shown, and the record it stands for while unchanged."""

    text: str
    ref: str | None
    """"#id"; None for "whatever the domain fills in" (a contact's own organisation)."""


@dataclass(frozen=True)
class Prefill:
    organisation: Pinned | None = None
    contact: Pinned | None = None
    campaign: str | None = None


def prefill_from(screen: Screen[Any]) -> Prefill:
    """What the current screen has selected, to start the dialog from."""
    from coalition.tui.screens.browse import BrowseScreen, ContactsScreen

    if isinstance(screen, BrowseScreen) and screen.is_mounted:
        row = screen.table.current_row
        if row is None:
            return Prefill()
        if isinstance(screen, ContactsScreen):
            organisation = Pinned(row.organisation, None) if row.organisation else None
            return Prefill(organisation=organisation, contact=Pinned(row.name, f"#{row.id}"))
        return Prefill(organisation=Pinned(row.name, f"#{row.id}"))
    if type(screen).__name__ == "StartScreen" and screen.is_mounted:
        # The highlighted follow-up: logging with them closes it.
        item = getattr(screen, "highlighted_followup", None)
        if item is None:
            return Prefill()
        org = Pinned(item.organisation, f"#{item.organisation_id}") if item.organisation else None
        person = Pinned(item.contact, f"#{item.contact_id}") if item.contact else None
        return Prefill(organisation=org, contact=person, campaign=item.campaign)
    if type(screen).__name__ == "CampaignScreen" and screen.is_mounted:
        highlighted = getattr(screen, "highlighted", None)
        data = getattr(screen, "data", None)
        campaign = data.campaign.code if data is not None else None
        if highlighted is None:
            return Prefill(campaign=campaign)
        org = Pinned(highlighted.name, f"#{highlighted.organisation_id}")
        return Prefill(organisation=org, campaign=campaign)
    return Prefill()


def _choices() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The kinds of interaction and the directions, as the domain defines them."""
    from coalition.store.schema import CHANNELS, DIRECTIONS

    return CHANNELS, DIRECTIONS


class LogDialog(FormScreen):
    """Log an interaction with an organisation, a contact or both; returns its id."""

    SAVE_LABEL = "Log it"
    AUTO_FOCUS = "#field-subject"

    def __init__(self, prefill: Prefill | None = None) -> None:
        super().__init__()
        self.prefill = prefill or Prefill()
        self.pinned: dict[str, Pinned] = {}
        if self.prefill.organisation is not None:
            self.pinned["organisation"] = self.prefill.organisation
        if self.prefill.contact is not None:
            self.pinned["contact"] = self.prefill.contact

    def fields(self) -> list[Field]:
        channels, directions = _choices()
        return [
            Field("channel", "Kind", kind="select", choices=channels),
            Field("direction", "Direction", kind="select", choices=directions),
            Field("subject", "Summary", "what it was about"),
            Field("contact", "Contact", "name, email or #id"),
            Field("organisation", "Organisation", "name, acronym or #id; → completes"),
            Field("campaign", "Campaign", kind="select", blank="No campaign"),
            Field("date", "Date", "YYYY-MM-DD, today, yesterday"),
            Field("follow_up", "Follow up", "blank: none; fri, next week, next month, 2w"),
            Field("notes", "Notes", kind="text"),
            Field("keep", "Follow-ups", "Keep earlier open follow-ups open", kind="check"),
        ]

    def title_text(self) -> Text:
        title = plain("Log an interaction", "bold")
        who = [p.text for p in (self.prefill.contact, self.prefill.organisation) if p]
        if who:
            title.append(plain(" with ", "bold"))
            title.append(plain(" / ".join(who), "bold"))
        return title

    def suggester(self, name: str) -> Suggester | None:
        return OrganisationSuggester(self.coalition) if name == "organisation" else None

    def on_mount(self) -> None:
        for name, pinned in self.pinned.items():
            self.set_value(name, pinned.text)
        self.set_value("date", clock.today().isoformat())
        super().on_mount()
        self.load_campaigns()

    # --- campaigns ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="log-campaigns", exit_on_error=False)
    def load_campaigns(self) -> None:
        from coalition.domain.campaigns import list_campaigns

        with self.coalition.database().read_session() as session:
            campaigns = [(c.code, c.name, c.state) for c in list_campaigns(session)]
            chosen = self.prefill.campaign or self._campaign_of_party(session, campaigns)
        self.app.call_from_thread(self._show_campaigns, campaigns, chosen)

    def _campaign_of_party(self, session: Any, campaigns: list[tuple[str, str, str]]) -> str | None:
        """The one campaign not yet closed that the selected organisation (or the selected
        contact's) has a sign-on in: what talking to them is most likely about. None when
        there are several, or none."""
        from coalition.domain.campaigns import signons_of
        from coalition.domain.people import find_contact
        from coalition.errors import CoalitionError

        organisation, contact = self.prefill.organisation, self.prefill.contact
        organisation_id: int | None = None
        if organisation is not None and organisation.ref:
            organisation_id = int(organisation.ref.lstrip("#"))
        elif contact is not None and contact.ref:
            try:
                organisation_id = find_contact(session, contact.ref).organisation_id
            except CoalitionError:  # deleted meanwhile: the dialog will say so on saving
                return None
        if organisation_id is None:
            return None
        live = {code for code, _, state in campaigns if state != "closed"}
        codes = {s.campaign for s in signons_of(session, organisation_id)} & live
        return codes.pop() if len(codes) == 1 else None

    def _show_campaigns(self, campaigns: list[tuple[str, str, str]], chosen: str | None) -> None:
        if not self.is_attached:
            return
        options = campaign_options(campaigns)
        select = self.query_one("#field-campaign", Select)
        select.set_options(options)
        if chosen in {code for code, _, _ in campaigns}:
            select.value = chosen
        self.mark_unchanged("campaign")  # chosen for the coordinator: not a change to ask about

    # --- checking as you type ---------------------------------------------------------------

    def ref(self, name: str) -> str | None:
        """What to look the party up by: the pinned record while its name is unchanged."""
        text = self.value(name).strip()
        pinned = self.pinned.get(name)
        if pinned is not None and text == pinned.text.strip():
            return pinned.ref
        return text or None

    def check(self, name: str, text: str) -> str | None:
        if name in ("date", "follow_up"):
            day = checks.parse_date(text, today=clock.today())
            return day_hint(day) if day else None
        if name in ("contact", "organisation"):
            self.check_party(name, text, self.ref(name))
        return None

    @work(thread=True, exclusive=False, group="log-party", exit_on_error=False)
    def check_party(self, name: str, text: str, ref: str | None) -> None:
        """Who the typed name is, as the domain finds it (off the screen's thread)."""
        from coalition.domain import people

        said: str | None = None
        problem = False
        if ref is None and text.strip():
            said = "The contact's organisation."
        elif ref is not None:
            try:
                with self.coalition.database().read_session() as session:
                    if name == "contact":
                        person = people.contact_view(people.find_contact(session, ref))
                        at = f", {person.organisation}" if person.organisation else ""
                        said = f"#{person.id} {person.display_name}{at}"
                    else:
                        org = people.find_organisation(session, ref)
                        where = f", {org.country}" if org.country else ""
                        said = f"#{org.id} {org.name}{where}"
            except CoalitionError as error:
                said, problem = str(error), True
        self.app.call_from_thread(self._party_checked, name, text, said, problem)

    def _party_checked(self, name: str, text: str, said: str | None, problem: bool) -> None:
        if self.is_attached and self.value(name) == text:
            self.show_message(name, said, problem=problem)

    # --- saving ---------------------------------------------------------------------------

    def values(self) -> dict[str, str]:
        """The form's values, with the parties as the references to look them up by."""
        found = super().values()
        for name in ("contact", "organisation"):
            found[name] = self.ref(name) or ""
        return found

    def save(self, values: dict[str, str]) -> tuple[int, str]:
        from coalition.domain import outreach
        from coalition.domain.audit import work as unit_of_work

        today = clock.today()
        day = checks.parse_date(values["date"], today=today)
        occurred_at = None
        if day is not None and day != today:
            occurred_at = dt.datetime.combine(day, dt.time(12))
        coalition = self.coalition
        with unit_of_work(coalition.database(), coalition.coordinator) as w:
            result = outreach.log_interaction(
                w,
                organisation=values["organisation"] or None,
                contact=values["contact"] or None,
                channel=values["channel"],
                direction=values["direction"],
                subject=values["subject"],
                notes=values["notes"],
                campaign=values["campaign"] or None,
                follow_up_on=checks.parse_date(values["follow_up"], today=today),
                occurred_at=occurred_at,
                close_followups=not values["keep"],
            )
        return result.interaction.id, result.sentence()


def open_log_dialog(app: Any) -> None:
    """Log an interaction, starting from what the current screen has selected."""
    if isinstance(app.screen, FormScreen | ConfirmDialog):
        return  # not over a form or a question that is open
    app.push_screen(LogDialog(prefill_from(app.screen)))
