"""Who gets the invitation, how they are greeted, and who has signed.

Recipients for a mail merge are chosen by SQL (a 100,000-contact export must
not build ORM objects), with the same filters as the listings plus the
campaign pipeline. People who must not or cannot be mailed are left out and
counted: do-not-contact, bounced, no valid address; an address that appears
twice is mailed once. An organisation the filters select that none of its
people reach is written to at its own address (info@…), greeted "Dear
colleagues", unless someone there asked not to be contacted; without such an
address it is counted as having no one to write to.

Salutations follow the person's language where it is known; the honorific
decides the grammatical form ("Chère Madame", "Sehr geehrter Herr"), and a
person without a name gets the language's "Dear colleagues".
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from coalition.domain.audit import Work
from coalition.domain.campaigns import is_allowed
from coalition.domain.filters import (
    ContactFilter,
    OrganisationFilter,
    contact_conditions,
    organisation_conditions,
)
from coalition.domain.lookup import find_campaign
from coalition.domain.outreach import close_earlier_followups
from coalition.domain.people import ContactView, EmailView, PhoneView
from coalition.domain.team import require_personal_data
from coalition.domain.values import country_name, fold, language_of_country
from coalition.errors import InvalidValue
from coalition.store.models import (
    Contact,
    ContactEmail,
    ContactPhone,
    Interaction,
    Organisation,
    SignOn,
    SignOnEvent,
    Tag,
    contact_tags,
    utcnow,
)
from coalition.store.schema import ORGANISATION_KINDS

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, CursorResult

# --- salutations ----------------------------------------------------------------------------

_FEMALE = {
    "ms", "mrs", "miss", "mme", "mlle", "madame", "mademoiselle", "frau", "sra", "srta",
    "senora", "sig ra", "sigra", "signora", "mevr", "mevrouw", "pani", "dott ssa", "dottssa",
    "dame", "fru",
}  # fmt: skip
_MALE = {"mr", "m", "monsieur", "herr", "sr", "senor", "sig", "signor", "dhr", "heer", "pan", "hr"}

# language -> (female, male, with a title such as Dr, name only, nobody)
SALUTATIONS: dict[str, tuple[str, str, str, str, str]] = {
    "en": ("Dear Ms {f}", "Dear Mr {f}", "Dear {h} {f}", "Dear {n}", "Dear colleagues"),
    "fr": (
        "Chère Madame {f}",
        "Cher Monsieur {f}",
        "Madame, Monsieur {h} {f}",
        "Bonjour {n}",
        "Madame, Monsieur",
    ),
    "de": (
        "Sehr geehrte Frau {f}",
        "Sehr geehrter Herr {f}",
        "Guten Tag {h} {f}",
        "Guten Tag {n}",
        "Sehr geehrte Damen und Herren",
    ),
    "es": (
        "Estimada Sra. {f}",
        "Estimado Sr. {f}",
        "Estimado/a {h} {f}",
        "Estimado/a {n}",
        "Estimados colegas",
    ),
    "it": (
        "Gentile Sig.ra {f}",
        "Gentile Sig. {f}",
        "Gentile {h} {f}",
        "Gentile {n}",
        "Gentili colleghi",
    ),
    "nl": (
        "Geachte mevrouw {f}",
        "Geachte heer {f}",
        "Geachte {h} {f}",
        "Beste {n}",
        "Beste collega's",
    ),
    "pl": (
        "Szanowna Pani {g}",
        "Szanowny Panie {g}",
        "Szanowni Państwo",
        "Dzień dobry {n}",
        "Szanowni Państwo",
    ),
}


def salutation(
    language: str | None,
    honorific: str | None,
    given_name: str | None,
    family_name: str | None,
) -> str:
    """The greeting a coordinator would write, in the person's language (English otherwise)."""
    with_family, named, nobody = _greeting_forms(language, honorific)
    name = (
        f"{given_name} {family_name}" if given_name and family_name else given_name or family_name
    )
    if not name:
        return nobody
    if family_name:
        return with_family(family_name, given_name or family_name, name)
    return named(None, None, name)


Greeting = Callable[[str | None, str | None, str], str]
"""A greeting form filled in by (family name, given name or else family name, full name)."""


