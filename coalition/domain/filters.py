"""What a filter means, said once for every list, table, export and report.

``ContactFilter`` and ``OrganisationFilter`` are what a coordinator narrows records by:
a search, a tag, a country, a language, a membership, a campaign's sign-on statuses.
The command line's lists (``browse.list_contacts``), the terminal app's filtered tables
(``browse.ContactQuery`` adds an order to the filter), the exports
(``exports.RecipientFilter`` holds one) and the reports read the same conditions from
here, so they select the same records for the same words.

The meanings:

- **country**: a person is in the country of their own address, else in their
  organisation's. Someone with an address in France who works for a Belgian
  organisation is in France; someone with no country of their own at that Belgian
  organisation is in Belgium.
- **membership**: a person's is their organisation's.
- **campaign** with **statuses**: records whose organisation's sign-on for the
  campaign is in one of the statuses; ``NO_SIGNON`` ("none") is "no sign-on for it
  yet", which includes people without an organisation. A campaign without statuses
  keeps every record with a sign-on for it.
- **search**: every word a prefix of a word of the record, accents and case ignored
  (``store.search``).

A condition is written on the contacts' own columns (an organisation's fields are
reached through ``organisation_id IN (…)``), so a query needs no join for it. Each
contact filter is a ``store.planner.Narrowing`` that also knows how many contacts it
keeps, which is how the app's tables choose the filter to read first; the lists and
exports take the plain conditions (``contact_conditions``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, text
from sqlalchemy.orm import Session

from coalition.domain.lookup import find_campaign
from coalition.domain.values import choice, country_code, fold, language_code
from coalition.errors import InvalidValue
from coalition.store import search
from coalition.store.models import (
    Contact,
    Organisation,
    SignOn,
    Tag,
    contact_tags,
    organisation_tags,
)
from coalition.store.planner import (
    Narrowing,
    first_matched,
    hidden,
    matched,
    plain,
    search_condition,
)
from coalition.store.schema import MEMBERSHIPS, ORGANISATION_KINDS, SIGNON_STATUSES

NO_SIGNON = "none"
"""The status filter for "no sign-on for this campaign yet" (not asked, or no organisation)."""
STATUS_FILTERS = (*SIGNON_STATUSES, NO_SIGNON)
"""What a campaign filter's statuses may be: the pipeline's, and no sign-on."""


@dataclass(frozen=True)
class ContactFilter:
    """What a list of contacts is narrowed by. Empty fields narrow nothing."""

    search_text: str = ""
    tag: str | None = None
    country: str | None = None
    """The contact's own country, else their organisation's."""
    language: str | None = None
    organisation_id: int | None = None
    membership: str | None = None
    """Their organisation's membership."""
    campaign: str | None = None
    """A campaign (code or id): contacts whose organisation has a sign-on for it."""
    statuses: tuple[str, ...] = ()
    """With ``campaign``: only these statuses of their organisation's sign-on
    (``NO_SIGNON`` for none yet)."""

    @property
    def filtered(self) -> bool:
        """Anything besides the search narrows the listing."""
        return bool(
            self.tag
            or self.country
            or self.language
            or self.organisation_id is not None
            or self.membership
            or self.campaign
            or self.statuses
        )


@dataclass(frozen=True)
class OrganisationFilter:
    """What a list of organisations is narrowed by. Empty fields narrow nothing."""

    search_text: str = ""
    tag: str | None = None
    country: str | None = None
    membership: str | None = None
    kind: str | None = None
    campaign: str | None = None
    """A campaign (code or id): organisations with a sign-on for it."""
    statuses: tuple[str, ...] = ()
    """With ``campaign``: only sign-ons in these statuses (``NO_SIGNON`` for none yet)."""

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


# --- the parts both kinds of record share --------------------------------------------------


def total(session: Session, model: Any) -> int:
    """How many rows ``model``'s table has."""
    return session.scalar(select(func.count()).select_from(model)) or 0


