"""Forms to add and edit an organisation or a contact, and the question before a delete.

Each form is a ``ModalScreen`` that returns the id of the record it saved (or
None when cancelled). Fields are checked as you type by the domain's own
validators (``domain.values``: email, phone, country, language, dates,
websites) — the message appears under the field and Save is refused while one
is wrong; the form holds no rule of its own. Saving runs in a thread worker
through ``people.add_*``/``edit_*`` inside one unit of work, as ``coalition org
add`` and ``contact edit`` do, so the change log and the search index stay
current. A ``CoalitionError`` from the domain (a name missing, say) is shown in
the form, which stays open with what was typed. A duplicate (``people.Duplicate``:
another contact's email, another organisation's name) is named — "Same email as
#12 Jana Novak …" — with an "Add anyway" check box under it: two people do share
a generic address, two branches do have one name, and the coordinator is the one
who knows. Ticked, the next save passes ``allow_duplicate``; changing the field
the two share takes the box away again, as it answered another question. Beside it,
"Open #12 …" (``Ctrl+O``) closes the form, dropping what was typed, and shows that
record in its screen: the coordinator who meant the one already there goes to it.

``ConfirmDelete`` names the record, says what goes with it, has Cancel focused,
and deletes through ``people.delete_*`` only when Delete is chosen.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea
from textual.worker import Worker

from coalition.domain import values as checks
from coalition.errors import CoalitionError, InvalidValue
from coalition.text import split_values
from coalition.tui.jobs import report_failure

if TYPE_CHECKING:
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
        from coalition.domain import people

        try:
            with self._app.database().read_session() as session:
                found = people.list_organisations(session, search_text=value, limit=20)
        except CoalitionError:
            return None
        typed = value.casefold()
        return next((o.name for o in found if o.name.casefold().startswith(typed)), None)


CORRECT_FIRST = "Correct the marked fields first."


class FormScreen(ModalScreen[int | None]):
    """A modal form of labelled fields, each checked as it is typed."""

    CSS_PATH = "record_forms.tcss"
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

    def __init__(self) -> None:
        super().__init__()
        self.specs = self.fields()
        self.problems: dict[str, str] = {}
        """Fields whose value is wrong, with the domain's sentence."""
        self.saving = False
        self.ready = True
        """False while the record being edited is read."""
        self.allow_duplicate = False
        """Save even though the domain said it repeats a record ("Add anyway" ticked)."""
        self._correct_first = False
        """The form's message asks to correct the marked fields (gone once they are)."""
        self.existing: tuple[str, int, str] | None = None
        """The record this one would repeat, (kind, id, name), while "Open" offers it."""

    @property
    def coalition(self) -> CoalitionApp:
        return cast("CoalitionApp", self.app)

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
            with Horizontal(classes="form-buttons"):
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
        self._show_state()  # the first field has the focus (AUTO_FOCUS)

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
        save.disabled = bool(self.problems) or self.saving or not self.ready
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
        if self.saving or not self.ready:
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
        self.saving = True
        if not self.allow_duplicate:
            self.show_error(None)
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
        except CoalitionError as error:
            self.app.call_from_thread(self._refused, str(error))
            return
        self.app.call_from_thread(self._saved, record_id, message)

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
        self.saving = False
        if self.is_attached:
            if duplicate is not None:
                self.offer_duplicate(duplicate)
            else:
                self.withdraw_duplicate()
                self.show_error(message)
            self._show_state()

    def _saved(self, record_id: int, message: str) -> None:
        self.saving = False
        self.app.notify(message, title="Saved", markup=False)
        if self.is_attached:
            self.dismiss(record_id)

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "form-save" and event.worker.is_finished and self.saving:
            self.saving = False  # failed unexpectedly: reported below, the form stays
            if self.is_attached:
                self._show_state()
        report_failure(self.app, event)


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


# --- organisations ---------------------------------------------------------------------------