@lru_cache(maxsize=4096)
def _greeting_forms(language: str | None, honorific: str | None) -> tuple[Greeting, Greeting, str]:
    """The greetings for one language and honorific: for a person with a family name, with
    only a name, and for nobody. A mail merge of 100,000 people meets a few dozen such
    pairs, so the folding and lookups are done once each, and the honorific is written
    into the forms, which are filled in by position (a keyword call costs more)."""
    female, male, titled, named, nobody = SALUTATIONS.get(language or "en", SALUTATIONS["en"])
    key = " ".join(fold(honorific or "").replace(".", " ").split())
    if key in _FEMALE:
        with_family = female
    elif key in _MALE:
        with_family = male
    elif honorific:
        with_family = titled
    else:
        with_family = named
    title = (honorific or "").strip().replace("{", "{{").replace("}", "}}")

    def positional(form: str) -> Greeting:
        for mark, replacement in (("{f}", "{0}"), ("{g}", "{1}"), ("{n}", "{2}"), ("{h}", title)):
            form = form.replace(mark, replacement)
        return form.format

    return positional(with_family), positional(named), nobody


# --- recipients ----------------------------------------------------------------------------

# The tables the mail merge reads. Its queries name tables rather than ORM entities, so
# that a process exporting a mail merge never configures the ORM's mappers.
_CONTACTS = Contact.__table__
_EMAILS = ContactEmail.__table__
_ORGANISATIONS = Organisation.__table__
_SIGNONS = SignOn.__table__
_SIGNON_EVENTS = SignOnEvent.__table__
_TAGS = Tag.__table__


@dataclass(frozen=True)
class RecipientFilter:
    campaign: str | None = None
    statuses: tuple[str, ...] = ()
    tag: str | None = None
    country: str | None = None
    language: str | None = None
    membership: str | None = None
    search_text: str | None = None
    one_per_org: bool = False

    @property
    def contacts(self) -> ContactFilter:
        """Whom the export selects (``domain.filters``). The campaign narrows only with
        statuses; alone, it is the campaign whose columns a mail merge fills."""
        return ContactFilter(
            search_text=self.search_text or "",
            tag=self.tag,
            country=self.country,
            language=self.language,
            membership=self.membership,
            campaign=self.campaign if self.statuses else None,
            statuses=self.statuses,
        )

    @property
    def organisations(self) -> OrganisationFilter | None:
        """The organisations the same words select, as ``org list`` reads them: those a
        mail merge writes to at their own address when none of their people is written.
        None under a language filter: a language is a person's, not an organisation's."""
        if self.language:
            return None
        return OrganisationFilter(
            search_text=self.search_text or "",
            tag=self.tag,
            country=self.country,
            membership=self.membership,
            campaign=self.campaign if self.statuses else None,
            statuses=self.statuses,
        )


class Recipient(NamedTuple):
    """One row of a mail merge. The first twelve fields are the mail-merge columns, in
    order (a tuple: a 100,000-row export builds one per row, and a tuple is built fast).

    A row at an organisation's own address has no contact: no names, its organisation's
    name as the full name, and the language's "Dear colleagues"."""

    email: str
    salutation: str
    given_name: str | None
    family_name: str | None
    full_name: str
    organisation: str | None
    role: str | None
    country: str | None
    language: str | None
    campaign_status: str | None
    invited_on: dt.date | None
    display_name: str | None
    """The organisation's name as it signs the campaign (its display name)."""
    contact_id: int | None
    """None for an organisation's own address."""
    organisation_id: int | None


@dataclass
class RecipientList:
    recipients: list[Recipient]
    left_out: Counter[str] = field(default_factory=Counter)
    campaign_id: int | None = None


@dataclass
class RecipientStream:
    """The recipients of a mail merge, read from the database as they are iterated.

    Iterate once, inside the session that made it; ``left_out`` and ``organisations``
    are complete once the iteration has ended (the do-not-contact and bounced counts are
    known from the start).
    """

    rows: Iterator[Recipient]
    left_out: Counter[str]
    campaign_id: int | None
    organisations: int = 0
    """Rows written at an organisation's own address (no person of it to write to)."""

    def __iter__(self) -> Iterator[Recipient]:
        return self.rows


def mailmerge_recipients(session: Session, wanted: RecipientFilter) -> RecipientList:
    """Everyone a mail merge with these filters reaches, one row per address (as a list)."""
    stream = recipient_stream(session, wanted)
    return RecipientList(list(stream), stream.left_out, stream.campaign_id)


