"""Outreach: every email, call, meeting and letter, and the follow-ups they leave.

An interaction names a contact, an organisation or both; a contact's current
organisation is filled in when only the contact is given, because talking to
someone at an organisation is talking to the organisation.

Which follow-ups a new interaction closes: the earlier open ones with the same
organisation (or, for a person without one, with that person) about the same
campaign, or about no campaign in particular — the new contact *is* the
follow-up; a reminder about another campaign stays open. Pass
``close_followups=False`` to keep them all open. A sign-on that reaches a final
status (signed, declined, withdrawn) closes the organisation's open follow-ups
about its campaign (``close_campaign_followups``, which ``campaigns`` calls).
What is open is the one rule of ``store.glance`` (``FOLLOWUP_OPEN``).

Logged interactions can be listed, corrected and deleted (``list_interactions``,
``edit_interaction``, ``delete_interaction``), each change in the change log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Date, bindparam, func, or_, select, text
from sqlalchemy.orm import Session, selectinload

from coalition.domain.audit import Work, jsonable
from coalition.domain.lookup import find_campaign
from coalition.domain.people import find_contact, find_organisation
from coalition.domain.values import choice, clean, on_local_day, parse_date
from coalition.domain.views import InteractionView
from coalition.errors import CoalitionError, InvalidValue, NotFound
from coalition.store import glance
from coalition.store.models import Interaction, utcnow
from coalition.store.schema import CHANNELS, DIRECTIONS

SHOWN_CLOSED = 5
"""How many closed follow-ups a sentence names; the rest it counts."""


@dataclass(frozen=True)
class ClosedFollowups:
    """The follow-ups an action closed, oldest due first."""

    followups: tuple[InteractionView, ...] = ()

    def __len__(self) -> int:
        return len(self.followups)

    def sentence(self) -> str:
        """ "Closed follow-up #3 (Invitation to sign)."; "" when none was closed."""
        if not self.followups:
            return ""
        named = [f"#{i.id} ({i.subject or i.channel})" for i in self.followups[:SHOWN_CLOSED]]
        more = len(self.followups) - len(named)
        if more:
            named.append(f"{more} more")
        listed = ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0]
        plural = "s" if len(self.followups) > 1 else ""
        return f"Closed follow-up{plural} {listed}."


@dataclass(frozen=True)
class LogResult:
    interaction: InteractionView
    closed_followups: ClosedFollowups

    def sentence(self) -> str:
        """What was logged, for the coordinator (the command line and the app say the same)."""
        i = self.interaction
        who = " / ".join(x for x in (i.contact, i.organisation) if x)
        # A name may end the sentence itself ("… z.s.", "… e.V."): no second full stop.
        message = f"Logged {i.channel} #{i.id} with {who}" + ("" if who.endswith(".") else ".")
        if i.follow_up_on:
            message += f" Follow up on {i.follow_up_on.isoformat()}."
        if self.closed_followups:
            message += " " + self.closed_followups.sentence()
        return message


def interaction_view(i: Interaction) -> InteractionView:
    return InteractionView(
        id=i.id,
        occurred_at=i.occurred_at,
        channel=i.channel,
        direction=i.direction,
        subject=i.subject,
        notes=i.notes,
        outcome=i.outcome,
        contact=i.contact.display_name if i.contact else None,
        contact_id=i.contact_id,
        organisation=i.organisation.name if i.organisation else None,
        organisation_id=i.organisation_id,
        campaign=i.campaign.code if i.campaign else None,
        follow_up_on=i.follow_up_on,
        done=i.done,
        coordinator=i.coordinator,
    )


def _snapshot(i: Interaction) -> dict[str, Any]:
    fields = [
        "occurred_at",
        "channel",
        "direction",
        "subject",
        "notes",
        "outcome",
        "contact_id",
        "organisation_id",
        "campaign_id",
        "follow_up_on",
        "done",
    ]
    return {name: jsonable(getattr(i, name)) for name in fields}


INTERACTION_FIELDS = frozenset(
    {
        "channel",
        "direction",
        "subject",
        "notes",
        "outcome",
        "campaign",
        "follow_up_on",
        "occurred_on",
        "organisation",
        "contact",
    }
)
"""What ``edit_interaction`` may change."""


def _apply_fields(session: Session, i: Interaction, fields: dict[str, Any]) -> None:
    """The values of an interaction as a coordinator writes them, checked and set."""
    for name, value in fields.items():
        if name == "channel":
            i.channel = choice(value, CHANNELS, "channel") or "other"
        elif name == "direction":
            i.direction = choice(value, DIRECTIONS, "direction (out or in)") or "out"
        elif name in ("subject", "outcome"):
            setattr(i, name, clean(value))
        elif name == "notes":
            i.notes = value.strip() if value and value.strip() else None
        elif name == "campaign":
            i.campaign = find_campaign(session, value) if value and clean(value) else None
        elif name == "follow_up_on":
            i.follow_up_on = parse_date(value)


def log_interaction(
    work: Work,
    *,
    organisation: str | None = None,
    contact: str | None = None,
    channel: str = "email",
    direction: str = "out",
    subject: str | None = None,
    notes: str | None = None,
    outcome: str | None = None,
    campaign: str | None = None,
    follow_up_on: str | dt.date | None = None,
    occurred_at: dt.datetime | None = None,
    close_followups: bool = True,
) -> LogResult:
    session = work.session
    if not clean(organisation) and not clean(contact):
        raise InvalidValue("Say whom the interaction was with: an organisation, a contact or both.")
    person = find_contact(session, contact) if contact and clean(contact) else None
    org = find_organisation(session, organisation) if organisation and clean(organisation) else None
    if org is None and person is not None:
        org = person.organisation
    interaction = Interaction(
        occurred_at=occurred_at or utcnow(),
        contact=person,
        organisation=org,
        done=False,
        coordinator=work.coordinator,
    )
    _apply_fields(
        session,
        interaction,
        {
            "channel": channel,
            "direction": direction,
            "subject": subject,
            "notes": notes,
            "outcome": outcome,
            "campaign": campaign,
            "follow_up_on": follow_up_on,
        },
    )
    closed = ClosedFollowups()
    if close_followups:
        assert org is not None or person is not None
        closed = close_earlier_followups(
            work,
            organisation_ids=[org.id] if org is not None else [],
            contact_ids=[person.id] if org is None and person is not None else [],
            campaign_id=interaction.campaign.id if interaction.campaign is not None else None,
            until=interaction.occurred_at,
        )
    session.add(interaction)
    session.flush()
    label = interaction.subject or interaction.channel
    work.audit(
        "create",
        "interaction",
        interaction.id,
        label,
        None,
        _snapshot(interaction),
        organisation_id=interaction.organisation_id,
        contact_id=interaction.contact_id,
    )
    return LogResult(interaction_view(interaction), closed)


def _close_followups(work: Work, *conditions: ColumnElement[bool]) -> ClosedFollowups:
    """Mark the open follow-ups that meet ``conditions`` done, each with its audit entry."""
    found = list(
        work.session.scalars(
            select(Interaction)
            .where(text(glance.FOLLOWUP_OPEN), *conditions)
            .options(*_options())
            .order_by(text(glance.FOLLOWUP_ORDER))
        )
    )
    before = [_snapshot(i) for i in found]
    for interaction in found:
        interaction.done = True
    return ClosedFollowups(
        tuple(_changed(work, i, was) for i, was in zip(found, before, strict=True))
    )


_ID_CHUNK = 900
"""Ids per ``IN (...)``: well under every SQLite build's limit of bound parameters."""