def _organisation_fields() -> list[Field]:
    from coalition.store.schema import MEMBERSHIPS, ORGANISATION_KINDS

    kinds = ("other", *(k for k in ORGANISATION_KINDS if k != "other"))
    memberships = ("none", *(m for m in MEMBERSHIPS if m != "none"))
    return [
        Field("name", "Name", "required"),
        Field("acronym", "Acronym"),
        Field("kind", "Kind", kind="select", choices=kinds),
        Field("country", "Country", "BE, Belgium, Belgique …"),
        Field("city", "City"),
        Field("website", "Website", "example.org"),
        Field("email", "Email", "the generic address, info@example.org"),
        Field("phone", "Phone", "+32 2 555 01 01"),
        Field("membership", "Membership", kind="select", choices=memberships),
        Field("member_since", "Member since", "YYYY-MM-DD"),
        Field("owner", "Owner", "the coordinator who looks after it"),
        Field("tags", "Tags", "eu, children …"),
        Field("notes", "Notes", kind="text"),
    ]


class OrganisationForm(FormScreen):
    """Add an organisation, or edit one (``record_id``); returns its id."""

    SAVE_LABEL = "Save"
    SHARED_FIELDS = ("name", "acronym", "country", "website", "email")
    ANOTHER = "another organisation"

    def __init__(self, record_id: int | None = None) -> None:
        super().__init__()
        self.record_id = record_id
        self.original: dict[str, str] = {}
        self.original_tags: list[str] = []
        self.ready = record_id is None

    def fields(self) -> list[Field]:
        return _organisation_fields()

    def title_text(self) -> Text:
        return plain("Edit the organisation" if self.record_id else "Add an organisation", "bold")

    def on_mount(self) -> None:
        super().on_mount()
        if self.record_id is not None:
            self.load_record(self.record_id)

    @work(thread=True, exclusive=True, group="form-load", exit_on_error=False)
    def load_record(self, record_id: int) -> None:
        from coalition.domain import people

        with self.coalition.database().read_session() as session:
            view = people.get_organisation(session, record_id)
        self.app.call_from_thread(self._loaded, view)

    def _loaded(self, view: Any) -> None:
        if not self.is_attached:
            return
        shown = {
            "name": view.name,
            "acronym": view.acronym,
            "kind": view.kind,
            "country": view.country,
            "city": view.city,
            "website": view.website,
            "email": view.email,
            "phone": view.phone,
            "membership": view.membership,
            "member_since": view.member_since.isoformat() if view.member_since else None,
            "owner": view.owner,
            "tags": ", ".join(view.tags),
            "notes": view.notes,
        }
        for name, text in shown.items():
            self.set_value(name, text)
        self.original = {name: text or "" for name, text in shown.items()}
        self.original_tags = list(view.tags)
        title = plain("Edit ", "bold")
        title.append(plain(view.name, "bold"))
        self.query_one("#form-title", Static).update(title)
        self.ready = True
        self._show_state()

    def check(self, name: str, text: str) -> str | None:
        if name == "country":
            return country_hint(text)
        if name == "email":
            return email_hint(text, several=False)
        if name == "phone":
            kept = frozenset({self.original["phone"]} if self.original.get("phone") else ())
            return phone_hint(text, region_of(self.value("country")), several=False, kept=kept)
        if name == "website":
            url = checks.normalise_website(text)
            return f"Kept as {url}" if url and url != text.strip() else None
        if name == "member_since":
            day = checks.parse_date(text)
            return day.isoformat() if day and day.isoformat() != text.strip() else None
        return None

    def save(self, values: dict[str, str]) -> tuple[int, str]:
        from coalition.domain import people
        from coalition.domain.audit import work as unit_of_work

        coalition = self.coalition
        tags = split_values(values.pop("tags"))
        with unit_of_work(coalition.database(), coalition.coordinator) as w:
            if self.record_id is None:
                fields: dict[str, Any] = {k: v for k, v in values.items() if v.strip()}
                view = people.add_organisation(
                    w, tags=tags, allow_duplicate=self.allow_duplicate, **fields
                )
                return view.id, f"Added organisation #{view.id} {view.name}."
            changes = {k: v for k, v in values.items() if v != self.original.get(k, "")}
            kept = {t.casefold() for t in tags}
            view = people.edit_organisation(
                w,
                self.record_id,
                changes,
                add_tags=tags,
                remove_tags=[t for t in self.original_tags if t.casefold() not in kept],
                allow_duplicate=self.allow_duplicate,
            )
            return view.id, f"Saved organisation #{view.id} {view.name}."


# --- contacts --------------------------------------------------------------------------------

