"""Answers coming back from mail tools: what became of each email of a mail merge.

A mail tool's status file (``interchange.mailtools`` reads it: YAMM's merge status sheet,
Thunderbird Mail Merge's log, Mailchimp's exports of cleaned and unsubscribed members) says
per row to which address an email went and what happened: sent, opened, clicked, responded,
bounced, unsubscribed. Each row comes here as a ``StatusRecord`` whose ``StatusMeaning`` says
what to do with it; this module finds the contact holding the address and does it, as one
import batch:

- an email the row says went out is logged with the contact (email, out, the file's subject
  or campaign title, dated by the file's time when it has one, else when imported), with
  what the recipient did as its outcome ("opened", "clicked", "responded");
- bounced sets the contact's ``bounced`` flag and marks the address invalid; unsubscribed
  sets ``do_not_contact``;
- with a campaign, an email that reached its recipient moves their organisation to invited
  by the mail merge's own rule, ``exports.OutreachLogging`` (a prospect, or not in the
  campaign yet), which does the moving too.

A status file never creates anyone: an address no contact holds is listed in the plan and
left alone. An email already logged as the file says (same contact, subject, time and
outcome) is not logged twice, and a flag already set is not set again.

Previewed by ``plan_statuses`` (changes nothing), applied by ``apply_statuses`` in the
caller's unit of work, and undone by ``undo_import`` like any batch: the interactions it
logged are deleted, the contacts, addresses and sign-ons it changed get their earlier values
back, and the sign-ons it created go.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from coalition.domain import people
from coalition.domain.audit import Work, changes, jsonable
from coalition.domain.exports import OutreachLogging, invitation_moves
from coalition.domain.imports.apply import (
    BatchRecord,
    BatchView,
    contact_saved,
    next_id,
    refuse_repeat,
)
from coalition.domain.imports.plan import _rows_for, change_marker, previous_batch
from coalition.domain.imports.records import (
    ImportOptions,
    StatusRecord,
    days_phrase,
    read_answer_times,
)
from coalition.domain.lookup import find_campaign
from coalition.domain.values import check_email, clean
from coalition.store.bulk import bulk_insert
from coalition.store.keys import one_of
from coalition.store.models import (
    Contact,
    ContactEmail,
    ImportChange,
    Interaction,
    SignOn,
    SignOnEvent,
    utcnow,
)

FLAGS = ("bounced", "do_not_contact")
"""What a status can set on a contact."""

EVENTS = ("sent", "opened", "clicked", "responded", "bounced", "unsubscribed")
"""What a status can say happened to an email, in the order a plan counts them."""


ACTIONS = ("apply", "recorded", "unknown", "no address", "not sent", "not understood")
"""What a plan does with a row: applies it; finds it all recorded already; finds no contact
holding its address; finds no address in it; has nothing to do (no email went out); does
not understand its status."""


@dataclass(slots=True)
class StatusRow:
    record: StatusRecord
    address: str
    """The address alone, normalised ("" when the row has none)."""
    key: str | None
    """The address's folded form, as ``contact_emails.address_key`` holds it."""
    action: str = "apply"
    """One of ``ACTIONS``."""
    reason: str = ""
    contact_id: int | None = None
    organisation_id: int | None = None
    email_id: int | None = None
    at: dt.datetime | None = None
    """When it happened (naive UTC), from the file; None: dated when applied."""
    logs: bool = False
    """An interaction is logged for it."""
    completes: int | None = None
    """The email already logged for this sending (the mail merge's ``--log-outreach``) that
    the row gives its outcome, rather than logging a second one."""
    flags: tuple[str, ...] = ()
    """The flags it sets (those the contact lacks, each set by the first row that says so)."""
    invalidates: bool = False
    """It marks the address invalid (it bounced)."""
    warnings: list[str] = field(default_factory=list)


