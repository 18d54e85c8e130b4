"""Listing import batches and undoing one, with the later work that depends on it.

Later work depends on a batch when undoing the batch would lose it or make it wrong: an
interaction logged with a person or an organisation the batch created (the mail merge's
``--log-outreach``, a quick call), a sign-on moved since the batch created or moved it, an
edit of what the batch created or changed, a merge, a person added to an organisation it
created, a later import building on it. ``later_work`` finds it all — from the rows
themselves for outreach (the mail merge logs no entry per email) and from the change log
for the rest — and says it in groups: "3 interactions logged by alice on 2026-12-01
(Invitation to sign)".

An undo is refused while such work exists; ``with_later`` takes it back too, in the same
transaction, when it can be: interactions are deleted, sign-on moves go with the sign-on
they moved (restored or removed with the batch), edits go with the record the batch
created. What it cannot take back — an edit of a record that was there before the batch,
a merge, an erasure, a person added by hand, a later import — still refuses the undo,
named, to be undone or redone by hand first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Date, DateTime, delete, or_, select
from sqlalchemy.orm import Session

from coalition.domain.audit import Work, jsonable
from coalition.domain.imports.apply import BatchView, batch_view
from coalition.errors import CoalitionError, NotFound
from coalition.store import search
from coalition.store.bulk import bulk_insert
from coalition.store.models import (
    AuditEntry,
    Contact,
    ContactEmail,
    ContactPhone,
    ImportBatch,
    ImportChange,
    Interaction,
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


# --- what a batch holds ------------------------------------------------------------------------


@dataclass
class _Scope:
    """The rows a batch created and those it changed (their earlier values in ``changes``;
    an interaction there is one the batch logged, with no earlier values)."""

    batch: ImportBatch
    contacts: list[int]
    organisations: list[int]
    signons: list[int]
    changes: list[ImportChange]

    def changed(self, entity: str) -> list[int]:
        return [c.entity_id for c in self.changes if c.entity == entity]


def _scope(session: Session, batch_id: int) -> _Scope:
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(
            f"There is no import batch #{batch_id}; `coalition imports list` shows them."
        )
    if batch.undone_at is not None:
        raise CoalitionError(
            f"Import batch #{batch_id} was already undone on {batch.undone_at:%Y-%m-%d %H:%M}."
        )

    def ids(column: Any) -> list[int]:
        made_here = column.table.c.import_batch_id == batch_id
        return list(session.scalars(select(column).where(made_here)))

    return _Scope(
        batch,
        ids(Contact.id),
        ids(Organisation.id),
        ids(SignOn.id),
        list(session.scalars(select(ImportChange).where(ImportChange.batch_id == batch_id))),
    )


# --- later work ---------------------------------------------------------------------------------


_PLURAL = {"later import": "later imports"}


@dataclass
class LaterGroup:
    """Later work of one kind, done by one coordinator on one day."""

    noun: str
    """"interaction", "sign-on", "contact", "organisation", "later import" …"""
    verb: str
    """"logged", "moved to invited", "edited", "merged" …"""
    coordinator: str
    day: dt.date
    takeable: bool
    """Whether ``with_later`` can take it back with the batch."""
    names: dict[str, None] = field(default_factory=dict)
    """What it was about, each once, in order: the subject of the interactions, the names
    of the records."""
    count: int = 0

    def phrase(self) -> str:
        """ "3 interactions logged by alice on 2026-12-01 (Invitation to sign)"."""
        noun = self.noun if self.count == 1 else _PLURAL.get(self.noun, self.noun + "s")
        shown = ", ".join(list(self.names)[:3])
        if len(self.names) > 3:
            shown += f" and {len(self.names) - 3} more"
        verb = f" {self.verb}" if self.verb else ""
        about = f" ({shown})" if shown else ""
        return f"{self.count} {noun}{verb} by {self.coordinator} on {self.day.isoformat()}{about}"


@dataclass
class LaterWork:
    """What was done after a batch that depends on it, and what taking it back removes."""

    groups: list[LaterGroup] = field(default_factory=list)
    interactions: list[int] = field(default_factory=list)
    """Interactions with what the batch created: deleted when taken back."""
    signon_events: list[int] = field(default_factory=list)
    """Moves of sign-ons the batch moved, made after it: deleted when taken back (the sign-on
    itself gets its earlier values back with the batch's other changes)."""

    @property
    def blocking(self) -> list[LaterGroup]:
        return [g for g in self.groups if not g.takeable]

    @property
    def takeable(self) -> list[LaterGroup]:
        return [g for g in self.groups if g.takeable]

    def phrases(self, groups: Sequence[LaterGroup] | None = None) -> str:
        """The groups in words, "; " between them, at most six of them."""
        groups = self.groups if groups is None else groups
        text = "; ".join(g.phrase() for g in groups[:6])
        rest = sum(g.count for g in groups[6:])
        return text + (f"; and {rest} more later changes" if rest else "")

    def refusal(self, batch_id: int) -> str:
        """Why the batch cannot be undone as things are, in one sentence."""
        start = f"Cannot undo import batch #{batch_id}: later changes depend on it — "
        if not self.blocking:
            return start + self.phrases() + "; --with-later takes them back with the batch."
        text = start + self.phrases(self.blocking) + "; undo or redo those by hand first"
        if self.takeable:
            text += f" (--with-later takes back the rest: {self.phrases(self.takeable)})"
        return text + "."


class _Grouper:
    """Later work into groups, in the order it was first done."""

    def __init__(self) -> None:
        self.groups: dict[tuple[Any, ...], LaterGroup] = {}

    def add(
        self,
        noun: str,
        verb: str,
        coordinator: str,
        at: dt.datetime,
        takeable: bool,
        name: str | None,
        *,
        by_name: bool = False,
    ) -> None:
        """``by_name``: one group per name (the subject of an interaction)."""
        key = (noun, verb, coordinator, at.date(), takeable, name if by_name else None)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = LaterGroup(noun, verb, coordinator, at.date(), takeable)
        group.count += 1
        if name:
            group.names[name] = None


def undo_preview(session: Session, batch_id: int, *, with_later: bool = False) -> LaterWork:
    """The later work undoing batch ``batch_id`` would take back with it (see the module's
    doc), for the question before the undo; refused as the undo itself would be."""
    later = _later_work(session, _scope(session, batch_id))
    _refuse_if_kept(later, batch_id, with_later)
    return later


def _refuse_if_kept(later: LaterWork, batch_id: int, with_later: bool) -> None:
    if later.groups and (later.blocking or not with_later):
        raise CoalitionError(later.refusal(batch_id))


def _later_work(session: Session, scope: _Scope) -> LaterWork:
    b = scope.batch.id
    grouper = _Grouper()
    interactions = _later_outreach(session, b, grouper)
    changed_signons = set(scope.changed("signon"))
    signons = set(scope.signons) | changed_signons
    signons.update(
        session.scalars(
            select(SignOn.id).join(Organisation).where(Organisation.import_batch_id == b)
        )
    )
    _later_changes(session, scope, signons, grouper)
    later = LaterWork(list(grouper.groups.values()), interactions)
    if changed_signons and later.takeable:
        later.signon_events = _later_moves(session, b, changed_signons)
    return later


def _later_outreach(session: Session, batch_id: int, grouper: _Grouper) -> list[int]:
    """Interactions with what the batch created, from the rows themselves: the mail merge
    logs one entry for all its emails, not one per email. Returns their ids."""
    made_here = (
        Interaction.contact_id.in_(select(Contact.id).where(Contact.import_batch_id == batch_id)),
        Interaction.organisation_id.in_(
            select(Organisation.id).where(Organisation.import_batch_id == batch_id)
        ),
    )
    ids = []
    for iid, coordinator, at, subject, channel in session.execute(
        select(
            Interaction.id,
            Interaction.coordinator,
            Interaction.created_at,
            Interaction.subject,
            Interaction.channel,
        )
        .where(or_(*made_here))
        .order_by(Interaction.id)
    ):
        ids.append(iid)
        grouper.add(
            "interaction", "logged", coordinator, at, True, subject or channel, by_name=True
        )
    return ids


def _later_changes(session: Session, scope: _Scope, signons: set[int], grouper: _Grouper) -> None:
    """Everything else, from the change log; and the later imports that build on the batch
    (their own entries are theirs: that batch is undone first; undone ones took their
    changes back already)."""
    b = scope.batch.id
    created_contacts, created_orgs = set(scope.contacts), set(scope.organisations)
    contacts = created_contacts | set(scope.changed("contact"))
    orgs = created_orgs | set(scope.changed("organisation"))
    imports_after = {
        (row.created_at, row.coordinator): row
        for row in session.scalars(select(ImportBatch).where(ImportBatch.id > b))
    }
    entries = [
        e
        for e in session.execute(
            select(
                AuditEntry.id,
                AuditEntry.at,
                AuditEntry.coordinator,
                AuditEntry.action,
                AuditEntry.entity,
                AuditEntry.entity_id,
                AuditEntry.label,
                AuditEntry.organisation_id,
                AuditEntry.contact_id,
            )
            .where(
                AuditEntry.id > (scope.batch.last_audit_id or 0),
                AuditEntry.entity.not_in(("interaction", "import_batch")),
            )
            .order_by(AuditEntry.id)
        )
        if _concerns(e, contacts, created_contacts, orgs, created_orgs, signons)
    ]
    details = _details(session, [e.id for e in entries])
    names = _organisation_names(
        session, {e.organisation_id for e in entries if e.entity == "signon"}
    )
    later_imports: list[ImportBatch] = []
    for e in entries:
        batch = imports_after.get((e.at, e.coordinator))
        if batch is not None:
            if batch.undone_at is None:
                later_imports.append(batch)
            continue
        before, after = details.get(e.id, (None, None))
        if e.entity == "signon":
            name = names.get(e.organisation_id or 0) or e.label
            verb = "deleted" if e.action == "delete" else _move(before, after)
            takeable = e.action != "delete" and e.entity_id in signons
            grouper.add("sign-on", verb, e.coordinator, e.at, takeable, name)
        elif e.entity in ("contact", "organisation"):
            verb = _verb(e.action, after)
            created = created_contacts if e.entity == "contact" else created_orgs
            takeable = verb == "edited" and e.entity_id in created
            grouper.add(e.entity, verb, e.coordinator, e.at, takeable, e.label)
        else:
            noun = e.entity.replace("_", " ")
            grouper.add(noun, _verb(e.action, after), e.coordinator, e.at, False, e.label)
    # People a later import put in an organisation this one created have no entry.
    later_imports.extend(_imported_into(session, b, created_orgs))
    for batch in {batch.id: batch for batch in later_imports}.values():
        name = f"batch #{batch.id}, {batch.file_name}"
        grouper.add("later import", "", batch.coordinator, batch.created_at, False, name)


def _concerns(
    e: Any,
    contacts: set[int],
    created_contacts: set[int],
    orgs: set[int],
    created_orgs: set[int],
    signons: set[int],
) -> bool:
    """Whether a later change-log entry is about what the batch created or changed."""
    if e.entity == "signon":
        return (
            e.entity_id in signons
            or e.organisation_id in created_orgs
            or e.contact_id in created_contacts
        )
    if e.entity == "contact":
        return e.entity_id in contacts or e.organisation_id in created_orgs
    if e.entity == "organisation":
        return bool(e.entity_id in orgs)
    return e.contact_id in contacts or e.organisation_id in orgs


def _move(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """What a sign-on's entry did: "moved to invited", "set to signed" (a new one), "edited"."""
    status, was = (after or {}).get("status"), (before or {}).get("status")
    if not status or status == was:
        return "edited"
    return f"{'moved' if was else 'set'} to {status}"


def _verb(action: str, after: dict[str, Any] | None) -> str:
    after = after or {}
    if "merged_from" in after or "merged_into" in after:
        return "merged"
    return {"create": "added", "update": "edited", "delete": "deleted", "erase": "erased"}.get(
        action, action
    )


def _chunks(ids: Iterable[int], size: int = 900) -> Iterable[list[int]]:
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), size):
        yield wanted[start : start + size]


