"""Bring organisations into a campaign's sign-on pipeline from the Organisations screen.

``c`` opens ``SignOnDialog`` for the highlighted organisation: the campaign, and the
status it goes to among those the pipeline allows from where it stands
(``campaigns.allowed_moves``, with where it stands first, "as it is"), set through
``campaigns.set_signon`` — its rules, its history and its audit entry, as ``coalition
signon set`` does. When the status is signed, the dialog also records what the signatory
list needs: who signed (one of the organisation's people, or nobody named), the name to
publish (the organisation's own unless another was given) and whether it may be named
publicly (the domain's default: yes); and, whatever the status, notes. Only what was
changed is passed on, so that a name left as the organisation's follows it if it is
renamed. With the status left as it is, the button saves those alone.

Nothing drops down over the dialog's text: the statuses are a list in the dialog, the
campaign and the person choices open in place, pushing what is under them down. The
fields are taken top to bottom by Tab, then the button, then Cancel; the focus starts on
the statuses, where Enter does what the button says.

``C`` opens ``AddAllDialog`` for every organisation the table lists (its search and
filters, read again as ids through ``browse.organisation_ids``): the question names how
many, and under it ``campaigns.plan_signons`` says, as the choices change, how many
would be added, moved and left. Organisations already in the campaign stay as they are
unless "also move" is ticked, and then only where the pipeline allows; closed campaigns
are not offered, as a published list is no place for a few hundred new names. It is
applied through ``campaigns.set_signons``: one unit of work, all or nothing. With rows
marked in the table (space), ``C`` opens the same dialog on the marked organisations
instead (``read_marked``), wherever the searches since have left them: the question says
"the 3 marked organisations" and names them, and the counts under it are theirs.

What a dialog starts from (the campaigns, the organisation's sign-ons, the listing's
ids) is read before it opens, in the screen's worker (``read_one``, ``read_all``), so a
database without a campaign gets a sentence saying what to do rather than an empty
dialog. Writing runs in the dialog's own worker; a refusal is shown in the dialog, which
stays open with the choices made; it returns the sentence saying what was done, or None.

Two coordinators at one sign-on: the dialog saves with the version of the sign-on it
read (``Standing.version``; 0 when there was none), and a sign-on recorded, changed or
deleted since is refused with who did it and when (``Conflict``). The dialog stays open,
reads the organisation's sign-ons again and shows what is stored now beside what was
chosen: details not changed here take the stored values, those changed on both sides
are listed theirs → yours (yours kept), and the statuses offered are those from where
the sign-on stands now. The next save is made on what it shows.

The campaign chosen first is the one open campaign when there is exactly one; else the
one campaign not yet closed that the organisation is already in; else the campaign last
shown on the Campaign screen; else the only one not closed. A new sign-on starts as a
prospect: the pipeline's first step, and what the mail merge's "log the invitation" moves
to invited when the invitation actually goes out. An organisation already in the campaign
is offered its usual next step; after signed, declined or withdrawn there is none, and
nothing is chosen for it, so Enter never withdraws a signature by accident.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len
from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from coalition.errors import CoalitionError, Conflict, NotFound
from coalition.tui.jobs import JobModal, answer, failure
from coalition.tui.widgets.buttons import ButtonRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from textual.worker import Worker

    from coalition.domain.browse import OrganisationQuery
    from coalition.domain.campaigns import SignOnsSet

NO_CAMPAIGN = "No campaign yet: press F5, then n to start one."
ALL_CLOSED = (
    "Every campaign is closed, and a closed campaign takes no new organisations: "
    "press F5, then n to start one."
)
EMPTY_LIST = "No organisation is listed, so there is none to add: search or filter (f) again."
NOT_NARROWED = (
    "C adds every organisation listed to a campaign: search or filter (f) first, "
    "to list the ones to add, or mark them with space."
)
MARKED_GONE = (
    "The marked organisations no longer exist (deleted or merged meanwhile): "
    "their marks are taken off; mark others with space."
)


@dataclass(frozen=True)
class CampaignItem:
    code: str
    name: str
    state: str


@dataclass(frozen=True)
class Details:
    """What a sign-on records besides its status (the first three once signed)."""

    signed_by: int | None = None
    """The contact who signed, by id."""
    display_name: str = ""
    """The name to publish: the organisation's own when none was given."""
    public: bool = True
    notes: str = ""


