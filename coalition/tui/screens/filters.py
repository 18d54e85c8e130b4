"""Filters of the Contacts and Organisations tables: a tag, a country, a preferred language
(people), a membership, a kind of organisation, and a campaign with some of its sign-on
statuses — the meanings of ``domain.filters``, as the command line's options have them.

``Filters`` is what a table is narrowed by; the browse screen turns it into the
domain's query along with the search and the order, and shows ``summary()``
above the table. ``FilterDialog`` (``f`` on the table) offers the values in use
with how many records each would show, read in a thread worker through
``domain.browse.contact_filter_choices`` / ``organisation_filter_choices``, and
returns the chosen ``Filters`` (None when cancelled).

Every value is shown as plain text: a tag such as "[red]tag" reads as typed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Select, SelectionList, Static
from textual.widgets.selection_list import Selection

from coalition.tui.jobs import JobModal
from coalition.tui.widgets.buttons import ButtonRow

if TYPE_CHECKING:
    from coalition.domain.browse import CampaignChoice, Choice, FilterChoices

NO_SIGNON = "none"
"""The status "no sign-on yet" (``domain.browse.NO_SIGNON``; not imported at start-up)."""


@dataclass(frozen=True)
class Filters:
    """What a table is narrowed by, besides the search."""

    tag: str | None = None
    country: str | None = None
    language: str | None = None
    """Contacts only."""
    membership: str | None = None
    kind: str | None = None
    """Organisations only."""
    campaign: str | None = None
    """A campaign's code."""
    statuses: tuple[str, ...] = ()
    """With ``campaign``: these statuses only (any when empty)."""

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def parts(self) -> list[str]:
        """Each filter as "name: value", in the dialog's order."""
        parts = []
        for name in ("tag", "country", "language", "membership", "kind"):
            value = getattr(self, name)
            if value:
                parts.append(f"{name}: {value.replace('_', ' ') if name == 'kind' else value}")
        if self.campaign:
            statuses = ", ".join(status_label(s) for s in self.statuses)
            parts.append(f"campaign {self.campaign}" + (f": {statuses}" if statuses else ""))
        return parts

    def summary(self) -> str:
        """The filters in one line: "tag: climate · country: BE · campaign x: invited"."""
        return " · ".join(self.parts())

    def _shared(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "country": self.country,
            "membership": self.membership,
            "campaign": self.campaign,
            "statuses": self.statuses if self.campaign else (),
        }

    def for_contacts(self) -> dict[str, Any]:
        """The ``ContactQuery`` fields."""
        return {**self._shared(), "language": self.language}

    def for_organisations(self) -> dict[str, Any]:
        """The ``OrganisationQuery`` fields."""
        return {**self._shared(), "kind": self.kind}


def status_label(status: str) -> str:
    return "no sign-on" if status == NO_SIGNON else status


def filter_bar(filters: Filters) -> Text:
    """The line above a filtered table (plain text: values are never read as markup)."""
    text = Text("Filters ", style="bold")
    text.append(filters.summary())
    text.append("  F clears", style="dim")
    return text


def _label(text: str, count: int, detail: str = "") -> Text:
    label = Text(text)
    if detail:
        label.append(f" {detail}")
    label.append(f"  {count:,}", style="dim")
    return label


