"""The plan: each record normalised, folded with the rows of the same person in the
file, then matched against the database (again under the write lock when it changed)."""

from __future__ import annotations

import datetime as dt
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalition.domain import people
from coalition.domain.campaigns import is_allowed
from coalition.domain.dedupe import OrganisationIndex, OrgFacts, OrgMatch, organisation_key
from coalition.domain.imports.checks import PlannedRow, normalise
from coalition.domain.imports.records import (
    CHUNK,
    ON_DUPLICATE,
    ORGANISATION_RECORD_FIELDS,
    UPDATED_FIELDS,
    ContactRecord,
    ImportOptions,
    OrganisationRecord,
    Progress,
    days_phrase,
    read_answer_times,
    signon_status_from,
)
from coalition.domain.lookup import find_campaign
from coalition.domain.privacy import ledger
from coalition.domain.values import (
    fold,
    language_of_country,
)
from coalition.errors import InvalidValue
from coalition.memory import collector_paused
from coalition.store.keys import one_of
from coalition.store.models import (
    AuditEntry,
    Contact,
    ContactEmail,
    ImportBatch,
    Organisation,
    SignOn,
    utcnow,
)


@dataclass
class Plan:
    rows: list[PlannedRow]
    new_organisations: dict[str, OrganisationRecord]
    options: ImportOptions
    campaign_id: int | None
    previous_batch: int | None = None
    marker: tuple[int, ...] = ()
    """The database's ``change_marker`` when the rows were matched."""
    answer_reading: str | None = None
    """How the file's answer times were read when day and month could be either way."""
    carry: Carry | None = None
    """Set when the plan is one window of a bigger file (``run.import_records``)."""

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
        counter["language from country"] = sum(
            1 for r in self.rows if r.writes and r.language_from_country
        )
        return dict(counter)

    def dating(self) -> str | None:
        """How the sign-ons the plan sets are dated, when the file says when each row was
        answered: "Sign-ons dated by when each row was answered: 2026-10-01 to 2026-10-06
        (read day first …)". None when no sign-on takes its date from the file."""
        setting = [r for r in self.rows if r.signon and r.speaks_for_organisation]
        dated = [r.answered_at for r in setting if r.answered_at]
        return dating_phrase(dated, len(setting) - len(dated), self.answer_reading)


def dating_phrase(dated: Sequence[dt.datetime], undated: int, reading: str | None) -> str | None:
    """How sign-ons are dated: by the answer times ``dated`` (the first and the last will
    do), with ``undated`` dated now; ``reading``: how day and month were read."""
    if not dated:
        return None
    text = f"Sign-ons dated by when each row was answered: {days_phrase(dated)} (UTC)"
    if reading:
        text += f", {reading}"
    if undated:
        are = "is" if undated == 1 else "are"
        text += f"; {undated} without an answer time {are} dated now"
    return text


REMEMBERED = 20_000
"""How many organisations an import's windows remember the facts and stored match of
(``Carry.named``, ``Carry.known``): each costs ~1 kB; a window names a few thousand."""


@dataclass
class Carry:
    """What the windows of one big import share (``run.import_records``): each window is
    planned and written before the next is read, so the database holds what the earlier
    windows created, and the next window's rows match it as they match anything stored.

    A later row with the address of a person an earlier window created is that person
    again: it is folded into them ("in-file duplicate"), as rows within one window are.
    """

    first_contact: int
    """Contacts from this id on were created by this import."""
    index: OrganisationIndex | None = None
    """The organisations stored before the import, read once."""
    made: OrganisationIndex = field(default_factory=OrganisationIndex)
    """The organisations earlier windows created: found again by the exact rules, as a
    file's rows find its new organisations (``in_file``); a merely similar name is not
    looked for among them (nor within one window), and each new one is not compared
    with all those before it."""
    rows: array[int] = field(default_factory=lambda: array("l"))
    """The row (or card) number each created contact came from, by ``id - first_contact``."""
    word: str = "row"
    """What the file's records are called: "row" or "card"."""
    named: dict[tuple[str | None, ...], OrgFacts] = field(default_factory=dict)
    """What the rules compare of each organisation the windows named, by its values (a
    window's rows share one record per organisation, but each window has its own)."""
    known: dict[OrgFacts, OrgMatch | None] = field(default_factory=dict)
    """The organisation stored before the import that each one named certainly is
    (``index.exact``): ``index`` does not change while the import runs."""

    def remembered(self) -> None:
        """Past ``REMEMBERED`` organisations the two memories start again, so a file
        naming very many keeps memory bounded by its windows, not by itself."""
        if len(self.named) > REMEMBERED or len(self.known) > REMEMBERED:
            self.named.clear()
            self.known.clear()

    def created(self, contact_id: int | None) -> bool:
        return contact_id is not None and contact_id >= self.first_contact

    def note_created(self, contact_id: int, source: str) -> None:
        word, _, number = source.partition(" ")
        self.word = word or self.word
        at = contact_id - self.first_contact
        if at >= len(self.rows):
            self.rows.extend([0] * (at + 1 - len(self.rows)))
        self.rows[at] = int(number) if number.isdigit() else 0

    def source_of(self, contact_id: int) -> str:
        at = contact_id - self.first_contact
        number = self.rows[at] if 0 <= at < len(self.rows) else 0
        return f"{self.word} {number}" if number else f"contact #{contact_id}"


