"""A campaign's progress, as a coordinator reports it to the partner NGOs.

``campaign_report`` answers, for one campaign and optionally per country, kind of
organisation or coordinator (the organisation's owner):

- how many organisations are at each sign-on status;
- the response rate: of the organisations asked (every status but *prospect*), how
  many answered (signed, declined, or signed and withdrew);
- the median days from an organisation's invitation to its answer;
- signatures per week (an organisation counts once, in the week it first signed),
  with the running total, as the campaign screen draws them
  (``pipeline.signons_over_time``);
- who has been quiet longest: invited or considering with no status change and
  nothing logged about the campaign since — the campaign screen's "no answer" and
  ``signon list --quiet-for`` (``pipeline.no_answer``), one rule for the three.

The counts are read in two set-based queries over the campaign's sign-ons, their
events and their organisations, then counted in Python: 20,000 sign-ons take a
fraction of a second (``benchmarks/report_bench.py``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, func, select
from sqlalchemy.orm import Session

from coalition.domain.campaigns import campaign_view
from coalition.domain.lookup import find_campaign
from coalition.domain.pipeline import (
    QuietRow,
    count_no_answer,
    no_answer,
    regroup,
    signons_over_time,
)
from coalition.domain.values import choice, country_name
from coalition.domain.views import CampaignView
from coalition.store.models import Organisation, SignOn, SignOnEvent
from coalition.store.schema import SIGNON_STATUSES

GROUPINGS = ("country", "kind", "coordinator")
"""What a report can be broken down by."""
ANSWERED = ("signed", "declined", "withdrawn")
"""Statuses that are an answer (withdrawn: signed, then took it back)."""
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
class CampaignReport:
    campaign: CampaignView
    by: str | None
    overall: Progress
    groups: list[Progress]
    """Per ``by`` value, most sign-ons first (empty without ``by``)."""
    weeks: list[Week]
    """From the week of the first signature to this one, weeks without one included."""
    quiet: list[QuietRow]
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


def _day_of(column: Any) -> Any:
    """The day of a stored time, as a date (only days are reported)."""
    return func.date(column, type_=Date)


def campaign_report(
    session: Session,
    campaign: str,
    *,
    by: str | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> CampaignReport:
    """The progress of ``campaign``, overall and (``by``) per country, kind or coordinator.

    ``today`` (the coordinator's day: the last week drawn) and ``now`` (naive UTC: how long
    the quiet have been quiet) default to this moment; tests and the app's clock set them."""
    if by is not None:
        by = choice(by, GROUPINGS, "grouping")
    today = today or (now.date() if now is not None else dt.date.today())
    found = find_campaign(session, campaign)
    so, e, o = _SIGNONS, _EVENTS, _ORGANISATIONS
    connection = session.connection()
    signons = connection.execute(
        select(so.id, so.status, o.id, o.name, o.country, o.kind, o.owner)
        .join_from(SignOn.__table__, Organisation.__table__, o.id == so.organisation_id)
        .where(so.campaign_id == found.id)
    ).all()
    # The day of the first invitation and of the first answer of each sign-on.
    invited: dict[int, dt.date] = {}
    answered: dict[int, dt.date] = {}
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

    weeks: list[Week] = []
    running = 0
    per_day = signons_over_time(session, found.id, today=today)
    for period in regroup(per_day, "week"):
        running += period.signed
        if running:  # from the week of the first signature
            weeks.append(Week(period.start, period.signed, running))

    return CampaignReport(
        campaign=campaign_view(session, found),
        by=by,
        overall=overall,
        groups=groups,
        weeks=weeks,
        quiet=no_answer(session, found.id, 0, limit=QUIET_SHOWN, now=now),
        quiet_total=count_no_answer(session, found.id, 0, now=now),
        today=today,
    )


__all__ = [
    "GROUPINGS",
    "CampaignReport",
    "Progress",
    "Week",
    "campaign_report",
]
