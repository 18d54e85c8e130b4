"""Applying a plan as one batch in one transaction: bulk inserts for what is new, the
ORM for the few records it changes, each change kept so the batch can be undone.

``apply_plan`` runs one step per table, each a function below, all sharing one ``_Batch``
(the batch's row and time, its tags, the audit entries waiting to be written):

- organisations: ``_new_organisations`` (``_insert_organisations``,
  ``_link_organisation_tags``, ``_organisation_documents``), then ``_changed_organisations``
  through the ORM;
- contacts, chunk by chunk: ``_insert_contacts``, ``_insert_emails``, ``_insert_phones``,
  ``_link_contact_tags`` and ``_contact_documents`` (the search index), in ``_new_contacts``;
  then ``_changed_contacts`` through the ORM, with ``_add_emails``, ``_add_phones`` and
  ``_add_tags``;
- sign-ons and their events: ``_signons``;
- the search index of what changed: ``_reindex_changed``;
- the batch's own row and the audit log: ``BatchRecord``, which ``_Batch`` extends (opened
  first, closed last; imports of other kinds, such as a mail tool's statuses, open one too).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalition.domain import people
from coalition.domain.audit import Work, changes, jsonable
from coalition.domain.campaigns import FINAL
from coalition.domain.dedupe import OrgFacts
from coalition.domain.imports.checks import PlannedRow
from coalition.domain.imports.plan import Plan, change_marker, match_rows
from coalition.domain.imports.records import (
    CHUNK,
    ORGANISATION_RECORD_FIELDS,
    UPDATED_FIELDS,
    ContactRecord,
    ImportOptions,
    Progress,
)
from coalition.domain.outreach import close_campaign_followups
from coalition.domain.values import (
    clean,
    fold,
)
from coalition.errors import CoalitionError
from coalition.memory import collector_paused
from coalition.store import search
from coalition.store.bulk import bulk_insert, indexes_deferred, insert_rows, stored
from coalition.store.keys import one_of
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
from coalition.store.planner import refresh_statistics


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


@collector_paused()
def apply_plan(work: Work, plan: Plan, progress: Progress | None = None) -> BatchView:
    """Write the plan as one batch. Call inside one unit of work: all or nothing."""
    if change_marker(work.session) != plan.marker:
        # Another import or a coordinator changed the database since the plan was made:
        # match again, now under the write lock, so nothing is created twice.
        match_rows(work.session, plan)
    refuse_repeat(plan.options, plan.previous_batch)
    batch = open_batch(work, plan.options, progress)
    counts = apply_window(batch, plan)
    return close_batch(batch, counts, len(plan.rows))


def open_batch(work: Work, options: ImportOptions, progress: Progress | None) -> _Batch:
    """The batch's row, written first: its id goes on every row the batch creates."""
    return _Batch(work, options, progress)


@collector_paused()
def apply_window(batch: _Batch, plan: Plan) -> dict[str, int]:
    """Write a plan (a whole file's, or one window of a big file's) into ``batch``.
    Returns its counts, with the sign-ons as set."""
    batch.plan = plan
    _new_organisations(batch)
    changed_organisations = _changed_organisations(batch)
    _new_contacts(batch)
    changed_contacts = _changed_contacts(batch)
    counts = plan.counts()
    counts["sign-ons"] = _signons(batch)
    _reindex_changed(batch, changed_organisations, changed_contacts)
    return counts


def close_batch(batch: _Batch, counts: dict[str, int], rows: int) -> BatchView:
    """The batch's entry in the change log and its counts; fresh statistics after a big one."""
    batch.write_audit(counts)
    refresh_statistics(batch.session, rows)
    return batch.close(counts)


# --- the batch: its row, its tags, its audit entries ------------------------------------------


