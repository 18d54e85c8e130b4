"""A first look at a database with the standard library (and, on a server, psycopg) alone.

The terminal app's start screen shows counts, the campaigns, the follow-ups due and
the latest changes. Read through SQLAlchemy, that first means importing it, its ORM
and the models: about 270 ms of start-up, more than an empty Textual app needs for
its whole first frame. These read-only statements answer the same with sqlite3 in a
few milliseconds (on a PostgreSQL server, with psycopg, which the usual way in loads
anyway), and the app loads SQLAlchemy while the screen is being read.

``read`` looks only at a SQLite file or a server database whose schema is at head.
Anything else (no file yet, an older schema to upgrade, another kind of URL, a file that
is not a database, a server that does not answer or asks for a password) gives None, and
the caller takes the usual way in, which creates, upgrades or refuses the database with
its own messages. The statements mirror the domain's (``campaigns``, ``audit``) and share
the follow-up rule with ``outreach`` (``FOLLOWUPS_DUE``); the rows come back decoded from
how SQLAlchemy stores values on SQLite, and ``domain.glance`` builds the same views from
them. A test compares the two on one database, on each engine.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any, NamedTuple

from coalition.store.schema import SCHEMA_HEAD
from coalition.store.where import server_conninfo, shown_url, to_url

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

    where: Path | str
    """The file read, or the server database's URL as shown (no password)."""
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
# booleans as 0 or 1. PostgreSQL's driver gives them as Python values already.


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _json(text: str | None) -> Any:
    return json.loads(text) if text is not None else None


def _as_is(value: Any) -> Any:
    return value


class _Decode(NamedTuple):
    time: Callable[[Any], Any]
    date: Callable[[Any], Any]
    json: Callable[[Any], Any]


_FROM_SQLITE = _Decode(_time, _date, _json)
_FROM_SERVER = _Decode(_as_is, _as_is, _as_is)


def _campaign(r: tuple[Any, ...], d: _Decode) -> CampaignRow:
    (cid, code, name, kind, text, link, opened_on, deadline, target, state, created, updated,
     version) = r  # fmt: skip
    return CampaignRow(
        cid, code, name, kind, text, link, d.date(opened_on), d.date(deadline), target, state,
        d.time(created), d.time(updated), version,
    )  # fmt: skip


def _followup(r: tuple[Any, ...], d: _Decode) -> FollowUpRow:
    (iid, occurred, channel, direction, subject, notes, outcome, contact, contact_id, org, org_id,
     campaign, due, done, coordinator) = r  # fmt: skip
    return FollowUpRow(
        iid, d.time(occurred), channel, direction, subject, notes, outcome, contact, contact_id,
        org, org_id, campaign, d.date(due), bool(done), coordinator,
    )  # fmt: skip


def _audit(r: tuple[Any, ...], d: _Decode) -> AuditRow:
    (aid, at, coordinator, action, entity, entity_id, label, before, after) = r
    return AuditRow(
        aid, d.time(at), coordinator, action, entity, entity_id, label, d.json(before),
        d.json(after),
    )  # fmt: skip


# The statements, with named parameters (``:name``: sqlite3's; ``_on_server`` writes them
# as psycopg's).
_VERSION = "SELECT version_num FROM alembic_version"
_COUNTS = (
    "SELECT (SELECT count(*) FROM organisations), (SELECT count(*) FROM contacts), "
    "(SELECT count(*) FROM campaigns)"
)
_CAMPAIGNS = """
SELECT id, code, name, kind, text, link, opened_on, deadline, target, state,
  created_at, updated_at, version
FROM campaigns WHERE state = :state ORDER BY created_at DESC, id DESC
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
FROM audit_log ORDER BY id DESC LIMIT :limit
"""
_PENDING_ERASURES = "SELECT count(*) FROM erasures WHERE pending"


def _on_server(sql: str) -> str:
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)


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
    if path is not None:
        return _read_file(path, due_before=due_before, followups=followups, recent=recent)
    conninfo = server_conninfo(target)
    if conninfo is not None:
        where = shown_url(to_url(target))
        return _read_server(
            conninfo, where, due_before=due_before, followups=followups, recent=recent
        )
    return None


def _read_file(path: Path, *, due_before: dt.date, followups: int, recent: int) -> Rows | None:
    try:
        # Read-only: this never creates, changes or upgrades anything.
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=2.0)
    except sqlite3.Error:
        return None
    try:
        with closing(connection):
            connection.execute("BEGIN")  # one snapshot for every count and list
            # a date as SQLAlchemy stores it
            return _rows(connection.execute, path, due_before.isoformat(), _FROM_SQLITE,
                         followups=followups, recent=recent)  # fmt: skip
    except sqlite3.Error:
        return None  # not a database, locked in recovery, another schema: the usual way in


SERVER_TIMEOUT = 3
"""Seconds the first look waits for a server to answer before leaving it to the usual way
in (which says what is wrong)."""


def _read_server(
    conninfo: str, where: str, *, due_before: dt.date, followups: int, recent: int
) -> Rows | None:
    """``_read_file`` on a PostgreSQL server, through psycopg alone (without SQLAlchemy:
    ~270 ms of the app's start, against psycopg's 50-100 ms, which the usual way loads
    anyway), in one read-only snapshot. Any failure (no psycopg, no server, a password
    to ask, no schema yet) leaves the database to the usual way in."""
    try:
        import psycopg
    except ImportError:
        return None
    try:
        connection = psycopg.connect(conninfo, connect_timeout=SERVER_TIMEOUT)
    except psycopg.Error:
        return None
    try:
        with connection:
            connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            connection.read_only = True

            def execute(sql: str, params: Any = None) -> Any:
                return connection.execute(_on_server(sql), params)

            return _rows(execute, where, due_before, _FROM_SERVER,
                         followups=followups, recent=recent)  # fmt: skip
    except psycopg.Error:
        return None


def _rows(
    execute: Callable[..., Any],
    where: Path | str,
    due_before: Any,
    decode: _Decode,
    *,
    followups: int,
    recent: int,
) -> Rows | None:
    if execute(_VERSION).fetchall() != [(SCHEMA_HEAD,)]:
        return None
    organisations, contacts, campaigns = execute(_COUNTS).fetchone()
    due = {"due_before": due_before}
    return Rows(
        where=where,
        organisations=organisations,
        contacts=contacts,
        campaigns=campaigns,
        open_campaigns=[_campaign(r, decode) for r in execute(_CAMPAIGNS, {"state": "open"})],
        draft_campaigns=[_campaign(r, decode) for r in execute(_CAMPAIGNS, {"state": "draft"})],
        signon_counts=[SignOnCount(*r) for r in execute(_SIGNON_COUNTS)],
        followups=[_followup(r, decode) for r in execute(_FOLLOWUPS, {**due, "limit": followups})],
        followups_total=execute(_FOLLOWUPS_TOTAL, due).fetchone()[0],
        recent=[_audit(r, decode) for r in execute(_RECENT, {"limit": recent})],
        pending_erasures=execute(_PENDING_ERASURES).fetchone()[0],
    )
