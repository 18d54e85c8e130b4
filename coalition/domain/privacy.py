"""Personal-data requests: everything held on a person (GDPR art. 15/20), and erasure (art. 17).

Erasure removes the person's data everywhere it is stored — the contact with
its emails, phones, address and notes; what was logged about them in
interactions; the values of change-log entries about them (kept: who did what
when, and which fields there were); the earlier values an import kept for undo;
what merges kept to undo them; their entry in the search index — and keeps the
anonymous facts: an organisation signed, an interaction with an organisation
took place. A contact deleted earlier is found by what older change-log
entries still held on them.

It is one piece of work that can be re-run until done:

1. one unit of work removes the data and records the erasure in the *erasure
   ledger* (table ``erasures``) as pending: ids and salted hashes of the
   person's identifiers (emails, phones, normalised name, vCard UID), never the
   values;
2. the file is rewritten (``secure_delete``, search index merged, VACUUM, WAL
   checkpointed and truncated), so nothing survives in free pages, old index
   segments or the write-ahead log;
3. the file and its -wal are searched for the person's identifiers — by value
   while the erasing command still holds them, by hash for an erasure finished
   later (``person erase --finish``) — and the count reported;
4. only then is the erasure marked finished.

If another program holds the file, step 2 cannot finish: the command says so
and exits non-zero, and ``person erase --finish`` completes it later. The
ledger stays for good: a restored backup has the erasures made since applied
again, an import skips erased people unless told there is new consent, and a
vCard folder written again loses the erased person's card.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import signal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from coalition.domain.audit import Work, forget_values, work
from coalition.domain.merge import erase_from_merges
from coalition.domain.people import DELETED, contact_view, find_contact
from coalition.domain.team import require_personal_data
from coalition.domain.values import check_email, fold
from coalition.errors import CoalitionError, NotFound
from coalition.store import maintenance, search
from coalition.store.database import Database, upgrade_schema
from coalition.store.models import (
    AuditEntry,
    Contact,
    ContactEmail,
    Erasure,
    ImportBatch,
    ImportChange,
    Interaction,
    SignOn,
    utcnow,
)

ERASED = "[erased]"


def person_record(session: Session, ref: str) -> dict[str, Any]:
    """Everything held on one person, from every table, as plain values: dicts, lists,
    text, numbers, and dates and times (UTC) that the caller writes as it writes all
    others (the command line: ``cli.output.to_data``). Refused to a viewer of a server
    database."""
    require_personal_data(session)
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


# --- the ledger: salted hashes of who was erased ---------------------------------------------

KILL_ENV = "COALITION_TEST_KILL_AT"
"""A test names a step of the erasure here ("erased", "committed", "optimized", "vacuumed",
"checkpointed", "counted") to have the process killed (SIGKILL) right there."""

HELD = (
    "Erased from the records; another program has the database open — close it and run "
    "`coalition person erase --finish`."
)


def _kill_point(step: str) -> None:
    if os.environ.get(KILL_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def _digest(salt: str, kind: str, value: str) -> str:
    return hmac.new(bytes.fromhex(salt), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


_GONE = (ERASED, DELETED)


def _listed(value: Any) -> list[str]:
    """The texts of a list a snapshot kept (none where it kept only that there was one)."""
    if not isinstance(value, list):
        return []
    return [str(v) for v in value if isinstance(v, str) and v and v not in _GONE]


@dataclass(frozen=True)
class Identifiers:
    """What identifies one person, as the erasing command holds it in memory: the values
    it searches the file for afterwards, and what the ledger keeps of them (hashes)."""

    emails: tuple[str, ...] = ()
    """As stored and as folded (the key an address is recognised by)."""
    phones: tuple[str, ...] = ()
    """As typed and in E.164 form."""
    name: str | None = None
    uid: str | None = None

    @staticmethod
    def of(contact: Contact) -> Identifiers:
        return Identifiers(
            tuple(dict.fromkeys(v for e in contact.emails for v in (e.address, e.address_key))),
            tuple(dict.fromkeys(v for p in contact.phones for v in (p.number, p.e164) if v)),
            contact.display_name,
            contact.uid,
        )

    @staticmethod
    def from_snapshot(snapshot: dict[str, Any]) -> Identifiers:
        """From a change-log snapshot of a contact (``people.contact_snapshot``)."""
        emails = _listed(snapshot.get("emails"))
        name = snapshot.get("display_name")
        uid = snapshot.get("uid")
        return Identifiers(
            tuple(dict.fromkeys(v for a in emails for v in (a, check_email(a).key))),
            tuple(dict.fromkeys(_listed(snapshot.get("phones")))),
            name if isinstance(name, str) and name not in _GONE else None,
            uid if isinstance(uid, str) and uid not in _GONE else None,
        )

    def digests(self, salt: str) -> dict[str, Any]:
        keys = sorted({e for e in self.emails if e == e.casefold() and "@" in e})
        numbers = sorted({p for p in self.phones if p.startswith("+") and p[1:].isdigit()})
        return {
            "email": [_digest(salt, "email", e) for e in keys],
            # Where "@" falls in each address and how long it is: enough to find it again by
            # its hash in the bytes of the file (``maintenance.spans_in_file``).
            "email_shape": sorted({(len(e.split("@")[0].encode()), len(e.encode())) for e in keys}),
            "phone": [_digest(salt, "phone", p) for p in numbers],
            "name": [_digest(salt, "name", fold(self.name))] if self.name else [],
            "uid": [_digest(salt, "uid", self.uid.lower())] if self.uid else [],
        }

    def values(self) -> list[str]:
        return [v for v in (*self.emails, *self.phones, self.name, self.uid) if v]


@dataclass(frozen=True)
class Ledger:
    """The hashes of every erased person's identifiers, by salt and by kind."""

    by_salt: dict[str, dict[str, frozenset[str]]]

    def __bool__(self) -> bool:
        return bool(self.by_salt)

    def holds(self, kind: str, value: str | None) -> bool:
        """Whether an erased person had this identifier ("email": a folded address, "uid")."""
        if not value or not self.by_salt:
            return False
        value = value.lower() if kind == "uid" else value
        return any(
            _digest(salt, kind, value) in kinds.get(kind, ())
            for salt, kinds in self.by_salt.items()
        )

    def holds_uid(self, uid: str) -> bool:
        return self.holds("uid", uid)