class _Tags:
    """The batch's own tags (every new row carries them) and the tags rows name, each found
    or created once."""

    def __init__(self, session: Session, names: Sequence[str]) -> None:
        self.session = session
        self.batch = people.get_tags(session, names)
        session.flush()
        self.batch_ids = [t.id for t in self.batch]
        self.names = {t.id: t.name for t in self.batch}
        """Every tag's name by id, as far as the batch has met them."""
        self._by_key: dict[str, Tag] = {t.key: t for t in self.batch}
        self._ids: dict[tuple[str, ...], list[int]] = {}

    def ids(self, names: Sequence[str]) -> list[int]:
        """The ids of the tags ``names`` (created where missing) and the batch's, sorted."""
        key = tuple(names)
        ids = self._ids.get(key)
        if ids is None:
            ids = self._ids[key] = self._find(names)
        return ids

    def _find(self, names: Sequence[str]) -> list[int]:
        wanted = [n for n in names if fold(n) not in self._by_key]
        for tag in people.get_tags(self.session, wanted):
            self._by_key[tag.key] = tag
        if wanted:
            self.session.flush()
            self.names.update((t.id, t.name) for t in self._by_key.values())
        ids = {self._by_key[fold(n)].id for n in names if fold(n) in self._by_key}
        ids.update(self.batch_ids)
        return sorted(ids)


def refuse_repeat(options: ImportOptions, previous_batch: int | None) -> None:
    """A file imported before (and not undone) is refused unless ``force``."""
    if previous_batch is not None and not options.force:
        raise CoalitionError(
            f"{options.file_name} was already imported (batch #{previous_batch}); "
            "pass --force to import it again, or undo that batch first."
        )


class BatchRecord:
    """An import batch's own row and its audit entries, whatever the batch imports. Opening
    it writes the row (its id goes on every row the batch creates); ``write_audit`` writes the
    batch's entry and those waiting; ``close`` fills in its counts."""

    def __init__(
        self, work: Work, options: ImportOptions, *, read_as: dict[str, Any] | None = None
    ) -> None:
        """``read_as``: how the file was read, kept with the batch's options (a mail tool)."""
        self.work = work
        self.session = session = work.session
        self.options = options
        self.now = now = utcnow()
        self.row = ImportBatch(
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
            }
            | (read_as or {}),
            counts={},
        )
        session.add(self.row)
        session.flush()
        self.id: int = self.row.id
        self._audit_rows: list[dict[str, Any]] = []

    def audit(
        self,
        action: str,
        entity: str,
        entity_id: int,
        label: str,
        before: Any,
        after: Any,
        org_id: int | None = None,
        contact_id: int | None = None,
    ) -> None:
        """An entry of the audit log for a row the batch changed, at the batch's time. Rows
        a batch creates get none each: the batch's own entry stands for them
        (``audit.history`` shows it per row)."""
        self._audit_rows.append(
            self.work.audit_row(
                action,
                entity,
                entity_id,
                label,
                before,
                after,
                organisation_id=org_id,
                contact_id=contact_id,
                at=self.now,
            )
        )
        if len(self._audit_rows) >= CHUNK * 5:  # written as they come, so memory stays flat
            self._write_audit_rows()

    def changed(
        self,
        entity: str,
        row: Any,
        saved: dict[str, Any],
        label: str,
        was: dict[str, Any],
        now: dict[str, Any],
        *,
        org_id: int | None = None,
        contact_id: int | None = None,
    ) -> None:
        """A row (organisation, contact) the batch changed: stamped with the batch's time,
        its earlier values ``saved`` kept for undo, and an entry in the change log of the
        fields that changed (``was`` to ``now``)."""
        row.updated_at = self.now
        self.session.add(
            ImportChange(batch_id=self.id, entity=entity, entity_id=row.id, before=saved)
        )
        self.audit("update", entity, row.id, label, was, now, org_id, contact_id)

    def _write_audit_rows(self) -> None:
        bulk_insert(self.session, AuditEntry.__table__, self._audit_rows)
        self._audit_rows.clear()

    def write_audit(self, counts: dict[str, int]) -> None:
        """The batch's own entry, then every entry still waiting."""
        options = self.options
        self.audit(
            "create",
            "import_batch",
            self.id,
            options.file_name,
            None,
            {"file": options.file_name, "sha256": options.sha256, "counts": counts},
        )
        self._write_audit_rows()

    def close(self, counts: dict[str, int]) -> BatchView:
        self.row.counts = counts
        self.row.last_audit_id = self.session.scalar(select(func.max(AuditEntry.id)))
        self.session.flush()
        return batch_view(self.row)