EMAIL_LABELS = ("work", "home")
PHONE_LABELS = ("work", "mobile", "home", "fax")
"""The labels offered for a new address or number; blank is no label. The domain keeps any
label; these are the ones the importer folds labels to (``importer._COMMON_LABELS``: Apple's
"Work", a vCard's TYPE=cell) and the vCard export writes back as TYPEs, so a label chosen
here survives a round trip through an address book ("other" would not: it is written as no
TYPE at all)."""

CONTACT_FIELDS = [
    Field("given_name", "Given name"),
    Field("family_name", "Family name"),
    Field("display_name", "Shown as", "blank: from the names"),
    Field("organisation", "Organisation", "name or acronym; → completes"),
    Field("role", "Role"),
    Field("language", "Language", "fr, de, English …"),
    Field("emails", "Emails", "one or more, separated by commas", labels=EMAIL_LABELS),
    Field("phones", "Phones", "one or more, separated by commas", labels=PHONE_LABELS),
    Field("country", "Country", "BE, Belgium, Belgique …"),
    Field("city", "City"),
    Field("tags", "Tags", "eu, children …"),
    Field("notes", "Notes", kind="text"),
]


class ContactForm(FormScreen):
    """Add a contact, or edit one (``record_id``); returns their id."""

    FIELDS = CONTACT_FIELDS
    SHARED_FIELDS = ("emails",)
    ANOTHER = "another person sharing the address"

    def __init__(self, record_id: int | None = None, *, organisation: str | None = None) -> None:
        super().__init__()
        self.record_id = record_id
        self.organisation = organisation
        """An organisation to start with (a new contact from an organisation's screen)."""
        self.original: dict[str, str] = {}
        self.original_view: Any = None
        self.original_labels: dict[str, str | None] = {}
        """Editing, the label each label select showed when the contact was read: that of
        the first (primary) address and number."""
        self.ready = record_id is None

    def title_text(self) -> Text:
        return plain("Edit the contact" if self.record_id else "Add a contact", "bold")

    def suggester(self, name: str) -> Suggester | None:
        return OrganisationSuggester(self.coalition) if name == "organisation" else None

    def on_mount(self) -> None:
        super().on_mount()
        if self.record_id is not None:
            self.load_record(self.record_id)
        elif self.organisation:
            self.set_value("organisation", self.organisation)

    @work(thread=True, exclusive=True, group="form-load", exit_on_error=False)
    def load_record(self, record_id: int) -> None:
        from coalition.domain import people

        with self.coalition.database().read_session() as session:
            view = people.get_contact(session, record_id)
        self.app.call_from_thread(self._loaded, view)

    def _loaded(self, view: Any) -> None:
        if not self.is_attached:
            return
        shown = {
            "given_name": view.given_name,
            "family_name": view.family_name,
            "display_name": view.display_name,
            "organisation": view.organisation,
            "role": view.role,
            "language": view.language,
            "emails": ", ".join(e.address for e in view.emails),
            "phones": ", ".join(p.number for p in view.phones),
            "country": view.country,
            "city": view.city,
            "tags": ", ".join(view.tags),
            "notes": view.notes,
        }
        for name, text in shown.items():
            self.set_value(name, text)
        self.original = {name: text or "" for name, text in shown.items()}
        self.original_view = view
        firsts = {"emails": view.emails[:1], "phones": view.phones[:1]}
        for name, first in firsts.items():
            label = first[0].label if first else None
            self.original_labels[name] = label
            self.show_label(name, label)
        title = plain("Edit ", "bold")
        title.append(plain(view.display_name, "bold"))
        self.query_one("#form-title", Static).update(title)
        self.ready = True
        self._show_state()

    def check(self, name: str, text: str) -> str | None:
        if name == "country":
            hint = country_hint(text)
            if self.is_mounted and self.value("phones").strip():
                self.recheck("phones")  # numbers without + are read in this country
            return hint
        if name == "language":
            return language_hint(text)
        if name == "emails":
            view = self.original_view
            had = frozenset(e.address for e in view.emails) if view else frozenset[str]()
            return joined(email_hint(text, several=True, kept=had), self.label_hint(name, text))
        if name == "phones":
            view = self.original_view
            had = frozenset(p.number for p in view.phones) if view else frozenset[str]()
            hint = phone_hint(text, region_of(self.value("country")), several=True, kept=had)
            return joined(hint, self.label_hint(name, text))
        if name == "organisation":
            self.check_organisation(text)
            return None
        return None

    # Editing, one label select sits beside a field of several addresses (or numbers). It
    # shows the label of the first, the primary one, as read. What it then means follows
    # what was typed, and the hint under the field says which:
    # - with new addresses typed, the label chosen goes with those (as when adding), and
    #   those already there keep theirs;
    # - with none, changing the select relabels the first address in the field: the one
    #   whose label it showed, or the one now first if that was taken out. Left as read,
    #   nothing is relabelled.
    # One select cannot say more than that; "work: a@example.org (was home)" says what
    # Save will do before it does it.

    def label_hint(self, name: str, text: str) -> str | None:
        """Editing, which typed addresses or numbers the chosen label goes with."""
        if not self.is_mounted or self.original_view is None:
            return None
        typed = split_values(text)
        new = self._new_emails(typed) if name == "emails" else self._new_phones(typed)
        label = self.kind_of(name)
        if new:
            return f"{label}: {', '.join(new)}" if label else None
        relabelled = self._relabelling(name, typed, label)
        if relabelled is None:
            return None
        first, label = relabelled
        was = self._label_of(name, first)
        return f"{label or 'no label'}: {first} (was {was or 'no label'})"

    def _relabelling(
        self, name: str, typed: list[str], label: str | None
    ) -> tuple[str, str | None] | None:
        """Editing with nothing new typed into field ``name``: the first address or number
        there and ``label``, the one chosen beside it, when the select was changed to a
        label that address or number has not."""
        if self.original_view is None or not typed:
            return None
        new = self._new_emails(typed) if name == "emails" else self._new_phones(typed)
        if new or label == self.original_labels.get(name):
            return None
        first = typed[0]
        return None if label == self._label_of(name, first) else (first, label)

    def _label_of(self, name: str, typed: str) -> str | None:
        """The label the contact being edited has on this address or number."""
        if name == "emails":
            key = values_key(typed)
            found = (e.label for e in self.original_view.emails if values_key(e.address) == key)
        else:
            number = checks.clean(typed)
            found = (p.label for p in self.original_view.phones if p.number == number)
        return next(found, None)

    def show_label(self, name: str, label: str | None) -> None:
        """Show ``label`` in the select beside field ``name``, adding it to the choices if it
        is not one of the usual labels (the command line takes any: "office")."""
        select = self.query_one(f"#label-{name}", Select)
        if label is None:
            select.clear()
            return
        spec = next(s for s in self.specs if s.name == name)
        if label not in spec.labels:
            select.set_options([(plain(x), x) for x in (*spec.labels, label)])
        select.value = label

    @on(Select.Changed, ".form-kind")
    def _kind_chosen(self, event: Select.Changed) -> None:
        if event.select.id:
            self.recheck(event.select.id.removeprefix("label-"))

    def _new_emails(self, emails: list[str]) -> list[str]:
        """The addresses not on the contact being edited."""
        had = {values_key(e.address) for e in self.original_view.emails}
        return [a for a in emails if values_key(a) not in had]

    def _new_phones(self, phones: list[str]) -> list[str]:
        """The numbers not on the contact being edited."""
        had = {p.number for p in self.original_view.phones}
        return [n for n in phones if checks.clean(n) not in had]

    @work(thread=True, exclusive=True, group="form-organisation", exit_on_error=False)
    def check_organisation(self, text: str) -> None:
        """Which organisation the typed name is: the domain's lookup, off the screen's thread."""
        from coalition.domain import people

        if not text.strip():
            self.app.call_from_thread(self._organisation_checked, text, None, False)
            return
        try:
            with self.coalition.database().read_session() as session:
                org = people.lookup_organisation(session, text)
                found = None if org is None else people.organisation_view(org, 0)
        except CoalitionError as error:
            self.app.call_from_thread(self._organisation_checked, text, str(error), True)
            return
        if found is not None:
            where = f", {found.country}" if found.country else ""
            said = f"#{found.id} {found.name}{where}"
        elif self.record_id is None:
            said = "A new organisation of this name will be added."
        else:
            said = None
            try:
                with self.coalition.database().read_session() as session:
                    people.find_organisation(session, text)
            except CoalitionError as error:
                self.app.call_from_thread(self._organisation_checked, text, str(error), True)
                return
        self.app.call_from_thread(self._organisation_checked, text, said, False)

    def _organisation_checked(self, text: str, message: str | None, problem: bool) -> None:
        if self.is_attached and self.value("organisation") == text:
            self.show_message("organisation", message, problem=problem)

    def values(self) -> dict[str, str]:
        """The form's values, with the labels chosen for new addresses and numbers."""
        found = super().values()
        found["emails_label"] = self.kind_of("emails") or ""
        found["phones_label"] = self.kind_of("phones") or ""
        return found

    def save(self, values: dict[str, str]) -> tuple[int, str]:
        from coalition.domain import people
        from coalition.domain.audit import work as unit_of_work

        coalition = self.coalition
        tags = split_values(values.pop("tags"))
        emails = split_values(values.pop("emails"))
        phones = split_values(values.pop("phones"))
        labels = (values.pop("emails_label") or None, values.pop("phones_label") or None)
        organisation = values.pop("organisation").strip()
        with unit_of_work(coalition.database(), coalition.coordinator) as w:
            if self.record_id is None:
                fields: dict[str, Any] = {k: v for k, v in values.items() if v.strip()}
                result = people.add_contact(
                    w,
                    emails=[people.EmailInput(a, labels[0]) for a in emails],
                    phones=[people.PhoneInput(n, labels[1]) for n in phones],
                    tags=tags,
                    organisation=organisation or None,
                    allow_duplicate=self.allow_duplicate,
                    **fields,
                )
                verb = "Added"
            else:
                changes, options = self._changes(values, organisation, emails, phones, tags, labels)
                result = people.edit_contact(
                    w, self.record_id, changes, allow_duplicate=self.allow_duplicate, **options
                )
                verb = "Saved"
        view = result.contact
        message = f"{verb} contact #{view.id} {view.display_name}."
        if result.created_organisation is not None:
            message += f" Added organisation #{result.created_organisation.id} "
            message += f"{result.created_organisation.name}."
        for warning in result.warnings:
            message += f" {warning}"
        return view.id, message

    def _changes(
        self,
        values: dict[str, str],
        organisation: str,
        emails: list[str],
        phones: list[str],
        tags: list[str],
        labels: tuple[str | None, str | None],
    ) -> tuple[dict[str, str], dict[str, Any]]:
        """What edit_contact needs: the fields that changed, what to add (with the labels
        chosen) and remove, and the address or number to relabel (``_relabelling``)."""
        from coalition.domain.people import EmailInput, PhoneInput

        view = self.original_view
        changes = {k: v for k, v in values.items() if v != self.original.get(k, "")}
        had = {values_key(e.address): e.address for e in view.emails}
        wanted = {values_key(a) for a in emails}
        numbers = {p.number for p in view.phones}
        kept_tags = {t.casefold() for t in tags}
        options: dict[str, Any] = {
            "add_emails": [EmailInput(a, labels[0]) for a in self._new_emails(emails)],
            "remove_emails": [a for key, a in had.items() if key not in wanted],
            "add_phones": [PhoneInput(n, labels[1]) for n in self._new_phones(phones)],
            "remove_phones": [n for n in numbers if n not in {checks.clean(p) for p in phones}],
            "add_tags": tags,
            "remove_tags": [t for t in view.tags if t.casefold() not in kept_tags],
        }
        for name, typed, label, option in (
            ("emails", emails, labels[0], "relabel_emails"),
            ("phones", phones, labels[1], "relabel_phones"),
        ):
            relabelled = self._relabelling(name, typed, label)
            if relabelled is not None:
                options[option] = dict([relabelled])
        if organisation != self.original.get("organisation", ""):
            options["organisation"] = organisation
        return changes, options


