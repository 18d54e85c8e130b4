"""A first look at a SQLite database with the standard library alone.

The terminal app's start screen shows counts, the campaigns, the follow-ups due and
the latest changes. Read through SQLAlchemy, that first means importing it, its ORM
and the models: about 270 ms of start-up, more than an empty Textual app needs for
its whole first frame. These read-only statements answer the same with sqlite3 in a
few milliseconds, and the app loads SQLAlchemy while the screen is being read.

``read`` looks only at a SQLite file whose schema is at head. Anything else (no file
yet, an older schema to upgrade, a server URL, a file that is not a database) gives
None, and the caller takes the usual way in, which creates, upgrades or refuses the
database with its own messages. The statements mirror the domain's (``campaigns``,
``audit``) and share the follow-up rule with ``outreach`` (``FOLLOWUPS_DUE``); the rows
come back decoded from how SQLAlchemy stores values on SQLite, and ``domain.glance``
builds the same views from them. A test compares the two on one database.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any, NamedTuple

from coalition.store.schema import SCHEMA_HEAD

# --- the follow-up rule -----------------------------------------------------------------------
# Written once, here, in SQL that SQLite and PostgreSQL read alike (a boolean is compared with
# FALSE, which SQLite takes as 0 and can look up in ix_interactions_open_followups), for the
# table ``interactions`` under its own name: this module's sqlite3 statements use it, and
# ``outreach.list_followups`` puts the same text into its SQLAlchemy query.

FOLLOWUP_OPEN = "interactions.done = FALSE AND interactions.follow_up_on IS NOT NULL"
"""An open follow-up: not done, with a day to follow up on."""
FOLLOWUP_DUE = "interactions.follow_up_on < :due_before"
"""Due before the cutoff ``:due_before``, a date (exclusive: the day after "today")."""
FOLLOWUPS_DUE = f"{FOLLOWUP_OPEN} AND {FOLLOWUP_DUE}"
FOLLOWUP_ORDER = "interactions.follow_up_on, interactions.occurred_at, interactions.id"
"""The oldest due first; on one day, the one logged first."""


# --- the rows, as Python values ---------------------------------------------------------------


class CampaignRow(NamedTuple):
    id: int
    code: str
    name: str
    kind: str
    text: str | None
    link: str | None
    opened_on: dt.date | None
    deadline: dt.date | None
    target: int | None
    state: str
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class SignOnCount(NamedTuple):
    campaign_id: int
    status: str
    signons: int


class FollowUpRow(NamedTuple):
    """An interaction with a follow-up due, with the names of its parties and campaign."""

    id: int
    occurred_at: dt.datetime
    channel: str
    direction: str
    subject: str | None
    notes: str | None
    outcome: str | None
    contact: str | None
    contact_id: int | None
    organisation: str | None
    organisation_id: int | None
    campaign: str | None
    follow_up_on: dt.date | None
    done: bool
    coordinator: str


class AuditRow(NamedTuple):
    id: int
    at: dt.datetime
    coordinator: str
    action: str
    entity: str
    entity_id: int
    label: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class Rows(NamedTuple):
    """What the start screen shows."""

    path: Path
    organisations: int
    contacts: int
    campaigns: int
    open_campaigns: list[CampaignRow]
    draft_campaigns: list[CampaignRow]
    signon_counts: list[SignOnCount]
    """For the campaigns listed (open and draft)."""
    followups: list[FollowUpRow]
    followups_total: int
    recent: list[AuditRow]
    pending_erasures: int


# Values as SQLAlchemy stores them on SQLite: times and dates as ISO text, JSON as text,
# booleans as 0 or 1.


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _json(text: str | None) -> Any:
    return json.loads(text) if text is not None else None


def _campaign(r: tuple[Any, ...]) -> CampaignRow:
    (cid, code, name, kind, text, link, opened_on, deadline, target, state, created, updated,
     version) = r  # fmt: skip
    return CampaignRow(
        cid, code, name, kind, text, link, _date(opened_on), _date(deadline), target, state,
        _time(created), _time(updated), version,
    )  # fmt: skip


def _followup(r: tuple[Any, ...]) -> FollowUpRow:
    (iid, occurred, channel, direction, subject, notes, outcome, contact, contact_id, org, org_id,
     campaign, due, done, coordinator) = r  # fmt: skip
    return FollowUpRow(
        iid, _time(occurred), channel, direction, subject, notes, outcome, contact, contact_id,
        org, org_id, campaign, _date(due), bool(done), coordinator,
    )  # fmt: skip


def _audit(r: tuple[Any, ...]) -> AuditRow:
    (aid, at, coordinator, action, entity, entity_id, label, before, after) = r
    return AuditRow(
        aid, _time(at), coordinator, action, entity, entity_id, label, _json(before), _json(after)
    )


_CAMPAIGNS = """
SELECT id, code, name, kind, text, link, opened_on, deadline, target, state,
  created_at, updated_at, version
