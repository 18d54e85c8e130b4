"""The unit of work and the change log.

Every domain operation takes a ``Work``: one open write transaction plus the
coordinator doing the work. The operation validates, changes the rows, writes
an audit entry (who, when, what, before and after) and keeps the search index
current — all inside that one transaction, so a failure anywhere leaves the
database as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql import ColumnElement

from coalition.domain.values import local, local_time
from coalition.domain.views import AuditView
from coalition.errors import CoalitionError, Conflict
from coalition.store.database import Database
from coalition.store.models import AuditEntry, Contact, ImportBatch, Organisation, utcnow


@dataclass
class Work:
    """One unit of work: a session inside a write transaction, and who is working."""

    session: Session
    coordinator: str

    def audit(
        self,
        action: str,
        entity: str,
        entity_id: int,
        label: str | None,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        *,
        organisation_id: int | None = None,
        contact_id: int | None = None,
    ) -> None:
        """Record a change. For an update only the fields that changed are kept."""
        if action == "update" and before is not None and after is not None:
            before, after = changes(before, after)
            if not after:
                return
        self.session.add(
            AuditEntry(
                **self.audit_row(
                    action,
                    entity,
                    entity_id,
                    label,
                    before,
                    after,
                    organisation_id=organisation_id,
                    contact_id=contact_id,
                )
            )
        )

    def audit_row(
        self,
        action: str,
        entity: str,
        entity_id: int,
        label: str | None,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        *,
        organisation_id: int | None = None,
        contact_id: int | None = None,
        at: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """An audit entry as a plain row: what ``audit`` adds, for bulk writers."""
        return {
            "at": at or utcnow(),
            "coordinator": self.coordinator,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "label": label[:400] if label else label,
            "organisation_id": organisation_id,
            "contact_id": contact_id,
            "before": before,
            "after": after,
        }


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that differ, with their old and their new values (both empty if none)."""
    keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


@contextmanager
def work(db: Database, coordinator: str) -> Iterator[Work]:
    """Open a unit of work; committed when the block ends, rolled back on any error."""
    with db.session() as session:
        yield Work(session, coordinator)


# --- edits made at once ----------------------------------------------------------------------

_WHAT = {"organisation": "organisation", "contact": "contact", "campaign": "campaign"}


def _when(moment: dt.datetime, today: dt.date | None = None) -> str:
    """ "at 12:03" today, "on 2026-12-05 at 12:03" another day: on the coordinator's clock."""
    shown = local(moment)
    if shown.date() == (today or dt.datetime.now().astimezone().date()):
        return f"at {shown:%H:%M}"
    day, time = local_time(moment).split(" ")
    return f"on {day} at {time}"