def joined(*hints: str | None) -> str | None:
    """Hints about one field, a line each."""
    return "\n".join(h for h in hints if h) or None


def values_key(address: str) -> str:
    """The domain's key for recognising the same mailbox."""
    return checks.check_email(address).key


# --- delete ----------------------------------------------------------------------------------


class ConfirmDelete(ModalScreen[bool]):
    """Asks before deleting an organisation or a contact; deletes it on Delete.

    Returns True when the record was deleted, False when cancelled.
    """

    CSS_PATH = "record_forms.tcss"
    AUTO_FOCUS = "#delete-cancel"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(False)", "Cancel", id="delete.cancel"),
        Binding("left,right", "switch_button", "Switch", show=False),
    ]

    def __init__(self, kind: str, record_id: int, name: str) -> None:
        super().__init__()
        if kind not in ("organisation", "contact"):
            raise ValueError(f"unknown kind {kind!r}")
        self.kind = kind
        self.record_id = record_id
        self.name_shown = name
        self.deleting = False

    @property
    def coalition(self) -> CoalitionApp:
        return cast("CoalitionApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-body", id="delete-body"):
            question = plain(f"Delete the {self.kind} ", "bold")
            question.append(plain(self.name_shown, "bold"))
            question.append(plain("?", "bold"))
            yield Static(question, classes="form-title")
            yield Static(plain(self._consequence(None)), id="delete-what")
            yield Static(classes="form-error", id="form-error")
            with Horizontal(classes="form-buttons"):
                yield Button("Delete", id="delete-confirm", variant="error", compact=True)
                yield Button("Cancel", id="delete-cancel", compact=True)

    def _consequence(self, contacts: int | None) -> str:
        if self.kind == "contact":
            return (
                "Outreach logged with them alone goes too; outreach that also names their "
                "organisation stays on the organisation. The change log keeps the deletion."
            )
        people = "Its people" if contacts is None else f"Its {contacts} contact(s)"
        return (
            f"Its sign-ons and the outreach logged with it alone go too. {people} stay, "
            "without an organisation. The change log keeps the deletion."
        )

    def on_mount(self) -> None:
        self.query_one("#form-error", Static).display = False
        if self.kind == "organisation":
            self.count_people()

    @work(thread=True, exclusive=True, group="delete-count", exit_on_error=False)
    def count_people(self) -> None:
        from coalition.domain import people

        with self.coalition.database().read_session() as session:
            view = people.get_organisation(session, self.record_id)
        self.app.call_from_thread(self._counted, view.contact_count)

    def _counted(self, contacts: int) -> None:
        if self.is_attached:
            self.query_one("#delete-what", Static).update(plain(self._consequence(contacts)))

    def action_switch_button(self) -> None:
        confirm = self.query_one("#delete-confirm", Button)
        cancel = self.query_one("#delete-cancel", Button)
        (cancel if confirm.has_focus else confirm).focus()

    @on(Button.Pressed, "#delete-cancel")
    def _cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#delete-confirm")
    def _confirm(self) -> None:
        if self.deleting:
            return
        self.deleting = True
        self.query_one("#delete-confirm", Button).disabled = True
        self.delete_record()

    @work(thread=True, exclusive=True, group="delete", exit_on_error=False)
    def delete_record(self) -> None:
        from coalition.domain import people
        from coalition.domain.audit import work as unit_of_work

        coalition = self.coalition
        try:
            with unit_of_work(coalition.database(), coalition.coordinator) as w:
                if self.kind == "organisation":
                    name = people.delete_organisation(w, self.record_id).name
                else:
                    name = people.delete_contact(w, self.record_id).display_name
        except CoalitionError as error:
            self.app.call_from_thread(self._refused, str(error))
            return
        self.app.call_from_thread(self._deleted, f"Deleted {self.kind} #{self.record_id} {name}.")

    def _refused(self, message: str) -> None:
        self.deleting = False
        if self.is_attached:
            error = self.query_one("#form-error", Static)
            error.update(plain(message))
            error.display = True
            self.query_one("#delete-confirm", Button).disabled = False

    def _deleted(self, message: str) -> None:
        self.deleting = False
        self.app.notify(message, title="Deleted", markup=False)
        if self.is_attached:
            self.dismiss(True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "delete" and event.worker.is_finished and self.deleting:
            self.deleting = False
            if self.is_attached:
                self.query_one("#delete-confirm", Button).disabled = False
        report_failure(self.app, event)


# --- opening them ----------------------------------------------------------------------------


def record_form(kind: str, record_id: int | None = None, **options: Any) -> FormScreen:
    """The form for ``kind`` (organisation or contact): a new record, or ``record_id``."""
    if kind == "organisation":
        return OrganisationForm(record_id)
    if kind == "contact":
        return ContactForm(record_id, **options)
    raise ValueError(f"unknown kind {kind!r}")