@dataclass(frozen=True)
class Standing:
    """Where an organisation stands in one campaign."""

    status: str
    since: dt.datetime
    details: Details = field(default_factory=Details)
    signed_by_name: str | None = None
    version: int = 0
    """Of the sign-on as read: a save passes it on (``campaigns.change_signon``)."""


@dataclass(frozen=True)
class Person:
    """One of the organisation's people, who may have signed for it."""

    id: int
    name: str
    role: str | None = None


@dataclass(frozen=True)
class OneStart:
    """What ``SignOnDialog`` opens on."""

    organisation_id: int
    name: str
    campaigns: list[CampaignItem]
    """Open, then draft, then closed; newest first within each."""
    standing: dict[str, Standing]
    """By campaign code: the campaigns it is in already."""
    campaign: str | None
    """The campaign chosen first (see the module's notes)."""
    people: list[Person] = field(default_factory=list)
    """The organisation's people, by name."""


@dataclass(frozen=True)
class AllStart:
    """What ``AddAllDialog`` opens on."""

    ids: list[int]
    campaigns: list[CampaignItem]
    """Open, then draft (closed ones are not offered); newest first within each."""
    campaign: str | None
    names: list[str] = field(default_factory=list)
    """The organisations' names, in ``ids``' order, when they are the ones marked (else
    empty: every organisation listed)."""

    @property
    def marked(self) -> bool:
        return bool(self.names)


_STATE_ORDER = {"open": 0, "draft": 1, "closed": 2}


def _campaigns(session: Session) -> list[CampaignItem]:
    from coalition.domain.campaigns import list_campaigns

    found = [CampaignItem(c.code, c.name, c.state) for c in list_campaigns(session)]
    if not found:
        raise CoalitionError(NO_CAMPAIGN)
    return sorted(found, key=lambda c: _STATE_ORDER.get(c.state, 3))  # stable: newest first


def default_campaign(
    campaigns: list[CampaignItem], remembered: str | None, already_in: tuple[str, ...] = ()
) -> str | None:
    """The campaign a dialog starts on (see the module's notes); None to let the
    coordinator choose."""
    live = [c.code for c in campaigns if c.state != "closed"]
    opened = [c.code for c in campaigns if c.state == "open"]
    if len(opened) == 1:
        return opened[0]
    mine = [code for code in already_in if code in live]
    if len(mine) == 1:
        return mine[0]
    if remembered in live:
        return remembered
    return live[0] if len(live) == 1 else None


def read_one(session: Session, organisation_id: int, name: str, remembered: str | None) -> OneStart:
    """The campaigns, where the organisation stands in each and its people (in a worker
    thread)."""
    from coalition.domain.campaigns import signons_of
    from coalition.domain.people import contacts_of, get_organisation

    campaigns = _campaigns(session)
    get_organisation(session, organisation_id)  # NotFound when deleted meanwhile
    standing = {
        s.campaign: Standing(
            s.status,
            s.status_since,
            Details(s.signed_by_id, s.display_name, s.public, s.notes or ""),
            s.signed_by,
            s.version,
        )
        for s in signons_of(session, organisation_id)
    }
    people = [Person(c.id, c.display_name, c.role) for c in contacts_of(session, organisation_id)]
    chosen = default_campaign(campaigns, remembered, tuple(standing))
    return OneStart(organisation_id, name, campaigns, standing, chosen, people)


def read_all(session: Session, query: OrganisationQuery, remembered: str | None) -> AllStart:
    """The campaigns not closed and the ids of every organisation listed (in a worker)."""
    from coalition.domain.browse import organisation_ids

    campaigns = [c for c in _campaigns(session) if c.state != "closed"]
    if not campaigns:
        raise CoalitionError(ALL_CLOSED)
    ids = organisation_ids(session, query)
    if not ids:
        raise CoalitionError(EMPTY_LIST)
    return AllStart(ids, campaigns, default_campaign(campaigns, remembered))


