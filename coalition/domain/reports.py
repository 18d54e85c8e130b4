"""A campaign's progress, as a coordinator reports it to the partner NGOs.

``campaign_report`` answers, for one campaign and optionally per country, kind of
organisation or coordinator (the organisation's owner):

- how many organisations are at each sign-on status;
- the response rate: of the organisations asked (every status but *prospect*), how
  many answered (signed, declined, or signed and withdrew);
- the median days from an organisation's invitation to its answer;
- signatures per week (an organisation counts once, in the week it first signed),
  with the running total;
- who has been quiet longest: invited or considering, nothing logged with them (or
  their people) since they were invited.

Everything is read in four set-based queries over the campaign's sign-ons, their
events, their organisations and the campaign's outreach, then counted in Python:
20,000 sign-ons take a fraction of a second (``benchmarks/report_bench.py``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, func, select, union_all
from sqlalchemy.orm import Session

from coalition.domain.campaigns import campaign_view, find_campaign
from coalition.domain.values import choice, country_name
from coalition.domain.views import CampaignView
from coalition.store.models import Contact, Interaction, Organisation, SignOn, SignOnEvent
from coalition.store.schema import SIGNON_STATUSES

GROUPINGS = ("country", "kind", "coordinator")
"""What a report can be broken down by."""
ANSWERED = ("signed", "declined", "withdrawn")
"""Statuses that are an answer (withdrawn: signed, then took it back)."""
WAITING = ("invited", "considering")
"""Statuses of organisations asked and not yet answered."""
QUIET_SHOWN = 10
"""How many of the quietest organisations a report lists."""
NOBODY = "(none)"
"""The group of organisations without a country, or without a coordinator."""


@dataclass(frozen=True)
class Progress:
    """The counts of one group of organisations (or of the whole campaign)."""

    group: str
    """The country, kind or coordinator; "all" for the whole campaign."""
    counts: dict[str, int]
    """Sign-ons per status, every status present (0 where none)."""
    median_days_to_answer: float | None
    """Median days from invitation to answer, of those answered after an invitation."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def asked(self) -> int:
        return self.total - self.counts["prospect"]

    @property
    def answered(self) -> int:
        return sum(self.counts[s] for s in ANSWERED)

    @property
    def response_rate(self) -> float | None:
        """Answered of asked, 0 to 1; None when nobody was asked."""
        return self.answered / self.asked if self.asked else None


@dataclass(frozen=True)
class Week:
    starts: dt.date
    """The Monday of the week."""
    signatures: int
    total: int
    """Signatures up to the end of this week."""


@dataclass(frozen=True)
class Quiet:
    organisation_id: int
    organisation: str
    status: str
    invited_on: dt.date
    last_contact: dt.date | None
    """The day of the last outreach logged with them (or their people) after the day of
    the invitation."""
    days: int
    """Days since the invitation or that last outreach, whichever is later."""


@dataclass(frozen=True)
class CampaignReport:
    campaign: CampaignView
    by: str | None
    overall: Progress
    groups: list[Progress]
    """Per ``by`` value, most sign-ons first (empty without ``by``)."""
    weeks: list[Week]
    quiet: list[Quiet]
    """The quietest first, at most ``QUIET_SHOWN``."""
    quiet_total: int
    """How many organisations are quiet in all."""
    today: dt.date
    statuses: tuple[str, ...] = field(default=SIGNON_STATUSES)


def _median(days: list[int]) -> float | None:
    return float(statistics.median(days)) if days else None


def _progress(group: str, statuses: Iterable[str], days: list[int]) -> Progress:
    counts = dict.fromkeys(SIGNON_STATUSES, 0)
    counts.update(Counter(statuses))
    return Progress(group, counts, _median(days))


@lru_cache(maxsize=512)
def _country_group(country: str | None) -> str:
    return f"{country} {country_name(country)}" if country else NOBODY


def _group_of(by: str | None, country: str | None, kind: str, owner: str | None) -> str:
    if by == "country":
        return _country_group(country)
    if by == "kind":
        return kind.replace("_", " ")
    if by == "coordinator":
        return owner or NOBODY
    return "all"


# Tables, not ORM entities: 20,000 sign-ons are read as plain rows, without the ORM's
# per-row loading (about a third of the time at that size).
_SIGNONS = SignOn.__table__.c
_EVENTS = SignOnEvent.__table__.c
_ORGANISATIONS = Organisation.__table__.c
_CONTACTS = Contact.__table__.c
_INTERACTIONS = Interaction.__table__.c


