"""Browsing: what the terminal app's tables, detail panes and start screen read.

A table over 100,000 contacts shows a few dozen at a time, so it asks for a
*page* — an offset and a limit — of lean rows: lean Core ``select``s of only
the listed columns, returned as small frozen dataclasses. Loading ORM objects
with their emails, phones and tags (``people.list_contacts``) costs ~17 ms per
page at that size; this costs a fraction of it, which is what lets search
update within a keystroke.

The search filter is ``store.search.matches``, as in ``people``: a subquery of
the matching ids and their count, so a listing is read from the matches when
they are few and a name-sorted page is found by walking the name index when
they are many (see ``_search_filter`` and ``_conditions``). The count
beside the table is separate (``count_contacts``), because scrolling needs
pages but not a new count; ``first_contacts`` gives a search both at once.

Filters (tag, country, membership, a campaign's sign-on statuses) narrow the
same listings; ``contact_filter_choices`` and ``organisation_filter_choices``
list the values in use with how many records each would show, for a filter
dialog to offer.

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
from coalition.domain.audit import history
from coalition.domain.campaigns import (
    SignOnView,
    find_campaign,
    list_campaigns,
    signons_of,
)
from coalition.domain.filters import contact_country, contact_in_country
from coalition.domain.values import choice, country_code, country_name, fold
from coalition.domain.views import (
    OVERVIEW_FOLLOWUPS,
    OVERVIEW_RECENT,
    InteractionView,
    Overview,
)
from coalition.errors import InvalidValue
from coalition.store import search
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
from coalition.store.schema import MEMBERSHIPS, ORGANISATION_KINDS, SIGNON_STATUSES

RowT = TypeVar("RowT")

CONTACT_SORTS = ("name", "organisation", "email", "role", "country")
"""The columns a contact listing sorts by (the app's table columns)."""
ORGANISATION_SORTS = ("name", "acronym", "country", "city", "membership", "contacts")
"""The columns an organisation listing sorts by."""
NO_SIGNON = "none"
"""The status filter for "no sign-on for this campaign yet" (not asked, or no organisation)."""
STATUS_FILTERS = (*SIGNON_STATUSES, NO_SIGNON)
"""What a campaign filter's statuses may be: the pipeline's, and no sign-on."""


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
    """The contact's own country, else their organisation's (the Country column)."""
    organisation_id: int | None = None
    membership: str | None = None
    """Their organisation's membership."""
    campaign: str | None = None
    """A campaign (code or id): contacts whose organisation has a sign-on for it."""
    statuses: tuple[str, ...] = ()
    """With ``campaign``: only these statuses of their organisation's sign-on
    (``NO_SIGNON`` for none yet)."""
    sort: str = "name"
    descending: bool = False

    @property
    def filtered(self) -> bool:
        """Anything besides the search narrows the listing."""
        return bool(
            self.tag
            or self.country
            or self.organisation_id is not None
            or self.membership
            or self.campaign
            or self.statuses
        )


@dataclass(frozen=True)
class OrganisationQuery:
    """What an organisation table shows: a search, filters and an order."""

    search_text: str = ""
    tag: str | None = None
    country: str | None = None
    membership: str | None = None
    kind: str | None = None
    campaign: str | None = None
    """A campaign (code or id): organisations with a sign-on for it."""
    statuses: tuple[str, ...] = ()
    """With ``campaign``: only sign-ons in these statuses (``NO_SIGNON`` for none yet)."""
    sort: str = "name"
    descending: bool = False

    @property
    def filtered(self) -> bool:
        """Anything besides the search narrows the listing."""
        return bool(
            self.tag
            or self.country
            or self.membership
            or self.kind
            or self.campaign
            or self.statuses
        )


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


WALK_FROM = 1000
"""Matches from which a name-sorted listing walks the name index rather than sorting them."""


def _search_filter(
    session: Session, table: str, text: str, id_column: Any, *, walk_names: bool
) -> ColumnElement[bool] | None:
    """The condition a search puts on a listing; None when nothing can match.

    With many matches, a listing in name order is found fastest by walking the name
    index and keeping the rows that match, and SQLite does that when the id is hidden
    from the planner (``id + 0``); otherwise it reads every match and sorts them, ~25 ms
    for a one-letter search at 100,000 contacts.
    """
    found = search.matches(session, table, text)
    if found is None:
        return None
    walk = walk_names and found.count >= WALK_FROM
    hidden: ColumnElement[Any] = id_column + 0 if walk else id_column
    return hidden.in_(found.clause)


def _signon_set(
    session: Session, campaign: str | None, statuses: Sequence[str]
) -> tuple[Any, bool] | None:
    """The organisations a campaign filter is about, and whether it keeps them or the rest.

    ``(ids, True)``: keep records whose organisation is in ``ids`` (its sign-ons in
    ``statuses``, or any). ``(ids, False)`` when ``NO_SIGNON`` is asked for: keep the
    others, those with no sign-on or one in ``statuses``; ``ids`` are the sign-ons in
    any other status. Both read the ``(campaign_id, status)`` index. None: no campaign.
    """
    if not campaign:
        if statuses:
            raise InvalidValue("A sign-on status is a campaign's: choose the campaign too.")
        return None
    campaign_id = find_campaign(session, campaign).id
    wanted = {choice(s, STATUS_FILTERS, "sign-on status") for s in statuses}
    signed_on = select(SignOn.organisation_id).where(SignOn.campaign_id == campaign_id)
    real = sorted(s for s in wanted if s and s != NO_SIGNON)
    if NO_SIGNON not in wanted:
        return (signed_on.where(SignOn.status.in_(real)) if real else signed_on), True
    return (signed_on.where(SignOn.status.not_in(real)) if real else signed_on), False


def _tagged(link: Any, tag: str) -> Any:
    key = select(Tag.id).where(Tag.key == fold(tag)).scalar_subquery()
    return select(link).where(link.table.c.tag_id == key)


def _hidden(column: Any, drive: bool) -> Any:
    """``column`` as SQLite may use its index (``drive``), or hidden from the planner."""
    return column if drive else column + 0


class _Narrowing:
    """One filter of a contact listing: its condition, and how many contacts it keeps.

    SQLite has no statistics here, so it cannot tell a tag on half the contacts from
    one on twenty. Each filter says how many contacts it keeps (an index range count,
    a few milliseconds), and the listing is read either from the smallest filter (its
    contacts, then sorted) or by walking the name index and checking each contact,
    whichever reads fewer rows (``_conditions``). The others are checked row by row,
    their column hidden from the planner (``column + 0``).
    """

    def __init__(
        self,
        condition: Any,
        size: Any = None,
        *,
        drivable: bool = True,
        estimate: Any = None,
    ) -> None:
        self._condition = condition
        """drive -> the condition, with its column usable by the planner when True."""
        self._size = size
        """() -> how many contacts it keeps; None when only a scan could tell."""
        self._estimate = estimate or size
        """() -> about how many it keeps, when ``size`` is None."""
        self.drivable = drivable and size is not None
        self._known: int | None = None
        self._guess: int | None = None

    def condition(self, drive: bool) -> ColumnElement[bool]:
        return self._condition(drive)  # type: ignore[no-any-return]

    @property
    def exact(self) -> bool:
        return self._size is not None

    def size(self) -> int:
        if self._known is None:
            self._known = int(self._size())
        return self._known

    def estimate(self, total: int) -> int:
        if self._size is not None:
            return self.size()
        if self._guess is None:
            self._guess = int(self._estimate()) if self._estimate is not None else total
        return self._guess


def _count_of(session: Session, *conditions: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(Contact).where(*conditions)) or 0


def _in_organisations(session: Session, organisations: Any, keep: bool = True) -> _Narrowing:
    """Contacts whose organisation is (or, ``keep`` False, is not) one of ``organisations``."""

    def condition(drive: bool) -> ColumnElement[bool]:
        column = _hidden(Contact.organisation_id, drive)
        if keep:
            return column.in_(organisations)  # type: ignore[no-any-return]
        # NULL NOT IN (...) is not true: a contact without an organisation is kept too.
        return or_(Contact.organisation_id.is_(None), column.not_in(organisations))

    def size() -> int:
        inside = _count_of(session, Contact.organisation_id.in_(organisations))
        return inside if keep else _total(session, Contact) - inside

    return _Narrowing(condition, size, drivable=keep)


def _contact_narrowings(session: Session, query: ContactQuery) -> list[_Narrowing] | None:
    """The query's search and filters; None when nothing can match.

    None of them joins the organisation: its fields are reached through
    ``organisation_id IN (...)``, the contacts' organisation index.
    """
    narrowings: list[_Narrowing] = []
    if query.tag:
        tagged = _tagged(contact_tags.c.contact_id, query.tag)
        tag_id = select(Tag.id).where(Tag.key == fold(query.tag)).scalar_subquery()
        # Leading, the tag's contacts are read from its index; checked row by row, each
        # contact's own links are looked up rather than collecting the tag's (~10 ms for
        # a tag on half of 100,000 contacts).
        has_tag = (
            select(contact_tags.c.contact_id)
            .where(contact_tags.c.contact_id == Contact.id, contact_tags.c.tag_id == tag_id)
            .exists()
        )
        narrowings.append(
            _Narrowing(
                lambda drive: Contact.id.in_(tagged) if drive else has_tag,
                # Counted in the link table's tag index (a tag's links have their contact).
                lambda: session.scalar(
                    select(func.count())
                    .select_from(contact_tags)
                    .where(contact_tags.c.tag_id == tag_id)
                ),
            )
        )
    if query.country:
        code = country_code(query.country)
        in_country = select(Organisation.id).where(Organisation.country == code)
        # Their own country, else their organisation's: an OR across two tables, checked
        # row by row, never leading (ix_contacts_country holds only contacts with a country
        # of their own); the people of the country's organisations tell roughly how many
        # it keeps.
        narrowings.append(
            _Narrowing(
                lambda drive: contact_in_country(
                    code, Contact.country, _hidden(Contact.organisation_id, drive).in_(in_country)
                ),
                estimate=lambda: _count_of(session, Contact.organisation_id.in_(in_country)),
            )
        )
    if query.organisation_id is not None:
        org_id = query.organisation_id
        narrowings.append(
            _Narrowing(
                lambda drive: _hidden(Contact.organisation_id, drive) == org_id,
                lambda: _count_of(session, Contact.organisation_id == org_id),
            )
        )
    if query.membership:
        membership = choice(query.membership, MEMBERSHIPS, "membership")
        members = select(Organisation.id).where(Organisation.membership == membership)
        narrowings.append(_in_organisations(session, members))
    signon = _signon_set(session, query.campaign, query.statuses)
    if signon is not None:
        narrowings.append(_in_organisations(session, *signon))
    if query.search_text.strip():
        found = search.matches(session, search.CONTACT_TABLE, query.search_text)
        if found is None:
            return None
        # A search every contact matches ("e", "example.org" in a list of such addresses)
        # narrows nothing; reading its matches would cost ~40 ms at 100,000 contacts.
        if found.count < _total(session, Contact):
            narrowings.append(
                _Narrowing(
                    lambda drive: _hidden(Contact.id, drive).in_(found.clause),
                    lambda: found.count,
                )
            )
    return narrowings


def _conditions(
    session: Session, narrowings: list[_Narrowing], *, by_name: bool, rows: int
) -> list[ColumnElement[bool]]:
    """The narrowings as conditions, the smallest leading when that reads fewer rows.

    Read from the smallest filter, a listing costs that filter's contacts (and a sort).
    Read by walking the name index, it costs about ``rows * total / kept`` entries until
    ``rows`` (the page's end) are found, ``kept`` being how many pass every filter
    (guessed as if the filters were independent). Other orders sort anyway, so the
    smallest filter always leads.
    """
    drivable = [n for n in narrowings if n.drivable]
    driver = min(drivable, key=lambda n: n.size()) if drivable else None
    if driver is not None and by_name:
        total = max(_total(session, Contact), 1)
        kept = float(total)
        for narrowing in narrowings:
            kept *= min(narrowing.estimate(total), total) / total
        walk = min(total, rows * total / max(kept, 1.0))
        if driver.size() > 2 * walk:
            driver = None
    return [n.condition(n is driver) for n in narrowings]


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
    narrowings: list[_Narrowing] | None,
) -> list[int]:
    if narrowings is None:
        return []
    sort = choice(query.sort, CONTACT_SORTS, "contact column") or "name"
    offset = max(offset, 0)
    conditions = _conditions(session, narrowings, by_name=sort == "name", rows=offset + limit)
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
        .where(Contact.id.in_(ids))
    )
    by_id = {row[0]: ContactRow(*row) for row in session.execute(statement)}
    return [by_id[i] for i in ids if i in by_id]


