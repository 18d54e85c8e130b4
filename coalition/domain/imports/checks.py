"""Each row checked alone: cleaned, its addresses and numbers checked, its country and
language read, an organisation's own values checked once for every row naming it.

The first step of a plan (``plan.plan_import``), and all of it that needs neither the
database nor the file's other rows, so a second process can take it while the first plans
and writes (``interchange.feed``). Nothing here loads SQLAlchemy: that process starts in a
tenth of a second rather than half of one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from coalition.domain.imports.records import (
    ContactRecord,
    OrganisationRecord,
)
from coalition.domain.values import (
    check_email,
    check_phone,
    choice,
    clean,
    country_code,
    language_code,
    normalise_website,
    split_full_name,
)
from coalition.errors import InvalidValue
from coalition.store.schema import MEMBERSHIPS, ORGANISATION_KINDS


@dataclass(slots=True)
class PlannedRow:
    source: str
    action: str
    """create, update, merge, unchanged, duplicate, in-file duplicate, organisation, skip,
    erased (a person the erasure ledger names) or error."""
    reason: str
    record: ContactRecord
    contact_id: int | None = None
    org_key: str | None = None
    org_id: int | None = None
    org_action: str | None = None
    """"create", "existing" or None."""
    org_note: str = ""
    signon: str | None = None
    warnings: list[str] = field(default_factory=list)
    emails: list[tuple[str, str, str | None, bool, str | None]] = field(default_factory=list)
    """(address, key, label, valid, reason) after validation."""
    phones: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    """(number, e164, label)."""
    kind: str = "person"
    """What the file alone says the row is: "person", "organisation", "skip" or "in-file
    duplicate". Matching against the database decides the action of a person's row."""
    checked_warnings: int = 0
    """How many of ``warnings`` come from checking the row itself; the rest come from
    matching, which can run again."""
    answered_at: dt.datetime | None = None
    """When the row was answered (naive UTC), from the file's timestamp column: the date of
    the sign-on it sets. None: dated when the batch is applied."""
    language_from_country: str | None = None
    """The language the person is given because the row names none and their country has
    one clear language (``values.language_of_country``): set on a new contact, or on one
    that has no language yet."""
    normalised: bool = False
    """Cleaned and checked already (``normalised_rows``; in the reading process, see
    ``interchange.feed``), so ``plan_import`` does not check it again."""

    @property
    def writes(self) -> bool:
        """The row changes or creates a person or an organisation."""
        return self.action in ("create", "update", "merge", "organisation")

    @property
    def organisation_match(self) -> str | None:
        """How the row's organisation was recognised, when it is worth a look: an
        organisation already here under another spelling, acronym or domain, or a new one
        ("organisation #1 (acronym)", "new organisation; likely duplicate of #4 …"). None
        for a name stored exactly so, and for a row without an organisation."""
        if self.record.organisation is None or self.org_action not in ("existing", "create"):
            return None
        if self.org_note.endswith("(same name)") or self.org_note == "new organisation":
            return None
        return self.org_note or None

    @property
    def speaks_for_organisation(self) -> bool:
        """The row's organisation and sign-on answer count, even when the person in it
        is already known and skipped: a form answer is the organisation's answer."""
        return self.writes or self.action in ("duplicate", "unchanged")


def _keep_invalid(row: PlannedRow, label: str, value: str, reason: str) -> None:
    """An invalid value is not dropped: it goes to the notes, and the report says so."""
    row.warnings.append(f"{label} '{value}' kept in notes: {reason}")
    note = f"{label} (as imported): {value}"
    row.record.notes = f"{row.record.notes}\n{note}" if row.record.notes else note


_CLEANED_FIELDS = (
    "full_name", "given_name", "family_name", "honorific", "display_name", "role", "street",
    "postal_code", "city", "region",
)  # fmt: skip


def normalised_rows(records: Iterable[ContactRecord]) -> Iterator[PlannedRow]:
    """Each record as a planned row, cleaned and checked: what needs neither the database
    nor the file's other rows (``plan_import``'s first step, which a second process can
    take while this one plans and writes: ``interchange.feed``)."""
    for record in records:
        row = PlannedRow(record.source, "create", "", record)
        normalise(row)
        yield row


