"""The start screen's overview without SQLAlchemy: what ``browse.overview`` returns,
read by ``store.glance`` with the standard library's sqlite3.

The terminal app asks for it first, before anything has imported SQLAlchemy, so its
first screen is filled in milliseconds rather than after ~270 ms of imports; every
later look (and a database this cannot read: see ``store.glance``) goes through
``browse.overview``. A test keeps the two equal on the same database.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any, NamedTuple

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
    path: Path
    """The database file read."""


def first_look(
    target: str | os.PathLike[str],
    *,
    today: dt.date | None = None,
    followups: int = OVERVIEW_FOLLOWUPS,
    recent: int = OVERVIEW_RECENT,
) -> FirstLook | None:
    """The overview of the SQLite file ``target``, or None when it must be opened the usual
    way (a server, no file yet, a schema to upgrade, not a database)."""
    today = today or dt.date.today()
    due_before = (today + dt.timedelta(days=1)).isoformat()
    rows = glance.read(target, due_before=due_before, followups=followups, recent=recent)
    if rows is None:
        return None
    counts: dict[int, dict[str, int]] = {}
    for campaign_id, status, n in rows.signon_counts:
        counts.setdefault(campaign_id, dict.fromkeys(SIGNON_STATUSES, 0))[status] = n
    overview = Overview(
        organisations=rows.organisations,
        contacts=rows.contacts,
        campaigns=rows.campaigns,
        open_campaigns=[_campaign(r, counts) for r in rows.open_campaigns],
        draft_campaigns=[_campaign(r, counts) for r in rows.draft_campaigns],
        followups=[_interaction(r) for r in rows.followups],
        followups_total=rows.followups_total,
        recent=[_audit(r) for r in rows.recent],
        today=today,
    )
    return FirstLook(overview, rows.path)


# Values as SQLAlchemy stores them on SQLite: times and dates as ISO text, JSON as text.


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _json(text: str | None) -> Any:
    return json.loads(text) if text is not None else None


def _campaign(r: tuple[Any, ...], counts: dict[int, dict[str, int]]) -> CampaignView:
    (cid, code, name, kind, text, link, opened_on, deadline, target, state, created, updated) = r
    return CampaignView(
        cid,
        code,
        name,
        kind,
        text,
        link,
        _date(opened_on),
        _date(deadline),
        target,
        state,
        counts.get(cid) or dict.fromkeys(SIGNON_STATUSES, 0),
        _time(created),
        _time(updated),
    )


def _interaction(r: tuple[Any, ...]) -> InteractionView:
    return InteractionView(
        id=r[0],
        occurred_at=_time(r[1]),
        channel=r[2],
        direction=r[3],
        subject=r[4],
        notes=r[5],
        outcome=r[6],
        contact=r[7],
        contact_id=r[8],
        organisation=r[9],
        organisation_id=r[10],
        campaign=r[11],
        follow_up_on=_date(r[12]),
        done=bool(r[13]),
        coordinator=r[14],
    )


def _audit(r: tuple[Any, ...]) -> AuditView:
    return AuditView(r[0], _time(r[1]), r[2], r[3], r[4], r[5], r[6], _json(r[7]), _json(r[8]))
