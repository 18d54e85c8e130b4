"""Browsing: what the lists, the terminal app's tables, detail panes and start screen read.

The command line's lists (``list_contacts``, ``list_organisations``) give whole
views (emails, phones, tags) of the records a filter selects, in name order.

A table over 100,000 contacts shows a few dozen at a time, so it asks for a
*page* — an offset and a limit — of lean rows: lean Core ``select``s of only
the listed columns, returned as small frozen dataclasses. Loading ORM objects
with their emails, phones and tags (``list_contacts``) costs ~17 ms per
page at that size; this costs a fraction of it, which is what lets search
update within a keystroke.

What a filter means (a search, a tag, a country, …) is said once in
``domain.filters``, for the lists, these tables and the exports alike; which of
its conditions SQLite reads first is planned by ``store.planner``, so a
name-sorted page of many matches is found by walking the name index and one of
few is read from the matches. The count beside the table is separate
(``count_contacts``), because scrolling needs pages but not a new count;
``first_contacts`` gives a search both at once.

``contact_filter_choices`` and ``organisation_filter_choices`` list the values
in use with how many records each would show, for a filter dialog to offer.

Nothing here writes; every function takes a read session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, aliased

from coalition.domain import outreach, people
from coalition.domain.audit import history
from coalition.domain.campaigns import (
    SignOnView,
    list_campaigns,
    signons_of,
)
from coalition.domain.filters import (
    NO_SIGNON,
    ContactFilter,
    OrganisationFilter,
    Total,
    contact_country,
    contact_narrowings,
    organisation_conditions,
    total,
)
from coalition.domain.privacy import pending_erasures
from coalition.domain.values import choice, country_name, fold, language_name
from coalition.domain.views import (
    OVERVIEW_FOLLOWUPS,
    OVERVIEW_RECENT,
    InteractionView,
    Overview,
)
from coalition.errors import InvalidValue
from coalition.store import search
from coalition.store.keys import among
from coalition.store.models import (
    Campaign,
    Contact,
    ContactEmail,
    Organisation,
    SignOn,
    Tag,
    contact_tags,
    organisation_tags,
)
from coalition.store.planner import Narrowing, leading, plain, walked_from
from coalition.store.schema import MEMBERSHIPS, ORGANISATION_KINDS, SIGNON_STATUSES

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
class ContactQuery(ContactFilter):
    """What a contact table shows: a filter (with its search) and an order."""

    sort: str = "name"
    descending: bool = False


@dataclass(frozen=True)
class OrganisationQuery(OrganisationFilter):
    """What an organisation table shows: a filter (with its search) and an order."""

    sort: str = "name"
    descending: bool = False


# --- the command line's lists ---------------------------------------------------------------


def list_contacts(
    session: Session,
    *,
    search_text: str | None = None,
    tag: str | None = None,
    organisation: str | None = None,
    country: str | None = None,
    language: str | None = None,
    membership: str | None = None,
    campaign: str | None = None,
    statuses: Sequence[str] = (),
    limit: int | None = None,
    offset: int = 0,
) -> list[people.ContactView]:
    """Contacts by name, as ``ContactFilter`` selects them; ``organisation`` names one."""
    wanted = ContactFilter(
        search_text=search_text or "",
        tag=tag,
        country=country,
        language=language,
        organisation_id=people.find_organisation(session, organisation).id
        if organisation
        else None,
        membership=membership,
        campaign=campaign,
        statuses=tuple(statuses),
    )
    everyone = Total(session, Contact)
    narrowings = contact_narrowings(session, wanted, everyone)
    if narrowings is None:
        return []
    # A page in name order: planned as the tables plan theirs (``_contact_ids``).
    conditions = (
        plain(narrowings)
        if limit is None
        else leading(
            narrowings,
            total=everyone.about,
            by_name=True,
            rows=max(offset, 0) + limit,
        )
    )
    query = (
        select(Contact.id)
        .where(*conditions)
        .order_by(Contact.display_name_key, Contact.id)
        .offset(offset)
        .limit(limit)
    )
    return people.contacts_by_id(session, list(session.scalars(query)))


def list_organisations(
    session: Session,
    *,
    search_text: str | None = None,
    tag: str | None = None,
    country: str | None = None,
    membership: str | None = None,
    kind: str | None = None,
    campaign: str | None = None,
    statuses: Sequence[str] = (),
    limit: int | None = None,
    offset: int = 0,
) -> list[people.OrganisationView]:
    """Organisations by name, as ``OrganisationFilter`` selects them."""
    wanted = OrganisationFilter(
        search_text=search_text or "",
        tag=tag,
        country=country,
        membership=membership,
        kind=kind,
        campaign=campaign,
        statuses=tuple(statuses),
    )
    conditions = organisation_conditions(session, wanted)
    if conditions is None:
        return []
    query = (
        select(Organisation.id)
        .where(*conditions)
        .order_by(Organisation.name_key, Organisation.id)
        .offset(offset)
        .limit(limit)
    )
    return people.organisations_by_id(session, list(session.scalars(query)))


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
    exact: bool = True
    """Whether ``total`` is the count (False: the listing has at least that many rows,
    and ``count_contacts`` tells how many)."""


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


def _contact_sort(query: ContactQuery) -> str:
    """The column ``query`` sorts by (name when it names none)."""
    return choice(query.sort, CONTACT_SORTS, "contact column") or "name"


def _contact_ids(
    session: Session,
    query: ContactQuery,
    offset: int,
    limit: int,
    narrowings: list[Narrowing] | None,
    everyone: Total,
) -> list[int]:
    if narrowings is None:
        return []
    sort = _contact_sort(query)
    offset = max(offset, 0)
    conditions = leading(
        narrowings,
        total=everyone.about,
        by_name=sort == "name",
        rows=offset + limit,
        descending=query.descending,
    )
    statement = select(Contact.id).where(*conditions)
    if sort in ("organisation", "country"):
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
        "country": contact_country(Contact.country, Organisation.country),
    }[sort]
    statement = (
        statement.order_by(
            *_ordered(value, [Contact.display_name_key, Contact.id], query.descending)
        )
        .offset(offset)
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
            contact_country(Contact.country, Organisation.country),
        )
        .outerjoin(Organisation, Contact.organisation_id == Organisation.id)
        .where(among(session, Contact.id, ids))
    )
    by_id = {row[0]: ContactRow(*row) for row in session.execute(statement)}
    return [by_id[i] for i in ids if i in by_id]


def contact_page(
    session: Session, query: ContactQuery, *, offset: int = 0, limit: int = 100
) -> list[ContactRow]:
    """Contacts ``offset`` to ``offset + limit`` of the listing ``query`` describes."""
    everyone = Total(session, Contact)
    narrowings = contact_narrowings(session, query, everyone)
    return _contact_rows(session, _contact_ids(session, query, offset, limit, narrowings, everyone))


def count_contacts(session: Session, query: ContactQuery = ContactQuery()) -> int:
    """How many contacts the listing ``query`` describes has."""
    everyone = Total(session, Contact)
    return _count_contacts(session, contact_narrowings(session, query, everyone), everyone)


def _count_contacts(session: Session, narrowings: list[Narrowing] | None, everyone: Total) -> int:
    if narrowings is None:
        return 0
    if not narrowings:
        return everyone()
    if len(narrowings) == 1 and narrowings[0].exact and narrowings[0].whole:
        return narrowings[0].size()
    conditions = leading(narrowings, total=everyone, by_name=False, rows=0)
    return session.scalar(select(func.count()).select_from(Contact).where(*conditions)) or 0


def first_contacts(session: Session, query: ContactQuery, *, limit: int = 100) -> Page[ContactRow]:
    """The first page of a contact listing and its count: what a search shows.

    The search and filters are worked out once for both, and a listing that fits in
    one page is not counted again. A search alone in name order is counted only as far
    as its plan needs (``planner.walked_from``): on PostgreSQL, where counting a
    letter's 20,000-45,000 matches costs 12-25 ms, the page then comes with a total it
    has at least (``Page.exact`` False) and ``count_contacts`` counts the rest after.
    """
    everyone = Total(session, Contact)
    up_to = None
    if _contact_sort(query) == "name" and query.search_text.strip() and not query.filtered:
        up_to = walked_from(limit, everyone.about())
    narrowings = contact_narrowings(session, query, everyone, search_up_to=up_to)
    if narrowings is None:
        return Page([], 0)
    rows = _contact_rows(session, _contact_ids(session, query, 0, limit, narrowings, everyone))
    if len(rows) < limit:
        return Page(rows, len(rows))
    if len(narrowings) == 1 and not narrowings[0].whole:
        return Page(rows, narrowings[0].size(), exact=False)
    return Page(rows, _count_contacts(session, narrowings, everyone))


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
    return organisation_conditions(session, query, walk_names=query.sort == "name")


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
    ).where(among(session, Organisation.id, ids))
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
    if not query.filtered:
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


# --- filter choices -------------------------------------------------------------------------
#
# What a filter dialog offers: the values in use, each with how many records of the whole
# table it would show (not narrowed by the other filters or the search). Contacts are
# counted by their organisation's fields as a sum over organisations of a count per
# organisation, each a range of the contacts' organisation_id index, rather than by
# joining 100,000 contacts to their organisations (~9 ms against ~50 ms at that size).
# Only the Country column needs the contact rows themselves: a contact's own country
# comes before their organisation's, and the contacts table has no index on it.


@dataclass(frozen=True, slots=True)
class Choice:
    """One value a filter can take, and how many records it would show."""

    value: str
    """What the query takes (a tag's name, a country code, a membership, a status)."""
    label: str
    """How to name it: the tag as written, the country's English name, "no sign-on"."""
    count: int


@dataclass(frozen=True, slots=True)
class CampaignChoice:
    """A campaign to filter by, and its statuses with their counts."""

    code: str
    name: str
    state: str
    count: int
    """Records with a sign-on for it, whatever the status."""
    statuses: list[Choice]
    """Every status in pipeline order (counts may be 0), then ``NO_SIGNON``."""


@dataclass(frozen=True)
class FilterChoices:
    """Everything a filter dialog offers for one table."""

    tags: list[Choice]
    countries: list[Choice]
    memberships: list[Choice]
    kinds: list[Choice]
    """Kinds of organisation (empty for contacts)."""
    languages: list[Choice]
    """Preferred languages of contacts (empty for organisations)."""
    campaigns: list[CampaignChoice]
    """Newest first."""
    total: int
    """Records in the table."""


_STATUS_LABELS = {NO_SIGNON: "no sign-on"}


def _people_of(organisation_id: Any) -> Any:
    """How many contacts the organisation ``organisation_id`` has (a correlated count)."""
    return (
        select(func.count())
        .select_from(Contact)
        .where(Contact.organisation_id == organisation_id)
        .scalar_subquery()
    )


def _tag_choices(session: Session, link: Any) -> list[Choice]:
    # A count per tag is a range of the tag_id index: quicker than grouping the whole
    # link table (~13 ms against ~20 ms at 100,000 tagged contacts).
    count = select(func.count()).select_from(link).where(link.c.tag_id == Tag.id)
    rows = session.execute(select(Tag.name, count.scalar_subquery()))
    return sorted(
        (Choice(name, name, n) for name, n in rows if n), key=lambda c: (-c.count, fold(c.value))
    )


def contact_tag_choices(session: Session) -> list[Choice]:
    """Tags on contacts, most used first."""
    return _tag_choices(session, contact_tags)


def organisation_tag_choices(session: Session) -> list[Choice]:
    """Tags on organisations, most used first."""
    return _tag_choices(session, organisation_tags)


def _choices(
    counts: dict[Any, int], order: Sequence[str] | None = None, name: Any = country_name
) -> list[Choice]:
    """Choices of an enumerated value in ``order``, or of codes (countries, languages) under
    their ``name``, most records first."""
    present = {k: int(n) for k, n in counts.items() if k and n}
    if order is not None:
        return [Choice(k, k.replace("_", " "), present[k]) for k in order if k in present]
    return [
        Choice(k, name(k) or k, n)
        for k, n in sorted(present.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _grouped(session: Session, column: Any, count: Any) -> dict[Any, int]:
    statement = select(column, func.sum(count) if count is not None else func.count())
    return dict(session.execute(statement.group_by(column)).all())


def contact_country_choices(session: Session) -> list[Choice]:
    """Countries of contacts as the Country column shows them (their own, else their
    organisation's), most contacts first."""
    counts = _grouped(session, Organisation.country, _people_of(Organisation.id))
    # Those with a country of their own count there rather than under their organisation's:
    # read from ix_contacts_country, which holds only them.
    own = (
        select(Contact.country, Organisation.country, func.count())
        .outerjoin(Organisation, Contact.organisation_id == Organisation.id)
        .where(Contact.country.is_not(None))
        .group_by(Contact.country, Organisation.country)
    )
    for mine, theirs, n in session.execute(own):
        counts[mine] = counts.get(mine, 0) + n
        if theirs is not None:
            counts[theirs] -= n
    return _choices(counts)


def contact_language_choices(session: Session) -> list[Choice]:
    """Preferred languages of contacts, most contacts first."""
    return _choices(_grouped(session, Contact.language, None), name=language_name)


def organisation_country_choices(session: Session) -> list[Choice]:
    """Countries of organisations, most organisations first."""
    return _choices(_grouped(session, Organisation.country, None))


def contact_membership_choices(session: Session) -> list[Choice]:
    """Their organisations' memberships, with how many contacts each."""
    counts = _grouped(session, Organisation.membership, _people_of(Organisation.id))
    return _choices(counts, MEMBERSHIPS)


def organisation_membership_choices(session: Session) -> list[Choice]:
    """Memberships, with how many organisations each."""
    return _choices(_grouped(session, Organisation.membership, None), MEMBERSHIPS)


def organisation_kind_choices(session: Session) -> list[Choice]:
    """Kinds of organisation, with how many each."""
    return _choices(_grouped(session, Organisation.kind, None), ORGANISATION_KINDS)


def _campaign_choices(session: Session, count: Any, total: int) -> list[CampaignChoice]:
    """Campaigns, newest first, with the sum of ``count`` (per sign-on) for each status."""
    campaigns = session.execute(
        select(Campaign.id, Campaign.code, Campaign.name, Campaign.state).order_by(
            Campaign.id.desc()
        )
    )
    by_status = select(SignOn.campaign_id, SignOn.status, func.sum(count)).group_by(
        SignOn.campaign_id, SignOn.status
    )
    counts = {(c, s): int(n or 0) for c, s, n in session.execute(by_status)}
    choices = []
    for campaign_id, code, name, state in campaigns:
        statuses = [
            Choice(s, _STATUS_LABELS.get(s, s), counts.get((campaign_id, s), 0))
            for s in SIGNON_STATUSES
        ]
        signed_on = sum(c.count for c in statuses)
        statuses.append(Choice(NO_SIGNON, _STATUS_LABELS[NO_SIGNON], total - signed_on))
        choices.append(CampaignChoice(code, name, state, signed_on, statuses))
    return choices


def contact_campaign_choices(session: Session) -> list[CampaignChoice]:
    """Campaigns, newest first, with how many contacts' organisations are at each status."""
    return _campaign_choices(session, _people_of(SignOn.organisation_id), total(session, Contact))


def organisation_campaign_choices(session: Session) -> list[CampaignChoice]:
    """Campaigns, newest first, with how many organisations are at each status."""
    return _campaign_choices(session, 1, total(session, Organisation))


def contact_filter_choices(session: Session) -> FilterChoices:
    """Every filter's choices for the contact table."""
    return FilterChoices(
        tags=contact_tag_choices(session),
        countries=contact_country_choices(session),
        memberships=contact_membership_choices(session),
        kinds=[],
        languages=contact_language_choices(session),
        campaigns=contact_campaign_choices(session),
        total=total(session, Contact),
    )


def organisation_filter_choices(session: Session) -> FilterChoices:
    """Every filter's choices for the organisation table."""
    return FilterChoices(
        tags=organisation_tag_choices(session),
        countries=organisation_country_choices(session),
        memberships=organisation_membership_choices(session),
        kinds=organisation_kind_choices(session),
        languages=[],
        campaigns=organisation_campaign_choices(session),
        total=total(session, Organisation),
    )


# --- detail panes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactDetail:
    contact: people.ContactView
    interactions: list[InteractionView]
    signons: list[SignOnView]
    """Their organisation's sign-ons: a person signs on for an organisation."""


@dataclass(frozen=True)
class OrganisationDetail:
    organisation: people.OrganisationView
    people: list[ContactRow]
    """The first of its people by name; ``organisation.contact_count`` says how many."""
    signons: list[SignOnView]
    interactions: list[InteractionView]


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


def overview(
    session: Session,
    *,
    today: dt.date | None = None,
    followups: int = OVERVIEW_FOLLOWUPS,
    recent: int = OVERVIEW_RECENT,
) -> Overview:
    """Counts, open campaigns with their progress, follow-ups due, and recent changes."""
    today = today or dt.date.today()
    due = outreach.list_followups(session, due_before=today + dt.timedelta(days=1))
    return Overview(
        organisations=count_organisations(session),
        contacts=count_contacts(session),
        campaigns=session.scalar(select(func.count()).select_from(Campaign)) or 0,
        open_campaigns=list_campaigns(session, state="open"),
        draft_campaigns=list_campaigns(session, state="draft"),
        followups=due[:followups],
        followups_total=len(due),
        recent=history(session, limit=recent),
        today=today,
        pending_erasures=pending_erasures(session),
    )


def go_to(session: Session, text: str, *, limit: int = 8) -> Sequence[people.SearchHit]:
    """Organisations and contacts matching what was typed, for a "go to" prompt."""
    if search.match_expression(text) is None:
        return []
    return people.search_all(session, text, limit=limit)


# --- every organisation of a listing ----------------------------------------------------------


def organisation_ids(session: Session, query: OrganisationQuery) -> list[int]:
    """The ids of every organisation the listing ``query`` describes, by name: what an
    action on the whole listing ("add them all to a campaign") acts on. The query's order
    is not followed; only its search and filters count."""
    conditions = _organisation_conditions(session, query)
    if conditions is None:
        return []
    statement = (
        select(Organisation.id).where(*conditions).order_by(Organisation.name_key, Organisation.id)
    )
    return list(session.scalars(statement))


def chosen_organisations(
    session: Session, refs: Sequence[str], wanted: OrganisationFilter
) -> list[int]:
    """The ids of the organisations a bulk action names (``refs``: ids, names, acronyms,
    emails) and the filter selects: the named ones that pass it, or with no names every
    one that does. Nothing chosen is a mistake, said in one sentence."""
    selected = organisation_ids(session, OrganisationQuery(**vars(wanted)))
    if refs:
        named = {people.find_organisation(session, ref).id for ref in refs}
        selected = [i for i in selected if i in named]
    if not selected:
        raise InvalidValue("No organisation is chosen: check the names and filters given.")
    return selected
