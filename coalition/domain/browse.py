"""Browsing: what the terminal app's tables, detail panes and start screen read.

A table over 100,000 contacts shows a few dozen at a time, so it asks for a
*page* — an offset and a limit — of lean rows: lean Core ``select``s of only
the listed columns, returned as small frozen dataclasses. Loading ORM objects
with their emails, phones and tags (``people.list_contacts``) costs ~17 ms per
page at that size; this costs a fraction of it, which is what lets search
update within a keystroke.

The search filter is ``store.search.listing_filter``, as in ``people``: the
matching ids themselves when they are few, else a subquery, so a name-sorted
page is found by walking the name index (see ``_search_filter``). The count
beside the table is separate (``count_contacts``), because scrolling needs
pages but not a new count; ``first_contacts`` gives a search both at once.

Nothing here writes; every function takes a read session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from coalition.domain import outreach, people
from coalition.domain.audit import AuditView, history
from coalition.domain.campaigns import CampaignView, SignOnView, list_campaigns, signons_of
from coalition.domain.values import choice, country_code, fold
from coalition.store import search
from coalition.store.models import (
    MEMBERSHIPS,
    ORGANISATION_KINDS,
    Campaign,
    Contact,
    ContactEmail,
    Organisation,
    Tag,
    contact_tags,
    organisation_tags,
)

RowT = TypeVar("RowT")

CONTACT_SORTS = ("name", "organisation", "email", "role", "country")
"""The columns a contact listing sorts by (the app's table columns)."""
ORGANISATION_SORTS = ("name", "acronym", "country", "city", "membership", "contacts")
"""The columns an organisation listing sorts by."""


@dataclass(frozen=True, slots=True)
class ContactRow:
    """One line of a contact table."""

    id: int
    name: str
    organisation: str | None
    email: str | None
    role: str | None
    country: str | None
    """The contact's country, else their organisation's."""


@dataclass(frozen=True, slots=True)
class OrganisationRow:
    """One line of an organisation table."""

    id: int
    name: str
    acronym: str | None
    country: str | None
    city: str | None
    membership: str
    contacts: int


@dataclass(frozen=True)
class ContactQuery:
    """What a contact table shows: a search, filters and an order."""

    search_text: str = ""
    tag: str | None = None
    country: str | None = None
    organisation_id: int | None = None
    sort: str = "name"
    descending: bool = False


@dataclass(frozen=True)
class OrganisationQuery:
    """What an organisation table shows: a search, filters and an order."""

    search_text: str = ""
    tag: str | None = None
    country: str | None = None
    membership: str | None = None
    kind: str | None = None
    sort: str = "name"
    descending: bool = False


# --- contacts -------------------------------------------------------------------------------
#
# A page is read in two steps: the ids of the page, ordered and filtered with only the joins
# the order and filters need, then the listed columns of those ids alone. In one statement
# SQLite would compute every listed column (the primary email is a subquery) for each row it
# sorts or skips, which costs hundreds of milliseconds for a page deep in 100,000 contacts.


@dataclass(frozen=True)
class Page(Generic[RowT]):
    """The first rows of a listing and how many rows it has in all."""

    rows: list[RowT]
    total: int


def _search_filter(
    session: Session, table: str, text: str, id_column: Any, *, walk_names: bool
) -> ColumnElement[bool] | None:
    """The condition a search puts on a listing; None when nothing can match.

    With many matches, a listing in name order is found fastest by walking the name
    index and keeping the rows that match, and SQLite does that when the id is hidden
    from the planner (``id + 0``); otherwise it reads every match and sorts them, ~25 ms
    for a one-letter search at 100,000 contacts.
    """
    matching = search.listing_filter(session, table, text)
    if isinstance(matching, list):
        return id_column.in_(matching) if matching else None
    return (id_column + 0).in_(matching) if walk_names else id_column.in_(matching)


def _contact_conditions(session: Session, query: ContactQuery) -> list[ColumnElement[bool]] | None:
    """The query's search and filters as conditions; None when nothing can match."""
    conditions: list[ColumnElement[bool]] = []
    if query.tag:
        tag = select(Tag.id).where(Tag.key == fold(query.tag)).scalar_subquery()
        conditions.append(
            Contact.id.in_(select(contact_tags.c.contact_id).where(contact_tags.c.tag_id == tag))
        )
    if query.country:
        code = country_code(query.country)
        conditions.append(or_(Contact.country == code, Organisation.country == code))
    if query.organisation_id is not None:
        conditions.append(Contact.organisation_id == query.organisation_id)
    if query.search_text.strip():
        found = _search_filter(
            session,
            search.CONTACT_TABLE,
            query.search_text,
            Contact.id,
            walk_names=query.sort == "name",
        )
        if found is None:
            return None
        conditions.append(found)
    return conditions


def _ordered(value: Any, tiebreak: list[Any], descending: bool) -> list[ColumnElement[Any]]:
    """ORDER BY a column's value (empty values last either way), then ``tiebreak``.

    ``value`` None means the tiebreak is the order (the name column); only then
    does it turn round too, so a reversed country list keeps names A to Z within
    each country.
    """
    if value is None:
        return [k.desc() for k in tiebreak] if descending else tiebreak
    return [value.is_(None), value.desc() if descending else value, *tiebreak]


_PRIMARY = aliased(ContactEmail)


def _contact_ids(
    session: Session,
    query: ContactQuery,
    offset: int,
    limit: int,
    conditions: list[ColumnElement[bool]] | None,
) -> list[int]:
    if conditions is None:
        return []
    sort = choice(query.sort, CONTACT_SORTS, "contact column") or "name"
    statement = select(Contact.id).where(*conditions)
    if query.country or sort in ("organisation", "country"):
        statement = statement.outerjoin(Organisation, Contact.organisation_id == Organisation.id)
    if sort == "email":
        statement = statement.outerjoin(
            _PRIMARY, and_(_PRIMARY.contact_id == Contact.id, _PRIMARY.is_primary)
        )
    value = {
        "name": None,
        "organisation": Organisation.name_key,
        "email": _PRIMARY.address_key,
        "role": func.lower(Contact.role),
        "country": func.coalesce(Contact.country, Organisation.country),
    }[sort]
    statement = (
        statement.order_by(
            *_ordered(value, [Contact.display_name_key, Contact.id], query.descending)
        )
        .offset(max(offset, 0))
        .limit(limit)
    )
    return list(session.scalars(statement))


def _contact_rows(session: Session, ids: Sequence[int]) -> list[ContactRow]:
    if not ids:
        return []
    primary_email = (
        select(ContactEmail.address)
        .where(ContactEmail.contact_id == Contact.id)
        .order_by(ContactEmail.is_primary.desc(), ContactEmail.id)
        .limit(1)
        .scalar_subquery()
    )
    statement = (
        select(
            Contact.id,
            Contact.display_name,
            Organisation.name,
            primary_email,
            Contact.role,
            func.coalesce(Contact.country, Organisation.country),
        )
        .outerjoin(Organisation, Contact.organisation_id == Organisation.id)
        .where(Contact.id.in_(ids))
    )
    by_id = {row[0]: ContactRow(*row) for row in session.execute(statement)}
    return [by_id[i] for i in ids if i in by_id]


def contact_page(
    session: Session, query: ContactQuery, *, offset: int = 0, limit: int = 100
) -> list[ContactRow]:
    """Contacts ``offset`` to ``offset + limit`` of the listing ``query`` describes."""
    conditions = _contact_conditions(session, query)
    return _contact_rows(session, _contact_ids(session, query, offset, limit, conditions))


def count_contacts(session: Session, query: ContactQuery = ContactQuery()) -> int:
    """How many contacts the listing ``query`` describes has."""
    return _count_contacts(session, query, None)


def _count_contacts(
    session: Session, query: ContactQuery, conditions: list[ColumnElement[bool]] | None
) -> int:
    if not (query.tag or query.country or query.organisation_id is not None):
        if not query.search_text.strip():
            return session.scalar(select(func.count()).select_from(Contact)) or 0
        # Counted in the index alone, without touching the contacts.
        return search.count_matches(session, search.CONTACT_TABLE, query.search_text)
    if conditions is None:
        conditions = _contact_conditions(session, query)
    if conditions is None:
        return 0
    statement = select(func.count(Contact.id)).where(*conditions)
    if query.country:
        statement = statement.outerjoin(Organisation, Contact.organisation_id == Organisation.id)
    return session.scalar(statement) or 0


def first_contacts(session: Session, query: ContactQuery, *, limit: int = 100) -> Page[ContactRow]:
    """The first page of a contact listing and its count: what a search shows.

    The search filter is worked out once for both, and a listing that fits in one
    page is not counted again.
    """
    conditions = _contact_conditions(session, query)
    rows = _contact_rows(session, _contact_ids(session, query, 0, limit, conditions))
    if conditions is None:
        return Page([], 0)
    if len(rows) < limit:
        return Page(rows, len(rows))
    return Page(rows, _count_contacts(session, query, conditions))


# --- organisations --------------------------------------------------------------------------


def _contact_count() -> Any:
    return (
        select(func.count(Contact.id))
        .where(Contact.organisation_id == Organisation.id)
        .scalar_subquery()
    )


def _organisation_conditions(
    session: Session, query: OrganisationQuery
) -> list[ColumnElement[bool]] | None:
    conditions: list[ColumnElement[bool]] = []
    if query.tag:
        tag = select(Tag.id).where(Tag.key == fold(query.tag)).scalar_subquery()
        conditions.append(
            Organisation.id.in_(
                select(organisation_tags.c.organisation_id).where(organisation_tags.c.tag_id == tag)
            )
        )
    if query.country:
        conditions.append(Organisation.country == country_code(query.country))
    if query.membership:
        conditions.append(
            Organisation.membership == choice(query.membership, MEMBERSHIPS, "membership")
        )
    if query.kind:
        conditions.append(
            Organisation.kind == choice(query.kind, ORGANISATION_KINDS, "kind of organisation")
        )
    if query.search_text.strip():
        found = _search_filter(
            session,
            search.ORGANISATION_TABLE,
            query.search_text,
            Organisation.id,
            walk_names=query.sort == "name",
        )
        if found is None:
            return None
        conditions.append(found)
    return conditions


def _organisation_ids(
    session: Session,
    query: OrganisationQuery,
    offset: int,
    limit: int,
    conditions: list[ColumnElement[bool]] | None,
) -> list[int]:
    if conditions is None:
        return []
    sort = choice(query.sort, ORGANISATION_SORTS, "organisation column") or "name"
    value = {
        "name": None,
        "acronym": func.lower(Organisation.acronym),
        "country": Organisation.country,
        "city": func.lower(Organisation.city),
        "membership": Organisation.membership,
        "contacts": _contact_count(),
    }[sort]
    statement = (
        select(Organisation.id)
        .where(*conditions)
        .order_by(*_ordered(value, [Organisation.name_key, Organisation.id], query.descending))
        .offset(max(offset, 0))
        .limit(limit)
    )
    return list(session.scalars(statement))


def _organisation_rows(session: Session, ids: Sequence[int]) -> list[OrganisationRow]:
    if not ids:
        return []
    statement = select(
        Organisation.id,
        Organisation.name,
        Organisation.acronym,
        Organisation.country,
        Organisation.city,
        Organisation.membership,
        _contact_count(),
    ).where(Organisation.id.in_(ids))
    by_id = {row[0]: OrganisationRow(*row) for row in session.execute(statement)}
    return [by_id[i] for i in ids if i in by_id]


def organisation_page(
    session: Session, query: OrganisationQuery, *, offset: int = 0, limit: int = 100
) -> list[OrganisationRow]:
    """Organisations ``offset`` to ``offset + limit`` of the listing ``query`` describes."""
    conditions = _organisation_conditions(session, query)
    return _organisation_rows(session, _organisation_ids(session, query, offset, limit, conditions))


def count_organisations(session: Session, query: OrganisationQuery = OrganisationQuery()) -> int:
    """How many organisations the listing ``query`` describes has."""
    return _count_organisations(session, query, None)


def _count_organisations(
    session: Session, query: OrganisationQuery, conditions: list[ColumnElement[bool]] | None
) -> int:
    if not (query.tag or query.country or query.membership or query.kind):
        if not query.search_text.strip():
            return session.scalar(select(func.count()).select_from(Organisation)) or 0
        return search.count_matches(session, search.ORGANISATION_TABLE, query.search_text)
    if conditions is None:
        conditions = _organisation_conditions(session, query)
    if conditions is None:
        return 0
    return session.scalar(select(func.count(Organisation.id)).where(*conditions)) or 0


def first_organisations(
    session: Session, query: OrganisationQuery, *, limit: int = 100
) -> Page[OrganisationRow]:
    """The first page of an organisation listing and its count: what a search shows."""
    return Page(organisation_page(session, query, limit=limit), count_organisations(session, query))


# --- detail panes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactDetail:
    contact: people.ContactView
    interactions: list[outreach.InteractionView]
    signons: list[SignOnView]
    """Their organisation's sign-ons: a person signs on for an organisation."""


@dataclass(frozen=True)
class OrganisationDetail:
    organisation: people.OrganisationView
    people: list[ContactRow]
    """The first of its people by name; ``organisation.contact_count`` says how many."""
    signons: list[SignOnView]
    interactions: list[outreach.InteractionView]


def contact_detail(session: Session, contact_id: int, *, timeline: int = 20) -> ContactDetail:
    """A contact with their outreach timeline and their organisation's sign-ons."""
    contact = people.get_contact(session, contact_id)
    signons = (
        signons_of(session, contact.organisation_id) if contact.organisation_id is not None else []
    )
    return ContactDetail(
        contact,
        outreach.interactions_of(session, contact_id=contact_id, limit=timeline),
        signons,
    )


def organisation_detail(
    session: Session, organisation_id: int, *, members: int = 20, timeline: int = 20
) -> OrganisationDetail:
    """An organisation with its first people, its sign-ons and its outreach timeline."""
    organisation = people.organisations_by_id(session, [organisation_id])
    if not organisation:
        people.get_organisation(session, organisation_id)  # raises NotFound
    return OrganisationDetail(
        organisation[0],
        contact_page(session, ContactQuery(organisation_id=organisation_id), limit=members),
        signons_of(session, organisation_id),
        outreach.interactions_of(session, organisation_id=organisation_id, limit=timeline),
    )


# --- the start screen -----------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """What a coordinator sees first."""

    organisations: int
    contacts: int
    campaigns: int
    open_campaigns: list[CampaignView]
    followups: list[outreach.InteractionView]
    """Open follow-ups due today or earlier, oldest first."""
    followups_total: int
    recent: list[AuditView]
    today: dt.date

    @property
    def empty(self) -> bool:
        """Nothing recorded yet: a newcomer's database."""
        return not (self.organisations or self.contacts or self.campaigns)


def overview(
    session: Session,
    *,
    today: dt.date | None = None,
    followups: int = 30,
    recent: int = 12,
) -> Overview:
    """Counts, open campaigns with their progress, follow-ups due, and recent changes."""
    today = today or dt.date.today()
    due = outreach.list_followups(session, due_before=today + dt.timedelta(days=1))
    return Overview(
        organisations=count_organisations(session),
        contacts=count_contacts(session),
        campaigns=session.scalar(select(func.count()).select_from(Campaign)) or 0,
        open_campaigns=list_campaigns(session, state="open"),
        followups=due[:followups],
        followups_total=len(due),
        recent=history(session, limit=recent),
        today=today,
    )


def go_to(session: Session, text: str, *, limit: int = 8) -> Sequence[people.SearchHit]:
    """Organisations and contacts matching what was typed, for a "go to" prompt."""
    if search.match_expression(text) is None:
        return []
    return people.search_all(session, text, limit=limit)