def recipient_stream(session: Session, wanted: RecipientFilter) -> RecipientStream:
    """Everyone a mail merge with these filters reaches, one row per address, streamed.

    Left out, and counted: do-not-contact, then bounced (both by one counting query),
    then no valid address; an address seen before (case ignored) is mailed once; with
    ``one_per_org``, the organisation's signer for the campaign if they can be mailed,
    else its first contact who can. After the people, by name, each organisation the
    filters select that none of its people reached: at its own address, unless someone
    there asked not to be contacted (``_stand_ins``). A viewer of a server database is
    refused here, before a file is opened.
    """
    require_personal_data(session)
    campaign = find_campaign(session, wanted.campaign) if wanted.campaign else None
    conditions = contact_conditions(session, wanted.contacts)
    campaign_id = campaign.id if campaign is not None else None
    c, o, e, so = _CONTACTS.c, _ORGANISATIONS.c, _EMAILS.c, _SIGNONS.c

    def selecting(
        *columns: Any,
        addresses: bool = False,
        organisations: bool = True,
        signons: bool = False,
    ) -> Any:
        """The filtered contacts, with these columns (one row per address with
        ``addresses``), joined to their organisation and its sign-on for the campaign
        where asked."""
        query: Any = select(*columns).select_from(
            _EMAILS.join(_CONTACTS, c.id == e.contact_id) if addresses else _CONTACTS
        )
        if organisations or signons:
            query = query.outerjoin(_ORGANISATIONS, c.organisation_id == o.id)
        if signons:
            query = query.outerjoin(
                _SIGNONS, and_(so.organisation_id == o.id, so.campaign_id == campaign_id)
            )
        return query.where(*(conditions or ()))

    connection = session.connection()
    left_out: Counter[str] = Counter()
    mailable = and_(c.do_not_contact.is_(False), c.bounced.is_(False))
    counted = selecting(
        func.count(case((c.do_not_contact.is_(True), 1))),
        func.count(case((and_(c.do_not_contact.is_(False), c.bounced.is_(True)), 1))),
        func.count(case((mailable, 1))),
        organisations=False,
    )
    if conditions is None:  # a search without a match
        return RecipientStream(iter(()), left_out, campaign_id)
    selected = wanted.organisations
    org_conditions = None if selected is None else organisation_conditions(session, selected)
    do_not_contact, bounced, eligible = connection.execute(counted).one()
    if do_not_contact:
        left_out["do not contact"] = do_not_contact
    if bounced:
        left_out["bounced"] = bounced

    nameless = and_(func.coalesce(c.given_name, "") == "", func.coalesce(c.family_name, "") == "")
    query = (
        selecting(
            c.id,
            o.id,
            e.address,
            c.given_name,
            c.family_name,
            c.honorific,
            # Only a person without a name is called by their display name: read it
            # for them alone (a column of 100,000 strings costs more to read than this).
            case((nameless, c.display_name)),
            c.role,
            c.language,
            c.country,
            addresses=True,
        )
        .where(e.valid.is_(True), mailable)
        # One row per valid address, the primary first, a contact's rows together; the
        # first row of a contact wins, so a contact whose primary address is invalid is
        # still reached at a valid one. Mailable contacts with no row have no valid
        # address: they are the eligible count less the contacts seen. People without an
        # organisation first, on every engine (PostgreSQL sorts NULL last by default).
        .order_by(
            o.name_key.asc().nulls_first(), c.display_name_key, c.id, e.is_primary.desc(), e.id
        )
    )

    # Each organisation's name and country, looked up by the walk rather than carried
    # by every row of the sorted query (~0.03 s of 100,000 rows): organisations are
    # few beside their contacts.
    organisations: dict[int, tuple[str, str | None]] = {
        org_id: (name, country)
        for org_id, name, country in connection.execute(select(o.id, o.name, o.country)).all()
    }
    signon_of: dict[int, tuple[str, str | None, dt.date | None]] = {}
    preferred: dict[int, int] = {}
    if campaign is not None:
        # Each organisation's sign-on for the campaign, looked up by the walk rather
        # than joined: the main query carries three columns fewer per row.
        events = _SIGNON_EVENTS.c
        invited_on = {
            signon_id: at.date() if isinstance(at, dt.datetime) else at
            for signon_id, at in connection.execute(
                select(events.signon_id, func.min(events.at))
                .join(_SIGNONS, so.id == events.signon_id)
                .where(so.campaign_id == campaign_id, events.to_status == "invited")
                .group_by(events.signon_id)
            )
        }
        signon_of = {
            org_id: (status, shown, invited_on.get(signon_id))
            for org_id, status, shown, signon_id in connection.execute(
                select(so.organisation_id, so.status, so.display_name, so.id).where(
                    so.campaign_id == campaign_id
                )
            )
        }
        if wanted.one_per_org:
            preferred = _mailable_signers(connection, selecting)
    # Tables, not ORM entities, throughout: a mail merge then never builds the ORM's
    # mapper configuration (~0.03 s at the first ORM query of a process).
    result = connection.execute(query)
    reached: set[int | None] = set()
    seen_addresses: set[str] = set()
    stream = RecipientStream(iter(()), left_out, campaign_id)
    people = _recipients(
        _driver_rows(result),
        wanted.one_per_org,
        preferred,
        organisations,
        signon_of,
        left_out,
        eligible,
        reached,
        seen_addresses,
    )
    if org_conditions is None:
        stream.rows = people
    else:
        stand_ins = select(o.id, o.email).where(*org_conditions).order_by(o.name_key, o.id)
        stream.rows = chain(
            people,
            _stand_ins(
                connection, stand_ins, reached, seen_addresses, organisations, signon_of, stream
            ),
        )
    return stream