FROM campaigns WHERE state = ? ORDER BY created_at DESC, id DESC
"""
_SIGNON_COUNTS = """
SELECT s.campaign_id, s.status, count(*) FROM signons s
JOIN campaigns k ON k.id = s.campaign_id WHERE k.state IN ('open', 'draft')
GROUP BY s.campaign_id, s.status
"""
_FOLLOWUPS = f"""
SELECT interactions.id, interactions.occurred_at, interactions.channel, interactions.direction,
  interactions.subject, interactions.notes, interactions.outcome, c.display_name,
  interactions.contact_id, o.name, interactions.organisation_id, k.code,
  interactions.follow_up_on, interactions.done, interactions.coordinator
FROM interactions
LEFT JOIN contacts c ON c.id = interactions.contact_id
LEFT JOIN organisations o ON o.id = interactions.organisation_id
LEFT JOIN campaigns k ON k.id = interactions.campaign_id
WHERE {FOLLOWUPS_DUE}
ORDER BY {FOLLOWUP_ORDER}
LIMIT :limit
"""
_FOLLOWUPS_TOTAL = f"SELECT count(*) FROM interactions WHERE {FOLLOWUPS_DUE}"
_RECENT = """
SELECT id, at, coordinator, action, entity, entity_id, label, "before", "after"
FROM audit_log ORDER BY id DESC LIMIT ?
"""


def sqlite_file(target: str | os.PathLike[str]) -> Path | None:
    """The file ``target`` (what --db, COALITION_DB or the default said) names, if it is a
    plain path to an existing file; None for a URL or a path with nothing there yet."""
    text = os.fspath(target)
    if "://" in text:
        return None
    path = Path(text).expanduser().resolve()
    return path if path.is_file() else None


def read(
    target: str | os.PathLike[str], *, due_before: dt.date, followups: int, recent: int
) -> Rows | None:
    """The start screen's rows, read in one snapshot; None when this is not the way in
    (see the module's note). ``due_before``: the follow-ups' cutoff, exclusive."""
    path = sqlite_file(target)
    if path is None:
        return None
    try:
        # Read-only: this never creates, changes or upgrades anything.
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=2.0)
    except sqlite3.Error:
        return None
    due = {"due_before": due_before.isoformat()}  # a date as SQLAlchemy stores it
    try:
        with closing(connection):
            connection.execute("BEGIN")  # one snapshot for every count and list
            versions = connection.execute("SELECT version_num FROM alembic_version").fetchall()
            if versions != [(SCHEMA_HEAD,)]:
                return None
            organisations, contacts, campaigns = connection.execute(
                "SELECT (SELECT count(*) FROM organisations), (SELECT count(*) FROM contacts), "
                "(SELECT count(*) FROM campaigns)"
            ).fetchone()
            return Rows(
                path=path,
                organisations=organisations,
                contacts=contacts,
                campaigns=campaigns,
                open_campaigns=[_campaign(r) for r in connection.execute(_CAMPAIGNS, ("open",))],
                draft_campaigns=[_campaign(r) for r in connection.execute(_CAMPAIGNS, ("draft",))],
                signon_counts=[SignOnCount(*r) for r in connection.execute(_SIGNON_COUNTS)],
                followups=[
                    _followup(r)
                    for r in connection.execute(_FOLLOWUPS, {**due, "limit": followups})
                ],
                followups_total=connection.execute(_FOLLOWUPS_TOTAL, due).fetchone()[0],
                recent=[_audit(r) for r in connection.execute(_RECENT, (recent,))],
                pending_erasures=connection.execute(
                    "SELECT count(*) FROM erasures WHERE pending"
                ).fetchone()[0],
            )
    except sqlite3.Error:
        return None  # not a database, locked in recovery, another schema: the usual way in