class _Batch(BatchRecord):
    """What every step of one batch of people and organisations shares: the plan, the
    batch's tags and its time as the driver takes it."""

    plan: Plan
    """The plan being written: the file's, or the window of it being written now."""

    def __init__(self, work: Work, options: ImportOptions, progress: Progress | None) -> None:
        super().__init__(work, options)
        self.progress = progress
        self.tags = _Tags(self.session, options.tags)
        self.stamp = stored(self.session, Organisation.__table__.c.created_at, self.now)
        """``now`` as the driver takes it, for the rows written in bulk."""

    def report(self, stage: str, done: int, total: int) -> None:
        if self.progress:
            self.progress(stage, done, total)


def next_id(session: Session, table: Any) -> int:
    return int(session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1


def raw_snapshot(obj: Any) -> dict[str, Any]:
    """A row's values before the batch changes it (``import_changes``: what undo restores)."""
    return {
        c.key: jsonable(getattr(obj, c.key))
        for c in obj.__table__.columns
        if c.key not in ("id", "created_at")
    }


def contact_saved(contact: Contact) -> dict[str, Any]:
    """A contact's values and tags before the batch changes it, as undo restores them."""
    return raw_snapshot(contact) | {"tags": [t.id for t in contact.tags]}


# --- organisations ----------------------------------------------------------------------------


def _new_organisations(b: _Batch) -> None:
    """The organisations the plan creates and a row speaking for it still names, with the
    batch's tags and their index entries; each row naming one is given its id."""
    session, plan = b.session, b.plan
    first = next_id(session, Organisation.__table__)
    search.forget_past(session, search.ORGANISATION_TABLE, first - 1)
    used = {r.org_key for r in plan.rows if r.speaks_for_organisation and r.org_key}
    ids = {
        key: oid for oid, key in enumerate((k for k in plan.new_organisations if k in used), first)
    }
    _insert_organisations(b, ids)
    _link_organisation_tags(b, ids.values())
    search.add_organisations(session, _organisation_documents(b, ids), new=True)
    b.report("organisations", len(ids), len(ids))
    for row in plan.rows:
        if row.org_action == "create" and row.org_key in ids:
            row.org_id = ids[row.org_key]
    if plan.carry is not None:
        for key, oid in ids.items():  # the next windows find them again
            org = plan.new_organisations[key]
            plan.carry.made.add(
                OrgFacts(oid, org.name, org.acronym, org.website, org.email, org.country).lean()
            )


def _insert_organisations(b: _Batch, ids: dict[str, int]) -> None:
    """``ids``: the new organisations' keys in the plan, with the id each is given."""
    stamp, bid, new = b.stamp, b.id, b.plan.new_organisations
    rows: list[tuple[Any, ...]] = []
    for key, oid in ids.items():
        org = new[key]
        rows.append(
            (
                oid, org.name, fold(org.name), org.acronym, org.kind or "other", org.country,
                org.city, org.website, org.email, org.phone, org.membership or "none", org.notes,
                stamp, stamp, bid,
            )
        )  # fmt: skip
    insert_rows(b.session, Organisation.__table__, _ORGANISATION_COLUMNS, rows)


def _changed_organisations(b: _Batch) -> list[int]:
    """Organisations named by id (an edited export): their changed fields, through the ORM.
    Returns the ids of those that changed."""
    session = b.session
    changed = []
    for row in b.plan.rows:
        if row.org_action != "update" or not row.speaks_for_organisation:
            continue
        org_row = session.get(Organisation, row.org_id)
        record = row.record.organisation
        if org_row is None or record is None:
            continue
        before_values = people.organisation_snapshot(org_row)
        saved = raw_snapshot(org_row)
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
        b.changed(
            "organisation", org_row, saved, org_row.name, changed_before, changed_after,
            org_id=org_row.id,
        )  # fmt: skip
        changed.append(org_row.id)
    session.flush()
    return changed


def _organisation_names(session: Session, ids: set[int]) -> dict[int, tuple[str, str | None]]:
    """(name, acronym) of these organisations, as stored: what a contact's index entry holds."""
    query = select(Organisation.id, Organisation.name, Organisation.acronym)
    return {
        oid: (name, acronym)
        for oid, name, acronym in session.execute(query.where(one_of(Organisation.id, ids)))
    }


# --- contacts ---------------------------------------------------------------------------------


def _new_contacts(b: _Batch) -> None:
    """The contacts the plan creates, with their addresses, numbers, tags and index entries:
    tuples straight to executemany, chunk by chunk so memory does not grow with the file."""
    session = b.session
    creates = [r for r in b.plan.rows if r.action == "create"]
    organisations = _organisation_names(session, {r.org_id for r in creates if r.org_id})
    first = next_id(session, Contact.__table__)
    search.forget_past(session, search.CONTACT_TABLE, first - 1)
    uids: set[str] = set()
    document = search.contact_documents()
    tables = (Contact.__table__, ContactEmail.__table__, ContactPhone.__table__, contact_tags)
    with (
        indexes_deferred(session, tables, len(creates)),
        search.bulk_indexing(session, search.CONTACT_TABLE),
    ):
        for start in range(0, len(creates), CHUNK):
            chunk = creates[start : start + CHUNK]
            for cid, row in enumerate(chunk, first + start):
                row.contact_id = cid
            if b.plan.carry is not None:
                for row in chunk:
                    assert row.contact_id is not None
                    b.plan.carry.note_created(row.contact_id, row.source)
            names = _insert_contacts(b, chunk, uids)
            _insert_emails(b, chunk)
            _insert_phones(b, chunk)
            tag_ids = _link_contact_tags(b, chunk)
            search.add_contacts(
                session,
                _contact_documents(b, chunk, names, tag_ids, organisations, document),
                new=True,
            )
            b.report("contacts", start + len(chunk), len(creates))
    b.report("contacts", len(creates), len(creates))


def _insert_contacts(
    b: _Batch, chunk: Sequence[PlannedRow], uids: set[str]
) -> list[tuple[str, str]]:
    """The contacts of these rows (each given its id already). ``uids``: those the batch has
    used, so a file repeating one gets a new one. Returns their display names and the
    names' sort keys."""
    stamp, bid, source = b.stamp, b.id, b.plan.options.file_name[:300]
    rows: list[tuple[Any, ...]] = []
    names: list[tuple[str, str]] = []
    for row in chunk:
        r = row.record
        name, custom = _display_name(r, row.emails)
        key = fold(name)
        uid = r.uid if r.uid and r.uid not in uids else new_uid()
        uids.add(uid)
        rows.append(
            (
                row.contact_id, uid, r.given_name, r.family_name, r.honorific, name, key,
                custom, r.role, row.org_id, r.language or row.language_from_country, r.street,
                r.postal_code, r.city, r.region,
                r.country, r.notes, False, False, source, stamp, stamp, bid,
            )
        )  # fmt: skip
        names.append((name, key))
    insert_rows(b.session, Contact.__table__, _CONTACT_COLUMNS, rows)
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


def _changed_contacts(b: _Batch) -> list[int]:
    """Existing contacts to update or merge (usually few), through the ORM. Returns the ids
    of those that changed."""
    session = b.session
    changed = []
    for row in b.plan.rows:
        if row.action not in ("update", "merge", "in-file duplicate") or row.contact_id is None:
            continue
        contact = session.get(Contact, row.contact_id)
        if contact is None:
            continue
        if row.action == "in-file duplicate":
            # a person an earlier window of this file created (``plan.Carry``): filled in
            # as rows are within one window; undoing the batch removes them anyway
            _fill_contact(b, contact, row, overwrite=False)
            changed.append(contact.id)
            continue
        saved = contact_saved(contact)
        audit_before = people.contact_snapshot(contact)
        _fill_contact(b, contact, row, overwrite=row.action == "update")
        session.refresh(contact)
        before_values, after_values = changes(audit_before, people.contact_snapshot(contact))
        if not after_values:
            row.reason += "; nothing to change"
            continue
        b.changed(
            "contact", contact, saved, contact.display_name, before_values, after_values,
            org_id=contact.organisation_id, contact_id=contact.id,
        )  # fmt: skip
        changed.append(contact.id)
    return changed


def _fill_contact(b: _Batch, contact: Contact, row: PlannedRow, *, overwrite: bool) -> None:
    """A row written into a stored contact: its fields (``_update_contact_fields``), the
    language from its country, the addresses, numbers and tags it lacks, its organisation
    (an update moves it; a merge only gives one to a contact without)."""
    _update_contact_fields(contact, row.record, overwrite=overwrite)
    if row.language_from_country and not contact.language:
        contact.language = row.language_from_country
    _add_emails(contact, row, b.id)
    _add_phones(contact, row, b.id)
    if row.org_id and (overwrite or contact.organisation_id is None):
        contact.organisation_id = row.org_id
    _add_tags(b, contact, row.record.tags)
    if not contact.display_name_custom:
        contact.display_name = people.derive_display_name(contact)
    contact.display_name_key = fold(contact.display_name)
    b.session.flush()


def _update_contact_fields(contact: Contact, r: ContactRecord, *, overwrite: bool) -> None:
    """An update (``overwrite``) sets what the row holds and clears what it emptied; a merge
    only fills what the contact lacks."""
    for name in UPDATED_FIELDS:
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


# --- emails -----------------------------------------------------------------------------------


def _insert_emails(b: _Batch, chunk: Sequence[PlannedRow]) -> None:
    """The addresses of new contacts, in the file's order; the first valid one is primary
    (else the first)."""
    bid = b.id
    rows: list[tuple[Any, ...]] = []
    for row in chunk:
        if not row.emails:
            continue
        cid = row.contact_id
        primary = next((j for j, e in enumerate(row.emails) if e[3]), 0)
        for j, (address, key, label, valid, reason) in enumerate(row.emails):
            rows.append((cid, address, key, label, j == primary, valid, reason, bid))
    insert_rows(b.session, ContactEmail.__table__, _EMAIL_COLUMNS, rows)


def _add_emails(contact: Contact, row: PlannedRow, batch_id: int) -> None:
    """The addresses an existing contact does not have yet; primary only if it had none."""
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


# --- phones -----------------------------------------------------------------------------------


def _insert_phones(b: _Batch, chunk: Sequence[PlannedRow]) -> None:
    """The numbers of new contacts, in the file's order; the first is primary."""
    bid = b.id
    rows: list[tuple[Any, ...]] = []
    for row in chunk:
        cid = row.contact_id
        for j, (number, e164, label) in enumerate(row.phones):
            rows.append((cid, number, e164, label, j == 0, bid))
    insert_rows(b.session, ContactPhone.__table__, _PHONE_COLUMNS, rows)


def _add_phones(contact: Contact, row: PlannedRow, batch_id: int) -> None:
    """The numbers an existing contact does not have yet (the same E.164 form, or the same
    text where there is none); primary only if it had none."""
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


# --- tags -------------------------------------------------------------------------------------


def _link_contact_tags(b: _Batch, chunk: Sequence[PlannedRow]) -> list[list[int]]:
    """New contacts' tags: those their row names with the batch's, or the batch's alone.
    Returns each row's tag ids."""
    tags, default = b.tags, b.tags.batch_ids
    per_row = [tags.ids(row.record.tags) if row.record.tags else default for row in chunk]
    links = [(row.contact_id, tid) for row, ids in zip(chunk, per_row, strict=True) for tid in ids]
    insert_rows(b.session, contact_tags, ("contact_id", "tag_id"), links)
    return per_row


def _link_organisation_tags(b: _Batch, ids: Iterable[int]) -> None:
    """New organisations' tags: the batch's."""
    links = [(oid, tid) for oid in ids for tid in b.tags.batch_ids]
    insert_rows(b.session, organisation_tags, ("organisation_id", "tag_id"), links)


def _add_tags(b: _Batch, contact: Contact, names: Sequence[str]) -> None:
    """An existing contact's tags: those its row names, and the batch's, that it lacks."""
    have = {t.id for t in contact.tags}
    for tid in b.tags.ids(names):
        if tid not in have:
            tag = b.session.get(Tag, tid)
            if tag is not None:
                contact.tags.append(tag)


# --- sign-ons ---------------------------------------------------------------------------------


def _signons(b: _Batch) -> int:
    """The sign-on answers of the rows speaking for an organisation, each with its event and
    audit entry. Returns how many."""
    plan, session, bid, now = b.plan, b.session, b.id, b.now
    if plan.campaign_id is None:
        return 0
    existing = {
        s.organisation_id: s
        for s in session.scalars(select(SignOn).where(SignOn.campaign_id == plan.campaign_id))
    }
    # The history names each sign-on as the campaigns screen does: organisation / campaign.
    signon_orgs = _organisation_names(
        session, {r.org_id for r in plan.rows if r.signon and r.org_id}
    )
    campaign_code = session.get_one(Campaign, plan.campaign_id).code
    count = 0
    final: list[int] = []
    """Organisations whose answer is final and new: their follow-ups about it close."""
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
                at=row.answered_at or now,
                coordinator=b.work.coordinator,
                import_batch_id=bid,
            )
        )
        b.audit(
            "create" if before is None else "update",
            "signon",
            signon.id,
            f"{signon_orgs.get(row.org_id, (f'organisation #{row.org_id}',))[0]} / {campaign_code}",
            before,
            {"status": row.signon, "import_batch": bid}
            | ({"answered_at": jsonable(row.answered_at)} if row.answered_at else {}),
            org_id=row.org_id,
            contact_id=signon.signed_by_id,
        )
        if row.signon in FINAL and (before is None or before["status"] != row.signon):
            final.append(row.org_id)
        count += 1
    session.flush()
    _close_answered(b, final)
    return count