@dataclass
class StatusPlan:
    tool: str
    """The tool's name as the plan says it ("YAMM merge status sheet")."""
    rows: list[StatusRow]
    options: ImportOptions
    campaign_id: int | None = None
    previous_batch: int | None = None
    marker: tuple[int, ...] = ()
    to_invite: list[int] = field(default_factory=list)
    """Organisations a reached invitation moves to invited (the preview: ``apply_statuses``
    lets ``OutreachLogging`` decide again under the write lock)."""
    reading: str | None = None
    """How day and month of the file's times were read, when they could be either."""

    def counts(self) -> dict[str, int]:
        applied = Counter(
            r.record.meaning.event for r in self.rows if r.action == "apply" and r.record.meaning
        )
        counts: dict[str, int] = {e: applied[e] for e in EVENTS if applied[e]}
        if self.to_invite:
            counts["organisations invited"] = len(self.to_invite)
        unknown = self.unknown_addresses()
        if unknown:
            counts["unknown addresses"] = len(unknown)
        others = Counter(r.action for r in self.rows)
        for action in ("recorded", "no address", "not sent", "not understood"):
            if others[action]:
                counts[action] = others[action]
        return counts

    def summary(self) -> str:
        """ "12 sent, 3 opened, 2 bounced, 1 unsubscribed; 2 addresses not known"."""
        counts = self.counts()
        done = [f"{counts[e]:,} {e}" for e in EVENTS if counts.get(e)]
        invited = counts.get("organisations invited", 0)
        if invited:
            done.append(f"{invited:,} organisation{_s(invited)} invited")
        left = []
        unknown = counts.get("unknown addresses", 0)
        if unknown:
            left.append(f"{unknown:,} address{'' if unknown == 1 else 'es'} not known")
        for action, words in (
            ("recorded", "already recorded"),
            ("not sent", "not sent"),
            ("no address", "without an address"),
            ("not understood", "not understood"),
        ):
            if counts.get(action):
                n = counts[action]
                left.append(f"{n:,} row{_s(n)} {words}")
        return "; ".join(p for p in (", ".join(done) or "nothing to record", ", ".join(left)) if p)

    def unknown_addresses(self) -> list[str]:
        """The addresses no contact holds, each once, in the file's order."""
        return list(dict.fromkeys(r.address for r in self.rows if r.action == "unknown"))

    def dating(self) -> str:
        """How the emails it logs are dated."""
        logged = [r for r in self.rows if r.logs]
        dated = [r.at for r in logged if r.at]
        if not dated:
            return "Emails dated when imported: the file says no time."
        text = f"Emails dated by the file's times: {days_phrase(dated)} (UTC)"
        if self.reading:
            text += f", {self.reading}"
        undated = len(logged) - len(dated)
        if undated:
            text += f"; {undated:,} without a time dated when imported"
        return text + "."

    @property
    def subject(self) -> str:
        """What the logged emails were: their one subject, else the tool and the file."""
        subjects = {r.record.subject for r in self.rows if r.logs}
        if len(subjects) == 1 and None not in subjects:
            return str(next(iter(subjects)))
        return f"{self.tool} ({self.options.file_name})"


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def plan_statuses(
    session: Session, records: Iterable[StatusRecord], options: ImportOptions, *, tool: str
) -> StatusPlan:
    """What applying a status file would do; changes nothing."""
    rows = []
    for record in records:
        if record.address.strip():
            checked = check_email(record.address)
            rows.append(StatusRow(record, checked.address, checked.key))
        else:
            rows.append(StatusRow(record, "", None))
    plan = StatusPlan(tool, rows, options)
    timed = [r for r in rows if r.record.at and r.key and r.record.meaning is not None]
    if timed:
        read = read_answer_times(
            [(r.record.source, r.record.at) for r in timed],
            now=utcnow(),
            what="time",
            otherwise="dated when imported",
        )
        plan.reading = read.reading
        for row, when, problem in zip(timed, read.times, read.problems, strict=True):
            row.at = when
            if problem:
                row.warnings.append(problem)
    _match(session, plan)
    return plan