def normalise(row: PlannedRow) -> None:
    """Clean and check one row as the file gives it (``normalised_rows``)."""
    row.normalised = True
    r = row.record
    for name in _CLEANED_FIELDS:
        value = getattr(r, name)
        if value is not None:
            setattr(r, name, clean(value))
    r.notes = r.notes.strip() if r.notes and r.notes.strip() else None
    if r.full_name and not (r.given_name or r.family_name):
        parts = split_full_name(r.full_name)
        r.given_name, r.family_name = parts.given_name, parts.family_name
        r.honorific = r.honorific or parts.honorific
    if r.country:
        try:
            r.country = country_code(r.country)
        except InvalidValue as exc:
            _keep_invalid(row, "Country", r.country or "", str(exc))
            r.country = None
    if r.language:
        try:
            r.language = language_code(r.language)
        except InvalidValue as exc:
            _keep_invalid(row, "Language", r.language or "", str(exc))
            r.language = None
    seen: set[str] = set()
    for address, label in r.emails:
        if not address or not address.strip():
            continue
        checked = check_email(address)
        if checked.key in seen:
            continue
        seen.add(checked.key)
        row.emails.append(
            (checked.address, checked.key, clean(label), checked.valid, checked.reason)
        )
        if not checked.valid:
            row.warnings.append(f"email '{checked.address}' kept, marked invalid: {checked.reason}")
    r.tags = [t for t in (clean(t) for t in r.tags) if t]
    org = r.organisation
    if org is not None:
        org_warnings = org.checked
        if org_warnings is None:
            org_warnings = org.checked = _normalise_organisation(org)
        if not org.name:
            r.organisation = org = None
        else:
            row.warnings.extend(org_warnings)
    region = r.country or (org.country if org else None)
    numbers: set[str] = set()
    for number, label in r.phones:
        if not number or not str(number).strip():
            continue
        phone = check_phone(str(number), region)
        key = phone.e164 or phone.number
        if key in numbers:
            continue
        numbers.add(key)
        row.phones.append((phone.number, phone.e164, clean(label)))
    _generic_email_to_organisation(row)


def _normalise_organisation(org: OrganisationRecord) -> tuple[str, ...]:
    """Clean and check an organisation as a row names it; returns the warnings for each row
    naming it. A sheet names one organisation on many rows, and the reader gives them one
    record (``importer.row_reader``): this runs once per record, not per row."""
    warnings: list[str] = []
    org.name = clean(org.name) or ""
    if not org.name:
        return ()
    for name in ("acronym", "city", "phone"):
        setattr(org, name, clean(getattr(org, name)))
    if org.country:
        try:
            org.country = country_code(org.country)
        except InvalidValue as exc:
            warnings.append(f"organisation country '{org.country}' left out: {exc}")
            org.notes = _append(org.notes, f"Country (as imported): {org.country}")
            org.country = None
    if org.kind:
        try:
            org.kind = choice(org.kind, ORGANISATION_KINDS, "kind of organisation")
        except InvalidValue:
            org.notes = _append(org.notes, f"Kind (as imported): {org.kind}")
            org.kind = None
    if org.membership:
        try:
            org.membership = choice(org.membership, MEMBERSHIPS, "membership")
        except InvalidValue:
            org.notes = _append(org.notes, f"Membership (as imported): {org.membership}")
            org.membership = None
    if org.website:
        try:
            org.website = normalise_website(org.website)
        except InvalidValue:
            org.notes = _append(org.notes, f"Website (as imported): {org.website}")
            org.website = None
    if org.email:
        checked = check_email(org.email)
        if checked.valid:
            org.email = checked.address
        else:
            org.notes = _append(org.notes, f"Email (as imported): {org.email}")
            warnings.append(f"organisation email '{org.email}' kept in notes")
            org.email = None
    return tuple(warnings)


ROLE_MAILBOXES = {
    "info",
    "contact",
    "office",
    "secretariat",
    "secretary",
    "admin",
    "hello",
    "mail",
    "post",
    "press",
    "media",
    "general",
    "enquiries",
    "inquiries",
    "team",
    "bureau",
    "kontakt",
    "buero",
    "sekretariat",
    "secretaria",
    "segreteria",
    "biuro",
    "informacion",
    "info.be",
    "membership",
}


def _generic_email_to_organisation(row: PlannedRow) -> None:
    """A row naming only an organisation and info@… describes the organisation, not a person."""
    r = row.record
    if r.organisation is None or r.given_name or r.family_name or r.display_name:
        return
    if not row.emails or any(
        e[0].split("@")[0].casefold() not in ROLE_MAILBOXES or not e[3] for e in row.emails
    ):
        return
    if not r.organisation.email:
        # a copy: rows naming the organisation alike share one record (``normalise``)
        r.organisation = replace(r.organisation, email=row.emails[0][0])
    row.emails = []


def _append(text: str | None, line: str) -> str:
    return f"{text}\n{line}" if text else line