def ledger(session: Session) -> Ledger:
    """The erasure ledger as it is now (small: one entry per person ever erased)."""
    by_salt: dict[str, dict[str, set[str]]] = {}
    for salt, digests in session.execute(select(Erasure.salt, Erasure.digests)):
        kinds = by_salt.setdefault(salt, {})
        for kind in ("email", "phone", "name", "uid"):
            kinds.setdefault(kind, set()).update(digests.get(kind) or [])
    return Ledger({s: {k: frozenset(v) for k, v in kinds.items()} for s, kinds in by_salt.items()})


def _salt(session: Session) -> str:
    """The database's salt: the one its ledger uses, or a new random one for its first."""
    found = session.scalar(select(Erasure.salt).order_by(Erasure.id).limit(1))
    return found or secrets.token_hex(16)


def pending_erasures(session: Session) -> int:
    """How many erasures are recorded but not finished (the file not yet rewritten)."""
    return session.scalar(select(func.count()).select_from(Erasure).where(Erasure.pending)) or 0


# --- erasing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureSummary:
    contact_id: int
    interactions_anonymised: int
    interactions_removed: int
    audit_entries_scrubbed: int
    erasure_id: int = 0
    identifiers: Identifiers = field(default_factory=Identifiers, repr=False)


@dataclass(frozen=True)
class Finished:
    """The rewrite after one or more erasures, done."""

    erasures: int
    """How many pending erasures it finished."""
    occurrences: int
    """How often the erased identifiers still occur in the file and its -wal (0)."""


class ErasureUnfinished(CoalitionError):
    """The data is gone from the records but the file could not be rewritten (yet)."""

    def __init__(self, message: str, occurrences: int | None = None) -> None:
        super().__init__(message)
        self.occurrences = occurrences
        self.summary: ErasureSummary | None = None


@dataclass(frozen=True)
class ErasureTarget:
    contact_id: int
    label: str
    in_records: bool
    """False for a contact deleted earlier whom older change-log entries still describe."""


def erasure_target(session: Session, ref: str) -> ErasureTarget:
    """Who ``person erase REF`` would erase: a contact, or a contact deleted earlier that
    the change log still holds details of (entries written before deletion kept none)."""
    try:
        contact = find_contact(session, ref)
    except NotFound as exc:
        found = _deleted_contact(session, ref)
        if found is not None:
            cid, snapshot = found
            name = snapshot.get("display_name") or ""
            return ErasureTarget(cid, f"#{cid} {name} (deleted earlier)".replace("  ", " "), False)
        book = ledger(session)
        key = check_email(ref).key if "@" in ref else None
        if key and book.holds("email", key):
            raise NotFound(
                f"{ref} was erased already. "
                + (
                    "The erasure is not finished: run `coalition person erase --finish`."
                    if pending_erasures(session)
                    else "Nothing is left of them to erase."
                )
            ) from exc
        raise
    return ErasureTarget(contact.id, f"#{contact.id} {contact.display_name}", True)