def _driver_rows(result: CursorResult[Any], size: int = 2000) -> Iterator[Sequence[Any]]:
    """The rows of ``result`` as the driver returns them, read a batch at a time.

    The mail-merge columns are integers and text, which SQLAlchemy passes through
    unconverted on SQLite; reading the cursor directly skips building a Row per row
    (~0.4 s of 100,000), and chaining the batches in C skips a generator step per row.
    Other databases, where a column may need converting, get the Result's own rows.
    """
    if result.context.dialect.name != "sqlite":
        return iter(result)
    return chain.from_iterable(_batches(result, size))


def _batches(result: CursorResult[Any], size: int) -> Iterator[Sequence[Any]]:
    cursor = result.cursor
    try:
        while batch := cursor.fetchmany(size):
            yield batch
    finally:
        result.close()


def _mailable_signers(connection: Connection, selecting: Any) -> dict[int, int]:
    """organisation id -> the contact who signed for it, where that contact is among the
    filtered contacts of that organisation and can be mailed."""
    c, e = _CONTACTS.c, _EMAILS.c
    valid = select(e.id).where(e.contact_id == c.id, e.valid.is_(True))
    query = selecting(_ORGANISATIONS.c.id, c.id, signons=True).where(
        c.id == _SIGNONS.c.signed_by_id,
        c.do_not_contact.is_(False),
        c.bounced.is_(False),
        valid.exists(),
    )
    return {org_id: contact_id for org_id, contact_id in connection.execute(query)}


def _recipients(
    rows: Iterable[Any],
    one_per_org: bool,
    preferred: dict[int, int],
    organisations: dict[int, tuple[str, str | None]],
    signon_of: dict[int, tuple[str, str | None, dt.date | None]],
    left_out: Counter[str],
    eligible: int,
    reached: set[int | None],
    seen_addresses: set[str],
) -> Iterator[Recipient]:
    """The walk over the ordered rows that decides, row by row, who is mailed.

    Runs once per contact of a 100,000-contact export, so it is written for speed:
    no per-row function calls beyond the greeting's cached forms and one format.
    Fills ``reached`` with the organisations of the people written and
    ``seen_addresses`` with their addresses (folded), for the organisations' own
    addresses that follow.
    """
    seen_orgs: set[int] = set()
    reach = reached.add
    forms = _greeting_forms
    new = tuple.__new__  # Recipient(...) would run namedtuple's __new__, a Python call
    status = shown = invited = None
    last = last_reached = None
    contacts = 0
    for (
        contact_id, org_id, address, given, family, honorific, display, role, language,
        country,
    ) in rows:  # fmt: skip
        if contact_id == last:
            continue  # a further valid address of the contact just seen
        last = contact_id
        contacts += 1
        if one_per_org and org_id is not None:
            chosen = preferred.get(org_id)
            if org_id in seen_orgs or (chosen is not None and chosen != contact_id):
                left_out["not the organisation's main contact"] += 1
                continue
            seen_orgs.add(org_id)
        key = address.casefold()
        if key in seen_addresses:
            left_out["duplicate address"] += 1
            continue
        seen_addresses.add(key)
        # The greeting, as salutation() makes it (tests hold the two to the same result).
        with_family, named, nobody = forms(language, honorific)
        if family:
            name = f"{given} {family}" if given else family
            greeting = with_family(family, given or family, name)
        elif given:
            name = given
            greeting = named(None, None, name)
        else:
            name = display  # the query reads the display name for the nameless alone
            greeting = nobody
        org_name, org_country = organisations.get(org_id, _NO_ORGANISATION)
        if signon_of:
            status, shown, invited = signon_of.get(org_id, _NO_SIGNON)
        if org_id != last_reached:  # rows come by organisation: one add for each
            reach(org_id)
            last_reached = org_id
        yield new(
            Recipient,
            (
                address,
                greeting,
                given,
                family,
                name,
                org_name,
                role,
                country or org_country,
                language,
                status,
                invited,
                (shown or org_name) if org_name else None,
                contact_id,
                org_id,
            ),
        )
    if eligible > contacts:
        left_out["no valid email"] += eligible - contacts