class Total:
    """How many rows ``model``'s table has: ``total()`` exactly, counted once however often
    it is asked (one listing asks twice); ``about()`` near enough to plan by — on
    PostgreSQL the server's own statistics (``pg_class.reltuples``, refreshed by ANALYZE
    and after each big import), as counting 100,000 rows there costs 5-10 ms of a
    keystroke's listing; on SQLite, where a count walks the smallest index quickly, the
    count."""

    def __init__(self, session: Session, model: Any) -> None:
        self.session = session
        self.model = model
        self._known: int | None = None
        self._guess: int | None = None

    def __call__(self) -> int:
        if self._known is None:
            self._known = total(self.session, self.model)
        return self._known

    def about(self) -> int:
        if self._known is not None:
            return self._known
        if self._guess is None and self.session.get_bind().dialect.name == "postgresql":
            guess = self.session.scalar(
                text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                {"t": self.model.__tablename__},
            )
            if guess is not None and guess >= 0:  # -1: never analysed
                self._guess = int(guess)
        return self._guess if self._guess is not None else self()

    def may_leave_out(self, rows: int) -> bool:
        """Whether a filter keeping ``rows`` rows may leave some out, so that it narrows a
        listing: on SQLite told by the count; on PostgreSQL true unless the rows have
        been counted already, as keeping a filter that leaves nothing out costs a check
        of each listed row, under a millisecond for a page, and counting 100,000 rows
        4-9 ms of the keystroke (below the statistics' figure, it surely may)."""
        if self._known is None and self.session.get_bind().dialect.name == "postgresql":
            return True
        return rows < self()


def _tag_links(link: Any, tag: str) -> Any:
    """The records tagged ``tag``: ``link`` is the link table's record column."""
    key = select(Tag.id).where(Tag.key == fold(tag)).scalar_subquery()
    return select(link).where(link.table.c.tag_id == key)