def _close_among(
    work: Work, party: Any, ids: Sequence[int], *conditions: ColumnElement[bool]
) -> list[InteractionView]:
    """``_close_followups`` for the follow-ups whose ``party`` column is one of ``ids``, a
    chunk of ids at a time."""
    closed: list[InteractionView] = []
    for start in range(0, len(ids), _ID_CHUNK):
        chunk = list(ids[start : start + _ID_CHUNK])
        closed.extend(_close_followups(work, party.in_(chunk), *conditions).followups)
    return closed


def close_earlier_followups(
    work: Work,
    *,
    organisation_ids: Sequence[int],
    contact_ids: Sequence[int] = (),
    campaign_id: int | None,
    until: dt.datetime,
) -> ClosedFollowups:
    """What a new interaction closes (the module's rule): the open follow-ups logged at or
    before ``until`` with these organisations — or with these contacts, people without
    one — about this campaign or about none."""
    about: list[ColumnElement[bool]] = [Interaction.campaign_id.is_(None)]
    if campaign_id is not None:
        about.append(Interaction.campaign_id == campaign_id)
    earlier = Interaction.occurred_at <= until
    return ClosedFollowups(
        tuple(
            _close_among(work, Interaction.organisation_id, organisation_ids, or_(*about), earlier)
            + _close_among(work, Interaction.contact_id, contact_ids, or_(*about), earlier)
        )
    )