_NO_ORGANISATION: tuple[None, None] = (None, None)
_NO_SIGNON: tuple[None, None, None] = (None, None, None)

NO_ONE_TO_WRITE_TO = "organisation(s) with no one to write to"
"""Left out: an organisation none of whose people was written, with no address of its own."""
SOMEONE_ASKED_NOT = "organisation(s) where someone asked not to be contacted"
"""Left out: an organisation none of whose people was written, whose own address is not
used because one of its people asked not to be contacted."""


def _stand_ins(
    connection: Connection,
    selected: Any,
    reached: set[int | None],
    seen_addresses: set[str],
    organisations: dict[int, tuple[str, str | None]],
    signon_of: dict[int, tuple[str, str | None, dt.date | None]],
    stream: RecipientStream,
) -> Iterator[Recipient]:
    """The organisations ``selected`` (their id and own email, by name) that no person
    of theirs reached: one row each at their own address, greeted "Dear colleagues" in
    their country's language under their name; or counted, when they have no address of
    their own or someone there asked not to be contacted (their generic address is theirs
    too)."""
    missing = [
        (org_id, email) for org_id, email in connection.execute(selected) if org_id not in reached
    ]
    if not missing:
        return
    c = _CONTACTS.c
    quiet: set[int] = set()
    if any(email for _, email in missing):
        quiet = set(
            connection.execute(
                select(c.organisation_id)
                .where(c.do_not_contact.is_(True), c.organisation_id.is_not(None))
                .distinct()
            ).scalars()
        )
    left_out = stream.left_out
    for org_id, email in missing:
        if not email:
            left_out[NO_ONE_TO_WRITE_TO] += 1
            continue
        if org_id in quiet:
            left_out[SOMEONE_ASKED_NOT] += 1
            continue
        key = email.casefold()
        if key in seen_addresses:
            left_out["duplicate address"] += 1
            continue
        seen_addresses.add(key)
        name, country = organisations[org_id]
        status, shown, invited = signon_of.get(org_id, _NO_SIGNON)
        stream.organisations += 1
        # An organisation has no language of its own: its country's, as an import gives a
        # person without one (French for FR; English where a country has several).
        language = language_of_country(country)
        yield Recipient(
            email, _greeting_forms(language, None)[2], None, None, name, name, None, country,
            language, status, invited, shown or name, None, org_id,
        )  # fmt: skip


def matching_contact_ids(session: Session, wanted: RecipientFilter) -> list[int]:
    """Every contact the filters select, without the mail-merge exclusions (for address books)."""
    query = _address_book_query(session, wanted, Contact.id)
    return [] if query is None else list(session.scalars(query))


def _address_book_query(
    session: Session, wanted: RecipientFilter, *columns: Any, rows_of: Any = None
) -> Any:
    """The filtered contacts by name (display name, then id), with these columns; one row
    per row of ``rows_of`` (a table of the contact's emails, phones...) when given, a
    contact's rows together. None when nothing can match."""
    conditions = contact_conditions(session, wanted.contacts)
    if conditions is None:
        return None
    query: Any = select(*columns).select_from(Contact)
    if rows_of is not None:
        query = query.join(rows_of, rows_of.c.contact_id == Contact.id)
    return (
        query.outerjoin(Organisation, Contact.organisation_id == Organisation.id)
        .where(*conditions)
        .order_by(Contact.display_name_key, Contact.id)
    )