def _match(session: Session, plan: StatusPlan) -> None:
    """Each row against the database as it is now: whose address it is, what is left to do.
    Run by the plan, and again by ``apply_statuses`` if the database changed since."""
    options = plan.options
    plan.marker = change_marker(session)
    plan.campaign_id = find_campaign(session, options.campaign).id if options.campaign else None
    plan.previous_batch = previous_batch(session, options.sha256)
    by_key: dict[str, tuple[int, int]] = {}
    for key, contact_id, email_id in _rows_for(
        session,
        lambda keys: select(
            ContactEmail.address_key, ContactEmail.contact_id, ContactEmail.id
        ).where(one_of(ContactEmail.address_key, keys)),
        (r.key for r in plan.rows if r.key),
    ):
        by_key.setdefault(key, (contact_id, email_id))
    contacts: dict[int, tuple[int | None, bool, bool]] = {
        cid: (org_id, bounced, quiet)
        for cid, org_id, bounced, quiet in _rows_for(
            session,
            lambda keys: select(
                Contact.id, Contact.organisation_id, Contact.bounced, Contact.do_not_contact
            ).where(one_of(Contact.id, keys)),
            (contact_id for contact_id, _email in by_key.values()),
        )
    }
    invalid = {
        eid
        for (eid,) in _rows_for(
            session,
            lambda keys: select(ContactEmail.id).where(
                one_of(ContactEmail.id, keys), ContactEmail.valid.is_(False)
            ),
            (email_id for _contact, email_id in by_key.values()),
        )
    }
    logged = _logged(session, plan, by_key)
    earlier = _earlier_emails(session, plan, {cid for cid, _email in by_key.values()})
    completed: set[int] = set()
    flagged = {(cid, "bounced") for cid, (_org, bounced, _quiet) in contacts.items() if bounced}
    flagged |= {(cid, "do_not_contact") for cid, (_org, _b, quiet) in contacts.items() if quiet}
    now = utcnow()
    for row in plan.rows:
        _decide(row, by_key, contacts, invalid, logged, flagged)
        _same_sending(row, earlier, completed, now)
    plan.to_invite = _to_invite(session, plan)


SAME_SENDING = dt.timedelta(days=14)
"""An email logged this close before a row's time (or the import's, for a file without
times) is the one the row reports on: the mail merge logged it when it wrote the file."""


def _earlier_emails(
    session: Session, plan: StatusPlan, contact_ids: set[int]
) -> dict[int, tuple[int, dt.datetime, str | None]]:
    """Each contact's latest email out — about the plan's campaign when it has one — as
    (interaction id, when, outcome)."""
    latest: dict[int, tuple[int, dt.datetime, str | None]] = {}

    def statement(keys: list[Any]) -> Any:
        query = select(
            Interaction.contact_id, Interaction.id, Interaction.occurred_at, Interaction.outcome
        ).where(
            one_of(Interaction.contact_id, keys),
            Interaction.channel == "email",
            Interaction.direction == "out",
        )
        if plan.campaign_id is not None:
            query = query.where(Interaction.campaign_id == plan.campaign_id)
        return query

    for contact_id, iid, at, outcome in _rows_for(session, statement, contact_ids):
        known = latest.get(contact_id)
        if known is None or (at, iid) > (known[1], known[0]):
            latest[contact_id] = (iid, at, outcome)
    return latest


def _same_sending(
    row: StatusRow,
    earlier: dict[int, tuple[int, dt.datetime, str | None]],
    completed: set[int],
    now: dt.datetime,
) -> None:
    """A row about an email already logged for the same sending gives that email its outcome
    (opened, clicked …) once, or is already recorded; it logs no second email."""
    meaning = row.record.meaning
    if not row.logs or meaning is None or row.contact_id is None:
        return
    prior = earlier.get(row.contact_id)
    if prior is None:
        return
    iid, at, outcome = prior
    when = row.at or now
    if not (at - dt.timedelta(days=1) <= when <= at + SAME_SENDING):
        return
    row.logs = False
    said = f"the email logged on {at.date().isoformat()}"
    if meaning.outcome and outcome is None and iid not in completed:
        row.completes = iid
        completed.add(iid)
    elif not (row.flags or row.invalidates):
        row.action = "recorded"
        row.reason = f"contact #{row.contact_id}: {said} already says it"
        return
    row.reason = f"contact #{row.contact_id}: " + ", ".join(_what(row, said))