def _details(
    session: Session, ids: list[int]
) -> dict[int, tuple[dict[str, Any] | None, dict[str, Any] | None]]:
    """The before and after of these change-log entries."""
    found: dict[int, tuple[dict[str, Any] | None, dict[str, Any] | None]] = {}
    for chunk in _chunks(ids):
        for eid, before, after in session.execute(
            select(AuditEntry.id, AuditEntry.before, AuditEntry.after).where(
                AuditEntry.id.in_(chunk)
            )
        ):
            found[eid] = (before, after)
    return found


def _organisation_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    names: dict[int, str] = {}
    for chunk in _chunks(i for i in ids if i):
        query = select(Organisation.id, Organisation.name).where(Organisation.id.in_(chunk))
        names.update((oid, name) for oid, name in session.execute(query))
    return names


def _imported_into(session: Session, batch_id: int, organisations: set[int]) -> list[ImportBatch]:
    """Other batches that put people in these organisations."""
    found: dict[int, ImportBatch] = {}
    for chunk in _chunks(organisations):
        # The batches' ids, not their rows, made distinct: a row holds JSON, which
        # PostgreSQL cannot compare.
        into = select(Contact.import_batch_id).where(Contact.organisation_id.in_(chunk))
        for batch in session.scalars(
            select(ImportBatch).where(ImportBatch.id != batch_id, ImportBatch.id.in_(into))
        ):
            found[batch.id] = batch
    return [found[k] for k in sorted(found)]