def address_book(session: Session, wanted: RecipientFilter) -> Iterator[ContactView]:
    """Every contact the filters select, as contact views, by name: for vCards and sheets.
    A viewer of a server database is refused here, before a file is opened."""
    require_personal_data(session)
    return _address_book(session, wanted)


def _address_book(session: Session, wanted: RecipientFilter) -> Iterator[ContactView]:
    """``address_book``'s views, streamed.

    The same views as ``people.contacts_by_id`` gives, read without ORM objects:
    four queries in the same order (contacts with their organisation's name;
    their emails; phones; tags) are walked side by side, each contact taking the
    rows of the others that belong to it. One pass over each table, memory for
    one contact at a time: 100,000 contacts in seconds rather than a quarter of
    a minute.
    """
    contacts = _address_book_query(
        session,
        wanted,
        Contact.id,
        Contact.display_name,
        Contact.given_name,
        Contact.family_name,
        Contact.honorific,
        Contact.role,
        Organisation.name,
        Contact.organisation_id,
        Contact.language,
        Contact.street,
        Contact.postal_code,
        Contact.city,
        Contact.region,
        Contact.country,
        Contact.notes,
        Contact.do_not_contact,
        Contact.bounced,
        Contact.consent_basis,
        Contact.consent_date,
        Contact.consent_source,
        Contact.created_at,
        Contact.updated_at,
        Contact.uid,
    )
    if contacts is None:
        return
    emails_table = ContactEmail.__table__
    e = emails_table.c
    emails = _address_book_query(
        session,
        wanted,
        e.contact_id, e.address, e.label, e.is_primary, e.valid, e.invalid_reason,
        rows_of=emails_table,
    ).order_by(e.is_primary.desc(), e.id)  # fmt: skip
    phones_table = ContactPhone.__table__
    p = phones_table.c
    phones = _address_book_query(
        session,
        wanted,
        p.contact_id, p.number, p.e164, p.label, p.is_primary,
        rows_of=phones_table,
    ).order_by(p.is_primary.desc(), p.id)  # fmt: skip
    tags = (
        _address_book_query(
            session, wanted, contact_tags.c.contact_id, Tag.name, rows_of=contact_tags
        )
        .join(Tag, Tag.id == contact_tags.c.tag_id)
        .order_by(Tag.key)
    )
    connection = session.connection()
    email_rows = _Grouped(connection.execute(emails))
    phone_rows = _Grouped(connection.execute(phones))
    tag_rows = _Grouped(connection.execute(tags))
    for row in connection.execute(contacts):
        (
            contact_id, display_name, given_name, family_name, honorific, role, organisation,
            organisation_id, language, street, postal_code, city, region, country, notes,
            do_not_contact, bounced, consent_basis, consent_date, consent_source, created_at,
            updated_at, uid,
        ) = row  # fmt: skip
        yield ContactView(
            id=contact_id,
            display_name=display_name,
            given_name=given_name,
            family_name=family_name,
            honorific=honorific,
            role=role,
            organisation=organisation,
            organisation_id=organisation_id,
            language=language,
            emails=[EmailView(*r) for r in email_rows.take(contact_id)],
            phones=[PhoneView(*r) for r in phone_rows.take(contact_id)],
            street=street,
            postal_code=postal_code,
            city=city,
            region=region,
            country=country,
            notes=notes,
            tags=[name for (name,) in tag_rows.take(contact_id)],
            do_not_contact=do_not_contact,
            bounced=bounced,
            consent_basis=consent_basis,
            consent_date=consent_date,
            consent_source=consent_source,
            created_at=created_at,
            updated_at=updated_at,
            uid=uid or "",
        )


class _Grouped:
    """Rows (contact id first) in the contacts' order, handed out a contact at a time."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self._rows = iter(rows)
        self._next = next(self._rows, None)

    def take(self, contact_id: int) -> list[tuple[Any, ...]]:
        """The rest of each row of this contact; the rows must come in the contacts' order."""
        found = []
        while self._next is not None and self._next[0] == contact_id:
            found.append(tuple(self._next[1:]))
            self._next = next(self._rows, None)
        return found


