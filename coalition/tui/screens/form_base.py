"""The base of the app's forms: labelled fields, each checked as it is typed, and Save.

A form is a ``FormScreen``, a ``ModalScreen`` that returns the id of the record it saved
(or None when cancelled): the organisation and contact forms (``record_forms``), the
campaign form (``campaign_form``) and the log dialog (``log_dialog``). Fields are checked
as you type by the domain's own validators (``domain.values``: email, phone, country,
language, dates, websites; the hints here say what they found) — the message appears
under the field and Save is refused while one is wrong; the form holds no rule of its
own. Saving runs in a thread worker (``save``, each form's own); a ``CoalitionError``
from the domain (a name missing, say) is shown in the form, which stays open with what
was typed. A duplicate (``people.Duplicate``: another contact's email, another
organisation's name) is named — "Same email as #12 Jana Novak …" — with an "Add anyway"
check box under it: two people do share a generic address, two branches do have one
name, and the coordinator is the one who knows. Ticked, the next save passes
``allow_duplicate``; changing the field the two share takes the box away again, as it
answered another question. Beside it, "Open #12 …" (``Ctrl+O``) closes the form,
dropping what was typed, and shows that record in its screen: the coordinator who meant
the one already there goes to it.

Two coordinators editing one record: a form editing one keeps the version it read
(``version``) and saves with it as ``expected_version``. When someone saved the record
since, the domain refuses (``Conflict``: "Changed by Bob at 12:03 since you opened it …")
and the form stays open with what was typed. It reads the record again and shows it
beside what was typed: the fields the coordinator had not changed take the stored
values, and under the sentence a line lists each field both changed as "City: Brugge →
Antwerpen" (theirs → yours, yours kept in the field). The form then holds the new
version, so Save keeps what it shows: the merge is the coordinator's, by hand.

Esc (or Cancel) closes a form at once while it shows what it opened with; once a field
has been changed it first asks "Discard your changes?" (a ``ConfirmDialog``, "Keep
editing" focused). What the form opened with (``baseline``) is taken once it is filled:
at its mount, after the record is read (``show_record``), and for a choice filled in
later (the log dialog's campaign) with ``mark_unchanged``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from coalition.domain import values as checks
from coalition.errors import CoalitionError, Conflict, InvalidValue, NotFound
from coalition.text import split_values
from coalition.tui import clock
from coalition.tui.jobs import JobModal, failure
from coalition.tui.screens.confirm import ConfirmDialog
from coalition.tui.widgets.buttons import ButtonRow

if TYPE_CHECKING:
    from collections.abc import Mapping

    from textual.worker import Worker

    from coalition.domain.people import Duplicate
    from coalition.tui.app import CoalitionApp


# --- fields ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One field of a form."""

    name: str
    label: str
    placeholder: str = ""
    kind: str = "input"
    """input, select (``choices``), text (several lines) or check (a checkbox)."""
    choices: tuple[str, ...] = ()
    blank: str | None = None
    """For a select that may be left empty: what the empty choice says."""
    labels: tuple[str, ...] = ()
    """For an input of addresses or numbers: the labels (work, home …) offered beside it,
    in a select of its own (``#label-<name>``) that may be left blank. Adding, the label
    goes with every address or number typed; editing, see ``ContactForm.label_hint``."""


def plain(text: str, style: str = "") -> Text:
    """Text shown as typed: a name such as "[bold]" is never read as markup."""
    return Text(text, style=style)


class OrganisationSuggester(Suggester):
    """Completes an organisation's name from the database (the domain's search), off the
    screen's thread."""

    def __init__(self, app: CoalitionApp) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self._app = app

    async def get_suggestion(self, value: str) -> str | None:
        if len(value.strip()) < 2 or value.lstrip().startswith("#"):
            return None
        return await asyncio.to_thread(self._find, value)

    def _find(self, value: str) -> str | None:
        from coalition.domain import browse

        try:
            with self._app.database().read_session() as session:
                found = browse.list_organisations(session, search_text=value, limit=20)
        except CoalitionError:
            return None
        typed = value.casefold()
        return next((o.name for o in found if o.name.casefold().startswith(typed)), None)