def _later_moves(session: Session, batch_id: int, signons: set[int]) -> list[int]:
    """The status changes of these sign-ons made after the batch's own."""
    events: list[tuple[int, int, int | None]] = []
    for chunk in _chunks(signons):
        query = select(SignOnEvent.id, SignOnEvent.signon_id, SignOnEvent.import_batch_id)
        events.extend(
            (eid, sid, bid)
            for eid, sid, bid in session.execute(query.where(SignOnEvent.signon_id.in_(chunk)))
        )
    own: dict[int, int] = {}
    for eid, sid, bid in events:
        if bid == batch_id:
            own[sid] = max(own.get(sid, 0), eid)
    return sorted(eid for eid, sid, _bid in events if sid in own and eid > own[sid])


# --- undo ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Undone:
    """An undone batch and the later work taken back with it (in words)."""

    batch: BatchView
    taken_back: list[str]


def undo_batch(work: Work, batch_id: int, *, with_later: bool = False) -> BatchView:
    """Remove what a batch created and restore what it changed (see ``undo_import``)."""
    return undo_import(work, batch_id, with_later=with_later).batch


def undo_import(work: Work, batch_id: int, *, with_later: bool = False) -> Undone:
    """Remove what a batch created and restore what it changed. Refused while later work
    depends on it, naming that work; ``with_later`` takes it back too when it can."""
    session = work.session
    scope = _scope(session, batch_id)
    later = _later_work(session, scope)
    _refuse_if_kept(later, batch_id, with_later)
    _take_back(work, batch_id, later)

    changes = scope.changes
    created_contacts, created_orgs = scope.contacts, scope.organisations
    changed_contacts = scope.changed("contact")
    changed_orgs = scope.changed("organisation")
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
        elif change.entity == "contact_email":
            email = session.get(ContactEmail, change.entity_id)
            if email is not None:
                _restore(email, change.before)
        elif change.entity in ("interaction_outcome", "followup"):
            # An email logged before the batch, to which it gave the outcome a mail tool
            # reported: the email stays, its outcome goes back. A follow-up the batch
            # closed (a final answer): it opens again.
            interaction = session.get(Interaction, change.entity_id)
            if interaction is not None:
                _restore(interaction, change.before)
    # Interactions the batch logged (a mail tool's statuses) go with it.
    logged = scope.changed("interaction")
    for chunk in _chunks(logged):
        session.execute(delete(Interaction).where(Interaction.id.in_(chunk)))
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
    taken_back = [g.phrase() for g in later.groups]
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
        }
        | ({"removed_interactions": len(logged)} if logged else {})
        | ({"taken_back": taken_back} if taken_back else {}),
    )
    search.index_contacts(session, created_contacts + changed_contacts)
    search.index_organisations(session, created_orgs + changed_orgs)
    session.flush()
    return Undone(batch_view(batch), taken_back)


def _take_back(work: Work, batch_id: int, later: LaterWork) -> None:
    """Delete the later interactions (each with its entry in the change log, so every
    history shows it went) and the later moves of the sign-ons the batch moved."""
    session = work.session
    if later.interactions:
        rows: list[dict[str, Any]] = []
        for chunk in _chunks(later.interactions):
            for i in session.scalars(select(Interaction).where(Interaction.id.in_(chunk))):
                rows.append(
                    work.audit_row(
                        "delete",
                        "interaction",
                        i.id,
                        i.subject or i.channel,
                        {
                            "occurred_at": jsonable(i.occurred_at),
                            "channel": i.channel,
                            "subject": i.subject,
                            "coordinator": i.coordinator,
                        },
                        {"undone_with_import_batch": batch_id},
                        organisation_id=i.organisation_id,
                        contact_id=i.contact_id,
                    )
                )
            session.execute(delete(Interaction).where(Interaction.id.in_(chunk)))
        bulk_insert(session, AuditEntry.__table__, rows)
    for chunk in _chunks(later.signon_events):
        session.execute(delete(SignOnEvent).where(SignOnEvent.id.in_(chunk)))
    session.flush()