def _logged(
    session: Session, plan: StatusPlan, by_key: dict[str, tuple[int, int]]
) -> set[tuple[int, str | None, dt.datetime, str | None]]:
    """(contact, subject, time, outcome) of the emails already logged that a row dated by the
    file could repeat."""
    contact_ids = {by_key[r.key][0] for r in plan.rows if r.at and r.key in by_key}
    return {
        (cid, subject, at, outcome)
        for cid, subject, at, outcome in _rows_for(
            session,
            lambda keys: select(
                Interaction.contact_id,
                Interaction.subject,
                Interaction.occurred_at,
                Interaction.outcome,
            ).where(
                one_of(Interaction.contact_id, keys),
                Interaction.channel == "email",
                Interaction.direction == "out",
            ),
            contact_ids,
        )
    }


def _decide(
    row: StatusRow,
    by_key: dict[str, tuple[int, int]],
    contacts: dict[int, tuple[int | None, bool, bool]],
    invalid: set[int],
    logged: set[tuple[int, str | None, dt.datetime, str | None]],
    flagged: set[tuple[int, str]],
) -> None:
    """What one row does, given what is stored and what the rows before it do."""
    r, meaning = row.record, row.record.meaning
    row.contact_id = row.organisation_id = row.email_id = None
    row.logs, row.flags, row.invalidates = False, (), False
    if not row.key:
        row.action, row.reason = "no address", "no recipient in this row"
        return
    if meaning is None:
        row.action, row.reason = "not understood", f"status '{r.status}' not understood; left alone"
        return
    if not (meaning.mailed or meaning.flag):
        row.action, row.reason = "not sent", f"{meaning.event} ({r.status or 'no status'})"
        return
    found = by_key.get(row.key)
    if found is None:
        row.action, row.reason = "unknown", "no contact has this address; left alone"
        return
    row.contact_id, row.email_id = found
    row.organisation_id = contacts[row.contact_id][0] if row.contact_id in contacts else None
    done = []
    if meaning.mailed:
        repeat = (
            None if row.at is None else (row.contact_id, clean(r.subject), row.at, meaning.outcome)
        )
        if repeat is not None and repeat in logged:
            done.append("email already logged")
        else:
            row.logs = True
            if repeat is not None:
                logged.add(repeat)  # a later row the same is a repeat too
    if meaning.flag:
        if (row.contact_id, meaning.flag) in flagged:
            done.append(f"already {_FLAG_WORDS[meaning.flag]}")
        else:
            row.flags = (meaning.flag,)
            flagged.add((row.contact_id, meaning.flag))
    if meaning.flag == "bounced" and row.email_id not in invalid:
        row.invalidates = True
        invalid.add(row.email_id)
    if row.logs or row.flags or row.invalidates:
        row.action = "apply"
        row.reason = f"contact #{row.contact_id}: " + ", ".join(_what(row))
    else:
        row.action, row.reason = "recorded", f"contact #{row.contact_id}: " + "; ".join(done)


_FLAG_WORDS = {"bounced": "marked bounced", "do_not_contact": "marked do not contact"}


def _what(row: StatusRow, earlier: str = "the email logged earlier") -> list[str]:
    meaning = row.record.meaning
    what = []
    if row.logs and meaning is not None:
        what.append("email logged" + (f" ({meaning.outcome})" if meaning.outcome else ""))
    if row.completes is not None and meaning is not None:
        what.append(f"{meaning.outcome} noted on {earlier}")
    what.extend(_FLAG_WORDS[f] for f in row.flags)
    if row.invalidates:
        what.append("address marked invalid")
    return what


