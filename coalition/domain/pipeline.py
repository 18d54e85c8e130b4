"""A campaign's sign-on pipeline as the terminal app's campaign screen reads it.

The pipeline is six *stages*, one per sign-on status, each with its count and
its first cards (organisations, by name); a stage of thousands is read a page
at a time (``stage_cards``) as the screen scrolls, never all at once. Beside
them: sign-ons per day (``signons_over_time``, from the status changes kept as
``SignOnEvent``s) and who has not answered (``no_answer``): invited or
considering organisations with neither a status change nor an interaction
about this campaign (or about no campaign in particular) for N days.

Moves go through ``campaigns.set_signon`` (validation, history, audit log);
``advance`` only checks first that the organisation is still where the screen
showed it, so a move made meanwhile elsewhere is not silently overtaken.

Times are naive UTC, as stored; days are UTC days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from coalition.domain import filters
from coalition.domain.audit import Work
from coalition.domain.campaigns import (
    PIPELINE,
    NoSignOnView,
    SignOnView,
    allowed_moves,
    campaign_view,
    list_campaigns,
    next_status,
    quiet_days,
    set_signon,
    signon_view,
)
from coalition.domain.lookup import find_campaign
from coalition.domain.values import choice
from coalition.domain.views import CampaignView
from coalition.errors import CoalitionError, InvalidValue
from coalition.store.models import (
    Campaign,
    Interaction,
    Organisation,
    SignOn,
    SignOnEvent,
    utcnow,
)

WAITING = ("invited", "considering")
"""The statuses that wait for an organisation's answer."""
DEFAULT_QUIET_DAYS = 14
PAGE = 100
MAX_DAYS = 3660
"""Days of sign-ons drawn at most: ten years (a mistyped opening date draws no century)."""


@dataclass(frozen=True, slots=True)
class Card:
    """One organisation in a stage of the pipeline."""

    signon_id: int
    organisation_id: int
    name: str
    country: str | None
    status: str
    since: dt.datetime
    """When it came to this status (UTC)."""


@dataclass(frozen=True)
class Stage:
    """One column of the pipeline: a status, how many are at it, the first of them."""

    status: str
    total: int
    cards: list[Card]
    next_status: str | None
    """Where the usual one-key move takes a card of this stage (None: nowhere)."""
    moves: tuple[str, ...]
    """Every status a card of this stage may move to."""


@dataclass(frozen=True, slots=True)
class QuietRow:
    """An organisation that has not answered: nothing heard or changed since ``quiet_since``."""

    signon_id: int
    organisation_id: int
    name: str
    country: str | None
    status: str
    quiet_since: dt.datetime
    last_contact: dt.datetime | None
    """The last interaction with it about this campaign (or none in particular)."""
    days: int


@dataclass(frozen=True)
class Quiet:
    """Who has not answered for ``days`` days: the first rows and how many in all."""

    days: int
    total: int
    rows: list[QuietRow]


@dataclass(frozen=True, slots=True)
class Period:
    """Sign-ons in the days from ``start``: one day, a week (from Monday) or a month."""

    start: dt.date
    signed: int


@dataclass(frozen=True)
class Pipeline:
    campaign: CampaignView
    stages: list[Stage]
    per_day: list[Period]
    """New sign-ons per day, from the campaign's first day to today, with the empty days."""
    quiet: Quiet

    def stage(self, status: str) -> Stage:
        return next(s for s in self.stages if s.status == status)

    @property
    def signed(self) -> int:
        return self.campaign.signed

    @property
    def total(self) -> int:
        return sum(s.total for s in self.stages)


def campaign_choices(session: Session) -> list[CampaignView]:
    """Every campaign to choose from: open ones first, then drafts, then closed; newest first."""
    order = {"open": 0, "draft": 1, "closed": 2}
    return sorted(list_campaigns(session), key=lambda c: order.get(c.state, 3))


