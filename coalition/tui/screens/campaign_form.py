"""The form to start a campaign or change one: its code, title, state, target, dates.

A ``FormScreen`` (``form_base``) like the organisation and contact forms: the
fields are checked as you type and a wrong one is named under it, Save is refused
while one is, and saving runs ``campaigns.add_campaign`` or ``edit_campaign`` in a
thread worker inside one unit of work, as ``coalition campaign add`` and ``edit``
do (the change log follows). It returns the campaign's id, or None when
cancelled; the campaign screen then shows that campaign.

The state is where a campaign's life is changed: draft (being prepared), open
(collecting sign-ons: the start screen shows its progress), closed (finished).
The code cannot be changed once the campaign exists (the domain has no rename:
files and commands name campaigns by it), so editing shows it in the title only.

The codes already taken are read once when the form opens, so a repeated code is
named under the field before Save; a campaign added elsewhere meanwhile is refused
by the domain on saving, and the codes are read again so the field says which.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.widgets import Select

from coalition.domain import values as checks
from coalition.domain.campaigns import campaign_code
from coalition.errors import InvalidValue
from coalition.tui import clock
from coalition.tui.screens.form_base import Field, FormScreen, day_hint, plain

if TYPE_CHECKING:
    from coalition.domain.views import CampaignView

STATE_HINTS = {
    "draft": "Being prepared: not yet collecting sign-ons.",
    "open": "Collecting sign-ons: shown on the start screen.",
    "closed": "Finished: kept, no longer on the start screen.",
}

_NUMBER = re.compile(r"[0-9]+", re.ASCII)
_SEPARATORS = str.maketrans("", "", " ,_'\u00a0\u202f")
"""Thousands separators a coordinator may type in a target (1,000; 1 000)."""


def campaign_fields(adding: bool) -> list[Field]:
    from coalition.store.schema import CAMPAIGN_KINDS, CAMPAIGN_STATES

    fields = [
        Field("code", "Code", "short and unique: csam-2022"),
        Field("name", "Title", "blank: the code"),
        Field("state", "State", kind="select", choices=CAMPAIGN_STATES),
        Field("target", "Target", "signatories hoped for, e.g. 200"),
        Field("deadline", "Deadline", "YYYY-MM-DD, +6w, next month"),
        Field("kind", "Kind", kind="select", choices=CAMPAIGN_KINDS),
        Field("opened_on", "Opened", "YYYY-MM-DD, today"),
        Field("link", "Link", "where it is published: example.org/letter"),
        Field("text", "Text", kind="text"),
    ]
    return fields if adding else fields[1:]


def target_number(text: str) -> int | None:
    """A target as typed (200, 1,000), or None when blank; ``InvalidValue`` for words."""
    typed = text.strip()
    if not typed:
        return None
    digits = typed.translate(_SEPARATORS)
    if not _NUMBER.fullmatch(digits):
        raise InvalidValue(
            f"'{typed}' is not a number: write how many signatories you hope for, e.g. 200."
        )
    return int(digits)


class CampaignForm(FormScreen):
    """Start a campaign, or change one (``record_id``); returns its id."""

    def __init__(self, record_id: int | None = None) -> None:
        self.record_id = record_id  # before the fields are made: editing has no code field
        super().__init__()
        self.code: str | None = None
        """Editing, the campaign's code (shown in the title)."""
        self.taken: frozenset[str] = frozenset()
        """The codes of the campaigns there are (read when the form opens)."""
        self.ready = record_id is None

    def fields(self) -> list[Field]:
        return campaign_fields(adding=self.record_id is None)

    def title_text(self) -> Text:
        return plain("Edit the campaign" if self.record_id else "Start a campaign", "bold")

    def on_mount(self) -> None:
        super().on_mount()
        self.show_message("state", self.state_hint())
        self.load_record(self.record_id)

    # --- reading ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="form-load", exit_on_error=False)
    def load_record(self, record_id: int | None) -> None:
        """The campaign to edit, and the codes taken (off the screen's thread)."""
        from coalition.domain import campaigns

        with self.coalition.database().read_session() as session:
            taken = frozenset(c.code for c in campaigns.list_campaigns(session))
            view = None if record_id is None else campaigns.get_campaign(session, f"#{record_id}")
        self.app.call_from_thread(self._loaded, taken, view)

    def _loaded(self, taken: frozenset[str], view: CampaignView | None) -> None:
        if not self.is_attached:
            return
        self.taken = taken
        if view is None:
            if self.value("code").strip():
                self.recheck("code")
            return
        self.take(view)
        self.show_record(self.shown_of(view), f"Edit the campaign {view.code}")

    def read_record(self) -> CampaignView:
        from coalition.domain import campaigns

        with self.coalition.database().read_session() as session:
            return campaigns.get_campaign(session, f"#{self.record_id}")

    def take(self, view: object) -> None:
        super().take(view)
        self.code = getattr(view, "code", None)

    def shown_of(self, view: Any) -> dict[str, str | None]:
        return {
            "name": view.name,
            "state": view.state,
            "target": str(view.target) if view.target is not None else "",
            "deadline": view.deadline.isoformat() if view.deadline else "",
            "kind": view.kind,
            "opened_on": view.opened_on.isoformat() if view.opened_on else "",
            "link": view.link or "",
            "text": view.text or "",
        }

    # --- checking as you type -----------------------------------------------------------------

    def check(self, name: str, text: str) -> str | None:
        if name == "code":
            key = campaign_code(text)
            if key in self.taken:
                raise InvalidValue(f"A campaign '{key}' already exists; choose another code.")
            return f"Kept as {key}" if key != text.strip() else None
        if name == "name":
            if self.record_id is not None and not checks.clean(text):
                raise InvalidValue("A campaign needs a title.")
            return None
        if name == "target":
            number = target_number(text)
            return f"{number:,} signatories" if number is not None else None
        if name in ("deadline", "opened_on"):
            return self.dates_hint(name, text)
        if name == "link":
            url = checks.normalise_website(text)
            return f"Kept as {url}" if url and url != text.strip() else None
        return None

    def dates_hint(self, name: str, text: str) -> str | None:
        """Which day was meant; the deadline is refused before the opening date, as the
        domain refuses it (changing the opening date checks the deadline again)."""
        day = checks.parse_date(text, today=clock.today())
        if name == "opened_on":
            if self.is_mounted and self.value("deadline").strip():
                self.recheck("deadline")
            return day_hint(day) if day else None
        if day is None:
            return None
        try:
            opened = checks.parse_date(self.value("opened_on"), today=clock.today())
        except InvalidValue:
            opened = None
        if opened is not None and day < opened:
            raise InvalidValue(f"The deadline is before the opening date ({opened.isoformat()}).")
        return day_hint(day)

    def state_hint(self) -> str | None:
        return STATE_HINTS.get(self.value("state"))

    @on(Select.Changed, "#field-state")
    def _state_chosen(self) -> None:
        self.show_message("state", self.state_hint())

    # --- saving -----------------------------------------------------------------------------

    def typed(self, values: dict[str, str]) -> dict[str, Any]:
        """The form's text as the domain takes it: a number, dates of the form's today."""
        fields: dict[str, Any] = dict(values)
        fields["target"] = target_number(values["target"])
        for name in ("deadline", "opened_on"):
            fields[name] = checks.parse_date(values[name], today=clock.today())
        return fields

    def save(self, values: dict[str, str]) -> tuple[int, str]:
        from coalition.domain import campaigns
        from coalition.domain.audit import work as unit_of_work

        fields = self.typed(values)
        coalition = self.coalition
        with unit_of_work(coalition.database(), coalition.coordinator) as w:
            if self.record_id is None:
                code = fields.pop("code")
                given = {k: v for k, v in fields.items() if v is not None and v != ""}
                view = campaigns.add_campaign(w, code, **given)
                return view.id, f"Added campaign {view.code}: {view.name} ({view.state})."
            changes = {k: v for k, v in fields.items() if values[k] != self.original.get(k, "")}
            view = campaigns.edit_campaign(
                w, f"#{self.record_id}", changes, expected_version=self.version
            )
        message = f"Saved campaign {view.code}"
        if view.state != self.original.get("state"):
            message += f": now {view.state}"
        return view.id, message + "."

    def _refused(self, message: str, duplicate: Any = None) -> None:
        super()._refused(message, duplicate)
        if self.record_id is None and self.is_attached:
            self.load_record(None)  # a code taken meanwhile is then named under the field