CORRECT_FIRST = "Correct the marked fields first."


class FormScreen(JobModal[int | None]):
    """A modal form of labelled fields, each checked as it is typed."""

    CSS_PATH = "form_base.tcss"
    AUTO_FOCUS = ".form-row > *"
    """The first field."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "save", "Save", id="form.save", tooltip="Save and close"),
        Binding(
            "ctrl+o",
            "open_existing",
            "Open it",
            id="form.open-existing",
            tooltip="When the form would repeat a record: close it and show that record",
        ),
    ]

    HEADING: ClassVar[str] = ""
    FIELDS: ClassVar[list[Field]] = []
    SAVE_LABEL: ClassVar[str] = "Save"
    SHARED_FIELDS: ClassVar[tuple[str, ...]] = ()
    """The fields a duplicate is recognised by: changing one withdraws "Add anyway"."""
    ANOTHER: ClassVar[str] = "another record"
    """What an allowed duplicate is, for the "Add anyway" box."""
    WRITE_GROUP = "form-save"
    RECORD_KIND: ClassVar[str | None] = None
    """"organisation" or "contact": what ``record_id`` names, when the form edits one."""

    def __init__(self) -> None:
        super().__init__()
        self.specs = self.fields()
        self.problems: dict[str, str] = {}
        """Fields whose value is wrong, with the domain's sentence."""
        self.ready = True
        """False while the record being edited is read."""
        self.original: dict[str, str] = {}
        """Editing, the fields as read, as the form shows them (``show_record``)."""
        self.allow_duplicate = False
        """Save even though the domain said it repeats a record ("Add anyway" ticked)."""
        self._correct_first = False
        """The form's message asks to correct the marked fields (gone once they are)."""
        self.existing: tuple[str, int, str] | None = None
        """The record this one would repeat, (kind, id, name), while "Open" offers it."""
        self.baseline: dict[str, str] | None = None
        """The values the form opened with (None while the record is being read): Esc
        asks before throwing away anything else."""
        self.version: int | None = None
        """Editing, the version of the record as read: saving passes it as
        ``expected_version``, so a save over someone else's is refused (``Conflict``)."""

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-body"):
            yield Static(self.title_text(), classes="form-title", id="form-title")
            with VerticalScroll(classes="form-fields"):
                for spec in self.specs:
                    with Horizontal(classes="form-row", id=f"row-{spec.name}"):
                        yield Label(spec.label, classes="form-label")
                        yield self._widget(spec)
                        if spec.labels:
                            yield Select(
                                [(plain(label), label) for label in spec.labels],
                                prompt="label",
                                compact=True,
                                id=f"label-{spec.name}",
                                classes="form-kind",
                            )
                    yield Static(classes="form-message", id=f"msg-{spec.name}")
            yield Static(classes="form-error", id="form-error")
            yield Checkbox(id="form-duplicate", compact=True)
            with ButtonRow(classes="form-buttons"):
                yield Button("Open", id="form-open", compact=True)
                yield Button(self.SAVE_LABEL, id="form-save", variant="primary", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)

    def _widget(self, spec: Field) -> Widget:
        if spec.kind == "select" and spec.blank is not None:
            return Select(
                [(plain(c.replace("_", " ")), c) for c in spec.choices],
                prompt=spec.blank,
                compact=True,
                id=f"field-{spec.name}",
            )
        if spec.kind == "check":
            return Checkbox(spec.placeholder, id=f"field-{spec.name}", compact=True)
        if spec.kind == "select":
            return Select(
                [(plain(c.replace("_", " ")), c) for c in spec.choices],
                value=spec.choices[0],
                allow_blank=False,
                compact=True,
                id=f"field-{spec.name}",
            )
        if spec.kind == "text":
            return TextArea(id=f"field-{spec.name}", soft_wrap=True, compact=True)
        return Input(
            placeholder=spec.placeholder,
            id=f"field-{spec.name}",
            compact=True,
            suggester=self.suggester(spec.name),
        )

    def fields(self) -> list[Field]:
        return list(self.FIELDS)

    def title_text(self) -> Text:
        return plain(self.HEADING, "bold")

    def suggester(self, name: str) -> Suggester | None:
        return None

    def on_mount(self) -> None:
        # Textual runs this after a subclass's own on_mount: the fields it filled are in.
        self._show_state()  # the first field has the focus (AUTO_FOCUS)
        if self.ready:
            self.mark_unchanged()

    # --- values ---------------------------------------------------------------------------

    def value(self, name: str) -> str:
        widget = self.query_one(f"#field-{name}")
        if isinstance(widget, Input):
            return widget.value
        if isinstance(widget, TextArea):
            return widget.text
        if isinstance(widget, Select):
            chosen = widget.value
            return chosen if isinstance(chosen, str) else ""
        if isinstance(widget, Checkbox):
            return "yes" if widget.value else ""
        raise TypeError(name)

    def set_value(self, name: str, text: str | None) -> None:
        widget = self.query_one(f"#field-{name}")
        if isinstance(widget, Input):
            widget.value = text or ""
        elif isinstance(widget, TextArea):
            widget.text = text or ""
        elif isinstance(widget, Select):
            widget.value = text if text else widget.value
        elif isinstance(widget, Checkbox):
            widget.value = bool(text)

    def values(self) -> dict[str, str]:
        return {spec.name: self.value(spec.name) for spec in self.specs}

    def kind_of(self, name: str) -> str | None:
        """The label chosen beside field ``name`` (work, home …), or None."""
        chosen = self.query_one(f"#label-{name}", Select).value
        return chosen if isinstance(chosen, str) else None

    def show_record(self, shown: Mapping[str, str | None], title: str) -> None:
        """Editing, the record as read: its fields (kept as ``original``: what is saved is
        what changed) and ``title``; Save is then allowed."""
        for name, text in shown.items():
            self.set_value(name, text)
        self.original = {name: text or "" for name, text in shown.items()}
        self.query_one("#form-title", Static).update(plain(title, "bold"))
        self.ready = True
        self.mark_unchanged()
        self._show_state()

    def mark_unchanged(self, *names: str) -> None:
        """Take the values shown now as those the form opened with: all of them, or the
        fields ``names`` (a choice filled in once read, the rest as it was)."""
        now = self.values()
        if not names or self.baseline is None:
            self.baseline = now
        else:
            self.baseline.update({name: now[name] for name in names})

    @property
    def changed(self) -> bool:
        """Something was typed or chosen since the form opened."""
        return self.baseline is not None and self.values() != self.baseline

    # --- checking as you type ---------------------------------------------------------------

    def check(self, name: str, text: str) -> Text | str | None:
        """A hint for the field's value, or a ``CoalitionError`` when it is wrong."""
        return None

    def recheck(self, name: str) -> None:
        """Check one field now and show what the domain says about it."""
        try:
            hint = self.check(name, self.value(name))
        except CoalitionError as error:
            self.show_message(name, str(error), problem=True)
        else:
            self.show_message(name, hint)

    def show_message(self, name: str, message: Text | str | None, *, problem: bool = False) -> None:
        if problem and message:
            self.problems[name] = str(message)
        else:
            self.problems.pop(name, None)
        if not self.is_mounted:
            return
        shown = self.query_one(f"#msg-{name}", Static)
        if not message:
            shown.update("")
            shown.display = False
        else:
            text = message if isinstance(message, Text) else plain(message)
            shown.set_class(problem, "-problem")
            shown.update(text)
            shown.display = True
        self._show_state()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        if event.input.id and event.input.id.startswith("field-"):
            name = event.input.id.removeprefix("field-")
            if name in self.SHARED_FIELDS:
                self.withdraw_duplicate()
            self.recheck(name)

    def _show_state(self) -> None:
        if not self.is_mounted:
            return
        save = self.query_one("#form-save", Button)
        save.disabled = bool(self.problems) or self.writing or not self.ready
        if self._correct_first and not self.problems:
            self.show_error(None)  # asked to correct the fields, and they are

    def show_error(self, message: str | None) -> None:
        self._correct_first = message == CORRECT_FIRST
        error = self.query_one("#form-error", Static)
        error.update(plain(message or ""))
        error.display = bool(message)

    # --- a duplicate the coordinator may mean -----------------------------------------------

    def offer_duplicate(self, duplicate: Duplicate) -> None:
        """Name the record this one repeats and offer to save it anyway."""
        self.show_error(f"Same {duplicate.same} as {duplicate.existing}.")
        verb = "Save" if self.editing else "Add"
        box = self.query_one("#form-duplicate", Checkbox)
        box.label = f"{verb} anyway: it is {self.ANOTHER}"
        box.value = False
        box.display = True
        box.focus()
        if self.existing is not None:  # another record's, asked before
            self.existing = None
            self.query_one("#form-open", Button).display = False
            self.refresh_bindings()

    def offer_existing(self, kind: str, record_id: int, name: str) -> None:
        """Beside "Add anyway", offer to open the record this one repeats instead."""
        self.existing = (kind, record_id, name)
        shown = name if len(name) <= 28 else name[:27] + "…"
        button = self.query_one("#form-open", Button)
        button.label = plain(f"Open #{record_id} {shown}")
        button.tooltip = "Close the form and show it (Ctrl+O)"
        button.display = True
        self.refresh_bindings()

    def withdraw_duplicate(self) -> None:
        """The shared value changed: the question asked is gone, and its answer with it."""
        if not self.is_mounted:
            return
        box = self.query_one("#form-duplicate", Checkbox)
        if box.display:
            box.value = False
            box.display = False
            self.show_error(None)
        if self.existing is not None:
            self.existing = None
            self.query_one("#form-open", Button).display = False
            self.refresh_bindings()

    @on(Button.Pressed, "#form-open")
    def action_open_existing(self) -> None:
        """Close the form (what was typed is dropped) and show the record it would repeat."""
        if self.existing is None:
            return
        kind, record_id, name = self.existing
        self.dismiss(None)
        # Once the form has gone: the screen below shows the record, found in its table.
        self.app.call_later(self.coalition.go_to, kind, record_id, name)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_existing":
            return self.existing is not None
        return True

    @property
    def editing(self) -> bool:
        return getattr(self, "record_id", None) is not None

    # --- saving -----------------------------------------------------------------------------

    @on(Input.Submitted)
    @on(Button.Pressed, "#form-save")
    def action_save(self) -> None:
        if self.writing or not self.ready:
            return
        for spec in self.specs:
            if spec.kind == "input":
                self.recheck(spec.name)
        if self.problems:
            first = next(iter(self.problems))
            self.show_error(CORRECT_FIRST)
            self.query_one(f"#field-{first}").focus()
            return
        box = self.query_one("#form-duplicate", Checkbox)
        self.allow_duplicate = box.display and box.value
        self.writing = True
        if not self.allow_duplicate:
            self.show_error(None)
            self.remove_class("-conflicted")
        self._show_state()
        self.save_record(self.values())

    def save(self, values: dict[str, str]) -> tuple[int, str]:
        """Write the record (in a worker thread): its id and what to tell the user."""
        raise NotImplementedError

    @work(thread=True, exclusive=True, group="form-save", exit_on_error=False)
    def save_record(self, values: dict[str, str]) -> None:
        from coalition.domain.people import Duplicate

        try:
            record_id, message = self.save(values)
        except Duplicate as duplicate:
            name = self.name_of(duplicate.kind, duplicate.existing_id)
            self.app.call_from_thread(self._repeats, str(duplicate), duplicate, name)
            return
        except Conflict as conflict:
            try:
                stored = None if conflict.version is None else self.read_record()
            except NotFound:
                stored = None
            self.app.call_from_thread(self._conflicted, str(conflict), stored)
            return
        except CoalitionError as error:
            self.app.call_from_thread(self._refused, str(error))
            return
        self.app.call_from_thread(self._saved, record_id, message)

    # --- someone else's save ------------------------------------------------------------

    def read_record(self) -> object:
        """Editing, the record as stored now, as the domain's view (in a worker thread)."""
        raise NotImplementedError

    def shown_of(self, view: object) -> dict[str, str | None]:
        """The record's fields as the form shows them."""
        raise NotImplementedError

    def take(self, view: object) -> None:
        """Keep what saving needs of the record as read: its version (forms keep more)."""
        self.version = getattr(view, "version", None)

    def _conflicted(self, message: str, stored: object | None) -> None:
        """Refused: someone saved the record since it was read. ``stored``: the record as it
        is now (None: it is gone). The fields not changed here take the stored values;
        those changed on both sides are listed, theirs → yours, and keep what was typed."""
        self.writing = False
        if not self.is_attached:
            return
        self.withdraw_duplicate()
        if stored is None:
            self.show_error(message)
            self._show_state()
            return
        theirs = {name: text or "" for name, text in self.shown_of(stored).items()}
        yours = self.values()
        both: list[str] = []
        taken: list[str] = []
        for spec in self.specs:
            name = spec.name
            was = self.original.get(name, "")
            if name not in theirs or theirs[name] == was:
                continue
            if yours[name] == was:
                self.set_value(name, theirs[name])
                taken.append(spec.label)
            elif yours[name] != theirs[name]:
                both.append(f"{spec.label}: {_short(theirs[name])} → {_short(yours[name])}")
        self.take(stored)
        self.original = theirs
        if self.baseline is not None:
            self.baseline.update(theirs)  # what is stored now; Esc asks about the rest
        said = [message]
        if both:
            said.append("Changed there and here (theirs → yours, yours kept): " + "; ".join(both))
        if taken:
            said.append(f"Now as they saved it: {', '.join(taken)}.")
        said.append("Save keeps what the form shows now.")
        self.show_error("\n".join(said))
        self.add_class("-conflicted")
        self._show_state()

    # --- another program's changes -----------------------------------------------------

    def others_changed(self) -> None:
        """Another program wrote to the database: the record being edited may be gone
        (deleted, or merged into another). Said at once, not when Save fails."""
        record_id = getattr(self, "record_id", None)
        if self.RECORD_KIND and record_id is not None and not self.writing:
            self.check_still_there(self.RECORD_KIND, record_id)

    @work(thread=True, exclusive=True, group="form-still-there", exit_on_error=False)
    def check_still_there(self, kind: str, record_id: int) -> None:
        if self.name_of(kind, record_id) is None:
            self.app.call_from_thread(self._gone, kind)

    def _gone(self, kind: str) -> None:
        if self.is_attached:
            self.show_error(
                f"This {kind} was deleted or merged by someone else since you opened it, so "
                "it cannot be saved. Esc closes the form."
            )

    def name_of(self, kind: str, record_id: int) -> str | None:
        """The name of the ``kind`` record with this id, to open it by (in a worker
        thread); None when there is none."""
        from coalition.domain import people

        try:
            with self.coalition.database().read_session() as session:
                if kind == "organisation":
                    return people.get_organisation(session, f"#{record_id}").name
                return people.get_contact(session, f"#{record_id}").display_name
        except CoalitionError:
            return None

    def _repeats(self, message: str, duplicate: Duplicate, name: str | None) -> None:
        """Refused as a duplicate of the record named ``name`` (None: it could not be read)."""
        self._refused(message, duplicate)
        if self.is_attached and name is not None:
            self.offer_existing(duplicate.kind, duplicate.existing_id, name)

    def _refused(self, message: str, duplicate: Duplicate | None = None) -> None:
        self.writing = False
        if self.is_attached:
            if duplicate is not None:
                self.offer_duplicate(duplicate)
            else:
                self.withdraw_duplicate()
                self.show_error(message)
            self._show_state()

    def _saved(self, record_id: int, message: str) -> None:
        self.writing = False
        self.app.notify(message, title="Saved", markup=False)
        if self.is_attached:
            self.dismiss(record_id)

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        """Close the form; once something was changed in it, after asking."""
        if not self.changed:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard and self.is_attached:
                self.dismiss(None)

        question = ConfirmDialog(
            "Discard your changes?",
            "The form closes and what you typed in it is not saved.",
            confirm="Discard",
            cancel="Keep editing",
        )
        self.app.push_screen(question, answered)

    def write_ended(self) -> None:
        self._show_state()  # failed unexpectedly (reported): the form stays

    def report_failure(self, event: Worker.StateChanged) -> None:
        """A job of the form failed (reading the record, say): said in the form, where a
        notification would cover its buttons."""
        found = failure(self.app, event)
        if found is not None and self.is_attached:
            self.show_error(found[0])