def pipeline(
    session: Session,
    campaign: str,
    *,
    limit: int = PAGE,
    quiet_days: int = DEFAULT_QUIET_DAYS,
    now: dt.datetime | None = None,
) -> Pipeline:
    """The campaign ``campaign`` (code or id) with its stages' counts and first ``limit`` cards."""
    camp = find_campaign(session, campaign)
    view = campaign_view(session, camp)
    stages = [
        Stage(
            status=status,
            total=view.counts.get(status, 0),
            cards=stage_cards(session, camp.id, status, limit=limit)
            if view.counts.get(status)
            else [],
            next_status=next_status(status),
            moves=tuple(allowed_moves(status)),
        )
        for status in PIPELINE
    ]
    today = (now or utcnow()).date()
    return Pipeline(
        campaign=view,
        stages=stages,
        per_day=signons_over_time(session, camp.id, today=today),
        quiet=Quiet(
            days=quiet_days,
            total=count_no_answer(session, camp.id, quiet_days, now=now),
            rows=no_answer(session, camp.id, quiet_days, limit=limit, now=now),
        ),
    )


def _status_since() -> ColumnElement[dt.datetime]:
    """When a sign-on came to its status: its last event, else its creation."""
    last_event = (
        select(func.max(SignOnEvent.at))
        .where(SignOnEvent.signon_id == SignOn.id)
        .correlate(SignOn)
        .scalar_subquery()
    )
    return func.coalesce(last_event, SignOn.created_at)


def stage_cards(
    session: Session, campaign_id: int, status: str, *, offset: int = 0, limit: int = PAGE
) -> list[Card]:
    """Cards ``offset`` to ``offset + limit`` of one stage, by organisation name."""
    if status not in PIPELINE:
        raise InvalidValue(f"'{status}' is not a sign-on status; use one of {', '.join(PIPELINE)}.")
    since = _status_since().label("since")
    rows = session.execute(
        select(SignOn.id, SignOn.organisation_id, Organisation.name, Organisation.country, since)
        .join(Organisation, Organisation.id == SignOn.organisation_id)
        .where(SignOn.campaign_id == campaign_id, SignOn.status == status)
        .order_by(Organisation.name_key, SignOn.id)
        .offset(offset)
        .limit(limit)
    )
    return [Card(sid, oid, name, country, status, at) for sid, oid, name, country, at in rows]


def _touches(cutoff: dt.datetime | None = None) -> ColumnElement[bool]:
    """Interactions with a sign-on's organisation about its campaign or about none."""
    conditions = [
        Interaction.organisation_id == SignOn.organisation_id,
        or_(Interaction.campaign_id == SignOn.campaign_id, Interaction.campaign_id.is_(None)),
    ]
    if cutoff is not None:
        conditions.append(Interaction.occurred_at > cutoff)
    return and_(*conditions)


def _quiet_conditions(
    campaign_id: int, days: int, now: dt.datetime | None
) -> list[ColumnElement[bool]]:
    if days < 0:
        raise InvalidValue("Say how many days without an answer: 0 or more.")
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    return [
        SignOn.campaign_id == campaign_id,
        SignOn.status.in_(WAITING),
        _status_since() <= cutoff,
        ~exists(select(Interaction.id).where(_touches(cutoff)).correlate(SignOn)),
    ]


def count_no_answer(
    session: Session, campaign_id: int, days: int, *, now: dt.datetime | None = None
) -> int:
    """How many invited or considering organisations have been quiet for ``days`` days."""
    statement = (
        select(func.count()).select_from(SignOn).where(*_quiet_conditions(campaign_id, days, now))
    )
    return session.scalar(statement) or 0