def read_marked(session: Session, ids: list[int], remembered: str | None) -> AllStart:
    """The campaigns not closed and the marked organisations that still exist, with their
    names as they are now (in a worker). One deleted or merged since it was marked is left
    out (its id is not in the answer); none left is said in a sentence."""
    from coalition.domain.people import get_organisation

    campaigns = [c for c in _campaigns(session) if c.state != "closed"]
    if not campaigns:
        raise CoalitionError(ALL_CLOSED)
    found: dict[int, str] = {}
    for organisation_id in ids:
        try:
            found[organisation_id] = get_organisation(session, f"#{organisation_id}").name
        except NotFound:  # gone since it was marked
            continue
    if not found:
        raise NotFound(MARKED_GONE)
    return AllStart(
        list(found), campaigns, default_campaign(campaigns, remembered), [*found.values()]
    )


def _names(names: list[str], width: int = 66) -> str:
    """The names as "a, b and c", or as many as ``width`` cells hold: "a, b and 4 more"
    (one line under the question, whatever the names' lengths)."""
    for shown in range(len(names), 0, -1):
        rest = len(names) - shown
        if rest:
            text = f"{', '.join(names[:shown])} and {rest:,} more"
        elif shown > 1:
            text = f"{', '.join(names[: shown - 1])} and {names[shown - 1]}"
        else:
            text = names[0]
        if cell_len(text) <= width:
            return text
    return text  # the first name alone is too long: cut where it is drawn


def _either(options: list[str]) -> str:
    """The options as "a, b or c"."""
    return " or ".join([", ".join(options[:-1]), options[-1]] if len(options) > 1 else options)


def _organisations(n: int) -> str:
    return f"{n:,} organisation{'' if n == 1 else 's'}"


def _by_status(counts: dict[str, int]) -> str:
    from coalition.domain.campaigns import PIPELINE

    return ", ".join(f"{counts[s]:,} {s}" for s in PIPELINE if counts.get(s))