def _short(text: str, width: int = 30) -> str:
    """A value as a line of the conflict notice shows it: on one line, cut at ``width``."""
    one_line = " ".join(text.split()) or "(empty)"
    return one_line if len(one_line) <= width else one_line[: width - 1] + "…"


# --- the domain's checks, with what they found --------------------------------------------------


def country_hint(text: str) -> str | None:
    code = checks.country_code(text)
    return f"{checks.country_name(code)} ({code})" if code else None


def language_hint(text: str) -> str | None:
    code = checks.language_code(text)
    return f"ISO 639-1 {code}" if code else None


def email_hint(text: str, *, several: bool, kept: frozenset[str] = frozenset()) -> str | None:
    """What the domain makes of the addresses typed; ``InvalidValue`` for one that is not
    valid. Addresses in ``kept`` are already on the record (an import keeps an invalid one,
    marked) and are not judged again: saving leaves them as they are, so they never stop
    a save, and the hint says why they are not used."""
    addresses = split_values(text) if several else [text] if text.strip() else []
    normalised = []
    marked = []
    for address in addresses:
        checked = checks.check_email(address)
        if not checked.valid:
            if address.strip() in kept:
                marked.append(address.strip())
                normalised.append(address.strip())
                continue
            raise InvalidValue(
                f"'{checked.address}' is not a valid email address: {checked.reason}"
            )
        normalised.append(checked.address)
    changed = [a for a, typed in zip(normalised, addresses, strict=True) if a != typed.strip()]
    said = [f"Kept as {', '.join(changed)}"] if changed else []
    said += [
        f"{a}: marked invalid, left out of mail merge; correct it or take it out" for a in marked
    ]
    return "\n".join(said) or None


