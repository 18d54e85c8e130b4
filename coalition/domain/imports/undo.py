"""Listing import batches and undoing one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, DateTime, delete, or_, select
from sqlalchemy.orm import Session

from coalition.domain.audit import Work, jsonable, refuse_if_later_changes
from coalition.domain.imports.apply import BatchView, batch_view
from coalition.errors import CoalitionError, NotFound
from coalition.store import search
from coalition.store.models import (
    Contact,
    ContactEmail,
    ContactPhone,
    ImportBatch,
    ImportChange,
    Organisation,
    SignOn,
    SignOnEvent,
    Tag,
    utcnow,
)


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