class StatusList(OptionList):
    """The statuses to choose from, in the dialog (nothing drops down over its text): the
    one highlighted is the one chosen, marked ●; Enter does what the dialog's button says."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "screen.apply", "Apply", show=False),
    ]

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self._notes: dict[str, str] = {}

    @property
    def chosen(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None else None

    def offer(self, statuses: list[tuple[str, str]], chosen: str | None) -> None:
        """Offer ``statuses`` ((status, what to say beside it)), ``chosen`` chosen."""
        self._notes = dict(statuses)
        self.set_options(Option(self._prompt(s, s == chosen), id=s) for s, _ in statuses)
        codes = [s for s, _ in statuses]
        self.highlighted = codes.index(chosen) if chosen in codes else None

    def _prompt(self, status: str, chosen: bool) -> Text:
        prompt = Text("● " if chosen else "○ ")
        prompt.append(status)
        if self._notes.get(status):
            prompt.append(f"  {self._notes[status]}", style="dim")
        return prompt

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        for index, option in enumerate(self.options):
            if option.id is not None:
                self.replace_option_prompt_at_index(
                    index, self._prompt(option.id, index == highlighted)
                )


class _CampaignDialog(JobModal[str | None]):
    """A campaign, a status, what that will do, and a button that does it."""

    CSS_PATH = "signon_dialog.tcss"
    AUTO_FOCUS = None  # see _first_focus
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="signon.cancel"),
        Binding("ctrl+s", "apply", "Apply", id="signon.apply", tooltip="Do what the button says"),
    ]
    WRITE_GROUP = "signon-save"

    def __init__(self, campaigns: list[CampaignItem], campaign: str | None) -> None:
        super().__init__()
        self.campaigns = campaigns
        self.first_campaign = campaign

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        from coalition.tui.widgets.render import campaign_options

        options = campaign_options((c.code, c.name, c.state) for c in self.campaigns)
        with Vertical(id="signon-body"):
            yield Static(id="signon-title")
            with Horizontal(classes="signon-row"):
                yield Label("Campaign", classes="signon-label")
                yield Select(
                    options,
                    value=self.first_campaign or Select.NULL,
                    prompt="Choose a campaign",
                    compact=True,
                    id="signon-campaign",
                )
            with Horizontal(classes="signon-row"):
                yield Label("Status", classes="signon-label")
                yield StatusList(id="signon-status")
            yield from self.more_fields()
            yield Static(id="signon-said")
            yield Static(id="signon-error")
            with ButtonRow(id="signon-buttons"):
                yield Button("Set", id="signon-apply", variant="primary", compact=True)
                yield Button("Cancel", id="signon-cancel", compact=True)

    def more_fields(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.offer_statuses()
        self.show_state()
        self.call_after_refresh(self._first_focus)

    def _first_focus(self) -> None:
        """On the statuses, where Enter does it; on the campaign while there is none."""
        if self.campaign is None:
            self.query_one("#signon-campaign").focus()
        else:
            self.query_one("#signon-status").focus()

    # --- the choices ----------------------------------------------------------------------

    @property
    def campaign(self) -> str | None:
        value = self.query_one("#signon-campaign", Select).value
        return value if isinstance(value, str) else None

    @property
    def status(self) -> str | None:
        return self.query_one("#signon-status", StatusList).chosen

    def statuses(self, campaign: str) -> tuple[list[tuple[str, str]], str | None]:
        """The statuses to offer for ``campaign``, each with what to say beside it, and the
        one chosen first."""
        raise NotImplementedError

    def offer_statuses(self) -> None:
        listed = self.query_one("#signon-status", StatusList)
        campaign = self.campaign
        if campaign is None:
            listed.offer([], None)
            return
        offered, first = self.statuses(campaign)
        kept = self.status
        chosen = kept if self.keep_status and kept in dict(offered) else first
        listed.offer(offered, chosen)

    keep_status: ClassVar[bool] = False
    """Keep the status chosen when the campaign changes (when the same ones are offered)."""

    @on(Select.Changed, "#signon-campaign")
    def _campaign_changed(self) -> None:
        self.show_error(None)
        self.campaign_changed()
        self.offer_statuses()
        self.show_state()

    def campaign_changed(self) -> None:
        """Another campaign was chosen (before its statuses are offered)."""

    @on(OptionList.OptionHighlighted, "#signon-status")
    def _status_changed(self) -> None:
        self.show_error(None)
        self.show_state()

    # --- what it will do ------------------------------------------------------------------

    def show_state(self) -> None:
        """The title, the sentence under the choices and the button, for the choices now."""
        raise NotImplementedError

    def show_error(self, message: str | None) -> None:
        error = self.query_one("#signon-error", Static)
        error.update(Text(message or ""))
        error.display = bool(message)

    ready = False
    """The button does what it says (not while what it would do is being read)."""

    def set_button(self, label: str, ready: bool, *, pending: bool = False) -> None:
        """``pending``: not ready yet, but soon; the button stays as it is meanwhile,
        so that a focused button keeps the focus (a disabled one would pass it on)."""
        button = self.query_one("#signon-apply", Button)
        button.label = label
        self.ready = ready
        if not pending:
            button.disabled = not ready

    # --- doing it -------------------------------------------------------------------------

    @on(Button.Pressed, "#signon-apply")
    @on(Input.Submitted)
    def action_apply(self) -> None:
        if self.writing or not self.ready:
            return
        campaign, status = self.campaign, self.status
        if campaign is None or status is None:
            self.show_error("Choose a campaign and a status first.")
            return
        details = self.details(status)  # read here: the job runs in another thread
        self.writing = True
        self.show_error(None)
        self.show_state()
        self.apply(campaign, status, self.move_existing, details)

    @property
    def move_existing(self) -> bool:
        """Move organisations already in the campaign too (for many at once)."""
        return False

    def details(self, status: str) -> dict[str, Any]:
        """What to record besides the status: the fields changed, as ``set_signon`` takes
        them (for one organisation)."""
        return {}

    def save(self, campaign: str, status: str, move: bool, details: dict[str, Any]) -> str:
        """Write it (in a worker thread); the sentence saying what was done."""
        raise NotImplementedError

    @work(thread=True, exclusive=True, group="signon-save", exit_on_error=False)
    def apply(self, campaign: str, status: str, move: bool, details: dict[str, Any]) -> None:
        answer(
            self.app, lambda: self.save(campaign, status, move, details), self._done, self._refused
        )

    def _refused(self, message: str) -> None:
        self.writing = False
        if self.is_attached:
            self.show_error(message)
            self.refused()
            self.show_state()

    def refused(self) -> None:
        """After a refusal: read again what may have changed."""

    def _done(self, sentence: str) -> None:
        self.writing = False
        if self.is_attached:
            self.dismiss(sentence)

    @on(Button.Pressed, "#signon-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def write_ended(self) -> None:
        self.show_state()  # failed unexpectedly (reported): the dialog stays

    def report_failure(self, event: Worker.StateChanged) -> None:
        """A job failed: said in the dialog, where a notification would cover its buttons."""
        found = failure(self.app, event)
        if found is not None and self.is_attached:
            self.show_error(found[0])


class SignOnDialog(_CampaignDialog):
    """Put one organisation in a campaign, or move it on, and record who signed; returns
    what was done."""

    def __init__(self, start: OneStart) -> None:
        super().__init__(start.campaigns, start.campaign)
        self.start = start
        self.shown = Details(display_name=start.name)
        """The details as the dialog filled them in for the campaign chosen: what is saved
        is what differs from them."""
        self.conflict_notice: str | None = None
        """After a save refused as someone else's came first: what differs, for under
        the refusal's sentence."""

    def more_fields(self) -> ComposeResult:
        with Vertical(id="signon-signed"):
            with Horizontal(classes="signon-row"):
                yield Label("Signed by", classes="signon-label")
                yield Select[int](
                    self._people(None), prompt="nobody named", compact=True, id="signon-by"
                )
            with Horizontal(classes="signon-row"):
                yield Label("Listed as", classes="signon-label")
                yield Input(
                    placeholder="the name the signatory list gives",
                    compact=True,
                    id="signon-display",
                )
            with Horizontal(classes="signon-row"):
                yield Label("Public", classes="signon-label")
                yield Checkbox(
                    "may be named in the published list",
                    value=True,
                    compact=True,
                    id="signon-public",
                )
        with Horizontal(classes="signon-row"):
            yield Label("Notes", classes="signon-label")
            yield Input(placeholder="about this sign-on", compact=True, id="signon-notes")

    def _people(self, standing: Standing | None) -> list[tuple[Text, int]]:
        """The organisation's people to choose who signed from; one who signed and has
        left it since is offered too, so that saving does not take them off silently."""
        options = []
        for person in self.start.people:
            label = Text(person.name)
            if person.role:
                label.append(f"  {person.role}", style="dim")
            options.append((label, person.id))
        if standing is not None and standing.details.signed_by is not None:
            signer = standing.details.signed_by
            if signer not in {p.id for p in self.start.people}:
                label = Text(standing.signed_by_name or f"#{signer}")
                label.append("  not at this organisation now", style="dim")
                options.append((label, signer))
        return options

    def on_mount(self) -> None:
        self.show_details()

    def campaign_changed(self) -> None:
        self.show_details()

    def show_details(self) -> None:
        """Fill the details in as the sign-on to the campaign chosen has them (a new one:
        nobody named, the organisation's name, public, no notes)."""
        campaign = self.campaign
        standing = self.start.standing.get(campaign) if campaign else None
        shown = standing.details if standing else Details()
        self.shown = Details(
            shown.signed_by, shown.display_name or self.start.name, shown.public, shown.notes
        )
        by = self.query_one("#signon-by", Select)
        by.set_options(self._people(standing))
        if self.shown.signed_by is None:
            by.clear()
        else:
            by.value = self.shown.signed_by
        self.query_one("#signon-display", Input).value = self.shown.display_name
        self.query_one("#signon-public", Checkbox).value = self.shown.public
        self.query_one("#signon-notes", Input).value = self.shown.notes

    def typed(self) -> Details:
        """The details as the dialog shows them now."""
        by = self.query_one("#signon-by", Select).value
        return Details(
            by if isinstance(by, int) else None,
            self.query_one("#signon-display", Input).value,
            self.query_one("#signon-public", Checkbox).value,
            self.query_one("#signon-notes", Input).value,
        )

    def details(self, status: str) -> dict[str, Any]:
        now, before = self.typed(), self.shown
        changed: dict[str, Any] = {}
        if status == "signed":
            if now.signed_by != before.signed_by:
                changed["signed_by"] = None if now.signed_by is None else f"#{now.signed_by}"
            if now.display_name.strip() != before.display_name.strip():
                changed["display_name"] = now.display_name
            if now.public != before.public:
                changed["public"] = now.public
        if now.notes.strip() != before.notes.strip():
            changed["notes"] = now.notes
        return changed

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed, "#signon-by")
    def _detail_changed(self) -> None:
        self.show_error(None)
        self.show_state()

    def _take_stored(self, campaign: str, status: str, fresh: OneStart | None) -> None:
        """Refused, someone else's save first: the dialog takes the sign-on as stored now
        (``fresh``; None: the organisation is gone). Details not changed here take the
        stored values; those changed on both sides keep what was typed and are listed."""
        if not self.is_attached or fresh is None:
            self.conflict_notice = None
            return
        was = self.start.standing.get(campaign)
        now = fresh.standing.get(campaign)
        typed = self.typed()
        stored = now.details if now else Details()
        theirs = Details(
            stored.signed_by, stored.display_name or fresh.name, stored.public, stored.notes
        )
        names = {p.id: p.name for p in fresh.people}
        if now is not None and now.signed_by_name and now.details.signed_by is not None:
            names[now.details.signed_by] = now.signed_by_name

        def said(name: str, value: Any) -> str:
            if name == "signed_by":
                return "nobody named" if value is None else names.get(value, f"#{value}")
            if name == "public":
                return "public" if value else "not public"
            return " ".join(str(value).split()) or "(empty)"

        both: list[str] = []
        taken: list[str] = []
        kept: dict[str, Any] = {}
        for name, label in (
            ("signed_by", "Signed by"),
            ("display_name", "Listed as"),
            ("public", "Public"),
            ("notes", "Notes"),
        ):
            before, mine, stored_value = (
                getattr(self.shown, name),
                getattr(typed, name),
                getattr(theirs, name),
            )
            if stored_value == before:
                kept[name] = mine
            elif mine == before:
                kept[name] = stored_value
                taken.append(label)
            else:
                kept[name] = mine
                if mine != stored_value:
                    both.append(f"{label}: {said(name, stored_value)} → {said(name, mine)}")
        self.start = fresh
        # Filled in here, not typed: the refusal's sentence stays (a change clears it).
        with self.prevent(
            Input.Changed, Checkbox.Changed, Select.Changed, OptionList.OptionHighlighted
        ):
            self.show_details()  # the stored values, and the people as they are now
            self._show_typed(Details(**kept))
            offered, first = self.statuses(campaign)  # from where it stands now
            chosen = status if status in dict(offered) else first
            self.query_one("#signon-status", StatusList).offer(offered, chosen)
        lines = []
        where = f"now {now.status}" if now else "no longer recorded"
        if (was.status if was else None) != (now.status if now else None):
            lines.append(f"Status: {where}; you chose {status}.")
        if both:
            lines.append("Changed there and here (theirs → yours, yours kept): " + "; ".join(both))
        if taken:
            lines.append(f"Now as they saved it: {', '.join(taken)}.")
        lines.append("The dialog shows the sign-on as it is now; save again to keep your choice.")
        self.conflict_notice = "\n".join(lines)

    def _show_typed(self, details: Details) -> None:
        by = self.query_one("#signon-by", Select)
        if details.signed_by is None:
            by.clear()
        else:
            by.value = details.signed_by
        self.query_one("#signon-display", Input).value = details.display_name
        self.query_one("#signon-public", Checkbox).value = details.public
        self.query_one("#signon-notes", Input).value = details.notes

    def _refused(self, message: str) -> None:
        notice, self.conflict_notice = self.conflict_notice, None
        super()._refused(f"{message}\n{notice}" if notice else message)

    def statuses(self, campaign: str) -> tuple[list[tuple[str, str]], str | None]:
        from coalition.domain.campaigns import allowed_moves, next_status

        standing = self.start.standing.get(campaign)
        current = standing.status if standing else None
        moves = allowed_moves(current)
        usual = next_status(current)
        offered = [(current, "as it is")] if current else []
        offered += [(s, "the next step" if s == usual and current else "") for s in moves]
        return offered, usual if usual in moves else current

    def show_state(self) -> None:
        title = Text("Sign-on of ", style="bold")
        title.append(Text(self.start.name, style="bold"))
        self.query_one("#signon-title", Static).update(title)
        campaign, status = self.campaign, self.status
        self.query_one("#signon-signed").display = status == "signed"
        said = Text()
        standing = self.start.standing.get(campaign) if campaign else None
        if campaign is not None:
            if standing is None:
                said.append(f"Not in {campaign} yet.")
            else:
                moves = [s for s, _ in self.statuses(campaign)[0] if s != standing.status]
                since = standing.since.date().isoformat()
                said.append(f"{standing.status.capitalize()} in {campaign} since {since}; ")
                said.append(f"it can move to {_either(moves)}." if moves else "final.")
        said_widget = self.query_one("#signon-said", Static)
        said_widget.update(said)
        said_widget.display = bool(said)
        if campaign is None or status is None:
            self.set_button("Set", False)
        elif standing is None:
            self.set_button(f"Add as {status}", True)
        elif status != standing.status:
            self.set_button(f"Move to {status}", True)
        else:
            self.set_button("Save", bool(self.details(status)))

    def save(self, campaign: str, status: str, move: bool, details: dict[str, Any]) -> str:
        from coalition.domain.audit import work as unit_of_work
        from coalition.domain.campaigns import set_signon

        coalition = self.coalition
        standing = self.start.standing.get(campaign)
        opened = standing.version if standing else 0
        try:
            with unit_of_work(coalition.database(), coalition.coordinator) as w:
                view = set_signon(
                    w,
                    f"#{self.start.organisation_id}",
                    campaign,
                    status,
                    expected_version=opened,
                    **details,
                )
        except Conflict:
            try:
                with coalition.database().read_session() as session:
                    fresh = read_one(session, self.start.organisation_id, self.start.name, campaign)
            except CoalitionError:
                fresh = None
            self.app.call_from_thread(self._take_stored, campaign, status, fresh)
            raise  # said by ``_refused``, with the notice ``refused`` adds
        sentence = f"{view.organisation} is {view.status} for {view.campaign}"
        if view.status == "signed":
            if view.signed_by:
                sentence += f", signed by {view.signed_by}"
            if view.display_name != view.organisation:
                sentence += f", listed as {view.display_name}"
            if not view.public:
                sentence += ", not named publicly"
        return sentence + "."