def close_campaign_followups(
    work: Work, organisation_ids: Sequence[int], campaign_id: int
) -> ClosedFollowups:
    """Close the open follow-ups with these organisations about this campaign: their
    sign-on reached a final status, so there is nothing left to chase (``campaigns``)."""
    return ClosedFollowups(
        tuple(
            _close_among(
                work,
                Interaction.organisation_id,
                organisation_ids,
                Interaction.campaign_id == campaign_id,
            )
        )
    )


def _options() -> list[Any]:
    return [
        selectinload(Interaction.contact),
        selectinload(Interaction.organisation),
        selectinload(Interaction.campaign),
    ]


def list_followups(
    session: Session,
    *,
    due_before: str | dt.date | None = None,
    coordinator: str | None = None,
) -> list[InteractionView]:
    """Open follow-ups, oldest due date first. ``due_before`` is exclusive. The rule is the
    one the start screen's first look reads with (``store.glance``), in the same words."""
    query = (
        select(Interaction)
        .where(text(glance.FOLLOWUP_OPEN))
        .options(*_options())
        .order_by(text(glance.FOLLOWUP_ORDER))
    )
    cutoff = parse_date(due_before)
    if cutoff is not None:
        due = bindparam("due_before", cutoff, type_=Date)
        query = query.where(text(glance.FOLLOWUP_DUE).bindparams(due))
    if coordinator:
        query = query.where(Interaction.coordinator == coordinator)
    return [interaction_view(i) for i in session.scalars(query)]


def _interaction(session: Session, interaction_id: int) -> Interaction:
    interaction = session.get(Interaction, interaction_id)
    if interaction is None:
        raise NotFound(f"There is no interaction #{interaction_id}.")
    return interaction


def get_interaction(session: Session, interaction_id: int) -> InteractionView:
    return interaction_view(_interaction(session, interaction_id))


def _changed(work: Work, interaction: Interaction, before: dict[str, Any]) -> InteractionView:
    """Write a change to an interaction with its audit entry (``before``: its snapshot)."""
    work.session.flush()
    work.audit(
        "update",
        "interaction",
        interaction.id,
        interaction.subject or interaction.channel,
        before,
        _snapshot(interaction),
        organisation_id=interaction.organisation_id,
        contact_id=interaction.contact_id,
    )
    return interaction_view(interaction)


def complete_followup(work: Work, interaction_id: int) -> InteractionView:
    interaction = _interaction(work.session, interaction_id)
    before = _snapshot(interaction)
    interaction.done = True
    return _changed(work, interaction, before)


def postpone_followup(
    work: Work, interaction_id: int, until: str | dt.date, *, today: dt.date | None = None
) -> InteractionView:
    """Move an open follow-up to ``until`` (a date as ``parse_date`` reads it: +7, next
    week, 2026-12-01); not to a day before ``today``, nor one that is done."""
    interaction = _interaction(work.session, interaction_id)
    if interaction.done or interaction.follow_up_on is None:
        raise InvalidValue(f"Interaction #{interaction_id} has no open follow-up to move.")
    today = today or dt.date.today()
    day = parse_date(until, today=today)
    if day is None:
        raise InvalidValue("Say when to follow up: a date, +7, next week.")
    if day < today:
        raise InvalidValue(f"{day.isoformat()} has passed; follow up today or later.")
    if day == interaction.follow_up_on:
        return interaction_view(interaction)  # already then: nothing to change or record
    before = _snapshot(interaction)
    interaction.follow_up_on = day
    return _changed(work, interaction, before)