def conflict(
    session: Session, entity: str, entity_id: int, label: str, version: int | None
) -> Conflict:
    """The refusal of a save made on ``label`` (the ``entity`` record with this id) as it
    was when opened: "Changed by Bob at 12:03 since you opened it …", who and when from
    the latest change-log entry about it. ``version``: the one stored now (None: gone)."""
    latest = session.scalar(
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    what = "sign-on" if entity == "signon" else _WHAT.get(entity, entity)
    if version is None:
        verb = "Deleted"
        then = "nothing was saved; close it and look the record up again."
    else:
        verb = "Changed"
        then = "your changes were not saved; look at what it holds now and make them again."
    who = f" by {latest.coordinator} {_when(latest.at)}" if latest is not None else ""
    return Conflict(
        f"{verb}{who} since you opened it: the {what} {label} — {then}",
        entity=entity,
        entity_id=entity_id,
        version=version,
        coordinator=latest.coordinator if latest is not None else None,
    )


def check_version(
    session: Session, entity: str, row: Any, label: str, expected: int | None
) -> None:
    """Refuse an edit of ``row`` made on it as it was at version ``expected`` (what the
    editor opened; None: not asked) when it has changed since. The unit of work holds the
    write lock, so the version read here stays the stored one until the commit."""
    if expected is not None and row.version != expected:
        raise conflict(session, entity, row.id, label, row.version)


def flush_checked(session: Session, entity: str, row: Any, label: str) -> None:
    """Flush, turning SQLAlchemy's "the row's version moved on" (another program wrote
    it without waiting for the write lock, or a statement of this unit of work did without
    saying so) into the same refusal as ``check_version``. The failed flush has rolled
    the transaction back, so who changed it is read in a session of its own."""
    try:
        session.flush()
    except StaleDataError:
        reader = session.get_bind().engine.execution_options(sqlite_begin="DEFERRED")
        with Session(reader) as fresh:
            stored = fresh.get(type(row), row.id)
            raise conflict(
                fresh, entity, row.id, label, None if stored is None else stored.version
            ) from None


def refuse_if_later_changes(
    session: Session,
    what: str,
    after: int,
    *,
    contacts: Sequence[int] = (),
    organisations: Sequence[int] = (),
) -> None:
    """Refuse to undo ``what`` ("import batch #3", "merge #2") while change-log entries
    newer than ``after`` are about any of these contacts or organisations — by the record
    they concern or by the record they are (an erasure is logged without a contact) —
    naming up to five of them and how many more there are."""
    found: list[AuditEntry] = []
    total = 0
    for start in range(0, max(len(contacts), len(organisations), 1), 400):
        c_ids = list(contacts[start : start + 400])
        o_ids = list(organisations[start : start + 400])
        about: list[ColumnElement[bool]] = []
        if c_ids:
            about.append(AuditEntry.contact_id.in_(c_ids))
            about.append(and_(AuditEntry.entity == "contact", AuditEntry.entity_id.in_(c_ids)))
        if o_ids:
            about.append(AuditEntry.organisation_id.in_(o_ids))
            about.append(and_(AuditEntry.entity == "organisation", AuditEntry.entity_id.in_(o_ids)))
        if not about:
            break
        later = select(AuditEntry.id).where(AuditEntry.id > after, or_(*about))
        count = session.scalar(select(func.count()).select_from(later.subquery())) or 0
        if count:
            total += count
            if len(found) < 5:
                found.extend(
                    session.scalars(
                        select(AuditEntry)
                        .where(AuditEntry.id.in_(later.order_by(AuditEntry.id).limit(5)))
                        .order_by(AuditEntry.id)
                    )
                )
    if not total:
        return
    shown = "; ".join(
        f"{e.entity} #{e.entity_id} {e.label or ''} ({e.action} by {e.coordinator} "
        f"on {e.at:%Y-%m-%d %H:%M})".replace("  ", " ")
        for e in found[:5]
    )
    more = f" and {total - len(found[:5])} more" if total > len(found[:5]) else ""
    raise CoalitionError(
        f"Cannot undo {what}: later changes depend on it — {shown}{more}. "
        "Undo or redo those by hand first."
    )


def forget_values(session: Session, where: ColumnElement[bool], label: str) -> int:
    """Keep of these change-log entries who did what to which record and when, and which
    fields there were, but none of the values: ``label`` ("[erased]", "[deleted]") takes
    the place of the record's name and of every value before and after. Returns how many
    entries it changed. A contact's deletion and a person's erasure use it, so neither
    leaves the person's details in the log."""
    count = 0
    for entry in session.scalars(select(AuditEntry).where(where)):
        entry.label = label
        entry.before = {k: label for k in entry.before} if entry.before is not None else None
        entry.after = {k: label for k in entry.after} if entry.after is not None else None
        count += 1
    return count


def jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def history(
    session: Session,
    *,
    organisation_id: int | None = None,
    contact_id: int | None = None,
    limit: int | None = 200,
) -> list[AuditView]:
    """Audit entries, newest first; about one organisation or contact when given.

    An import writes one entry for its batch rather than one per row it creates (100,000
    of them would cost seconds and bury every other change); the rows carry the batch's
    id instead. So the history of one organisation or contact shows its creation by a
    batch as an entry of its own, placed where the batch's entry is in the log.
    """
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    conditions = []
    if organisation_id is not None:
        conditions.append(AuditEntry.organisation_id == organisation_id)
    if contact_id is not None:
        conditions.append(AuditEntry.contact_id == contact_id)
    if conditions:
        query = query.where(or_(*conditions))
    if limit is not None:
        query = query.limit(limit)
    entries = [
        AuditView(
            e.id, e.at, e.coordinator, e.action, e.entity, e.entity_id, e.label, e.before, e.after
        )
        for e in session.scalars(query)
    ]
    if conditions:
        entries.extend(_created_by_imports(session, organisation_id, contact_id))
        entries.sort(key=lambda e: e.id, reverse=True)
        if limit is not None:
            del entries[limit:]
    return entries


def _created_by_imports(
    session: Session, organisation_id: int | None, contact_id: int | None
) -> list[AuditView]:
    """Entries for the rows about this organisation or contact that import batches created."""
    found: list[tuple[str, int, str, ImportBatch]] = []
    if organisation_id is not None:
        found.extend(
            ("organisation", oid, name, batch)
            for oid, name, batch in session.execute(
                select(Organisation.id, Organisation.name, ImportBatch)
                .join(ImportBatch, Organisation.import_batch_id == ImportBatch.id)
                .where(Organisation.id == organisation_id)
            )
        )
    who = []
    if organisation_id is not None:
        who.append(Contact.organisation_id == organisation_id)
    if contact_id is not None:
        who.append(Contact.id == contact_id)
    if who:
        found.extend(
            ("contact", cid, name, batch)
            for cid, name, batch in session.execute(
                select(Contact.id, Contact.display_name, ImportBatch)
                .join(ImportBatch, Contact.import_batch_id == ImportBatch.id)
                .where(or_(*who))
                .order_by(Contact.id)
            )
        )
    if not found:
        return []
    # Databases imported into before batches stood for their rows have an entry per row.
    logged: set[tuple[str, int]] = set()
    for entity in ("organisation", "contact"):
        ids = [entity_id for kind, entity_id, _name, _batch in found if kind == entity]
        for start in range(0, len(ids), 900):
            logged.update(
                (entity, entity_id)
                for entity_id in session.scalars(
                    select(AuditEntry.entity_id).where(
                        AuditEntry.action == "create",
                        AuditEntry.entity == entity,
                        AuditEntry.entity_id.in_(ids[start : start + 900]),
                    )
                )
            )
    return [
        AuditView(
            batch.last_audit_id or 0,
            batch.created_at,
            batch.coordinator,
            "create",
            entity,
            entity_id,
            name,
            None,
            {"import_batch": batch.id, "file": batch.file_name},
        )
        for entity, entity_id, name, batch in found
        if (entity, entity_id) not in logged
    ]