def phone_hint(
    text: str, region: str | None, *, several: bool, kept: frozenset[str] = frozenset()
) -> str | None:
    """What the domain makes of the numbers typed; ``InvalidValue`` for one that cannot be a
    phone number (an email address, words: ``checks.phone_problem``). Numbers in ``kept``
    are already on the record (imported, say) and are not judged again: saving leaves them
    as they are, so they never stop a save."""
    numbers = split_values(text) if several else [text] if text.strip() else []
    said = []
    for number in numbers:
        if checks.clean(number) in kept:
            checked = checks.check_phone(number, region)
        else:
            checked = checks.check_typed_phone(number, region)
        if checked.e164:
            said.append(f"{checked.number} → {checked.e164}")
        else:
            said.append(
                f"{checked.number}: kept as typed, not recognised as a number "
                "(write it with its country code, e.g. +32)"
            )
    return "\n".join(said) or None


def region_of(text: str) -> str | None:
    try:
        return checks.country_code(text)
    except CoalitionError:
        return None


def day_hint(day: dt.date) -> str:
    """Which day a date typed means: "Friday 2026-12-04, in 3 days"."""
    days = (day - clock.today()).days
    if days == 0:
        when = "today"
    elif days == 1:
        when = "tomorrow"
    elif days == -1:
        when = "yesterday"
    else:
        when = f"in {days} days" if days > 0 else f"{-days} days ago"
    return f"{day.strftime('%A')} {day.isoformat()}, {when}"