def _close_answered(b: _Batch, organisation_ids: list[int]) -> None:
    """Close the campaign's open follow-ups with organisations that gave a final answer,
    as a sign-on set by hand does (``campaigns.change_signon``); each reopens on undo."""
    assert b.plan.campaign_id is not None
    closed = close_campaign_followups(b.work, sorted(set(organisation_ids)), b.plan.campaign_id)
    for followup in closed.followups:
        b.session.add(
            ImportChange(
                batch_id=b.id, entity="followup", entity_id=followup.id, before={"done": False}
            )
        )
    b.session.flush()


# --- the search index -------------------------------------------------------------------------


def _organisation_documents(b: _Batch, ids: dict[str, int]) -> list[tuple[Any, ...]]:
    """New organisations' index entries: (id, *document)."""
    new, tag_names = b.plan.new_organisations, [t.name for t in b.tags.batch]
    documents: list[tuple[Any, ...]] = []
    for key, oid in ids.items():
        org = new[key]
        documents.append(
            (
                oid,
                *search.organisation_document(
                    org.name,
                    org.acronym,
                    (org.email, org.website, org.phone),
                    (org.city, org.country),
                    tag_names,
                ),
            )
        )
    return documents


def _contact_documents(
    b: _Batch,
    chunk: Sequence[PlannedRow],
    names: Sequence[tuple[str, str]],
    tag_ids: Sequence[Sequence[int]],
    organisations: dict[int, tuple[str, str | None]],
    document: Callable[..., tuple[str, ...]],
) -> list[tuple[Any, ...]]:
    """New contacts' index entries: (id, name key, *document), from their display names and
    keys, tag ids and the (name, acronym) of their organisations."""
    tag_names = b.tags.names
    documents: list[tuple[Any, ...]] = []
    for row, (name, key), ids in zip(chunk, names, tag_ids, strict=True):
        r = row.record
        documents.append(
            (
                row.contact_id,
                key,
                *document(
                    (name, r.given_name, r.family_name, r.honorific),
                    [e[0] for e in row.emails],
                    organisations.get(row.org_id, ()) if row.org_id else (),
                    r.role,
                    (r.city, r.country),
                    [tag_names[t] for t in ids],
                ),
            )
        )
    return documents


def _reindex_changed(b: _Batch, organisations: list[int], contacts: list[int]) -> None:
    """The index entries of the organisations and contacts the batch changed, and of the
    people of those organisations (an entry holds its organisation's name)."""
    session = b.session
    b.report("indexing", 0, 1)
    search.index_organisations(session, organisations)
    if organisations:
        search.index_contacts(
            session,
            session.scalars(
                select(Contact.id).where(one_of(Contact.organisation_id, organisations))
            ),
        )
    search.index_contacts(session, contacts)
    b.report("indexing", 1, 1)
