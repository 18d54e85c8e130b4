"""Importing many people and organisations at once: plan, apply, undo.

The file formats end in ``interchange/``; this module sees ``ContactRecord``s,
one per row or card, with the organisation they name.

*Plan* normalises every record with the same rules as a single ``contact
add`` (invalid values are kept and flagged, never dropped), then decides per
record: create, update, merge, duplicate of an existing contact (skipped),
merged into an earlier row of the same file, or error — with the reason.

*Apply* writes the plan as one batch in one transaction: new rows go in with
bulk ``INSERT`` executemany (ORM objects one by one are ~20x slower), each
carrying the batch id; rows the batch changes have their earlier values saved
in ``import_changes``. A crash or a kill at any point leaves no trace of the
batch, because nothing is committed until the end.

*Undo* removes what the batch created and restores what it changed, and
refuses when later work depends on it (a contact edited since, an
organisation that gained a sign-on) rather than silently losing that work.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Date, DateTime, delete, func, or_, select
from sqlalchemy.orm import Session

from coalition.domain import people
from coalition.domain.audit import Work, changes, jsonable, refuse_if_later_changes
from coalition.domain.campaigns import find_campaign, is_allowed
from coalition.domain.dedupe import OrganisationIndex, OrgFacts, OrgMatch, organisation_key
from coalition.domain.values import (
    check_email,
    check_phone,
    choice,
    clean,
    country_code,
    fold,
    language_code,
    normalise_website,
    split_full_name,
)
from coalition.errors import CoalitionError, InvalidValue, NotFound
from coalition.memory import collector_paused
from coalition.store import search
from coalition.store.bulk import bulk_insert, indexes_deferred, insert_rows, stored
from coalition.store.models import (
    AuditEntry,
    Campaign,
    Contact,
    ContactEmail,
    ContactPhone,
    ImportBatch,
    ImportChange,
    Organisation,
    SignOn,
    SignOnEvent,
    Tag,
    contact_tags,
    new_uid,
    organisation_tags,
    utcnow,
)
from coalition.store.schema import MEMBERSHIPS, ORGANISATION_KINDS

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called as work advances; the CLI draws a bar."""

ON_DUPLICATE = ("skip", "update", "merge")
CHUNK = 2000

# --- inputs ---------------------------------------------------------------------------------


@dataclass(slots=True)
class OrganisationRecord:
    name: str
    id: int | None = None
    """The organisation's id in coalition (from an exported sheet): update that one."""
    acronym: str | None = None
    kind: str | None = None
    country: str | None = None
    city: str | None = None
    website: str | None = None
    email: str | None = None
    phone: str | None = None
    membership: str | None = None
    notes: str | None = None
    cleared: tuple[str, ...] = ()
    """Fields an edited sheet left empty for this id: an update clears them."""


ORGANISATION_RECORD_FIELDS = (
    "name", "acronym", "kind", "country", "city", "website", "email", "phone", "membership",
    "notes",
)  # fmt: skip
"""The organisation values an import row can set."""