def _has_person(row: PlannedRow) -> bool:
    r = row.record
    return bool(r.given_name or r.family_name or r.display_name or row.emails)


@collector_paused()
def plan_import(
    session: Session,
    records: Iterable[ContactRecord | PlannedRow],
    options: ImportOptions,
    progress: Progress | None = None,
    carry: Carry | None = None,
) -> Plan:
    """Decide what to do with each record (or row ``normalised_rows`` made); changes nothing.

    Three steps: each record is normalised, rows of one person in the file are folded
    into the first, then every row is matched against the database (``match_rows``). Only
    the last depends on what is stored, and ``apply_plan`` runs it again under the write
    lock when the database changed since, so two imports at once act as one after the
    other.
    """
    if options.on_duplicate not in ON_DUPLICATE:
        raise InvalidValue(f"--on-duplicate takes one of: {', '.join(ON_DUPLICATE)}.")
    rows = [
        r if isinstance(r, PlannedRow) else PlannedRow(r.source, "create", "", r) for r in records
    ]
    total = len(rows)
    for i, row in enumerate(rows, 1):
        if not row.normalised:
            normalise(row)
        if progress and i % CHUNK == 0:
            progress("checking", i, total)
    if progress:
        progress("checking", total, total)
    _fold_in_file(rows)
    reading = _date_answers(rows) if options.campaign else None
    for row in rows:
        row.checked_warnings = len(row.warnings)
    plan = Plan(rows, {}, options, None, answer_reading=reading, carry=carry)
    match_rows(session, plan)
    return plan


def _date_answers(rows: list[PlannedRow]) -> str | None:
    """Each row's answer time from its timestamp cell, read the way the whole file writes
    them (``read_answer_times``); one that cannot be used is a warning on its row. Returns
    how day and month were read, when some value could be either."""
    speaking = [r for r in rows if r.record.answered_at and r.kind in ("person", "organisation")]
    if not speaking:
        return None
    read = read_answer_times([(r.source, r.record.answered_at) for r in speaking], now=utcnow())
    for row, when, problem in zip(speaking, read.times, read.problems, strict=True):
        row.answered_at = when
        if problem:
            row.warnings.append(problem)
    return read.reading


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


def previous_batch(session: Session, sha256: str) -> int | None:
    """The latest batch, not undone, that imported a file with these contents."""
    return session.scalar(
        select(ImportBatch.id)
        .where(ImportBatch.sha256 == sha256, ImportBatch.undone_at.is_(None))
        .order_by(ImportBatch.id.desc())
    )


def _rows_for(
    session: Session, query: Callable[[list[Any]], Any], keys: Iterable[Any]
) -> list[Any]:
    """Rows of ``query(keys)`` for the distinct ``keys``, none asked for when there are none
    (``query`` reads them with ``keys.one_of``: one statement for any number)."""
    wanted = sorted(set(keys))
    return list(session.execute(query(wanted))) if wanted else []


def _named(org: OrganisationRecord) -> OrgFacts:
    return OrgFacts(0, org.name, org.acronym, org.website, org.email, org.country)