def contact_page(
    session: Session, query: ContactQuery, *, offset: int = 0, limit: int = 100
) -> list[ContactRow]:
    """Contacts ``offset`` to ``offset + limit`` of the listing ``query`` describes."""
    narrowings = _contact_narrowings(session, query)
    return _contact_rows(session, _contact_ids(session, query, offset, limit, narrowings))


def count_contacts(session: Session, query: ContactQuery = ContactQuery()) -> int:
    """How many contacts the listing ``query`` describes has."""
    return _count_contacts(session, _contact_narrowings(session, query))


def _count_contacts(session: Session, narrowings: list[_Narrowing] | None) -> int:
    if narrowings is None:
        return 0
    if not narrowings:
        return _total(session, Contact)
    if len(narrowings) == 1 and narrowings[0].exact:
        return narrowings[0].size()
    conditions = _conditions(session, narrowings, by_name=False, rows=0)
    return _count_of(session, *conditions)


def first_contacts(session: Session, query: ContactQuery, *, limit: int = 100) -> Page[ContactRow]:
    """The first page of a contact listing and its count: what a search shows.

    The search and filters are worked out once for both, and a listing that fits in
    one page is not counted again.
    """
    narrowings = _contact_narrowings(session, query)
    if narrowings is None:
        return Page([], 0)
    rows = _contact_rows(session, _contact_ids(session, query, 0, limit, narrowings))
    if len(rows) < limit:
        return Page(rows, len(rows))
    return Page(rows, _count_contacts(session, narrowings))


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
        conditions.append(
            Organisation.id.in_(_tagged(organisation_tags.c.organisation_id, query.tag))
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
    signon = _signon_set(session, query.campaign, query.statuses)
    if signon is not None:
        organisations, keep = signon
        conditions.append(
            Organisation.id.in_(organisations) if keep else Organisation.id.not_in(organisations)
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


def _choices(counts: dict[Any, int], order: Sequence[str] | None = None) -> list[Choice]:
    """Choices of an enumerated value in ``order``, or of countries, most records first."""
    present = {k: int(n) for k, n in counts.items() if k and n}
    if order is not None:
        return [Choice(k, k.replace("_", " "), present[k]) for k in order if k in present]
    return [
        Choice(k, country_name(k) or k, n)
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


def _total(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def contact_campaign_choices(session: Session) -> list[CampaignChoice]:
    """Campaigns, newest first, with how many contacts' organisations are at each status."""
    return _campaign_choices(session, _people_of(SignOn.organisation_id), _total(session, Contact))


def organisation_campaign_choices(session: Session) -> list[CampaignChoice]:
    """Campaigns, newest first, with how many organisations are at each status."""
    return _campaign_choices(session, 1, _total(session, Organisation))


def contact_filter_choices(session: Session) -> FilterChoices:
    """Every filter's choices for the contact table."""
    return FilterChoices(
        tags=contact_tag_choices(session),
        countries=contact_country_choices(session),
        memberships=contact_membership_choices(session),
        kinds=[],
        campaigns=contact_campaign_choices(session),
        total=_total(session, Contact),
    )


def organisation_filter_choices(session: Session) -> FilterChoices:
    """Every filter's choices for the organisation table."""
    return FilterChoices(
        tags=organisation_tag_choices(session),
        countries=organisation_country_choices(session),
        memberships=organisation_membership_choices(session),
        kinds=organisation_kind_choices(session),
        campaigns=organisation_campaign_choices(session),
        total=_total(session, Organisation),
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