@dataclass(slots=True)
class ContactRecord:
    """One person (and/or their organisation) as read from a row or a card."""

    source: str
    """Where it came from, for reports: "row 12", "card 3"."""
    id: int | None = None
    uid: str | None = None
    """A vCard's UID: the same UID is the same person."""
    full_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    honorific: str | None = None
    display_name: str | None = None
    role: str | None = None
    language: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    notes: str | None = None
    emails: list[tuple[str, str | None]] = field(default_factory=list)
    phones: list[tuple[str, str | None]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    organisation: OrganisationRecord | None = None
    signon_status: str | None = None
    signon_display_name: str | None = None
    signon_public: bool | None = None
    cleared: tuple[str, ...] = ()
    """Fields an edited sheet left empty for this id: an update clears them (see
    ``CLEARABLE_CONTACT_FIELDS``); a row without an id never clears anything."""


CLEARABLE_CONTACT_FIELDS = (
    "given_name", "family_name", "honorific", "display_name", "role", "language", "street",
    "postal_code", "city", "region", "country", "notes",
)  # fmt: skip
CLEARABLE_ORGANISATION_FIELDS = ("acronym", "country", "city", "website", "email", "phone", "notes")
"""What an empty cell in an edited export clears. Emails, phones, tags, kind, membership
and the link to an organisation are kept: a blank cell there is too easily an accident."""


@dataclass(frozen=True)
class ImportOptions:
    file_name: str
    sha256: str
    file_format: str
    mapping: dict[str, Any] | None = None
    campaign: str | None = None
    tags: tuple[str, ...] = ()
    on_duplicate: str = "skip"
    force: bool = False


# --- the plan ---------------------------------------------------------------------------------


@dataclass(slots=True)
class PlannedRow:
    source: str
    action: str
    """create, update, merge, unchanged, duplicate, in-file duplicate, organisation, skip or
    error."""
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


@dataclass
class Plan:
    rows: list[PlannedRow]
    new_organisations: dict[str, OrganisationRecord]
    options: ImportOptions
    campaign_id: int | None
    previous_batch: int | None = None
    marker: tuple[int, ...] = ()
    """The database's ``change_marker`` when the rows were matched."""

    def matches(self) -> list[str]:
        """Each distinct match the plan made and the rule that made it, for the dry run:
        "row 2: 'Alpha Kids asbl network' is #1 (matched to Alpha Kids by the sender's
        address …)", "row 3: duplicate of contact #4 (same email …)". Organisations named
        exactly as stored are left out (there is nothing to check)."""
        found: list[str] = []
        seen: set[tuple[str, str]] = set()
        for row in self.rows:
            org, match = row.record.organisation, row.organisation_match
            if org is not None and match is not None and (org.name, match) not in seen:
                seen.add((org.name, match))
                found.append(f"{row.source}: '{org.name}' is {match}")
            if row.contact_id is not None and row.action in ("duplicate", "update", "merge"):
                found.append(f"{row.source}: {row.reason}")
        return found

    def counts(self) -> dict[str, int]:
        counter = Counter(r.action for r in self.rows)
        counter["organisations created"] = len(self.new_organisations)
        counter["organisations updated"] = len(
            {r.org_id for r in self.rows if r.org_action == "update" and r.speaks_for_organisation}
        )
        counter["invalid emails"] = sum(
            1 for r in self.rows if r.writes for e in r.emails if not e[3]
        )
        counter["warnings"] = sum(len(r.warnings) for r in self.rows)
        counter["sign-ons"] = sum(1 for r in self.rows if r.speaks_for_organisation and r.signon)
        return dict(counter)


COUNT_LABELS = {
    "create": "new contacts",
    "update": "updated",
    "merge": "merged",
    "unchanged": "unchanged",
    "organisation": "organisation-only rows",
    "duplicate": "duplicates skipped",
    "in-file duplicate": "repeated in the file",
    "skip": "empty rows skipped",
    "error": "errors",
    "organisations created": "new organisations",
    "organisations updated": "organisations updated",
    "sign-ons": "sign-ons set",
    "invalid emails": "invalid emails kept (flagged)",
    "warnings": "warnings",
}
"""What the counts of a plan mean, in the order they are reported."""


_ONE = {
    "new contacts": "new contact",
    "organisation-only rows": "organisation-only row",
    "duplicates skipped": "duplicate skipped",
    "empty rows skipped": "empty row skipped",
    "errors": "error",
    "new organisations": "new organisation",
    "organisations updated": "organisation updated",
    "sign-ons set": "sign-on set",
    "invalid emails kept (flagged)": "invalid email kept (flagged)",
    "warnings": "warning",
}


def count_summary(counts: dict[str, int], *, grouped: bool = False) -> str:
    """ "3 new contacts, 1 duplicate skipped, …": a plan's or batch's counts in words
    (``grouped`` writes 12,000 rather than 12000)."""
    return ", ".join(
        (f"{counts[k]:,}" if grouped else str(counts[k]))
        + " "
        + (_ONE.get(label, label) if counts[k] == 1 else label)
        for k, label in COUNT_LABELS.items()
        if counts.get(k)
    )


def records_phrase(n: int) -> str:
    """ "1 record", "12,000 records"."""
    return f"{n:,} record" + ("" if n == 1 else "s")


SIGN_WORDS = {
    "signed": {
        "yes",
        "y",
        "oui",
        "o",
        "ja",
        "j",
        "si",
        "sí",
        "tak",
        "x",
        "signed",
        "sign",
        "1",
        "true",
        "we sign",
        "yes we sign",
        "signe",
        "signé",
        "unterzeichnet",
        "firmado",
        "firmato",
        "ondertekend",
        "podpisano",
        "ok",
        "agree",
        "d'accord",
        "✓",
        "✔",
    },
    "declined": {
        "no",
        "n",
        "non",
        "nein",
        "nie",
        "declined",
        "decline",
        "refused",
        "0",
        "false",
        "no thanks",
        "refusé",
        "abgelehnt",
        "rechazado",
        "rifiutato",
        "afgewezen",
        "odmowa",
    },
    "considering": {
        "maybe",
        "considering",
        "perhaps",
        "peut-être",
        "peut etre",
        "vielleicht",
        "quizás",
        "quizas",
        "forse",
        "misschien",
        "może",
        "moze",
        "later",
        "pending",
        "to be confirmed",
        "tbc",
    },
    "invited": {"invited", "invité", "eingeladen", "invitado", "invitato", "uitgenodigd"},
    "prospect": {"prospect", "target", "to invite"},
    "withdrawn": {"withdrawn", "withdrew", "retiré", "zurückgezogen"},
}
_STATUS_BY_WORD = {fold(w): status for status, words in SIGN_WORDS.items() for w in words}


def signon_status_from(text: str | None) -> str | None:
    """The sign-on status an answer means ("Oui" -> signed), None when blank or unknown."""
    if not text or not text.strip():
        return None
    key = fold(text).strip(" .!")
    if key in _STATUS_BY_WORD:
        return _STATUS_BY_WORD[key]
    first = key.split(" ")[0].strip(",;:")
    return _STATUS_BY_WORD.get(first)


def _keep_invalid(row: PlannedRow, label: str, value: str, reason: str) -> None:
    """An invalid value is not dropped: it goes to the notes, and the report says so."""
    row.warnings.append(f"{label} '{value}' kept in notes: {reason}")
    note = f"{label} (as imported): {value}"
    row.record.notes = f"{row.record.notes}\n{note}" if row.record.notes else note


_CLEANED_FIELDS = (
    "full_name", "given_name", "family_name", "honorific", "display_name", "role", "street",
    "postal_code", "city", "region",
)  # fmt: skip


def _normalise(row: PlannedRow) -> None:
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
        org.name = clean(org.name) or ""
        if not org.name:
            r.organisation = org = None
    if org is not None:
        for name in ("acronym", "city", "phone"):
            setattr(org, name, clean(getattr(org, name)))
        if org.country:
            try:
                org.country = country_code(org.country)
            except InvalidValue as exc:
                row.warnings.append(f"organisation country '{org.country}' left out: {exc}")
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
                row.warnings.append(f"organisation email '{org.email}' kept in notes")
                org.email = None
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
        r.organisation.email = row.emails[0][0]
    row.emails = []


def _append(text: str | None, line: str) -> str:
    return f"{text}\n{line}" if text else line


def _has_person(row: PlannedRow) -> bool:
    r = row.record
    return bool(r.given_name or r.family_name or r.display_name or row.emails)


@collector_paused()
def plan_import(
    session: Session,
    records: Iterable[ContactRecord],
    options: ImportOptions,
    progress: Progress | None = None,
) -> Plan:
    """Decide what to do with each record; changes nothing.

    Three steps: each record is normalised, rows of one person in the file are folded
    into the first, then every row is matched against the database (``_match``). Only
    the last depends on what is stored, and ``apply_plan`` runs it again under the write
    lock when the database changed since, so two imports at once act as one after the
    other.
    """
    if options.on_duplicate not in ON_DUPLICATE:
        raise InvalidValue(f"--on-duplicate takes one of: {', '.join(ON_DUPLICATE)}.")
    rows = [PlannedRow(r.source, "create", "", r) for r in records]
    total = len(rows)
    for i, row in enumerate(rows, 1):
        _normalise(row)
        if progress and i % CHUNK == 0:
            progress("checking", i, total)
    if progress:
        progress("checking", total, total)
    _fold_in_file(rows)
    for row in rows:
        row.checked_warnings = len(row.warnings)
    plan = Plan(rows, {}, options, None)
    _match(session, plan)
    return plan


def _fold_in_file(rows: list[PlannedRow]) -> None:
    """What needs no database: rows without a person, and later rows of a person already
    in the file (same email or UID), folded into the first."""
    first_by_email: dict[str, PlannedRow] = {}
    first_by_uid: dict[str, PlannedRow] = {}
    for row in rows:
        if not _has_person(row) and row.record.id is None:
            if row.record.organisation is not None:
                row.kind = row.action = "organisation"
                row.reason = "organisation only (no person in this row)"
            else:
                row.kind = row.action = "skip"
                row.reason = "no name, email or organisation"
            continue
        earlier = next((first_by_email[e[1]] for e in row.emails if e[1] in first_by_email), None)
        if earlier is None and row.record.uid:
            earlier = first_by_uid.get(row.record.uid)
        if earlier is not None:
            row.kind = row.action = "in-file duplicate"
            row.reason = f"same email as {earlier.source}; merged into it"
            _merge_rows(earlier, row)
            continue
        for e in row.emails:
            first_by_email[e[1]] = row
        if row.record.uid:
            first_by_uid[row.record.uid] = row


def change_marker(session: Session) -> tuple[int, ...]:
    """Changes whenever anything an import matches against changes: every change writes
    the change log, and new rows take new ids."""
    marker = session.execute(
        select(
            select(func.coalesce(func.max(AuditEntry.id), 0)).scalar_subquery(),
            select(func.coalesce(func.max(Contact.id), 0)).scalar_subquery(),
            select(func.coalesce(func.max(Organisation.id), 0)).scalar_subquery(),
            select(func.coalesce(func.max(ContactEmail.id), 0)).scalar_subquery(),
        )
    ).one()
    return tuple(int(v) for v in marker)


def _in_chunks(
    session: Session, query: Callable[[list[Any]], Any], keys: Iterable[Any]
) -> list[Any]:
    """Rows of ``query(chunk)`` for ``keys`` 900 at a time (SQLite's bound-parameter limit)."""
    wanted = sorted(set(keys))
    found: list[Any] = []
    for start in range(0, len(wanted), 900):
        found.extend(session.execute(query(wanted[start : start + 900])).all())
    return found


def _named(org: OrganisationRecord) -> OrgFacts:
    return OrgFacts(0, org.name, org.acronym, org.website, org.email, org.country)


@collector_paused()
def _match(session: Session, plan: Plan) -> None:
    """Match every row against the database as it is now: who each person is, which
    organisation each row names, what would change, and each sign-on. Run by the plan,
    and again by ``apply_plan`` under the write lock if the database changed since."""
    rows = plan.rows
    options = plan.options
    plan.marker = change_marker(session)
    plan.campaign_id = find_campaign(session, options.campaign).id if options.campaign else None
    plan.previous_batch = session.scalar(
        select(ImportBatch.id)
        .where(ImportBatch.sha256 == options.sha256, ImportBatch.undone_at.is_(None))
        .order_by(ImportBatch.id.desc())
    )
    plan.new_organisations = {}
    for row in rows:
        if row.kind == "person":
            row.action, row.reason = "create", ""
        row.contact_id = row.org_id = None
        row.org_key = row.org_action = row.signon = None
        row.org_note = ""
        del row.warnings[row.checked_warnings :]
    people_rows = [r for r in rows if r.kind == "person"]

    # 1. People by the id column, their UID or any of their addresses.
    known_ids = {
        cid
        for (cid,) in _in_chunks(
            session,
            lambda chunk: select(Contact.id).where(Contact.id.in_(chunk)),
            (r.record.id for r in people_rows if r.record.id is not None),
        )
    }
    by_uid: dict[str, int] = dict(
        _in_chunks(
            session,
            lambda chunk: select(Contact.uid, Contact.id).where(Contact.uid.in_(chunk)),
            (r.record.uid for r in people_rows if r.record.uid),
        )
    )
    by_email: dict[str, int] = {}
    for key, cid in _in_chunks(
        session,
        lambda chunk: select(ContactEmail.address_key, ContactEmail.contact_id).where(
            ContactEmail.address_key.in_(chunk)
        ),
        (e[1] for r in people_rows for e in r.emails),
    ):
        by_email.setdefault(key, cid)
    for row in people_rows:
        r = row.record
        if r.id is not None:
            if r.id not in known_ids:
                row.action, row.reason = "error", f"there is no contact #{r.id} to update"
                continue
            row.contact_id, row.reason = r.id, f"contact #{r.id} (id column)"
        elif r.uid and r.uid in by_uid:
            row.contact_id, row.reason = by_uid[r.uid], "same UID"
        else:
            address = next((e for e in row.emails if e[1] in by_email), None)
            if address is not None:
                row.contact_id, row.reason = by_email[address[1]], f"same email {address[0]}"
    known_orgs: dict[int, int | None] = dict(
        _in_chunks(
            session,
            lambda chunk: select(Contact.id, Contact.organisation_id).where(Contact.id.in_(chunk)),
            (r.contact_id for r in people_rows if r.contact_id),
        )
    )

    # 2. Organisations: a known person's own, else existing by the rules of ``dedupe``,
    # else new, once per file (a new one named twice, by name and by acronym, is one).
    index = OrganisationIndex(people.organisation_facts(session))
    in_file = OrganisationIndex()
    exact_cache: dict[OrgFacts, OrgMatch | None] = {}
    new_notes: dict[str, str] = {}
    naming = [
        r
        for r in rows
        if r.record.organisation is not None
        and r.action != "error"
        and r.kind in ("person", "organisation")
    ]
    # A name a known sender used for their own organisation means that organisation in
    # every row of the file, before or after theirs.
    spelled: dict[str, OrgMatch] = {}
    for row in naming:
        org = row.record.organisation
        known = known_orgs.get(row.contact_id) if row.contact_id else None
        if org is None or org.id is not None or known is None:
            continue
        named = _named(org)
        if named not in exact_cache:
            exact_cache[named] = index.exact(named)
        if exact_cache[named] is None and named.key and named.key not in spelled:
            theirs = index.theirs(known, named, [e[0] for e in row.emails])
            if theirs is not None:
                spelled[named.key] = theirs
    for row in naming:
        org = row.record.organisation
        if org is None:
            continue
        if org.id is not None:
            existing_org = session.get(Organisation, org.id)
            if existing_org is None:
                row.action, row.reason = "error", f"there is no organisation #{org.id} to update"
                continue
            differs = any(
                getattr(org, f) and getattr(org, f) != getattr(existing_org, f)
                for f in ORGANISATION_RECORD_FIELDS
            ) or any(getattr(existing_org, f) for f in org.cleared)
            row.org_id = org.id
            row.org_action = "update" if differs else "existing"
            row.org_note = f"organisation #{org.id} (id column)" + (
                "" if differs else ", unchanged"
            )
            continue
        named = _named(org)
        if named not in exact_cache:
            exact_cache[named] = index.exact(named)
        match = exact_cache[named]
        if match is None:
            match = spelled.get(named.key)
        if match is not None:
            row.org_id, row.org_action = match.organisation_id, "existing"
            row.org_note = f"organisation #{match.organisation_id} ({match.rule})"
            continue
        earlier = in_file.exact(named)
        key = (
            in_file.facts[earlier.organisation_id].key
            if earlier is not None
            else (organisation_key(org.name) or fold(org.name))
        )
        row.org_key, row.org_action = key, "create"
        if key in plan.new_organisations:
            _fill_org(plan.new_organisations[key], org)
        else:
            plan.new_organisations[key] = org
            in_file.add(replace(named, id=-len(plan.new_organisations)))
            likely = index.similar(named)
            new_notes[key] = (
                f"new organisation; likely duplicate of #{likely.organisation_id} ({likely.rule})"
                if likely
                else "new organisation"
            )
        row.org_note = new_notes[key]

    # 3. People still unknown: by name at the same organisation.
    by_name: dict[tuple[str, int | None], int] = {}
    for cid, key, org_id in _in_chunks(
        session,
        lambda chunk: select(Contact.id, Contact.display_name_key, Contact.organisation_id).where(
            Contact.display_name_key.in_(chunk)
        ),
        (
            _name_key(r)
            for r in people_rows
            if r.contact_id is None and r.action != "error" and r.org_id and _name_key(r)
        ),
    ):
        by_name.setdefault((key, org_id), cid)
    for row in people_rows:
        if row.contact_id is None and row.action != "error" and row.org_id:
            row.contact_id = by_name.get((_name_key(row), row.org_id))
            if row.contact_id is not None:
                row.reason = "same name at the same organisation"

    # 4. What each person row does.
    for row in people_rows:
        if row.action == "error":
            continue
        if row.contact_id is None:
            row.action, row.reason = "create", "new contact"
        elif row.record.id is not None:
            row.action = "merge" if options.on_duplicate == "merge" else "update"
        elif options.on_duplicate == "skip":
            row.action = "duplicate"
            row.reason = f"duplicate of contact #{row.contact_id} ({row.reason}); skipped"
        else:
            row.action = options.on_duplicate
            row.reason = f"{options.on_duplicate} contact #{row.contact_id} ({row.reason})"

    # Updates that would change nothing are shown as such, so the preview is the truth.
    updating = [r for r in rows if r.action in ("update", "merge") and r.contact_id]
    batch_tag_keys = {fold(t) for t in options.tags}
    for start in range(0, len(updating), 900):
        some = updating[start : start + 900]
        ids = [r.contact_id for r in some if r.contact_id]
        by_id = {c.id: c for c in people.load_contacts(session, ids)}
        for row in some:
            contact = by_id.get(row.contact_id or 0)
            if contact is not None and not _would_change(contact, row, batch_tag_keys):
                row.action = "unchanged"
                row.reason += "; nothing to change"

    # 5. Sign-on statuses, checked against the pipeline.
    if plan.campaign_id is not None:
        current: dict[int, str] = dict(
            session.execute(
                select(SignOn.organisation_id, SignOn.status).where(
                    SignOn.campaign_id == plan.campaign_id
                )
            ).all()
        )
        planned: dict[Any, str] = {}
        for row in rows:
            if not row.speaks_for_organisation or row.record.organisation is None:
                continue
            wanted = signon_status_from(row.record.signon_status)
            if row.record.signon_status and wanted is None:
                row.warnings.append(
                    f"sign-on answer '{row.record.signon_status}' not understood; status unchanged"
                )
            org_ref: Any = row.org_id if row.org_id else ("new", row.org_key)
            have = planned.get(org_ref) or (current.get(row.org_id) if row.org_id else None)
            if wanted is None:
                wanted = None if have else "prospect"
            if wanted is None or wanted == have:
                continue
            if have is not None and not is_allowed(have, wanted):
                row.warnings.append(f"sign-on stays {have}: cannot move from {have} to {wanted}")
                continue
            if have is None and wanted == "withdrawn":
                row.warnings.append(
                    "sign-on not set: an organisation that has not signed cannot withdraw"
                )
                continue
            row.signon = wanted
            planned[org_ref] = wanted
    elif any(r.record.signon_status for r in rows):
        rows[0].warnings.append("sign-on answers ignored: give --campaign CODE to record them")


def _would_change(contact: Contact, row: PlannedRow, batch_tag_keys: set[str]) -> bool:
    """Whether applying ``row`` to ``contact`` changes anything (as ``_update_contact`` and
    the update step of ``apply_plan`` would)."""
    r = row.record
    overwrite = row.action == "update"
    after: dict[str, Any] = {}
    for name in _UPDATED_FIELDS:
        have = getattr(contact, name)
        value = getattr(r, name)
        if value and (overwrite or not have):
            after[name] = value
        elif overwrite and name in r.cleared:
            after[name] = None
        else:
            after[name] = have
        if after[name] != have:
            return True
    if r.display_name and (overwrite or not contact.display_name_custom):
        derived = " ".join(p for p in (after["given_name"], after["family_name"]) if p)
        if r.display_name != derived and r.display_name != contact.display_name:
            return True
    if overwrite and "display_name" in r.cleared and contact.display_name_custom:
        return True
    if {e[1] for e in row.emails} - {e.address_key for e in contact.emails}:
        return True
    numbers = {p.e164 or p.number for p in contact.phones}
    if any((e164 or number) not in numbers for number, e164, _label in row.phones):
        return True
    if ({fold(t) for t in r.tags} | batch_tag_keys) - {t.key for t in contact.tags}:
        return True
    return row.org_action == "create" or bool(
        row.org_id and row.org_id != contact.organisation_id
        and (overwrite or contact.organisation_id is None)
    )  # fmt: skip


def _name_key(row: PlannedRow) -> str:
    r = row.record
    return fold(r.display_name or " ".join(p for p in (r.given_name, r.family_name) if p))


def _fill_org(target: OrganisationRecord, other: OrganisationRecord) -> None:
    for name in _ORG_SLOTS:
        if not getattr(target, name):
            value = getattr(other, name)
            if value:
                setattr(target, name, value)


_ORG_SLOTS: tuple[str, ...] = OrganisationRecord.__slots__


def _merge_rows(target: PlannedRow, other: PlannedRow) -> None:
    """Fold a later row of the same file into the first one for that person."""
    for name in ContactRecord.__slots__:
        if name in ("source", "emails", "phones", "tags", "organisation"):
            continue
        if getattr(target.record, name) in (None, "") and getattr(other.record, name):
            setattr(target.record, name, getattr(other.record, name))
    keys = {e[1] for e in target.emails}
    target.emails.extend(e for e in other.emails if e[1] not in keys)
    numbers = {p[1] or p[0] for p in target.phones}
    target.phones.extend(p for p in other.phones if (p[1] or p[0]) not in numbers)
    target.record.tags.extend(t for t in other.record.tags if t not in target.record.tags)
    if target.record.organisation is None and other.record.organisation is not None:
        target.record.organisation = other.record.organisation
    target.warnings.extend(other.warnings)


# --- apply ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchView:
    id: int
    created_at: dt.datetime
    coordinator: str
    file_name: str
    file_format: str
    sha256: str
    counts: dict[str, int]
    options: dict[str, Any]
    undone_at: dt.datetime | None
    undone_by: str | None


def batch_view(b: ImportBatch) -> BatchView:
    return BatchView(
        b.id,
        b.created_at,
        b.coordinator,
        b.file_name,
        b.file_format,
        b.sha256,
        dict(b.counts or {}),
        dict(b.options or {}),
        b.undone_at,
        b.undone_by,
    )


_ORGANISATION_COLUMNS = (
    "id", "name", "name_key", "acronym", "kind", "country", "city", "website", "email", "phone",
    "membership", "notes", "created_at", "updated_at", "import_batch_id",
)  # fmt: skip
_CONTACT_COLUMNS = (
    "id", "uid", "given_name", "family_name", "honorific", "display_name", "display_name_key",
    "display_name_custom", "role", "organisation_id", "language", "street", "postal_code", "city",
    "region", "country", "notes", "do_not_contact", "bounced", "consent_source", "created_at",
    "updated_at", "import_batch_id",
)  # fmt: skip
_EMAIL_COLUMNS = (
    "contact_id", "address", "address_key", "label", "is_primary", "valid", "invalid_reason",
    "import_batch_id",
)  # fmt: skip
_PHONE_COLUMNS = ("contact_id", "number", "e164", "label", "is_primary", "import_batch_id")
"""What an import writes to each table; the columns left out are empty (NULL)."""


def _next_id(session: Session, table: Any) -> int:
    return int(session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1


def _organisation_names(session: Session, ids: set[int]) -> dict[int, tuple[str, str | None]]:
    """(name, acronym) of these organisations, as stored: what a contact's index entry holds."""
    wanted = sorted(ids)
    names: dict[int, tuple[str, str | None]] = {}
    for start in range(0, len(wanted), 900):
        for oid, name, acronym in session.execute(
            select(Organisation.id, Organisation.name, Organisation.acronym).where(
                Organisation.id.in_(wanted[start : start + 900])
            )
        ):
            names[oid] = (name, acronym)
    return names


def _display_name(
    r: ContactRecord, emails: Sequence[tuple[str, str, str | None, bool, str | None]]
) -> tuple[str, bool]:
    primary = next((e[0] for e in emails if e[3]), emails[0][0] if emails else None)
    derived = people.display_name_from(r.given_name, r.family_name, primary)
    if r.display_name:
        return r.display_name, r.display_name != " ".join(
            p for p in (r.given_name, r.family_name) if p
        )
    return derived, False


@collector_paused()
def apply_plan(work: Work, plan: Plan, progress: Progress | None = None) -> BatchView:
    """Write the plan as one batch. Call inside one unit of work: all or nothing."""
    session = work.session
    options = plan.options
    if change_marker(session) != plan.marker:
        # Another import or a coordinator changed the database since the plan was made:
        # match again, now under the write lock, so nothing is created twice.
        _match(session, plan)
    if plan.previous_batch is not None and not options.force:
        raise CoalitionError(
            f"{options.file_name} was already imported (batch #{plan.previous_batch}); "
            "pass --force to import it again, or undo that batch first."
        )
    now = utcnow()
    batch = ImportBatch(
        created_at=now,
        coordinator=work.coordinator,
        file_name=options.file_name,
        sha256=options.sha256,
        file_format=options.file_format,
        mapping=options.mapping,
        options={
            "campaign": options.campaign,
            "tags": list(options.tags),
            "on_duplicate": options.on_duplicate,
        },
        counts={},
    )
    session.add(batch)
    session.flush()
    bid = batch.id
    audit_rows: list[dict[str, Any]] = []

    def audit(
        action: str,
        entity: str,
        entity_id: int,
        label: str,
        before: Any,
        after: Any,
        org_id: int | None = None,
        contact_id: int | None = None,
    ) -> None:
        audit_rows.append(
            work.audit_row(
                action,
                entity,
                entity_id,
                label,
                before,
                after,
                organisation_id=org_id,
                contact_id=contact_id,
                at=now,
            )
        )
        if len(audit_rows) >= CHUNK * 5:  # written as they come, so memory stays flat
            bulk_insert(session, AuditEntry.__table__, audit_rows)
            audit_rows.clear()

    batch_tags = people.get_tags(session, options.tags)
    tag_cache: dict[str, Tag] = {t.key: t for t in batch_tags}
    session.flush()

    tag_id_cache: dict[tuple[str, ...], list[int]] = {}
    tag_names = {t.id: t.name for t in batch_tags}

    def tag_ids(names: Sequence[str]) -> list[int]:
        key = tuple(names)
        if key not in tag_id_cache:
            tag_id_cache[key] = _tag_ids(names)
        return tag_id_cache[key]

    def _tag_ids(names: Sequence[str]) -> list[int]:
        wanted = [n for n in names if fold(n) not in tag_cache]
        for tag in people.get_tags(session, wanted):
            tag_cache[tag.key] = tag
        if wanted:
            session.flush()
            tag_names.update((t.id, t.name) for t in tag_cache.values())
        ids = {tag_cache[fold(n)].id for n in names if fold(n) in tag_cache}
        ids.update(t.id for t in batch_tags)
        return sorted(ids)

    # 1. New organisations. Rows a batch creates carry its id and get no audit entry each:
    # the batch's own entry stands for them (``audit.history`` shows it per row).
    stamp = stored(session, Organisation.__table__.c.created_at, now)
    org_ids: dict[str, int] = {}
    next_org = _next_id(session, Organisation.__table__)
    search.forget_past(session, search.ORGANISATION_TABLE, next_org - 1)
    org_rows: list[tuple[Any, ...]] = []
    org_tag_rows: list[tuple[int, int]] = []
    org_documents: list[tuple[Any, ...]] = []
    used_keys = {r.org_key for r in plan.rows if r.speaks_for_organisation and r.org_key}
    for key, org in plan.new_organisations.items():
        if key not in used_keys:
            continue
        oid = next_org
        next_org += 1
        org_ids[key] = oid
        org_rows.append(
            (
                oid, org.name, fold(org.name), org.acronym, org.kind or "other", org.country,
                org.city, org.website, org.email, org.phone, org.membership or "none", org.notes,
                stamp, stamp, bid,
            )
        )  # fmt: skip
        org_tag_rows.extend((oid, t.id) for t in batch_tags)
        org_documents.append(
            (
                oid,
                *search.organisation_document(
                    org.name,
                    org.acronym,
                    (org.email, org.website, org.phone),
                    (org.city, org.country),
                    [t.name for t in batch_tags],
                ),
            )
        )
    insert_rows(session, Organisation.__table__, _ORGANISATION_COLUMNS, org_rows)
    insert_rows(session, organisation_tags, ("organisation_id", "tag_id"), org_tag_rows)
    search.add_organisations(session, org_documents, new=True)
    if progress:
        progress("organisations", len(org_rows), len(org_rows))

    for row in plan.rows:
        if row.org_action == "create" and row.org_key in org_ids:
            row.org_id = org_ids[row.org_key]

    # Organisations named by id (an edited export): their changed fields.
    updated_orgs = []
    for row in plan.rows:
        if row.org_action != "update" or not row.speaks_for_organisation:
            continue
        org_row = session.get(Organisation, row.org_id)
        record = row.record.organisation
        if org_row is None or record is None:
            continue
        before_values = people.organisation_snapshot(org_row)
        saved = _raw_snapshot(org_row)
        for name in ORGANISATION_RECORD_FIELDS:
            value = getattr(record, name)
            if value:
                setattr(org_row, name, value)
        for name in record.cleared:
            setattr(org_row, name, None)
        org_row.name_key = fold(org_row.name)
        changed_before, changed_after = changes(
            before_values, people.organisation_snapshot(org_row)
        )
        if not changed_after:
            row.org_note += "; nothing to change"
            continue
        org_row.updated_at = now
        session.add(
            ImportChange(batch_id=bid, entity="organisation", entity_id=org_row.id, before=saved)
        )
        audit(
            "update",
            "organisation",
            org_row.id,
            org_row.name,
            changed_before,
            changed_after,
            org_id=org_row.id,
        )
        updated_orgs.append(org_row.id)
    session.flush()

    # 2. New contacts, with their emails, phones, tags and index entries: tuples straight to
    # executemany.
    creates = [r for r in plan.rows if r.action == "create"]
    org_names = _organisation_names(session, {r.org_id for r in creates if r.org_id})
    used_uids: set[str] = set()
    next_contact = _next_id(session, Contact.__table__)
    search.forget_past(session, search.CONTACT_TABLE, next_contact - 1)
    source = options.file_name[:300]
    contact_rows: list[tuple[Any, ...]] = []
    email_rows: list[tuple[Any, ...]] = []
    phone_rows: list[tuple[Any, ...]] = []
    link_rows: list[tuple[int, int]] = []
    documents: list[tuple[Any, ...]] = []
    default_tags = [t.id for t in batch_tags]
    document = search.contact_documents()
    contact_tables = (
        Contact.__table__,
        ContactEmail.__table__,
        ContactPhone.__table__,
        contact_tags,
    )
    with (
        indexes_deferred(session, contact_tables, len(creates)),
        search.bulk_indexing(session, search.CONTACT_TABLE),
    ):
        for i, row in enumerate(creates, 1):
            r = row.record
            cid = next_contact
            next_contact += 1
            row.contact_id = cid
            name, custom = _display_name(r, row.emails)
            uid = r.uid if r.uid and r.uid not in used_uids else new_uid()
            used_uids.add(uid)
            contact_rows.append(
                (
                    cid, uid, r.given_name, r.family_name, r.honorific, name, fold(name), custom,
                    r.role, row.org_id, r.language, r.street, r.postal_code, r.city, r.region,
                    r.country, r.notes, False, False, source, stamp, stamp, bid,
                )
            )  # fmt: skip
            if row.emails:
                primary = next((j for j, e in enumerate(row.emails) if e[3]), 0)
                for j, (address, key, label, valid, reason) in enumerate(row.emails):
                    email_rows.append((cid, address, key, label, j == primary, valid, reason, bid))
            for j, (number, e164, label) in enumerate(row.phones):
                phone_rows.append((cid, number, e164, label, j == 0, bid))
            contact_tag_ids = tag_ids(r.tags) if r.tags else default_tags
            for tid in contact_tag_ids:
                link_rows.append((cid, tid))
            documents.append(
                (
                    cid,
                    *document(
                        (name, r.given_name, r.family_name, r.honorific),
                        [e[0] for e in row.emails],
                        org_names.get(row.org_id, ()) if row.org_id else (),
                        r.role,
                        (r.city, r.country),
                        [tag_names[t] for t in contact_tag_ids],
                    ),
                )
            )
            if i % CHUNK == 0 or i == len(creates):
                # Written chunk by chunk so memory does not grow with the file.
                for table, names, pending in (
                    (Contact.__table__, _CONTACT_COLUMNS, contact_rows),
                    (ContactEmail.__table__, _EMAIL_COLUMNS, email_rows),
                    (ContactPhone.__table__, _PHONE_COLUMNS, phone_rows),
                    (contact_tags, ("contact_id", "tag_id"), link_rows),
                ):
                    insert_rows(session, table, names, pending)
                    pending.clear()
                search.add_contacts(session, documents, new=True)
                documents.clear()
                if progress:
                    progress("contacts", i, len(creates))
    if progress:
        progress("contacts", len(creates), len(creates))

    # 3. Existing contacts to update or merge (usually few): through the ORM.
    changed_contacts = []
    for row in plan.rows:
        if row.action not in ("update", "merge") or row.contact_id is None:
            continue
        contact = session.get(Contact, row.contact_id)
        if contact is None:
            continue
        saved = _raw_snapshot(contact)
        saved["tags"] = [t.id for t in contact.tags]
        audit_before = people.contact_snapshot(contact)
        _update_contact(contact, row, overwrite=row.action == "update", batch_id=bid)
        if row.org_id and (row.action == "update" or contact.organisation_id is None):
            contact.organisation_id = row.org_id
        wanted_tags = tag_ids(row.record.tags)
        have = {t.id for t in contact.tags}
        for tid in wanted_tags:
            if tid not in have:
                tag = session.get(Tag, tid)
                if tag is not None:
                    contact.tags.append(tag)
        if not contact.display_name_custom:
            contact.display_name = people.derive_display_name(contact)
        contact.display_name_key = fold(contact.display_name)
        session.flush()
        session.refresh(contact)
        before_values, after_values = changes(audit_before, people.contact_snapshot(contact))
        if not after_values:
            row.reason += "; nothing to change"
            continue
        contact.updated_at = now
        session.add(
            ImportChange(batch_id=bid, entity="contact", entity_id=contact.id, before=saved)
        )
        audit(
            "update",
            "contact",
            contact.id,
            contact.display_name,
            before_values,
            after_values,
            org_id=contact.organisation_id,
            contact_id=contact.id,
        )
        changed_contacts.append(contact.id)

    # 4. Sign-ons.
    signon_count = 0
    if plan.campaign_id is not None:
        existing = {
            s.organisation_id: s
            for s in session.scalars(select(SignOn).where(SignOn.campaign_id == plan.campaign_id))
        }
        # The history names each sign-on as the campaigns screen does: organisation / campaign.
        signon_orgs = _organisation_names(
            session, {r.org_id for r in plan.rows if r.signon and r.org_id}
        )
        campaign_code = session.get_one(Campaign, plan.campaign_id).code
        for row in plan.rows:
            if not row.signon or not row.org_id or not row.speaks_for_organisation:
                continue
            signon = existing.get(row.org_id)
            display = clean(row.record.signon_display_name)
            if signon is None:
                signon = SignOn(
                    organisation_id=row.org_id,
                    campaign_id=plan.campaign_id,
                    status=row.signon,
                    display_name=display,
                    public=True if row.record.signon_public is None else row.record.signon_public,
                    signed_by_id=row.contact_id if row.signon == "signed" else None,
                    import_batch_id=bid,
                    created_at=now,
                    updated_at=now,
                )
                session.add(signon)
                session.flush()
                existing[row.org_id] = signon
                before: dict[str, Any] | None = None
            else:
                before = {
                    "status": signon.status,
                    "display_name": signon.display_name,
                    "public": signon.public,
                    "signed_by_id": signon.signed_by_id,
                    "updated_at": jsonable(signon.updated_at),
                }
                session.add(
                    ImportChange(batch_id=bid, entity="signon", entity_id=signon.id, before=before)
                )
                from_status = signon.status
                signon.status = row.signon
                if display:
                    signon.display_name = display
                if row.record.signon_public is not None:
                    signon.public = row.record.signon_public
                if row.signon == "signed" and row.contact_id and signon.signed_by_id is None:
                    signon.signed_by_id = row.contact_id
                signon.updated_at = now
                row.reason += f"; sign-on {from_status} -> {row.signon}"
            session.add(
                SignOnEvent(
                    signon_id=signon.id,
                    from_status=before["status"] if before else None,
                    to_status=row.signon,
                    at=now,
                    coordinator=work.coordinator,
                    import_batch_id=bid,
                )
            )
            audit(
                "create" if before is None else "update",
                "signon",
                signon.id,
                f"{signon_orgs.get(row.org_id, (f'organisation #{row.org_id}',))[0]}"
                f" / {campaign_code}",
                before,
                {"status": row.signon, "import_batch": bid},
                org_id=row.org_id,
                contact_id=signon.signed_by_id,
            )
            signon_count += 1
        session.flush()

    # 5. Audit, search index, the batch's own record.
    counts = plan.counts()
    counts["sign-ons"] = signon_count
    audit(
        "create",
        "import_batch",
        bid,
        options.file_name,
        None,
        {"file": options.file_name, "sha256": options.sha256, "counts": counts},
    )
    bulk_insert(session, AuditEntry.__table__, audit_rows)
    if progress:
        progress("indexing", 0, 1)
    search.index_organisations(session, updated_orgs)
    if updated_orgs:
        search.index_contacts(
            session,
            session.scalars(select(Contact.id).where(Contact.organisation_id.in_(updated_orgs))),
        )
    search.index_contacts(session, changed_contacts)
    if progress:
        progress("indexing", 1, 1)
    batch.counts = counts
    batch.last_audit_id = session.scalar(select(func.max(AuditEntry.id)))
    session.flush()
    return batch_view(batch)


def _raw_snapshot(obj: Any) -> dict[str, Any]:
    return {
        c.key: jsonable(getattr(obj, c.key))
        for c in obj.__table__.columns
        if c.key not in ("id", "created_at")
    }


def _restore(obj: Any, snapshot: dict[str, Any]) -> None:
    for column in obj.__table__.columns:
        if column.key not in snapshot:
            continue
        value = snapshot[column.key]
        if value is not None and isinstance(column.type, DateTime):
            value = dt.datetime.fromisoformat(value)
        elif value is not None and isinstance(column.type, Date):
            value = dt.date.fromisoformat(value)
        setattr(obj, column.key, value)


_UPDATED_FIELDS = (
    "given_name", "family_name", "honorific", "role", "language", "street", "postal_code",
    "city", "region", "country", "notes",
)  # fmt: skip


def _update_contact(contact: Contact, row: PlannedRow, *, overwrite: bool, batch_id: int) -> None:
    r = row.record
    for name in _UPDATED_FIELDS:
        value = getattr(r, name)
        if value and (overwrite or not getattr(contact, name)):
            setattr(contact, name, value)
        elif overwrite and name in r.cleared:
            setattr(contact, name, None)
    if overwrite and "display_name" in r.cleared:
        contact.display_name_custom = False  # the caller derives it from the name again
    if r.display_name and (overwrite or not contact.display_name_custom):
        derived = " ".join(p for p in (contact.given_name, contact.family_name) if p)
        if r.display_name != derived:  # a sheet repeats the derived name; that is not a choice
            contact.display_name = r.display_name
            contact.display_name_custom = True
    have = {e.address_key for e in contact.emails}
    for address, key, label, valid, reason in row.emails:
        if key not in have:
            contact.emails.append(
                ContactEmail(
                    address=address,
                    address_key=key,
                    label=label,
                    is_primary=not contact.emails,
                    valid=valid,
                    invalid_reason=reason,
                    import_batch_id=batch_id,
                )
            )
            have.add(key)
    numbers = {p.e164 or p.number for p in contact.phones}
    for number, e164, label in row.phones:
        if (e164 or number) not in numbers:
            contact.phones.append(
                ContactPhone(
                    number=number,
                    e164=e164,
                    label=label,
                    is_primary=not contact.phones,
                    import_batch_id=batch_id,
                )
            )
            numbers.add(e164 or number)


# --- listing and undo -------------------------------------------------------------------------


def list_batches(session: Session) -> list[BatchView]:
    return [
        batch_view(b) for b in session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()))
    ]


