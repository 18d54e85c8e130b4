"""The start screen's overview without SQLAlchemy: what ``browse.overview`` returns,
built from the rows ``store.glance`` reads with the standard library's sqlite3 (or, on a
PostgreSQL server, psycopg).

The terminal app asks for it first, before anything has imported SQLAlchemy, so its
first screen is filled in milliseconds rather than after ~270 ms of imports; every
later look (and a database this cannot read: see ``store.glance``) goes through
``browse.overview``. A test keeps the two equal on the same database.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import NamedTuple

from coalition.domain.views import (
    OVERVIEW_FOLLOWUPS,
    OVERVIEW_RECENT,
    AuditView,
    CampaignView,
    InteractionView,
    Overview,
)
from coalition.store import glance
from coalition.store.schema import SIGNON_STATUSES


class FirstLook(NamedTuple):
    overview: Overview
    where: Path | str
    """The database file read, or the server database's URL as shown (no password)."""


def first_look(
    target: str | os.PathLike[str],
    *,
    today: dt.date | None = None,
    followups: int = OVERVIEW_FOLLOWUPS,
    recent: int = OVERVIEW_RECENT,
) -> FirstLook | None:
    """The overview of the SQLite file or server database ``target``, or None when it must
    be opened the usual way (no file yet, a schema to upgrade, not a database, a server
    that does not let this in)."""
    today = today or dt.date.today()
    due_before = today + dt.timedelta(days=1)
    rows = glance.read(target, due_before=due_before, followups=followups, recent=recent)
    if rows is None:
        return None
    counts: dict[int, dict[str, int]] = {}
    for s in rows.signon_counts:
        counts.setdefault(s.campaign_id, dict.fromkeys(SIGNON_STATUSES, 0))[s.status] = s.signons
    overview = Overview(
        organisations=rows.organisations,
        contacts=rows.contacts,
        campaigns=rows.campaigns,
        open_campaigns=[_campaign(r, counts) for r in rows.open_campaigns],
        draft_campaigns=[_campaign(r, counts) for r in rows.draft_campaigns],
        followups=[InteractionView(**r._asdict()) for r in rows.followups],
        followups_total=rows.followups_total,
        recent=[AuditView(**r._asdict()) for r in rows.recent],
        today=today,
        pending_erasures=rows.pending_erasures,
    )
    return FirstLook(overview, rows.where)


def _campaign(r: glance.CampaignRow, counts: dict[int, dict[str, int]]) -> CampaignView:
    return CampaignView(
        r.id, r.code, r.name, r.kind, r.text, r.link, r.opened_on, r.deadline, r.target, r.state,
        counts.get(r.id) or dict.fromkeys(SIGNON_STATUSES, 0), r.created_at, r.updated_at,
        r.version,
    )  # fmt: skip
