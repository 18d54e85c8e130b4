"""Personal-data requests: everything held on a person (GDPR art. 15/20), and erasure (art. 17).

Erasure removes the person's data everywhere it is stored — the contact with
its emails, phones, address and notes; what was logged about them in
interactions; the before/after values of audit entries about them; the
earlier values an import kept for undo; their entry in the search index — and
keeps the anonymous facts: an organisation signed, an interaction with an
organisation took place. It records that an erasure happened, without the
data. The caller then rewrites the file (``store.maintenance``) so nothing
survives in free pages or the write-ahead log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from coalition.domain.audit import Work, work
from coalition.domain.merge import erase_from_merges
from coalition.domain.people import contact_view, find_contact
from coalition.store import search
from coalition.store.database import Database
from coalition.store.maintenance import rewrite_without_free_pages
from coalition.store.models import (
    AuditEntry,
    ImportBatch,
    ImportChange,
    Interaction,
    SignOn,
)

ERASED = "[erased]"


def person_record(session: Session, ref: str) -> dict[str, Any]:
    """Everything held on one person, from every table, as plain values: dicts, lists,
    text, numbers, and dates and times (UTC) that the caller writes as it writes all
    others (the command line: ``cli.output.to_data``)."""
    contact = find_contact(session, ref)
    view = contact_view(contact)
    record: dict[str, Any] = {
        "contact": {k: v for k, v in vars(view).items() if k not in ("emails", "phones")},
        "emails": [vars(e) for e in view.emails],
        "phones": [vars(p) for p in view.phones],
    }
    record["interactions"] = [
        {
            "id": i.id,
            "occurred_at": i.occurred_at,
            "channel": i.channel,
            "direction": i.direction,
            "subject": i.subject,
            "notes": i.notes,
            "outcome": i.outcome,
            "organisation_id": i.organisation_id,
            "campaign_id": i.campaign_id,
            "follow_up_on": i.follow_up_on,
            "done": i.done,
            "coordinator": i.coordinator,
        }
        for i in session.scalars(
            select(Interaction).where(Interaction.contact_id == contact.id).order_by(Interaction.id)
        )
    ]
    record["signed_on_behalf_of"] = [
        {
            "organisation_id": s.organisation_id,
            "campaign": s.campaign.code,
            "status": s.status,
            "display_name": s.display_name,
        }
        for s in session.scalars(select(SignOn).where(SignOn.signed_by_id == contact.id))
    ]
    record["change_log"] = [
        {
            "at": e.at,
            "coordinator": e.coordinator,
            "action": e.action,
            "entity": e.entity,
            "entity_id": e.entity_id,
            "before": e.before,
            "after": e.after,
        }
        for e in session.scalars(
            select(AuditEntry).where(AuditEntry.contact_id == contact.id).order_by(AuditEntry.id)
        )
    ]
    if contact.import_batch_id is not None:
        batch = session.get(ImportBatch, contact.import_batch_id)
        if batch is not None:
            record["source"] = {
                "import_batch": batch.id,
                "file": batch.file_name,
                "imported_at": batch.created_at,
                "by": batch.coordinator,
            }
    return record


@dataclass(frozen=True)
class ErasureSummary:
    contact_id: int
    interactions_anonymised: int
    interactions_removed: int
    audit_entries_scrubbed: int


def erase_person(work: Work, ref: str) -> ErasureSummary:
    """Remove a person's personal data everywhere; keep the anonymous facts."""
    session = work.session
    contact = find_contact(session, ref)
    cid = contact.id
    removed = session.execute(
        delete(Interaction).where(
            Interaction.contact_id == cid, Interaction.organisation_id.is_(None)
        )
    ).rowcount  # type: ignore[attr-defined]
    anonymised = session.execute(
        update(Interaction)
        .where(Interaction.contact_id == cid)
        .values(contact_id=None, subject=ERASED, notes=None, outcome=None)
    ).rowcount  # type: ignore[attr-defined]
    session.execute(update(SignOn).where(SignOn.signed_by_id == cid).values(signed_by_id=None))
    scrubbed = session.execute(
        update(AuditEntry)
        .where(AuditEntry.contact_id == cid)
        .values(label=ERASED, before=None, after=None)
    ).rowcount  # type: ignore[attr-defined]
    session.execute(
        delete(ImportChange).where(ImportChange.entity == "contact", ImportChange.entity_id == cid)
    )
    # A merge keeps the rows as they were to undo it: the person's own, and so their data.
    erase_from_merges(session, cid, ERASED)
    session.delete(contact)
    session.flush()
    search.index_contacts(session, [cid])
    work.audit("erase", "contact", cid, ERASED, None, None, contact_id=None)
    return ErasureSummary(cid, int(anonymised or 0), int(removed or 0), int(scrubbed or 0))


def erase_and_rewrite(db: Database, coordinator: str, ref: str) -> ErasureSummary:
    """The whole erasure a coordinator asks for: the person's data removed in one unit of
    work, then the file rewritten (search index merged, VACUUM, WAL emptied), so no copy
    of what was erased is left in free pages or the write-ahead log."""
    with work(db, coordinator) as unit:
        summary = erase_person(unit, ref)
    rewrite_without_free_pages(db)
    return summary


__all__ = ["ERASED", "ErasureSummary", "erase_and_rewrite", "erase_person", "person_record"]
