"""Applying a plan as one batch in one transaction: bulk inserts for what is new, the
ORM for the few records it changes, each change kept so the batch can be undone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalition.domain import people
from coalition.domain.audit import Work, changes, jsonable
from coalition.domain.imports.plan import Plan, PlannedRow, change_marker, match_rows
from coalition.domain.imports.records import (
    CHUNK,
    ORGANISATION_RECORD_FIELDS,
    UPDATED_FIELDS,
    ContactRecord,
    Progress,
)
from coalition.domain.values import (
    clean,
    fold,
)
from coalition.errors import CoalitionError
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
        match_rows(session, plan)
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


def _update_contact(contact: Contact, row: PlannedRow, *, overwrite: bool, batch_id: int) -> None:
    r = row.record
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