def _to_invite(session: Session, plan: StatusPlan) -> list[int]:
    """The organisations whose sign-on a reached email moves to invited, by the mail merge's
    rule (``exports.invitation_moves``), which ``_invite`` lets do the moving as
    ``--log-outreach`` does."""
    if plan.campaign_id is None:
        return []
    reached = {
        r.organisation_id
        for r in plan.rows
        if r.action == "apply" and (r.logs or r.completes) and r.organisation_id and _reached(r)
    }
    current = dict(
        session.execute(
            select(SignOn.organisation_id, SignOn.status).where(
                SignOn.campaign_id == plan.campaign_id
            )
        ).all()
    )
    moving = invitation_moves()  # the mail merge's own rule
    return sorted(org for org in reached if org is not None and current.get(org) in moving)


def _reached(row: StatusRow) -> bool:
    return row.record.meaning is not None and row.record.meaning.reached


# --- apply ------------------------------------------------------------------------------------


def apply_statuses(work: Work, plan: StatusPlan) -> BatchView:
    """Write the plan as one batch. Call inside one unit of work: all or nothing."""
    session = work.session
    if change_marker(session) != plan.marker:
        _match(session, plan)  # the database changed since the plan: match again, locked
    refuse_repeat(plan.options, plan.previous_batch)
    batch = BatchRecord(work, plan.options, read_as={"tool": plan.tool})
    logged = _log(batch, plan)
    completed = _complete(batch, plan)
    flagged = _flag(batch, plan)
    invited = _invite(batch, plan, logged)
    counts = plan.counts()
    counts.pop("organisations invited", None)
    counts |= {"interactions logged": logged, "contacts flagged": flagged}
    if completed:
        counts["outcomes noted"] = completed
    if invited:
        counts["organisations invited"] = invited
    batch.write_audit(counts)
    return batch.close(counts)


def _log(batch: BatchRecord, plan: StatusPlan) -> int:
    """The emails the rows say went out, one interaction each, given ids so that undo finds
    them (``import_changes``: an interaction the batch logged). Returns how many."""
    session, now = batch.session, batch.now
    rows = [r for r in plan.rows if r.logs]
    first = next_id(session, Interaction.__table__)
    interactions: list[dict[str, Any]] = []
    for iid, row in enumerate(rows, first):
        r = row.record
        meaning = r.meaning
        note = f"{plan.tool}: {r.status}" if r.status else plan.tool
        interactions.append(
            {
                "id": iid, "occurred_at": row.at or now, "channel": "email", "direction": "out",
                "subject": clean(r.subject), "outcome": meaning.outcome if meaning else None,
                "notes": note + (f" ({r.note})" if r.note else ""),
                "contact_id": row.contact_id, "organisation_id": row.organisation_id,
                "campaign_id": plan.campaign_id, "follow_up_on": None, "done": False,
                "coordinator": batch.work.coordinator, "created_at": now,
            }
        )  # fmt: skip
    bulk_insert(session, Interaction.__table__, interactions)
    bulk_insert(
        session,
        ImportChange.__table__,
        [
            {"batch_id": batch.id, "entity": "interaction", "entity_id": i["id"], "before": {}}
            for i in interactions
        ],
    )
    return len(interactions)


def _complete(batch: BatchRecord, plan: StatusPlan) -> int:
    """The outcomes rows give emails logged before (each email's earlier outcome, None, kept
    for undo as an ``interaction_outcome`` change). Returns how many."""
    rows = [r for r in plan.rows if r.completes is not None and r.record.meaning is not None]
    for row in rows:
        assert row.completes is not None and row.record.meaning is not None
        batch.session.execute(
            update(Interaction)
            .where(Interaction.id == row.completes, Interaction.outcome.is_(None))
            .values(outcome=row.record.meaning.outcome)
        )
        batch.session.add(
            ImportChange(
                batch_id=batch.id,
                entity="interaction_outcome",
                entity_id=row.completes,
                before={"outcome": None},
            )
        )
    batch.session.flush()
    return len(rows)