def _deleted_contact(session: Session, ref: str) -> tuple[int, dict[str, Any]] | None:
    """A deleted contact by id, email or name, from what older delete entries kept."""
    text = ref.strip().lstrip("#")
    key = check_email(ref).key if "@" in ref else None
    found: dict[int, dict[str, Any]] = {}
    for entry in session.scalars(
        select(AuditEntry).where(AuditEntry.action == "delete", AuditEntry.entity == "contact")
    ):
        before = entry.before or {}
        emails = [check_email(a).key for a in _listed(before.get("emails"))]
        if (
            (text.isdigit() and int(text) == entry.entity_id)
            or (key is not None and key in emails)
            or (key is None and fold(ref) == fold(before.get("display_name")))
        ):
            found[entry.entity_id] = before
    if not found or session.get(Contact, next(iter(found))) is not None:
        return None
    if len(found) > 1:
        ids = ", ".join(f"#{i}" for i in sorted(found))
        raise CoalitionError(
            f"'{ref}' matches {len(found)} deleted contacts ({ids}); name one by its id."
        )
    return next(iter(found.items()))


def erase_person(work: Work, ref: str, *, entry: Erasure | None = None) -> ErasureSummary:
    """Remove a person's personal data everywhere, keep the anonymous facts, and record the
    erasure in the ledger as pending (``entry``: an entry the ledger has already, as when a
    restore applies it again)."""
    session = work.session
    target = erasure_target(session, ref)
    cid = target.contact_id
    contact = session.get(Contact, cid) if target.in_records else None
    if contact is not None:
        identifiers = Identifiers.of(contact)
    else:
        found = _deleted_contact(session, str(cid))
        identifiers = Identifiers.from_snapshot(found[1] if found else {})
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
    session.execute(
        update(SignOn)
        .where(SignOn.signed_by_id == cid)
        .values(signed_by_id=None, version=SignOn.version + 1)
    )
    # Every entry about them: by the contact they concern, or the record they are.
    scrubbed = forget_values(
        session,
        or_(
            AuditEntry.contact_id == cid,
            and_(AuditEntry.entity == "contact", AuditEntry.entity_id == cid),
        ),
        ERASED,
    )
    session.execute(
        delete(ImportChange).where(ImportChange.entity == "contact", ImportChange.entity_id == cid)
    )
    # A merge keeps the rows as they were to undo it: the person's own, and so their data.
    erase_from_merges(session, cid, ERASED)
    if contact is not None:
        session.delete(contact)
    session.flush()
    search.index_contacts(session, [cid])
    if entry is None:
        salt = _salt(session)
        entry = Erasure(
            token=secrets.token_hex(16),
            coordinator=work.coordinator,
            contact_id=cid,
            salt=salt,
            digests=identifiers.digests(salt),
        )
        session.add(entry)
    entry.pending = True
    entry.finished_at = None
    session.flush()
    work.audit("erase", "contact", cid, ERASED, None, None, contact_id=None)
    return ErasureSummary(
        cid, int(anonymised or 0), int(removed or 0), scrubbed, entry.id, identifiers
    )


def erase_and_rewrite(db: Database, coordinator: str, ref: str) -> tuple[ErasureSummary, Finished]:
    """The whole erasure a coordinator asks for: the person's data removed and the erasure
    recorded in one unit of work; then the file rewritten and searched for what was erased
    (``finish_erasures``). Raises ``ErasureUnfinished`` (with the summary) when the file
    could not be rewritten: ``person erase --finish`` completes it."""
    with work(db, coordinator) as unit:
        summary = erase_person(unit, ref)
        _kill_point("erased")
    _kill_point("committed")
    try:
        finished = finish_erasures(db, [summary])
    except ErasureUnfinished as exc:
        exc.summary = summary
        raise
    return summary, finished


def finish_erasures(db: Database, known: Sequence[ErasureSummary] = ()) -> Finished:
    """Rewrite the file after erasures, search it and its -wal for what was erased, and mark
    the pending erasures finished. ``known``: erasures this process made, whose values it
    still holds; the others (an earlier run that was killed or found the file held) are
    searched for by their hashes."""
    with db.read_session() as session:
        pending = [
            (e.id, e.salt, dict(e.digests))
            for e in session.scalars(select(Erasure).where(Erasure.pending))
        ]
    if not pending and not known:
        return Finished(0, 0)
    try:
        maintenance.rewrite_without_free_pages(db, after_step=_kill_point)
    except maintenance.DatabaseHeld:
        count = _occurrences(db, known, pending)
        still = (
            f" Until then their details occur {count} time{'' if count == 1 else 's'} "
            "in the database file and its -wal."
            if count
            else ""
        )
        raise ErasureUnfinished(HELD + still, count) from None
    count = _occurrences(db, known, pending)
    _kill_point("counted")
    if count:  # still in other records: pending until they are edited and this runs again
        return Finished(0, count)
    with db.session() as session:
        session.execute(
            update(Erasure)
            .where(Erasure.id.in_([p[0] for p in pending]))
            .values(pending=False, finished_at=utcnow())
        )
    maintenance.checkpoint(db)
    return Finished(len(pending), count)