@dataclass(frozen=True)
class OutreachLog:
    logged: int
    invited: int
    closed: int = 0
    """Earlier open follow-ups the logged email closed (``outreach.close_earlier_followups``)."""


def invitation_moves() -> frozenset[str | None]:
    """The sign-on statuses a logged invitation moves to invited (None: not in the campaign
    yet), for the mail merge's ``--log-outreach`` and an imported mail tool's statuses."""
    return frozenset({None, "prospect"} if is_allowed("prospect", "invited") else {None})


class OutreachLogging:
    """The email of a mail merge, logged with each recipient as the recipients pass.

    ``passing`` hands on every recipient as it will be after the log, which a file
    written from it shows: with a campaign, one whose organisation is a prospect or
    not in it yet comes out *invited*, invited today (the day the sign-on event
    carries), as an export run after the log reads it. Interactions are inserted a
    batch at a time as the recipients pass, so memory stays flat; ``finish`` moves the
    sign-ons and writes the audit. All in the caller's unit of work: every recipient
    logged, or none.
    """

    BATCH = 2000

    def __init__(
        self, work: Work, subject: str, campaign_id: int | None, *, keep_followups: bool = False
    ) -> None:
        self.work = work
        self.keep_followups = keep_followups
        """Leave the recipients' earlier open follow-ups open (else the email closes those
        about its campaign or about none, as ``coalition log`` does)."""
        self.reached: set[int] = set()
        self.reached_people: set[int] = set()
        """Organisations, and people without one, the email went to (as they passed)."""
        self.subject = subject
        self.campaign_id = campaign_id
        self.now = utcnow()
        self.logged = 0
        self.to_invite: set[int] = set()
        """Organisations whose sign-on ``finish`` creates or moves to invited."""
        self._moving = invitation_moves()

    def passing(self, recipients: Iterable[Recipient]) -> Iterator[Recipient]:
        """Each recipient, logged, with its campaign columns as the log leaves them."""
        from coalition.store import bulk  # looked up at each call: tests stop it there

        session, campaign_id, moving = self.work.session, self.campaign_id, self._moving
        now, subject, coordinator = self.now, self.subject, self.work.coordinator
        today = now.date()
        batch: list[dict[str, Any]] = []
        for r in recipients:
            batch.append(
                {
                    "occurred_at": now, "channel": "email", "direction": "out",
                    "subject": subject, "notes": None, "outcome": None,
                    "contact_id": r.contact_id, "organisation_id": r.organisation_id,
                    "campaign_id": campaign_id, "follow_up_on": None, "done": False,
                    "coordinator": coordinator, "created_at": now,
                }
            )  # fmt: skip
            if len(batch) >= self.BATCH:
                bulk.bulk_insert(session, Interaction.__table__, batch)
                self.logged += len(batch)
                batch = []
            org_id = r.organisation_id
            if org_id is not None:
                self.reached.add(org_id)
            elif r.contact_id is not None:
                self.reached_people.add(r.contact_id)
            if campaign_id is not None and org_id is not None and r.campaign_status in moving:
                self.to_invite.add(org_id)
                r = r._replace(campaign_status="invited", invited_on=r.invited_on or today)
            yield r
        bulk.bulk_insert(session, Interaction.__table__, batch)
        self.logged += len(batch)

    def finish(self) -> OutreachLog:
        """Create or move the sign-ons to invited, one event and audit entry each, and
        record the mail merge in the audit. Call once every recipient has passed."""
        from coalition.store import bulk
        from coalition.store.models import AuditEntry

        work, session, now = self.work, self.work.session, self.now
        invited = 0
        if self.campaign_id is not None and self.to_invite:
            existing = {
                s.organisation_id: s
                for s in session.scalars(
                    select(SignOn).where(SignOn.campaign_id == self.campaign_id)
                )
            }
            audit_rows = []
            for org_id in sorted(self.to_invite):
                signon = existing.get(org_id)
                if signon is None:
                    signon = SignOn(
                        organisation_id=org_id, campaign_id=self.campaign_id, status="invited",
                        public=True, created_at=now, updated_at=now,
                    )  # fmt: skip
                    session.add(signon)
                    session.flush()
                    before = None
                elif signon.status in self._moving:
                    before = {"status": signon.status}
                    signon.status = "invited"
                    signon.updated_at = now
                else:
                    continue
                session.add(
                    SignOnEvent(
                        signon_id=signon.id, from_status=before["status"] if before else None,
                        to_status="invited", at=now, coordinator=work.coordinator,
                    )
                )  # fmt: skip
                audit_rows.append(
                    work.audit_row(
                        "create" if before is None else "update",
                        "signon",
                        signon.id,
                        self.subject,
                        before,
                        {"status": "invited"},
                        organisation_id=org_id,
                        at=now,
                    )
                )
                invited += 1
            session.flush()
            bulk.bulk_insert(session, AuditEntry.__table__, audit_rows)
        closed = 0
        if not self.keep_followups and (self.reached or self.reached_people):
            closed = len(
                close_earlier_followups(
                    work,
                    organisation_ids=sorted(self.reached),
                    contact_ids=sorted(self.reached_people),
                    campaign_id=self.campaign_id,
                    until=now,
                )
            )
        last_id = session.scalar(select(func.max(Interaction.id))) or 0
        work.audit(
            "create",
            "interaction",
            int(last_id),
            self.subject,
            None,
            {"mail merge": self.subject, "recipients": self.logged, "invited": invited}
            | ({"closed follow-ups": closed} if closed else {}),
        )
        return OutreachLog(self.logged, invited, closed)