def _flag(batch: BatchRecord, plan: StatusPlan) -> int:
    """The flags the rows set and the addresses that bounced, each contact's earlier values
    kept for undo, with an entry in the change log. Returns how many contacts changed."""
    session = batch.session
    flags: dict[int, set[str]] = {}
    invalid: dict[int, set[int]] = {}
    for row in plan.rows:
        if row.contact_id is not None and (row.flags or row.invalidates):
            flags.setdefault(row.contact_id, set()).update(row.flags)
            if row.invalidates and row.email_id is not None:
                invalid.setdefault(row.contact_id, set()).add(row.email_id)
    reason = f"bounced ({plan.tool}, {plan.options.file_name})"[:300]
    for contact in people.load_contacts(session, sorted(flags)):
        saved = contact_saved(contact)
        before = _flag_snapshot(contact)
        for flag in flags[contact.id]:
            setattr(contact, flag, True)
        for email in contact.emails:
            if email.id in invalid.get(contact.id, ()) and email.valid:
                session.add(
                    ImportChange(
                        batch_id=batch.id,
                        entity="contact_email",
                        entity_id=email.id,
                        before={"valid": email.valid, "invalid_reason": email.invalid_reason},
                    )
                )
                email.valid, email.invalid_reason = False, reason
        was, now = changes(before, _flag_snapshot(contact))
        batch.changed(
            "contact", contact, saved, contact.display_name, was, now,
            org_id=contact.organisation_id, contact_id=contact.id,
        )  # fmt: skip
    session.flush()
    return len(flags)


def _flag_snapshot(contact: Contact) -> dict[str, Any]:
    return {
        "bounced": contact.bounced,
        "do_not_contact": contact.do_not_contact,
        "invalid emails": [e.address for e in contact.emails if not e.valid],
    }


def _invite(batch: BatchRecord, plan: StatusPlan, logged: int) -> int:
    """With a campaign, the organisations of everyone an email reached go to invited, as the
    mail merge's ``--log-outreach`` moves them: ``OutreachLogging`` does it (which sign-ons
    move, their events and change-log entries). What it made and moved is then marked as the
    batch's, so undo takes it back. Returns how many organisations moved."""
    session, campaign_id = batch.session, plan.campaign_id
    reached = {r.organisation_id for r in plan.rows if r.logs and r.organisation_id and _reached(r)}
    if campaign_id is None or not reached:
        return 0
    existing = {
        s.id: {
            "status": s.status,
            "display_name": s.display_name,
            "public": s.public,
            "signed_by_id": s.signed_by_id,
            "updated_at": jsonable(s.updated_at),
        }
        for s in session.scalars(
            select(SignOn).where(
                SignOn.campaign_id == campaign_id, SignOn.organisation_id.in_(sorted(reached))
            )
        )
    }
    last_event = session.scalar(select(func.max(SignOnEvent.id))) or 0
    outreach = OutreachLogging(batch.work, plan.subject, campaign_id)
    outreach.to_invite = {org for org in reached if org is not None}
    outreach.logged = logged
    invited = outreach.finish().invited
    mine = list(
        session.scalars(
            select(SignOn).where(
                SignOn.campaign_id == campaign_id, SignOn.organisation_id.in_(sorted(reached))
            )
        )
    )
    for signon in mine:
        before = existing.get(signon.id)
        if before is None:
            signon.import_batch_id = batch.id
        elif before["status"] != signon.status:
            session.add(
                ImportChange(batch_id=batch.id, entity="signon", entity_id=signon.id, before=before)
            )
    session.execute(
        update(SignOnEvent)
        .where(
            SignOnEvent.id > last_event,
            SignOnEvent.signon_id.in_([s.id for s in mine]),
        )
        .values(import_batch_id=batch.id)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return invited