def undo_batch(work: Work, batch_id: int) -> BatchView:
    """Remove what a batch created and restore what it changed."""
    session = work.session
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(
            f"There is no import batch #{batch_id}; `coalition imports list` shows them."
        )
    if batch.undone_at is not None:
        raise CoalitionError(
            f"Import batch #{batch_id} was already undone on {batch.undone_at:%Y-%m-%d %H:%M}."
        )
    created_contacts = list(
        session.scalars(select(Contact.id).where(Contact.import_batch_id == batch_id))
    )
    created_orgs = list(
        session.scalars(select(Organisation.id).where(Organisation.import_batch_id == batch_id))
    )
    changes = list(session.scalars(select(ImportChange).where(ImportChange.batch_id == batch_id)))
    changed_contacts = [c.entity_id for c in changes if c.entity == "contact"]
    touched_contacts = created_contacts + changed_contacts
    signon_orgs = list(
        session.scalars(
            select(SignOn.organisation_id).where(
                or_(
                    SignOn.import_batch_id == batch_id,
                    SignOn.id.in_([c.entity_id for c in changes if c.entity == "signon"]),
                )
            )
        )
    )
    changed_orgs = [c.entity_id for c in changes if c.entity == "organisation"]
    touched_orgs = created_orgs + signon_orgs + changed_orgs
    refuse_if_later_changes(
        session,
        f"import batch #{batch.id}",
        batch.last_audit_id or 0,
        contacts=touched_contacts,
        organisations=touched_orgs,
    )

    now = utcnow()
    # Restore what the batch changed, newest change first.
    for change in sorted(changes, key=lambda c: c.id, reverse=True):
        if change.entity == "contact":
            contact = session.get(Contact, change.entity_id)
            if contact is None:
                continue
            before = dict(change.before)
            tag_ids = before.pop("tags", [])
            _restore(contact, before)
            contact.tags = [t for t in (session.get(Tag, tid) for tid in tag_ids) if t is not None]
        elif change.entity == "organisation":
            org_row = session.get(Organisation, change.entity_id)
            if org_row is not None:
                _restore(org_row, change.before)
        elif change.entity == "signon":
            signon = session.get(SignOn, change.entity_id)
            if signon is not None:
                _restore(signon, change.before)
    session.execute(delete(SignOnEvent).where(SignOnEvent.import_batch_id == batch_id))
    session.execute(delete(SignOn).where(SignOn.import_batch_id == batch_id))
    session.execute(delete(ContactEmail).where(ContactEmail.import_batch_id == batch_id))
    session.execute(delete(ContactPhone).where(ContactPhone.import_batch_id == batch_id))
    session.execute(delete(Contact).where(Contact.import_batch_id == batch_id))
    session.execute(delete(Organisation).where(Organisation.import_batch_id == batch_id))
    session.execute(delete(ImportChange).where(ImportChange.batch_id == batch_id))
    session.flush()
    session.expire_all()
    batch = session.get(ImportBatch, batch_id)
    assert batch is not None
    batch.undone_at = now
    batch.undone_by = work.coordinator
    work.audit(
        "update",
        "import_batch",
        batch_id,
        batch.file_name,
        {"undone_at": None},
        {
            "undone_at": jsonable(now),
            "removed_contacts": len(created_contacts),
            "removed_organisations": len(created_orgs),
            "restored_contacts": len(changed_contacts),
        },
    )
    search.index_contacts(session, touched_contacts)
    search.index_organisations(session, created_orgs + changed_orgs)
    session.flush()
    return batch_view(batch)


__all__ = [
    "ON_DUPLICATE",
    "BatchView",
    "ContactRecord",
    "ImportOptions",
    "OrganisationRecord",
    "Plan",
    "PlannedRow",
    "apply_plan",
    "count_summary",
    "list_batches",
    "plan_import",
    "signon_status_from",
    "undo_batch",
]