# --- the signatory list ----------------------------------------------------------------------


@dataclass(frozen=True)
class Signatory:
    name: str
    organisation_id: int
    country: str | None
    country_name: str | None
    kind: str
    signed_on: dt.date | None
    """The day it (last) signed."""
    website: str | None = None
    """The organisation's website, when it is a web address (http or https) to link."""


@dataclass(frozen=True)
class SignatoryGroup:
    label: str
    signatories: list[Signatory]


@dataclass(frozen=True)
class SignatoryList:
    campaign_code: str
    campaign_name: str
    link: str | None
    total: int
    groups: list[SignatoryGroup]
    """One group ("") when not grouped."""


def _linkable(website: str | None) -> str | None:
    """A website a published page may link to: an http(s) address, nothing else (never a
    ``javascript:`` or ``data:`` link, whatever was typed)."""
    if not website:
        return None
    address = website.strip()
    if address.lower().startswith(("http://", "https://")) and " " not in address:
        return address
    return None


def sort_key(text: str) -> str:
    """How a reader expects names ordered: case and accents folded ("Österreich" with O)."""
    return fold(text)


def signatories(session: Session, campaign: str, group_by: str | None = None) -> SignatoryList:
    """Organisations that signed and may be listed, under their display names."""
    if group_by not in (None, "country", "kind"):
        raise InvalidValue("--group-by takes country or kind.")
    camp = find_campaign(session, campaign)
    signed_at = (
        select(SignOnEvent.signon_id, func.max(SignOnEvent.at).label("at"))
        .where(SignOnEvent.to_status == "signed")
        .group_by(SignOnEvent.signon_id)
        .subquery()
    )
    rows = session.execute(
        select(
            SignOn.display_name,
            Organisation.name,
            Organisation.id,
            Organisation.country,
            Organisation.kind,
            signed_at.c.at,
            Organisation.website,
        )
        .join(Organisation, SignOn.organisation_id == Organisation.id)
        .outerjoin(signed_at, signed_at.c.signon_id == SignOn.id)
        .where(SignOn.campaign_id == camp.id, SignOn.status == "signed", SignOn.public.is_(True))
    )
    people = [
        Signatory(
            name=display or name,
            organisation_id=org_id,
            country=country,
            country_name=country_name(country),
            kind=kind,
            signed_on=at.date() if isinstance(at, dt.datetime) else at,
            website=_linkable(website),
        )
        for display, name, org_id, country, kind, at, website in rows
    ]
    people.sort(key=lambda s: (sort_key(s.name), s.organisation_id))
    if group_by is None:
        groups = [SignatoryGroup("", people)]
    else:
        buckets: dict[str, list[Signatory]] = {}
        for s in people:
            if group_by == "country":
                label = s.country_name or "Other"
            else:
                label = (
                    s.kind.replace("_", " ").capitalize()
                    if s.kind in ORGANISATION_KINDS
                    else "Other"
                )
            buckets.setdefault(label, []).append(s)
        groups = [SignatoryGroup(label, buckets[label]) for label in sorted(buckets, key=sort_key)]
    return SignatoryList(camp.code, camp.name, camp.link, len(people), groups)
