"""Outreach: every email, call, meeting and letter, and the follow-ups they leave.

An interaction names a contact, an organisation or both; a contact's current
organisation is filled in when only the contact is given, because talking to
someone at an organisation is talking to the organisation. Logging one closes
the earlier open follow-ups with that organisation (or, for a person without
one, with that person): the new contact *is* the follow-up. Pass
``close_followups=False`` to keep them open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, bindparam, func, or_, select, text, update
from sqlalchemy.orm import Session, selectinload

from coalition.domain.audit import Work, jsonable
from coalition.domain.campaigns import find_campaign
from coalition.domain.people import find_contact, find_organisation
from coalition.domain.values import choice, clean, parse_date
from coalition.domain.views import InteractionView
from coalition.errors import InvalidValue, NotFound
from coalition.store import glance
from coalition.store.models import Interaction, utcnow
from coalition.store.schema import CHANNELS, DIRECTIONS


@dataclass(frozen=True)
class LogResult:
    interaction: InteractionView
    closed_followups: int

    def sentence(self) -> str:
        """What was logged, for the coordinator (the command line and the app say the same)."""
        i = self.interaction
        who = " / ".join(x for x in (i.contact, i.organisation) if x)
        # A name may end the sentence itself ("… z.s.", "… e.V."): no second full stop.
        message = f"Logged {i.channel} #{i.id} with {who}" + ("" if who.endswith(".") else ".")
        if i.follow_up_on:
            message += f" Follow up on {i.follow_up_on.isoformat()}."
        if self.closed_followups:
            n = self.closed_followups
            message += f" Closed {n} earlier follow-up{'s' if n > 1 else ''}."
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
        channel=choice(channel, CHANNELS, "channel") or "other",
        direction=choice(direction, DIRECTIONS, "direction (out or in)") or "out",
        subject=clean(subject),
        notes=notes.strip() if notes and notes.strip() else None,
        outcome=clean(outcome),
        contact=person,
        organisation=org,
        campaign=find_campaign(session, campaign) if campaign and clean(campaign) else None,
        follow_up_on=parse_date(follow_up_on),
        done=False,
        coordinator=work.coordinator,
    )
    closed = 0
    if close_followups:
        if org is not None:
            party = Interaction.organisation_id == org.id
        else:
            assert person is not None
            party = Interaction.contact_id == person.id
        result = session.execute(
            update(Interaction)
            .where(
                party,
                text(glance.FOLLOWUP_OPEN),
                Interaction.occurred_at <= interaction.occurred_at,
            )
            .values(done=True)
        )
        closed = result.rowcount or 0  # type: ignore[attr-defined]
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


def _interaction(work: Work, interaction_id: int) -> Interaction:
    interaction = work.session.get(Interaction, interaction_id)
    if interaction is None:
        raise NotFound(f"There is no interaction #{interaction_id}.")
    return interaction


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
    interaction = _interaction(work, interaction_id)
    before = _snapshot(interaction)
    interaction.done = True
    return _changed(work, interaction, before)


def postpone_followup(
    work: Work, interaction_id: int, until: str | dt.date, *, today: dt.date | None = None
) -> InteractionView:
    """Move an open follow-up to ``until`` (a date as ``parse_date`` reads it: +7, next
    week, 2026-12-01); not to a day before ``today``, nor one that is done."""
    interaction = _interaction(work, interaction_id)
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