def _day_of(column: Any) -> Any:
    """The day of a stored time, as a date (only days are reported)."""
    return func.date(column, type_=Date)


def _last_outreach(session: Session, campaign_id: int) -> dict[int, dt.date]:
    """The day of each organisation's last outreach for the campaign or with no campaign,
    logged with the organisation or with one of its people."""
    i, c = _INTERACTIONS, _CONTACTS
    about = (i.campaign_id == campaign_id) | i.campaign_id.is_(None)
    direct = select(i.organisation_id.label("org"), i.occurred_at).where(
        about, i.organisation_id.is_not(None)
    )
    through = (
        select(c.organisation_id.label("org"), i.occurred_at)
        .join_from(Interaction.__table__, Contact.__table__, c.id == i.contact_id)
        .where(about, i.organisation_id.is_(None), c.organisation_id.is_not(None))
    )
    both = union_all(direct, through).subquery()
    rows = session.connection().execute(
        select(both.c.org, _day_of(func.max(both.c.occurred_at))).group_by(both.c.org)
    )
    return {org: day for org, day in rows}


def campaign_report(
    session: Session, campaign: str, *, by: str | None = None, today: dt.date | None = None
) -> CampaignReport:
    """The progress of ``campaign``, overall and (``by``) per country, kind or coordinator."""
    if by is not None:
        by = choice(by, GROUPINGS, "grouping")
    today = today or dt.date.today()
    found = find_campaign(session, campaign)
    so, e, o = _SIGNONS, _EVENTS, _ORGANISATIONS
    connection = session.connection()
    signons = connection.execute(
        select(so.id, so.status, o.id, o.name, o.country, o.kind, o.owner)
        .join_from(SignOn.__table__, Organisation.__table__, o.id == so.organisation_id)
        .where(so.campaign_id == found.id)
    ).all()
    # The day of the first invitation, the first answer and the first signature of each.
    invited: dict[int, dt.date] = {}
    answered: dict[int, dt.date] = {}
    signed: dict[int, dt.date] = {}
    events = connection.execute(
        select(e.signon_id, e.to_status, _day_of(func.min(e.at)))
        .join_from(SignOnEvent.__table__, SignOn.__table__, so.id == e.signon_id)
        .where(so.campaign_id == found.id, e.to_status.in_(("invited", *ANSWERED)))
        .group_by(e.signon_id, e.to_status)
    )
    for signon_id, status, day in events:
        if status == "invited":
            invited[signon_id] = day
        else:
            if signon_id not in answered or day < answered[signon_id]:
                answered[signon_id] = day
            if status == "signed":
                signed[signon_id] = day

    statuses: dict[str, list[str]] = defaultdict(list)
    days: dict[str, list[int]] = defaultdict(list)
    all_days: list[int] = []
    for signon_id, status, _org, _name, country, kind, owner in signons:
        group = _group_of(by, country, kind, owner)
        statuses[group].append(status)
        if signon_id in invited and signon_id in answered:
            waited = (answered[signon_id] - invited[signon_id]).days
            if waited >= 0:
                days[group].append(waited)
                all_days.append(waited)
    overall = _progress("all", (row[1] for row in signons), all_days)
    groups = (
        sorted(
            (_progress(g, statuses[g], days[g]) for g in statuses),
            key=lambda p: (-p.total, p.group),
        )
        if by
        else []
    )

    per_week = Counter(day - dt.timedelta(days=day.weekday()) for day in signed.values())
    weeks: list[Week] = []
    running = 0
    for monday in sorted(per_week):
        running += per_week[monday]
        weeks.append(Week(monday, per_week[monday], running))

    last = _last_outreach(session, found.id)
    quiet: list[Quiet] = []
    for signon_id, status, org_id, name, *_ in signons:
        if status not in WAITING or signon_id not in invited:
            continue
        since = invited[signon_id]
        latest = last.get(org_id)
        # Outreach on the day of the invitation is the invitation itself: not news.
        contact = latest if latest is not None and latest > since else None
        quiet.append(Quiet(org_id, name, status, since, contact, (today - (contact or since)).days))
    quiet.sort(key=lambda q: (-q.days, q.organisation))
    return CampaignReport(
        campaign=campaign_view(session, found),
        by=by,
        overall=overall,
        groups=groups,
        weeks=weeks,
        quiet=quiet[:QUIET_SHOWN],
        quiet_total=len(quiet),
        today=today,
    )


__all__ = [
    "GROUPINGS",
    "CampaignReport",
    "Progress",
    "Quiet",
    "Week",
    "campaign_report",
]