def list_interactions(
    session: Session,
    *,
    organisation: str | None = None,
    contact: str | None = None,
    campaign: str | None = None,
    limit: int | None = None,
) -> list[InteractionView]:
    """Logged interactions, newest first: with this organisation, this contact and about
    this campaign, as far as they are given (an organisation, a contact or a campaign
    that does not exist is refused)."""
    query = (
        select(Interaction)
        .options(*_options())
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
    )
    if organisation is not None:
        org = find_organisation(session, organisation)
        query = query.where(Interaction.organisation_id == org.id)
    if contact is not None:
        person = find_contact(session, contact)
        query = query.where(Interaction.contact_id == person.id)
    if campaign is not None:
        query = query.where(Interaction.campaign_id == find_campaign(session, campaign).id)
    if limit is not None:
        query = query.limit(limit)
    return [interaction_view(i) for i in session.scalars(query)]


def edit_interaction(work: Work, interaction_id: int, changes: dict[str, Any]) -> InteractionView:
    """Correct a logged interaction; only the fields in ``changes`` change ("" clears one).

    ``occurred_on`` moves it to another day (as this computer's clock reads days) at the
    same time of day. ``organisation`` and
    ``contact`` are whom it was with: a contact given alone brings their organisation, as
    in ``log_interaction``. A new follow-up day opens its follow-up again.
    """
    session = work.session
    unknown = set(changes) - INTERACTION_FIELDS
    if unknown:
        raise CoalitionError(f"Unknown interaction field(s): {', '.join(sorted(unknown))}.")
    interaction = _interaction(session, interaction_id)
    before = _snapshot(interaction)
    if "contact" in changes:
        ref = clean(changes["contact"])
        person = find_contact(session, ref) if ref else None
        interaction.contact = person
        if person is not None and "organisation" not in changes:
            interaction.organisation = person.organisation
    if "organisation" in changes:
        ref = clean(changes["organisation"])
        interaction.organisation = find_organisation(session, ref) if ref else None
    if interaction.contact is None and interaction.organisation is None:
        raise InvalidValue(
            f"Interaction #{interaction_id} needs someone it was with: an organisation, "
            "a contact or both."
        )
    if "occurred_on" in changes:
        day = parse_date(changes["occurred_on"])
        if day is None:
            raise InvalidValue("Say on which day it happened: a date such as 2026-03-02.")
        interaction.occurred_at = on_local_day(interaction.occurred_at, day)
    followed_up = interaction.follow_up_on
    _apply_fields(session, interaction, changes)
    if interaction.follow_up_on is not None and interaction.follow_up_on != followed_up:
        interaction.done = False
    return _changed(work, interaction, before)


def delete_interaction(work: Work, interaction_id: int) -> InteractionView:
    """Delete a logged interaction (and its follow-up), keeping what it was in the change
    log."""
    interaction = _interaction(work.session, interaction_id)
    view = interaction_view(interaction)
    work.audit(
        "delete",
        "interaction",
        interaction.id,
        interaction.subject or interaction.channel,
        _snapshot(interaction),
        None,
        organisation_id=interaction.organisation_id,
        contact_id=interaction.contact_id,
    )
    work.session.delete(interaction)
    work.session.flush()
    return view


def interactions_of(
    session: Session,
    *,
    organisation_id: int | None = None,
    contact_id: int | None = None,
    limit: int | None = 100,
) -> list[InteractionView]:
    """The outreach timeline of an organisation or a contact, newest first."""
    conditions = []
    if organisation_id is not None:
        conditions.append(Interaction.organisation_id == organisation_id)
    if contact_id is not None:
        conditions.append(Interaction.contact_id == contact_id)
    if not conditions:
        raise InvalidValue("Say whose interactions to list.")
    query = (
        select(Interaction)
        .where(or_(*conditions))
        .options(*_options())
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return [interaction_view(i) for i in session.scalars(query)]


def last_interactions(session: Session, organisation_ids: list[int]) -> dict[int, InteractionView]:
    """The newest interaction with each of these organisations."""
    latest = (
        select(Interaction.organisation_id, func.max(Interaction.id).label("id"))
        .where(Interaction.organisation_id.in_(organisation_ids))
        .group_by(Interaction.organisation_id)
        .subquery()
    )
    rows = session.scalars(
        select(Interaction).join(latest, latest.c.id == Interaction.id).options(*_options())
    )
    return {i.organisation_id: interaction_view(i) for i in rows if i.organisation_id}