def _occurrences(
    db: Database,
    known: Sequence[ErasureSummary],
    pending: Sequence[tuple[int, str, dict[str, Any]]],
) -> int:
    """How often erased identifiers occur in the file and its -wal: by value for ``known``
    erasures (emails, phones, the name when no one else bears it, the UID), by hash for the
    other pending ones (emails, numbers in E.164 form and UUIDs: what can be recognised)."""
    values: list[str] = []
    with db.read_session() as session:
        for summary in known:
            ids = summary.identifiers
            values.extend(v for v in ids.values() if v != ids.name)
            if ids.name and not session.scalar(
                select(Contact.id).where(Contact.display_name_key == fold(ids.name)).limit(1)
            ):
                values.append(ids.name)
    count = maintenance.count_in_file(db, values) if values else 0
    mine = {s.erasure_id for s in known}
    others = [(salt, digests) for eid, salt, digests in pending if eid not in mine]
    if not others:
        return count
    wanted = {
        kind: {d for _salt, digests in others for d in digests.get(kind) or []}
        for kind in ("email", "phone", "uid")
    }
    salts = sorted({salt for salt, _digests in others})

    def seen(kind: str, candidates: Iterable[str]) -> int:
        if not wanted[kind]:
            return 0
        return sum(1 for c in candidates for s in salts if _digest(s, kind, c) in wanted[kind])

    shapes = {tuple(s) for _salt, d in others for s in d.get("email_shape") or []}
    count += seen("email", maintenance.spans_in_file(db, b"@", shapes))
    count += seen("phone", maintenance.spans_in_file(db, b"+", [(0, n) for n in range(8, 17)]))
    count += seen("uid", maintenance.uuids_in_file(db))
    return count


# --- restore ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restored:
    safety: Path
    """The database as it was before, kept beside it."""
    erased_again: int
    """People in the backup whom the ledger says were erased, erased again."""
    finished: Finished | None


def restore_backup(db: Database, coordinator: str, source: Path) -> Restored:
    """Replace the database with a backup, keeping the erasure ledger: the erasures recorded
    in the current database are added to the restored one, and everyone in the backup they
    name (by an email address or the UID) is erased again, the file rewritten and checked
    as after any erasure. Raises ``ErasureUnfinished`` if another program holds the file."""
    with db.read_session() as session:
        entries = [
            {c: getattr(e, c) for c in ("token", "at", "coordinator", "contact_id", "salt")}
            | {"digests": dict(e.digests), "pending": e.pending, "finished_at": e.finished_at}
            for e in session.scalars(select(Erasure).order_by(Erasure.id))
        ]
    safety = maintenance.restore(db, source)
    upgrade_schema(db)
    summaries: list[ErasureSummary] = []
    with work(db, coordinator) as unit:
        session = unit.session
        have = set(session.scalars(select(Erasure.token)))
        session.add_all(Erasure(**e) for e in entries if e["token"] not in have)
        session.flush()
        for entry, cid in _erased_contacts(session):
            summaries.append(erase_person(unit, str(cid), entry=entry))
    finished = finish_erasures(db, summaries) if summaries else None
    return Restored(safety, len(summaries), finished)


def _erased_contacts(session: Session) -> list[tuple[Erasure, int]]:
    """Contacts the ledger names (by a folded email address or the UID), each with the
    entry that names them."""
    entries = list(session.scalars(select(Erasure).order_by(Erasure.id)))
    if not entries:
        return []
    by_digest: dict[tuple[str, str, str], Erasure] = {}
    for e in entries:
        for kind in ("email", "uid"):
            for d in e.digests.get(kind) or []:
                by_digest[(e.salt, kind, d)] = e
    salts = sorted({e.salt for e in entries})
    found: dict[int, Erasure] = {}

    def check(kind: str, rows: Iterable[Any]) -> None:
        for cid, value in rows:
            for salt in salts:
                hit = by_digest.get((salt, kind, _digest(salt, kind, value)))
                if hit is not None:
                    found.setdefault(cid, hit)

    check("email", session.execute(select(ContactEmail.contact_id, ContactEmail.address_key)))
    check(
        "uid",
        (
            (cid, uid.lower())
            for cid, uid in session.execute(select(Contact.id, Contact.uid))
            if uid
        ),
    )
    return [(e, cid) for cid, e in sorted(found.items())]


__all__ = [
    "ERASED",
    "HELD",
    "ErasureSummary",
    "ErasureTarget",
    "ErasureUnfinished",
    "Finished",
    "Identifiers",
    "Ledger",
    "Restored",
    "erase_and_rewrite",
    "erase_person",
    "erasure_target",
    "finish_erasures",
    "ledger",
    "pending_erasures",
    "person_record",
    "restore_backup",
]