def _signon_set(
    session: Session, campaign: str | None, statuses: tuple[str, ...]
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


# --- contacts -------------------------------------------------------------------------------


def _count_of(session: Session, *conditions: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(Contact).where(*conditions)) or 0


def _in_organisations(
    session: Session, organisations: Any, keep: bool = True, *, everyone: Callable[[], int]
) -> Narrowing:
    """Contacts whose organisation is (or, ``keep`` False, is not) one of ``organisations``."""

    def condition(drive: bool) -> ColumnElement[bool]:
        column = hidden(Contact.organisation_id, drive)
        if keep:
            return column.in_(organisations)  # type: ignore[no-any-return]
        # NULL NOT IN (...) is not true: a contact without an organisation is kept too.
        return or_(Contact.organisation_id.is_(None), column.not_in(organisations))

    def size() -> int:
        inside = _count_of(session, Contact.organisation_id.in_(organisations))
        return inside if keep else everyone() - inside

    return Narrowing(condition, size, drivable=keep)


def contact_narrowings(
    session: Session,
    wanted: ContactFilter,
    everyone: Total | None = None,
    *,
    search_up_to: int | None = None,
) -> list[Narrowing] | None:
    """The filter's conditions, each with how many contacts it keeps; None when nothing
    can match (a search without a match). ``everyone``: how many contacts there are (a
    ``Total``, to share the count with the listing's plan). ``search_up_to``: the
    search's count may stop there (``search.matches``; its narrowing then says it is
    not ``whole``)."""
    everyone = everyone or Total(session, Contact)
    narrowings: list[Narrowing] = []
    if wanted.tag:
        tagged = _tag_links(contact_tags.c.contact_id, wanted.tag)
        tag_id = select(Tag.id).where(Tag.key == fold(wanted.tag)).scalar_subquery()
        # Leading, the tag's contacts are read from its index; checked row by row, each
        # contact's own links are looked up rather than collecting the tag's (~10 ms for
        # a tag on half of 100,000 contacts).
        has_tag = (
            select(contact_tags.c.contact_id)
            .where(contact_tags.c.contact_id == Contact.id, contact_tags.c.tag_id == tag_id)
            .exists()
        )
        narrowings.append(
            Narrowing(
                lambda drive: Contact.id.in_(tagged) if drive else has_tag,
                # Counted in the link table's tag index (a tag's links have their contact).
                lambda: session.scalar(
                    select(func.count())
                    .select_from(contact_tags)
                    .where(contact_tags.c.tag_id == tag_id)
                ),
            )
        )
    if wanted.country:
        code = country_code(wanted.country)
        in_country = select(Organisation.id).where(Organisation.country == code)
        # Their own country, else their organisation's: an OR across two tables, checked
        # row by row, never leading (ix_contacts_country holds only contacts with a country
        # of their own); the people of the country's organisations tell roughly how many
        # it keeps.
        narrowings.append(
            Narrowing(
                lambda drive: or_(
                    Contact.country == code,
                    and_(
                        Contact.country.is_(None),
                        hidden(Contact.organisation_id, drive).in_(in_country),
                    ),
                ),
                estimate=lambda: _count_of(session, Contact.organisation_id.in_(in_country)),
            )
        )
    if wanted.language:
        language = language_code(wanted.language)
        # No index on language: checked row by row.
        narrowings.append(
            Narrowing(
                lambda drive: Contact.language == language,
                estimate=lambda: _count_of(session, Contact.language == language),
            )
        )
    if wanted.organisation_id is not None:
        org_id = wanted.organisation_id
        narrowings.append(
            Narrowing(
                lambda drive: hidden(Contact.organisation_id, drive) == org_id,
                lambda: _count_of(session, Contact.organisation_id == org_id),
            )
        )
    if wanted.membership:
        membership = choice(wanted.membership, MEMBERSHIPS, "membership")
        members = select(Organisation.id).where(Organisation.membership == membership)
        narrowings.append(_in_organisations(session, members, everyone=everyone))
    signon = _signon_set(session, wanted.campaign, wanted.statuses)
    if signon is not None:
        narrowings.append(_in_organisations(session, *signon, everyone=everyone))
    if wanted.search_text.strip():
        found = search.matches(
            session, search.CONTACT_TABLE, wanted.search_text, up_to=search_up_to
        )
        if found is None:
            return None
        # A search every contact matches ("e", "example.org" in a list of such addresses)
        # narrows nothing; reading its matches would cost ~40 ms at 100,000 contacts.
        # (only an exact count drops it: see ``Total.may_leave_out``)
        if everyone.may_leave_out(found.count):
            narrowings.append(
                Narrowing(
                    lambda drive: matched(found, Contact.id, drive),
                    lambda: found.count,
                    first=first_matched(found, Contact.id),
                    whole=found.whole,
                )
            )
    return narrowings


def contact_conditions(session: Session, wanted: ContactFilter) -> list[ColumnElement[bool]] | None:
    """The filter as WHERE conditions on the contacts table; None when nothing can match."""
    narrowings = contact_narrowings(session, wanted)
    return None if narrowings is None else plain(narrowings)


def contact_country(own: Any, organisation: Any) -> Any:
    """A contact's country as a value: their own, else their organisation's (the value a
    Country column shows and sorts by)."""
    return func.coalesce(own, organisation)


# --- organisations --------------------------------------------------------------------------


def organisation_conditions(
    session: Session, wanted: OrganisationFilter, *, walk_names: bool = False
) -> list[ColumnElement[bool]] | None:
    """The filter as WHERE conditions on the organisations table; None when nothing can
    match. ``walk_names``: the listing is in name order (see ``planner.search_condition``)."""
    conditions: list[ColumnElement[bool]] = []
    if wanted.tag:
        conditions.append(
            Organisation.id.in_(_tag_links(organisation_tags.c.organisation_id, wanted.tag))
        )
    if wanted.country:
        conditions.append(Organisation.country == country_code(wanted.country))
    if wanted.membership:
        conditions.append(
            Organisation.membership == choice(wanted.membership, MEMBERSHIPS, "membership")
        )
    if wanted.kind:
        conditions.append(
            Organisation.kind == choice(wanted.kind, ORGANISATION_KINDS, "kind of organisation")
        )
    signon = _signon_set(session, wanted.campaign, wanted.statuses)
    if signon is not None:
        organisations, keep = signon
        conditions.append(
            Organisation.id.in_(organisations) if keep else Organisation.id.not_in(organisations)
        )
    if wanted.search_text.strip():
        found = search.matches(session, search.ORGANISATION_TABLE, wanted.search_text)
        if found is None:
            return None
        conditions.append(search_condition(found, Organisation.id, walk_names=walk_names))
    return conditions


__all__ = [
    "NO_SIGNON",
    "STATUS_FILTERS",
    "ContactFilter",
    "OrganisationFilter",
    "Total",
    "contact_conditions",
    "contact_country",
    "contact_narrowings",
    "organisation_conditions",
    "total",
]
