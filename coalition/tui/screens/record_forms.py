"""Forms to add and edit an organisation or a contact, and the question before a delete.

Each form is a ``FormScreen`` (``form_base``: fields checked as you type, duplicates
named, Save in a worker). Saving runs ``people.add_*``/``edit_*`` inside one unit of
work, as ``coalition org add`` and ``contact edit`` do, so the change log and the search
index stay current.

``ConfirmDelete`` names the record, says what goes with it, has Cancel focused,
and deletes through ``people.delete_*`` only when Delete is chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.suggester import Suggester
from textual.widgets import Select

from coalition.domain import values as checks
from coalition.errors import CoalitionError
from coalition.text import split_values
from coalition.tui.screens.confirm import ConfirmWrite
from coalition.tui.screens.form_base import (
    Field,
    FormScreen,
    OrganisationSuggester,
    country_hint,
    email_hint,
    language_hint,
    phone_hint,
    plain,
    region_of,
)

if TYPE_CHECKING:
    from coalition.domain.audit import Work

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
    RECORD_KIND = "organisation"

    def __init__(self, record_id: int | None = None) -> None:
        super().__init__()
        self.record_id = record_id
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
        self.app.call_from_thread(self._loaded, self.read_record())

    def read_record(self) -> Any:
        from coalition.domain import people

        with self.coalition.database().read_session() as session:
            return people.get_organisation(session, f"#{self.record_id}")

    def _loaded(self, view: Any) -> None:
        if not self.is_attached:
            return
        self.take(view)
        self.show_record(self.shown_of(view), f"Edit {view.name}")

    def take(self, view: Any) -> None:
        super().take(view)
        self.original_tags = list(view.tags)

    def shown_of(self, view: Any) -> dict[str, str | None]:
        return {
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
                expected_version=self.version,
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
    RECORD_KIND = "contact"

    def __init__(self, record_id: int | None = None, *, organisation: str | None = None) -> None:
        super().__init__()
        self.record_id = record_id
        self.organisation = organisation
        """An organisation to start with (a new contact from an organisation's screen)."""
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
        self.app.call_from_thread(self._loaded, self.read_record())

    def read_record(self) -> Any:
        from coalition.domain import people

        with self.coalition.database().read_session() as session:
            return people.get_contact(session, f"#{self.record_id}")

    def _loaded(self, view: Any) -> None:
        if not self.is_attached:
            return
        self.take(view)
        self.show_record(self.shown_of(view), f"Edit {view.display_name}")

    def take(self, view: Any) -> None:
        """The contact as read: its version, its addresses and numbers with their labels
        (a label select left as it showed follows the stored label)."""
        super().take(view)
        self.original_view = view
        firsts = {"emails": view.emails[:1], "phones": view.phones[:1]}
        for name, first in firsts.items():
            label = first[0].label if first else None
            if name not in self.original_labels or self.kind_of(name) == self.original_labels[name]:
                self.show_label(name, label)
            self.original_labels[name] = label

    def shown_of(self, view: Any) -> dict[str, str | None]:
        return {
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
                    w,
                    self.record_id,
                    changes,
                    allow_duplicate=self.allow_duplicate,
                    expected_version=self.version,
                    **options,
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


class ConfirmDelete(ConfirmWrite):
    """Asks before deleting an organisation or a contact; deletes it on Delete.

    Returns True when the record was deleted, False when cancelled.
    """

    DONE_TITLE = "Deleted"

    def __init__(self, kind: str, record_id: int, name: str) -> None:
        if kind not in ("organisation", "contact"):
            raise ValueError(f"unknown kind {kind!r}")
        self.kind = kind
        super().__init__(f"Delete the {kind} {name}?", self._consequence(None), confirm="Delete")
        self.record_id = record_id

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

    def on_mount(self) -> None:  # after it, ConfirmDialog's (Textual calls both) focuses Cancel
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
            self.show_body(self._consequence(contacts))

    def write(self, work: Work) -> str:
        from coalition.domain import people

        if self.kind == "organisation":
            name = people.delete_organisation(work, self.record_id).name
        else:
            name = people.delete_contact(work, self.record_id).display_name
        return f"Deleted {self.kind} #{self.record_id} {name}."


# --- opening them ----------------------------------------------------------------------------


def record_form(kind: str, record_id: int | None = None, **options: Any) -> FormScreen:
    """The form for ``kind`` (organisation or contact): a new record, or ``record_id``."""
    if kind == "organisation":
        return OrganisationForm(record_id)
    if kind == "contact":
        return ContactForm(record_id, **options)
    raise ValueError(f"unknown kind {kind!r}")
