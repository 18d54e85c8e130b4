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

``InteractionEditor`` is the same dialog opened on an interaction already logged (``e``
in the list of interactions, ``screens.interactions``): its fields as they are, an
outcome besides, and no "keep" (correcting one closes nothing). Saving passes only the
fields changed to ``outreach.edit_interaction``, as ``coalition interaction edit`` does
with the options given; a party left as shown stands for its record by id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from coalition.domain.views import InteractionView


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
    from coalition.tui.screens.interactions import InteractionsScreen

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
    if isinstance(screen, InteractionsScreen) and screen.is_mounted:
        # The record whose interactions are listed: logging another one with them.
        pinned = Pinned(screen.record_name, f"#{screen.record_id}")
        if screen.kind == "contact":
            return Prefill(contact=pinned)
        return Prefill(organisation=pinned)
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
        self.fill()
        super().on_mount()
        self.load_campaigns()

    def fill(self) -> None:
        """What the dialog opens with, before the campaigns are read."""
        for name, pinned in self.pinned.items():
            self.set_value(name, pinned.text)
        self.set_value("date", clock.today().isoformat())

    # --- campaigns ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="log-campaigns", exit_on_error=False)
    def load_campaigns(self) -> None:
        from coalition.domain.campaigns import list_campaigns

        with self.coalition.database().read_session() as session:
            campaigns = [(c.code, c.name, c.state) for c in list_campaigns(session)]
            chosen = self.campaign_to_choose(session, campaigns)
        self.app.call_from_thread(self._show_campaigns, campaigns, chosen)

    def campaign_to_choose(self, session: Any, campaigns: list[tuple[str, str, str]]) -> str | None:
        """The campaign chosen for the coordinator (in the worker thread)."""
        return self.prefill.campaign or self._campaign_of_party(session, campaigns)

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


def described(interaction: InteractionView) -> str:
    """An interaction in a sentence: "the call of 2026-11-03 with Alpha Kids (Invitation to
    sign)"; its day where the coordinator is."""
    from coalition.domain.values import local_time

    i = interaction
    text = f"the {i.channel if i.channel != 'other' else 'interaction'} of "
    text += local_time(i.occurred_at)[:10]
    who = " / ".join(x for x in (i.contact, i.organisation) if x)
    if who:
        text += f" with {who}"
    if i.subject:
        text += f" ({i.subject})"
    return text


class InteractionEditor(LogDialog):
    """Correct an interaction already logged; returns its id, or None.

    The form is filled once the campaigns are read (its campaign is one of them): until
    then Save waits. Only what was changed is saved; the date and the follow-up are read
    as the log dialog reads them, and a new follow-up day opens the follow-up again (the
    domain's rule).
    """

    SAVE_LABEL = "Save"

    def __init__(self, interaction: InteractionView) -> None:
        i = interaction
        organisation = (
            Pinned(i.organisation, f"#{i.organisation_id}")
            if i.organisation is not None and i.organisation_id is not None
            else None
        )
        contact = (
            Pinned(i.contact, f"#{i.contact_id}")
            if i.contact is not None and i.contact_id is not None
            else None
        )
        super().__init__(Prefill(organisation=organisation, contact=contact, campaign=i.campaign))
        self.interaction = interaction
        self.ready = False

    def fields(self) -> list[Field]:
        found = [f for f in super().fields() if f.name != "keep"]  # correcting closes nothing
        at = next(n for n, f in enumerate(found) if f.name == "notes")
        found.insert(at, Field("outcome", "Outcome", "what came of it"))
        return found

    def title_text(self) -> Text:
        return plain(f"Correct {described(self.interaction)}", "bold")

    def fill(self) -> None:
        """Nothing yet: the form is filled with the campaigns (``_show_campaigns``)."""

    def campaign_to_choose(self, session: Any, campaigns: list[tuple[str, str, str]]) -> str | None:
        return self.interaction.campaign

    def _show_campaigns(self, campaigns: list[tuple[str, str, str]], chosen: str | None) -> None:
        from coalition.domain.values import local_time

        if not self.is_attached:
            return
        self.query_one("#field-campaign", Select).set_options(campaign_options(campaigns))
        i = self.interaction
        shown = {
            "channel": i.channel,
            "direction": i.direction,
            "subject": i.subject,
            "contact": i.contact,
            "organisation": i.organisation,
            "campaign": chosen if chosen in {code for code, _, _ in campaigns} else None,
            "date": local_time(i.occurred_at)[:10],
            "follow_up": i.follow_up_on.isoformat() if i.follow_up_on else None,
            "outcome": i.outcome,
            "notes": i.notes,
        }
        self.show_record(shown, self.title_text().plain)

    def check(self, name: str, text: str) -> str | None:
        hint = super().check(name, text)
        if name == "follow_up" and hint and self.interaction.done:
            same = text.strip() == self.original.get("follow_up")
            hint += "; done" if same else "; a new day opens it again"
        return hint

    def save(self, values: dict[str, str]) -> tuple[int, str]:
        from coalition.domain import outreach
        from coalition.domain.audit import work as unit_of_work

        changes: dict[str, str] = {}
        for name in ("channel", "direction", "subject", "outcome", "notes", "campaign"):
            if values[name] != self.original.get(name, ""):
                changes[name] = values[name]
        for name in ("contact", "organisation"):
            pinned = self.pinned.get(name)
            if values[name] != (pinned.ref if pinned is not None else ""):
                changes[name] = values[name]  # the reference typed; "" takes them away
        today = clock.today()
        for name, field in (("date", "occurred_on"), ("follow_up", "follow_up_on")):
            if values[name].strip() != self.original.get(name, ""):
                day = checks.parse_date(values[name], today=today)
                changes[field] = day.isoformat() if day else ""
        interaction_id = self.interaction.id
        if not changes:
            return interaction_id, f"Nothing changed in {described(self.interaction)}."
        coalition = self.coalition
        with unit_of_work(coalition.database(), coalition.coordinator) as w:
            view = outreach.edit_interaction(w, interaction_id, changes)
        return view.id, f"Saved {described(view)}."


def open_log_dialog(app: Any) -> None:
    """Log an interaction, starting from what the current screen has selected."""
    if isinstance(app.screen, FormScreen | ConfirmDialog):
        return  # not over a form or a question that is open
    app.push_screen(LogDialog(prefill_from(app.screen)))