def no_answer(
    session: Session,
    campaign_id: int,
    days: int,
    *,
    offset: int = 0,
    limit: int = PAGE,
    now: dt.datetime | None = None,
) -> list[QuietRow]:
    """Invited or considering organisations quiet for ``days`` days, the longest quiet first.

    Quiet means no status change and no interaction (either way) about this campaign or
    about no campaign in particular; an interaction about another campaign does not count.
    """
    moment = now or utcnow()
    last_touch = (
        select(func.max(Interaction.occurred_at))
        .where(_touches())
        .correlate(SignOn)
        .scalar_subquery()
    )
    since = _status_since()
    quiet_since = case((last_touch > since, last_touch), else_=since)
    rows = session.execute(
        select(
            SignOn.id,
            SignOn.organisation_id,
            Organisation.name,
            Organisation.country,
            SignOn.status,
            quiet_since.label("quiet_since"),
            last_touch.label("last_touch"),
        )
        .join(Organisation, Organisation.id == SignOn.organisation_id)
        .where(*_quiet_conditions(campaign_id, days, now))
        .order_by(quiet_since, Organisation.name_key, SignOn.id)
        .offset(offset)
        .limit(limit)
    )
    return [
        QuietRow(sid, oid, name, country, status, at, touch, max((moment - at).days, 0))
        for sid, oid, name, country, status, at, touch in rows
    ]


def signons_over_time(
    session: Session, campaign_id: int, *, today: dt.date | None = None
) -> list[Period]:
    """New sign-ons per day, from the campaign's first day (its opening, else its first
    sign-on or its creation) to today, empty days included."""
    camp = session.get(Campaign, campaign_id)
    if camp is None:
        raise InvalidValue(f"There is no campaign #{campaign_id}.")
    days: dict[dt.date, int] = {}
    # Each sign-on counts once, on the day it first signed: not again after a withdrawal
    # and a second signature, nor twice when two merged records had both signed.
    signed_at = session.scalars(
        select(func.min(SignOnEvent.at))
        .join(SignOn, SignOn.id == SignOnEvent.signon_id)
        .where(SignOn.campaign_id == campaign_id, SignOnEvent.to_status == "signed")
        .group_by(SignOnEvent.signon_id)
    )
    for at in signed_at:
        days[at.date()] = days.get(at.date(), 0) + 1
    end = max([today or utcnow().date(), *days])
    start = min([camp.opened_on or camp.created_at.date(), *days])
    start = max(start, end - dt.timedelta(days=MAX_DAYS - 1))
    count = (end - start).days + 1
    return [
        Period(day, days.get(day, 0))
        for day in (start + dt.timedelta(days=i) for i in range(count))
    ]


def regroup(per_day: Sequence[Period], by: str) -> list[Period]:
    """Days summed into weeks (from Monday) or months; ``by`` is day, week or month."""
    if by == "day":
        return list(per_day)
    if by not in ("week", "month"):
        raise InvalidValue(f"Group sign-ons by day, week or month, not '{by}'.")
    grouped: dict[dt.date, int] = {}
    for period in per_day:
        day = period.start
        key = day - dt.timedelta(days=day.weekday()) if by == "week" else day.replace(day=1)
        grouped[key] = grouped.get(key, 0) + period.signed
    return [Period(start, n) for start, n in grouped.items()]


def spans(per_day: Sequence[Period], days: int) -> list[Period]:
    """Days summed in spans of ``days`` days, the last span ending on the last day (so the
    newest bar is a whole span; the oldest may be shorter)."""
    if days < 1:
        raise InvalidValue("A span of sign-ons is one day or more.")
    if not per_day:
        return []
    first = len(per_day) % days or days
    cuts = [0, *range(first, len(per_day), days)]
    return [
        Period(per_day[start].start, sum(p.signed for p in per_day[start : start + size]))
        for start, size in zip(cuts, [first] + [days] * (len(cuts) - 1), strict=True)
    ]