@collector_paused()
def match_rows(session: Session, plan: Plan) -> None:
    """Match every row against the database as it is now: who each person is, which
    organisation each row names, what would change, and each sign-on. Run by the plan,
    and again by ``apply_plan`` under the write lock if the database changed since."""
    rows = plan.rows
    options = plan.options
    carry = plan.carry
    plan.marker = change_marker(session)
    plan.campaign_id = find_campaign(session, options.campaign).id if options.campaign else None
    plan.previous_batch = previous_batch(session, options.sha256)
    plan.new_organisations = {}
    for row in rows:
        if row.kind == "person":
            row.action, row.reason = "create", ""
        row.contact_id = row.org_id = None
        row.org_key = row.org_action = row.signon = row.language_from_country = None
        row.org_note = ""
        del row.warnings[row.checked_warnings :]
    people_rows = [r for r in rows if r.kind == "person"]
    if not options.allow_erased:
        _skip_erased(session, people_rows)
        people_rows = [r for r in people_rows if r.action != "erased"]

    # 1. People by the id column, their UID or any of their addresses.
    known_ids = {
        cid
        for (cid,) in _rows_for(
            session,
            lambda keys: select(Contact.id).where(one_of(Contact.id, keys)),
            (r.record.id for r in people_rows if r.record.id is not None),
        )
    }
    by_uid: dict[str, int] = dict(
        _rows_for(
            session,
            lambda keys: select(Contact.uid, Contact.id).where(one_of(Contact.uid, keys)),
            (r.record.uid for r in people_rows if r.record.uid),
        )
    )
    by_email: dict[str, int] = {}
    for key, cid in _rows_for(
        session,
        lambda keys: select(ContactEmail.address_key, ContactEmail.contact_id).where(
            one_of(ContactEmail.address_key, keys)
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
        if carry is not None and carry.created(row.contact_id) and r.id is None:
            # a person an earlier window of this file created: folded into them
            assert row.contact_id is not None
            row.action = "in-file duplicate"
            what = "UID" if row.reason == "same UID" else "email"
            row.reason = f"same {what} as {carry.source_of(row.contact_id)}; merged into it"
    known_orgs: dict[int, int | None] = dict(
        _rows_for(
            session,
            lambda ids: select(Contact.id, Contact.organisation_id).where(one_of(Contact.id, ids)),
            (r.contact_id for r in people_rows if r.contact_id),
        )
    )

    # 2. Organisations: a known person's own, else existing by the rules of ``dedupe``,
    # else new, once per file (a new one named twice, by name and by acronym, is one).
    if carry is None:
        index = OrganisationIndex(people.organisation_facts(session))
    else:
        if carry.index is None:
            carry.index = OrganisationIndex(people.organisation_facts(session))
        index = carry.index
    in_file = OrganisationIndex()
    exact_cache: dict[OrgFacts, OrgMatch | None] = {}
    named_of: dict[tuple[str | None, ...], OrgFacts] = {}
    if carry is not None:
        carry.remembered()
        exact_cache, named_of = carry.known, carry.named
    made_cache: dict[OrgFacts, OrgMatch | None] = {}
    new_notes: dict[str, str] = {}
    naming = [
        r
        for r in rows
        if r.record.organisation is not None
        and r.action not in ("error", "erased")
        and r.kind in ("person", "organisation")
    ]
    # What the rules compare of each organisation a row names, worked out once per record:
    # rows naming one organisation alike share it (``importer.row_reader``).
    facts: dict[int, OrgFacts] = {}
    for row in naming:
        org = row.record.organisation
        if org is not None and id(org) not in facts:
            values = (org.name, org.acronym, org.website, org.email, org.country)
            fact = named_of.get(values)
            if fact is None:
                fact = named_of[values] = _named(org)
            facts[id(org)] = fact
    # A name a known sender used for their own organisation means that organisation in
    # every row of the file, before or after theirs.
    spelled: dict[str, OrgMatch] = {}
    for row in naming:
        org = row.record.organisation
        known = known_orgs.get(row.contact_id) if row.contact_id else None
        if org is None or org.id is not None or known is None:
            continue
        named = facts[id(org)]
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
        named = facts[id(org)]
        if named not in exact_cache:
            exact_cache[named] = index.exact(named)
        match = exact_cache[named]
        if match is None:
            match = spelled.get(named.key)
        if match is not None:
            row.org_id, row.org_action = match.organisation_id, "existing"
            row.org_note = f"organisation #{match.organisation_id} ({match.rule})"
            continue
        if carry is not None and named not in made_cache:
            made_cache[named] = carry.made.exact(named)
        made = made_cache.get(named)
        if made is not None:
            row.org_id, row.org_action = made.organisation_id, "existing"
            row.org_note = f"organisation #{made.organisation_id} (new, from an earlier row)"
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
            # a copy, which other spellings fill in: the reader's record is shared by every
            # row naming the organisation so, later windows' too, and is checked as given
            plan.new_organisations[key] = replace(org)
            in_file.add(replace(named, id=-len(plan.new_organisations)))
            likely = index.similar(named)
            new_notes[key] = (
                f"new organisation; likely duplicate of #{likely.organisation_id} ({likely.rule})"
                if likely
                else "new organisation"
            )
        row.org_note = new_notes[key]

    # 3. People still unknown: by name at the same organisation.
    unknown = [
        (row, _name_key(row))
        for row in people_rows
        if row.contact_id is None and row.action != "error" and row.org_id
    ]
    by_name: dict[tuple[str, int | None], int] = {}
    organisations_of: dict[str, set[int]] = {}
    for row, name in unknown:
        if name and row.org_id:
            organisations_of.setdefault(name, set()).add(row.org_id)
    # contacts this import created are not looked at (two people of one name in a file are
    # two): the index on the name holds the id too, so they are not even read
    stored_before = [Contact.id < carry.first_contact] if carry is not None else []
    for cid, key, org_id in _rows_for(
        session,
        # by name at these rows' organisations: by name alone, a common name at a million
        # contacts brought back every namesake everywhere, window after window
        lambda keys: select(Contact.id, Contact.display_name_key, Contact.organisation_id).where(
            one_of(Contact.display_name_key, keys),
            one_of(Contact.organisation_id, set().union(*(organisations_of[n] for n in keys))),
            *stored_before,
        ),
        organisations_of,
    ):
        by_name.setdefault((key, org_id), cid)
    for row, name in unknown:
        row.contact_id = by_name.get((name, row.org_id))
        if row.contact_id is not None:
            row.reason = "same name at the same organisation"

    # 4. What each person row does.
    for row in people_rows:
        if row.action in ("error", "in-file duplicate"):
            continue
        if row.contact_id is None:
            row.action, row.reason = "create", "new contact"
            _language_from_country(row, None, _org_country(plan, index, row.org_id, row))
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
            if contact is not None and not contact.language:
                moves = row.action == "update" and (row.org_id or row.org_action == "create")
                org_id = (
                    contact.organisation_id if contact.organisation_id and not moves else row.org_id
                )
                _language_from_country(row, contact.country, _org_country(plan, index, org_id, row))
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


def _skip_erased(session: Session, rows: list[PlannedRow]) -> None:
    """Rows of people the erasure ledger names (by an address or the vCard UID) are not
    imported: they asked to be erased. ``--allow-erased`` says they have consented again."""
    book = ledger(session)
    if not book:
        return
    for row in rows:
        if any(book.holds("email", e[1]) for e in row.emails) or book.holds("uid", row.record.uid):
            row.action = "erased"
            row.reason = (
                "a person erased earlier (GDPR); skipped — give --allow-erased if they have "
                "consented again"
            )


def _org_country(
    plan: Plan, index: OrganisationIndex, org_id: int | None, row: PlannedRow
) -> str | None:
    """The country of the organisation a person row leaves its person at (``org_id``, None
    for the new one the row creates, if any): as it is stored, else as the file names it —
    the file's first when it updates that organisation by its id."""
    if org_id is None:
        new = plan.new_organisations.get(row.org_key or "") if row.org_action == "create" else None
        return new.country if new is not None else None
    stored = index.facts.get(org_id)
    if stored is None and plan.carry is not None:
        stored = plan.carry.made.facts.get(org_id)
    stored_country = stored.country if stored is not None else None
    named = row.record.organisation.country if row.record.organisation else None
    if org_id != row.org_id:
        return stored_country
    if row.org_action == "update":
        return named or stored_country
    return stored_country or named


def _language_from_country(
    row: PlannedRow, stored_country: str | None, org_country: str | None
) -> None:
    """A person row naming no language gets their country's, when it has one clear language:
    their own country (in the row, else as stored), else their organisation's."""
    r = row.record
    if r.language or "language" in r.cleared:
        return
    country = r.country or stored_country or org_country
    language = language_of_country(country)
    if language and country:
        row.language_from_country = language
        row.reason = _with_language(row.reason, language, country)


@lru_cache(maxsize=1024)
def _with_language(reason: str, language: str, country: str) -> str:
    """One string for the many rows saying the same ("new contact; language fr from country
    FR"), not a copy each."""
    return f"{reason}; language {language} from country {country}"


def _would_change(contact: Contact, row: PlannedRow, batch_tag_keys: set[str]) -> bool:
    """Whether applying ``row`` to ``contact`` changes anything (as ``_update_contact`` and
    the update step of ``apply_plan`` would)."""
    r = row.record
    if row.language_from_country and not contact.language:
        return True
    overwrite = row.action == "update"
    after: dict[str, Any] = {}
    for name in UPDATED_FIELDS:
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


_ORG_SLOTS: tuple[str, ...] = tuple(n for n in OrganisationRecord.__slots__ if n != "checked")


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