class AddAllDialog(_CampaignDialog):
    """Put every organisation listed in a campaign; returns what was done."""

    keep_status = True

    def __init__(self, start: AllStart) -> None:
        super().__init__(start.campaigns, start.campaign)
        self.start = start
        self.plan: SignOnsSet | None = None
        """What applying would do with the choices ``_plan_for``, once read."""
        self._plan_for: tuple[str, str, bool] | None = None
        self._plan_asked: tuple[str, str, bool] | None = None
        """The choices the last reading was started for."""

    def more_fields(self) -> ComposeResult:
        yield Checkbox(
            "Also move those already in it, where the pipeline allows",
            id="signon-move",
            compact=True,
        )

    @property
    def move_existing(self) -> bool:
        return self.query_one("#signon-move", Checkbox).value

    def statuses(self, campaign: str) -> tuple[list[tuple[str, str]], str | None]:
        from coalition.domain.campaigns import allowed_moves

        return [(s, "") for s in allowed_moves(None)], "prospect"

    @on(Checkbox.Changed, "#signon-move")
    def _move_changed(self) -> None:
        self.show_error(None)
        self.show_state()

    def refused(self) -> None:
        self._plan_for = self._plan_asked = None  # read again: what stood in the way changed

    # --- what it will do, read as the choices change ----------------------------------------

    def _choices(self) -> tuple[str, str, bool] | None:
        campaign, status = self.campaign, self.status
        if campaign is None or status is None:
            return None
        return campaign, status, self.move_existing

    def show_state(self) -> None:
        campaign, status = self.campaign, self.status
        count = len(self.start.ids)
        if not self.start.marked:
            title = Text(f"Add {_organisations(count)} to ", style="bold")
        elif count == 1:
            title = Text("Add the marked organisation to ", style="bold")
        else:
            title = Text(f"Add the {count:,} marked organisations to ", style="bold")
        title.append(Text(campaign or "a campaign", style="bold"))
        title.append(f" as {status}?" if status else "?", style="bold")
        heading: Text | Group = title
        if self.start.marked:
            names = Text(_names(self.start.names), style="dim", no_wrap=True, overflow="ellipsis")
            heading = Group(title, names)
        self.query_one("#signon-title", Static).update(heading)
        said = self.query_one("#signon-said", Static)
        wanted = self._choices()
        if wanted is None:
            said.update(Text("Choose the campaign and the status.", style="dim"))
            self.set_button("Add", False)
            return
        if self._plan_for != wanted or self.plan is None:
            if self._plan_asked != wanted:
                self._plan_asked = wanted
                self.read_plan(*wanted)
            said.update(Text("Reading who is in it already…", style="dim"))
            self.set_button("Add", False, pending=True)
            return
        plan = self.plan
        said.update(self.explain(plan, wanted[2]))
        moved = sum(plan.moved.values())
        verbs = [f"Add {plan.added:,}" if plan.added else "", f"move {moved:,}" if moved else ""]
        label = ", ".join(v for v in verbs if v) or "Add"
        self.set_button(label[0].upper() + label[1:], bool(plan.added or moved))

    def explain(self, plan: SignOnsSet, move: bool) -> Text:
        """What applying will do, a line per kind of organisation."""
        lines: list[str] = []
        code, status = plan.campaign, plan.status
        if plan.added:
            lines.append(f"{_organisations(plan.added)} not in {code} yet: added as {status}.")
        moved = sum(plan.moved.values())
        if moved:
            lines.append(f"{_organisations(moved)} moved to {status} ({_by_status(plan.moved)}).")
        same = plan.left.get(status, 0)
        if same:
            lines.append(f"{_organisations(same)} {status} already.")
        others = {s: n for s, n in plan.left.items() if s != status}
        if others:
            n = sum(others.values())
            if move:
                lines.append(
                    f"{_organisations(n)} left as {'it is' if n == 1 else 'they are'} "
                    f"({_by_status(others)}): the pipeline does not move "
                    f"{'it' if n == 1 else 'them'} to {status}."
                )
            else:
                lines.append(
                    f"{_organisations(n)} in it already left as "
                    f"{'it is' if n == 1 else 'they are'} ({_by_status(others)})."
                )
        if not plan.added and not moved:
            lines.append("Nothing to change.")
        return Text("\n".join(lines))

    @work(thread=True, exclusive=True, group="signon-plan", exit_on_error=False)
    def read_plan(self, campaign: str, status: str, move: bool) -> None:
        from coalition.domain.campaigns import plan_signons

        try:
            with self.coalition.database().read_session() as session:
                plan = plan_signons(session, self.start.ids, campaign, status, move_existing=move)
        except CoalitionError as error:  # the campaign deleted meanwhile, say
            self.app.call_from_thread(self._refused, str(error))
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._planned, plan, move)

    def _planned(self, plan: SignOnsSet, move: bool) -> None:
        wanted = (plan.campaign, plan.status, move)
        if not self.is_attached or self._choices() != wanted:
            return  # the choices changed meanwhile: their own reading is on its way
        self.plan, self._plan_for = plan, wanted
        self.show_state()

    def save(self, campaign: str, status: str, move: bool, details: dict[str, Any]) -> str:
        from coalition.domain.audit import work as unit_of_work
        from coalition.domain.campaigns import set_signons

        coalition = self.coalition
        with unit_of_work(coalition.database(), coalition.coordinator) as w:
            done = set_signons(w, self.start.ids, campaign, status, move_existing=move)
        return done.sentence()