def advance(
    work: Work,
    campaign_id: int,
    organisation_id: int,
    expected: str,
    to: str | None = None,
) -> SignOnView:
    """Move an organisation shown at ``expected`` to ``to`` (default: its next status).

    Refused, with what it is now, when its status changed since it was shown.
    """
    session = work.session
    camp = session.get(Campaign, campaign_id)
    if camp is None:
        raise InvalidValue(f"There is no campaign #{campaign_id} any more.")
    signon = session.scalar(
        select(SignOn).where(
            SignOn.campaign_id == campaign_id, SignOn.organisation_id == organisation_id
        )
    )
    if signon is None:
        raise CoalitionError(
            f"That organisation is no longer in {camp.code}; read the pipeline again (Ctrl+R)."
        )
    if signon.status != expected:
        raise CoalitionError(
            f"{signon.organisation.name} is now {signon.status} in {camp.code} (changed "
            "meanwhile); nothing was moved. The pipeline has been read again."
        )
    target = to or next_status(expected)
    if target is None:
        options = allowed_moves(expected)
        where = f"it can move to {', '.join(options)}" if options else f"{expected} is final"
        raise CoalitionError(
            f"{signon.organisation.name} is {expected}, which has no usual next step; {where}."
        )
    return set_signon(work, f"#{organisation_id}", camp.code, target)


def list_signons(
    session: Session,
    campaign: str,
    *,
    statuses: Iterable[str] = (),
    quiet_for: str | int | None = None,
    now: dt.datetime | None = None,
) -> list[SignOnView | NoSignOnView]:
    """A campaign's sign-ons, by organisation name.

    ``statuses``: only those at these statuses; ``filters.NO_SIGNON`` ("none") lists the
    organisations with no sign-on for it yet, as ``NoSignOnView`` — the organisations an
    ``OrganisationFilter`` selects for the same words. ``quiet_for`` (14d, 2w, 1m or a
    number of days): only the organisations waiting for an answer (invited or
    considering; ``statuses`` may narrow that) with no status change and nothing logged
    with them about the campaign, or about none, for that long — the chase list, by the
    rule of the campaign screen's "no answer" (``no_answer``).
    """
    camp = find_campaign(session, campaign)
    wanted = tuple(statuses)
    quiet: set[int] | None = None
    if quiet_for is not None:
        moment = now or utcnow()
        days = quiet_days(quiet_for, today=moment.date())
        chosen = {choice(s, filters.STATUS_FILTERS, "sign-on status") or "" for s in wanted}
        others = sorted(chosen - set(WAITING))
        if others:
            named = ("not in it yet" if s == filters.NO_SIGNON else s for s in others)
            raise InvalidValue(
                "Only invited or considering organisations wait for an answer; those "
                f"{' or '.join(named)} cannot be quiet."
            )
        wanted = tuple(sorted(chosen)) or WAITING
        count = count_no_answer(session, camp.id, days, now=moment)
        rows = no_answer(session, camp.id, days, limit=count, now=moment) if count else []
        quiet = {row.signon_id for row in rows}
    conditions = filters.organisation_conditions(
        session, filters.OrganisationFilter(campaign=camp.code, statuses=wanted)
    )
    if conditions is None:
        return []
    query = (
        select(Organisation, SignOn)
        .outerjoin(
            SignOn, and_(SignOn.organisation_id == Organisation.id, SignOn.campaign_id == camp.id)
        )
        .where(*conditions)
        .options(selectinload(SignOn.events), selectinload(SignOn.signed_by))
        .order_by(Organisation.name_key, Organisation.id)
    )
    listed: list[SignOnView | NoSignOnView] = []
    for org, signon in session.execute(query):
        if signon is None:
            listed.append(
                NoSignOnView(
                    organisation_id=org.id,
                    organisation=org.name,
                    country=org.country,
                    campaign=camp.code,
                    status=filters.NO_SIGNON,
                    display_name=org.name,
                )
            )
        elif quiet is None or signon.id in quiet:
            listed.append(signon_view(signon))
    return listed


__all__ = [
    "DEFAULT_QUIET_DAYS",
    "PIPELINE",
    "WAITING",
    "Card",
    "Period",
    "Pipeline",
    "Quiet",
    "QuietRow",
    "Stage",
    "advance",
    "campaign_choices",
    "count_no_answer",
    "list_signons",
    "no_answer",
    "pipeline",
    "regroup",
    "signons_over_time",
    "spans",
    "stage_cards",
]
