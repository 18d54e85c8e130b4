"""A first look at a SQLite database with the standard library alone.

The terminal app's start screen shows counts, the campaigns, the follow-ups due and
the latest changes. Read through SQLAlchemy, that first means importing it, its ORM
and the models: about 270 ms of start-up, more than an empty Textual app needs for
its whole first frame. These read-only statements answer the same with sqlite3 in a
few milliseconds, and the app loads SQLAlchemy while the screen is being read.

``read`` looks only at a SQLite file whose schema is at head. Anything else (no file
yet, an older schema to upgrade, a server URL, a file that is not a database) gives
None, and the caller takes the usual way in, which creates, upgrades or refuses the
database with its own messages. The statements mirror the domain's (``outreach``,
``campaigns``, ``audit``); ``domain.glance`` builds the same views from their rows, and
a test compares the two on one database.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any, NamedTuple

from coalition.store.schema import SCHEMA_HEAD

Row = tuple[Any, ...]


class Rows(NamedTuple):
    """What the start screen shows, as the database holds it (dates as ISO text, JSON
    as text, booleans as 0 or 1)."""

    path: Path
    organisations: int
    contacts: int
    campaigns: int
    open_campaigns: list[Row]
    draft_campaigns: list[Row]
    signon_counts: list[tuple[int, str, int]]
    """(campaign id, status, how many) for the campaigns listed."""
    followups: list[Row]
    followups_total: int
    recent: list[Row]


_CAMPAIGNS = """
SELECT id, code, name, kind, text, link, opened_on, deadline, target, state,
  created_at, updated_at
FROM campaigns WHERE state = ? ORDER BY created_at DESC, id DESC
"""
_SIGNON_COUNTS = """
SELECT s.campaign_id, s.status, count(*) FROM signons s
JOIN campaigns k ON k.id = s.campaign_id WHERE k.state IN ('open', 'draft')
GROUP BY s.campaign_id, s.status
"""
# As outreach.list_followups: open, due before the cutoff, the oldest due first.
_DUE = "i.done = 0 AND i.follow_up_on IS NOT NULL AND i.follow_up_on < ?"
_FOLLOWUPS = f"""
SELECT i.id, i.occurred_at, i.channel, i.direction, i.subject, i.notes, i.outcome,
  c.display_name, i.contact_id, o.name, i.organisation_id, k.code, i.follow_up_on,
  i.done, i.coordinator
FROM interactions i
LEFT JOIN contacts c ON c.id = i.contact_id
LEFT JOIN organisations o ON o.id = i.organisation_id
LEFT JOIN campaigns k ON k.id = i.campaign_id
WHERE {_DUE}
ORDER BY i.follow_up_on, i.occurred_at, i.id
LIMIT ?
"""
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
    target: str | os.PathLike[str], *, due_before: str, followups: int, recent: int
) -> Rows | None:
    """The start screen's rows, read in one snapshot; None when this is not the way in
    (see the module's note). ``due_before``: an ISO date, exclusive."""
    path = sqlite_file(target)
    if path is None:
        return None
    try:
        # Read-only: this never creates, changes or upgrades anything.
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=2.0)
    except sqlite3.Error:
        return None
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
                open_campaigns=connection.execute(_CAMPAIGNS, ("open",)).fetchall(),
                draft_campaigns=connection.execute(_CAMPAIGNS, ("draft",)).fetchall(),
                signon_counts=connection.execute(_SIGNON_COUNTS).fetchall(),
                followups=connection.execute(_FOLLOWUPS, (due_before, followups)).fetchall(),
                followups_total=connection.execute(
                    f"SELECT count(*) FROM interactions i WHERE {_DUE}", (due_before,)
                ).fetchone()[0],
                recent=connection.execute(_RECENT, (recent,)).fetchall(),
            )
    except sqlite3.Error:
        return None  # not a database, locked in recovery, another schema: the usual way in