class FilterDialog(JobModal[Filters | None]):
    """Choose the filters of a table; returns them, or None when cancelled."""

    DEFAULT_CSS = """
    FilterDialog {
        align: center middle;
    }
    FilterDialog #filter-body {
        width: 90%;
        max-width: 80;
        height: auto;
        max-height: 100%;
        padding: 0 1;
        background: $panel;
        border: round $primary;
    }
    FilterDialog #filter-title {
        height: auto;
        margin: 0 0 1 0;
    }
    FilterDialog .filter-row {
        height: auto;
    }
    FilterDialog .filter-label {
        width: 12;
        color: $text-muted;
    }
    FilterDialog .filter-row > Select {
        width: 1fr;
    }
    FilterDialog #filter-statuses {
        width: 1fr;
        height: auto;
        max-height: 8;
    }
    FilterDialog #filter-buttons {
        height: 1;
        margin: 1 0 0 0;
        align: right middle;
    }
    FilterDialog #filter-buttons > Button {
        margin: 0 0 0 2;
    }
    """

    AUTO_FOCUS = "#filter-tag"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="filters.cancel"),
        Binding(
            "ctrl+s", "apply", "Apply", id="filters.apply", tooltip="Show what the filters keep"
        ),
    ]

    def __init__(self, kind: str, current: Filters) -> None:
        super().__init__()
        self.kind = kind
        """"contact" or "organisation"."""
        self.current = current
        self.choices: FilterChoices | None = None
        """The values in use with their counts, once read."""

    def compose(self) -> ComposeResult:
        plural = "contacts" if self.kind == "contact" else "organisations"
        with Vertical(id="filter-body"):
            yield Static(Text(f"Filter {plural}", style="bold"), id="filter-title")
            rows = [("tag", "Tag"), ("country", "Country")]
            if self.kind == "contact":
                rows.append(("language", "Language"))
            rows.append(("membership", "Membership"))
            if self.kind == "organisation":
                rows.append(("kind", "Kind"))
            rows.append(("campaign", "Campaign"))
            for name, label in rows:
                with Horizontal(classes="filter-row", id=f"row-{name}"):
                    yield Label(label, classes="filter-label")
                    yield Select[str]([], prompt="Reading…", compact=True, id=f"filter-{name}")
            with Horizontal(classes="filter-row", id="row-statuses"):
                yield Label("Statuses", classes="filter-label")
                yield SelectionList[str](id="filter-statuses", compact=True)
            with ButtonRow(id="filter-buttons"):
                yield Button("Apply", id="filter-apply", variant="primary", compact=True)
                yield Button("Clear all", id="filter-clear", compact=True)
                yield Button("Cancel", id="filter-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#row-statuses").display = False
        self.load_choices()

    @work(thread=True, exclusive=True, group="filter-choices", exit_on_error=False)
    def load_choices(self) -> None:
        from coalition.domain import browse

        with self.coalition.database().read_session() as session:
            if self.kind == "contact":
                choices = browse.contact_filter_choices(session)
            else:
                choices = browse.organisation_filter_choices(session)
        # Filled before the worker ends, so whoever waits for it sees the choices.
        self.app.call_from_thread(self.fill, choices)

    # --- the choices -----------------------------------------------------------------------

    def fill(self, choices: FilterChoices) -> None:
        self.choices = choices
        current = self.current
        self._offer("tag", choices.tags, current.tag, "any tag", "No tags yet")
        self._offer("country", choices.countries, current.country, "any country", "No countries")
        if self.kind == "contact":
            self._offer(
                "language", choices.languages, current.language, "any language", "No languages"
            )
        self._offer("membership", choices.memberships, current.membership, "any membership", "")
        if self.kind == "organisation":
            self._offer("kind", choices.kinds, current.kind, "any kind", "")
        campaigns = self.query_one("#filter-campaign", Select)
        options = [
            (_label(c.code, c.count, f"{c.name} ({c.state})"), c.code) for c in choices.campaigns
        ]
        known = {c.code for c in choices.campaigns}
        if current.campaign and current.campaign not in known:
            options.append((Text(current.campaign), current.campaign))
        campaigns.set_options(options)
        campaigns.prompt = "any campaign" if options else "No campaigns yet"
        if current.campaign:
            campaigns.value = current.campaign
        self._show_statuses(current.campaign, current.statuses)

    def _offer(
        self, name: str, choices: list[Choice], value: str | None, prompt: str, empty: str
    ) -> None:
        select = self.query_one(f"#filter-{name}", Select)
        options: list[tuple[Text, str]] = []
        for c in choices:
            detail = c.label if name in ("country", "language") and c.label != c.value else ""
            options.append((_label(c.value, c.count, detail), c.value))
        values = {v for _, v in options}
        if value and value not in values:
            # Chosen earlier and no longer in use: still offered, so it can be seen and dropped.
            matching = next((v for v in values if v.casefold() == value.casefold()), None)
            if matching is None:
                options.append((_label(value, 0), value))
            else:
                value = matching
        select.set_options(options)
        select.prompt = prompt if options or not empty else empty
        if value:
            select.value = value

    def _campaign(self, code: str | None) -> CampaignChoice | None:
        if self.choices is None or not code:
            return None
        return next((c for c in self.choices.campaigns if c.code == code), None)

    def _show_statuses(self, code: str | None, chosen: tuple[str, ...] = ()) -> None:
        row = self.query_one("#row-statuses")
        statuses = self.query_one("#filter-statuses", SelectionList)
        statuses.clear_options()
        campaign = self._campaign(code)
        row.display = bool(code)
        if not code:
            return
        offered = campaign.statuses if campaign is not None else []
        options = [
            Selection(_label(status_label(s.value), s.count), s.value, s.value in chosen)
            for s in offered
        ]
        statuses.add_options(options)

    @on(Select.Changed, "#filter-campaign")
    def _campaign_changed(self, event: Select.Changed) -> None:
        if self.choices is None:
            return
        code = event.value if isinstance(event.value, str) else None
        keep = self.current.statuses if code == self.current.campaign else ()
        self._show_statuses(code, keep)

    # --- the answer ------------------------------------------------------------------------

    def _value(self, name: str) -> str | None:
        if name == ("language" if self.kind == "organisation" else "kind"):
            return None
        value = self.query_one(f"#filter-{name}", Select).value
        return value if isinstance(value, str) else None

    def chosen(self) -> Filters:
        """The filters as the dialog shows them now."""
        if self.choices is None:
            return self.current  # nothing could be chosen yet
        campaign = self._value("campaign")
        statuses: tuple[str, ...] = ()
        if campaign:
            selected = set(self.query_one("#filter-statuses", SelectionList).selected)
            campaign_choice = self._campaign(campaign)
            order = [s.value for s in campaign_choice.statuses] if campaign_choice else []
            statuses = tuple(s for s in order if s in selected)
        return Filters(
            tag=self._value("tag"),
            country=self._value("country"),
            language=self._value("language"),
            membership=self._value("membership"),
            kind=self._value("kind"),
            campaign=campaign,
            statuses=statuses,
        )

    def action_apply(self) -> None:
        self.dismiss(self.chosen())

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#filter-apply")
    def _apply_pressed(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#filter-clear")
    def _clear_pressed(self) -> None:
        self.dismiss(Filters())

    @on(Button.Pressed, "#filter-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()


__all__ = ["FilterDialog", "Filters", "filter_bar", "status_label"]
