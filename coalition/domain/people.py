"""Organisations and the people in them: add, edit, delete, find, list.

Callers pass plain values and get frozen views back; ORM objects never leave
this package. Field changes go through one validator per record kind
(``_apply_organisation_fields`` / ``_apply_contact_fields``) so add and edit
accept exactly the same values and refuse the same mistakes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from coalition.domain.audit import Work, check_version, flush_checked, forget_values, jsonable
from coalition.domain.dedupe import OrganisationIndex, OrgFacts
from coalition.domain.values import (
    check_email,
    check_typed_phone,
    choice,
    clean,
    country_code,
    fold,
    language_code,
    normalise_website,
    parse_date,
    parse_pasted_addresses,
    split_full_name,
)
from coalition.errors import Ambiguous, CoalitionError, InvalidValue, NotFound
from coalition.store import search
from coalition.store.models import (
    AuditEntry,
    Contact,
    ContactEmail,
    ContactPhone,
    Interaction,
    Organisation,
    SignOn,
    Tag,
    utcnow,
)
from coalition.store.schema import CONSENT_BASES, MEMBERSHIPS, ORGANISATION_KINDS

DELETED = "[deleted]"
"""What the change log shows in place of a deleted contact's name and details."""

# --- inputs and views ----------------------------------------------------------------------


@dataclass(frozen=True)
class EmailInput:
    address: str
    label: str | None = None
    primary: bool = False


@dataclass(frozen=True)
class PhoneInput:
    number: str
    label: str | None = None
    primary: bool = False


@dataclass(frozen=True)
class EmailView:
    address: str
    label: str | None
    primary: bool
    valid: bool
    invalid_reason: str | None


@dataclass(frozen=True)
class PhoneView:
    number: str
    e164: str | None
    label: str | None
    primary: bool


@dataclass(frozen=True)
class OrganisationView:
    id: int
    name: str
    acronym: str | None
    kind: str
    country: str | None
    city: str | None
    website: str | None
    email: str | None
    phone: str | None
    membership: str
    member_since: dt.date | None
    owner: str | None
    notes: str | None
    tags: list[str]
    contact_count: int
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int = 0
    """The stored version (``models``): an editor passes it back as ``expected_version``."""


@dataclass(frozen=True)
class ContactView:
    id: int
    display_name: str
    given_name: str | None
    family_name: str | None
    honorific: str | None
    role: str | None
    organisation: str | None
    organisation_id: int | None
    language: str | None
    emails: list[EmailView]
    phones: list[PhoneView]
    street: str | None
    postal_code: str | None
    city: str | None
    region: str | None
    country: str | None
    notes: str | None
    tags: list[str]
    do_not_contact: bool
    bounced: bool
    consent_basis: str | None
    consent_date: dt.date | None
    consent_source: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    uid: str = ""
    """Stable identity across exports and imports (the vCard UID)."""
    version: int = 0
    """The stored version (``models``): an editor passes it back as ``expected_version``."""

    @property
    def primary_email(self) -> str | None:
        return self.emails[0].address if self.emails else None


class Duplicate(CoalitionError):
    """A record would repeat one already there: a contact with another's email address, an
    organisation with another's name in the same country. ``allow_duplicate=True`` writes it
    anyway; the error names the record it repeats, so a form can say which and offer that."""

    def __init__(
        self, message: str, *, kind: str, existing_id: int, existing: str, same: str
    ) -> None:
        super().__init__(message)
        self.kind = kind
        """What the record repeated is: "organisation" or "contact"."""
        self.existing_id = existing_id
        self.existing = existing
        """The record repeated, as lists name it: "#12 Jana Novak <jana@example.org>, MCE"."""
        self.same = same
        """What the two share: "email" or "name"."""


@dataclass(frozen=True)
class ContactResult:
    """What ``add_contact`` did: the contact, and the organisation it created if any."""

    contact: ContactView
    created_organisation: OrganisationView | None = None
    warnings: list[str] = field(default_factory=list)


ORGANISATION_FIELDS = frozenset(
    {
        "name",
        "acronym",
        "kind",
        "country",
        "city",
        "website",
        "email",
        "phone",
        "membership",
        "member_since",
        "owner",
        "notes",
    }
)
CONTACT_FIELDS = frozenset(
    {
        "given_name",
        "family_name",
        "honorific",
        "display_name",
        "role",
        "organisation_id",
        "language",
        "street",
        "postal_code",
        "city",
        "region",
        "country",
        "notes",
        "do_not_contact",
        "bounced",
        "consent_basis",
        "consent_date",
        "consent_source",
    }
)


def organisation_view(org: Organisation, contact_count: int | None = None) -> OrganisationView:
    return OrganisationView(
        id=org.id,
        name=org.name,
        acronym=org.acronym,
        kind=org.kind,
        country=org.country,
        city=org.city,
        website=org.website,
        email=org.email,
        phone=org.phone,
        membership=org.membership,
        member_since=org.member_since,
        owner=org.owner,
        notes=org.notes,
        tags=[t.name for t in org.tags],
        contact_count=len(org.contacts) if contact_count is None else contact_count,
        created_at=org.created_at,
        updated_at=org.updated_at,
        version=org.version,
    )


def contact_view(contact: Contact) -> ContactView:
    return ContactView(
        id=contact.id,
        display_name=contact.display_name,
        given_name=contact.given_name,
        family_name=contact.family_name,
        honorific=contact.honorific,
        role=contact.role,
        organisation=contact.organisation.name if contact.organisation else None,
        organisation_id=contact.organisation_id,
        language=contact.language,
        emails=[
            EmailView(e.address, e.label, e.is_primary, e.valid, e.invalid_reason)
            for e in sorted(contact.emails, key=lambda e: not e.is_primary)
        ],
        phones=[
            PhoneView(p.number, p.e164, p.label, p.is_primary)
            for p in sorted(contact.phones, key=lambda p: not p.is_primary)
        ],
        street=contact.street,
        postal_code=contact.postal_code,
        city=contact.city,
        region=contact.region,
        country=contact.country,
        notes=contact.notes,
        tags=[t.name for t in contact.tags],
        do_not_contact=contact.do_not_contact,
        bounced=contact.bounced,
        consent_basis=contact.consent_basis,
        consent_date=contact.consent_date,
        consent_source=contact.consent_source,
        created_at=contact.created_at,
        updated_at=contact.updated_at,
        uid=contact.uid or "",
        version=contact.version,
    )


def organisation_snapshot(org: Organisation) -> dict[str, Any]:
    data = {name: jsonable(getattr(org, name)) for name in sorted(ORGANISATION_FIELDS)}
    data["tags"] = [t.name for t in org.tags]
    return data


def contact_snapshot(contact: Contact) -> dict[str, Any]:
    data = {name: jsonable(getattr(contact, name)) for name in sorted(CONTACT_FIELDS)}
    data["display_name"] = contact.display_name
    data["emails"] = [e.address for e in contact.emails]
    data["phones"] = [p.number for p in contact.phones]
    data["tags"] = [t.name for t in contact.tags]
    return data


# --- tags ----------------------------------------------------------------------------------


def get_tags(session: Session, names: Iterable[str]) -> list[Tag]:
    """The tags with these names, created where missing; matched case-insensitively."""
    tags: list[Tag] = []
    seen: set[str] = set()
    for raw in names:
        name = clean(raw)
        if not name:
            continue
        if len(name) > 100:
            raise InvalidValue(f"The tag '{name[:40]}…' is too long (100 characters at most).")
        key = fold(name)
        if key in seen:
            continue
        seen.add(key)
        tag = session.scalar(select(Tag).where(Tag.key == key))
        if tag is None:
            tag = Tag(name=name, key=key)
            session.add(tag)
        tags.append(tag)
    return tags


def _add_tags(target: list[Tag], tags: Sequence[Tag]) -> None:
    have = {t.key for t in target}
    target.extend(t for t in tags if t.key not in have)


def _remove_tags(target: list[Tag], names: Iterable[str]) -> None:
    keys = {fold(n) for n in names}
    target[:] = [t for t in target if t.key not in keys]


# --- finding records by what a user typed --------------------------------------------------


def _describe_org(org: Organisation) -> str:
    where = f", {org.country}" if org.country else ""
    return f"#{org.id} {org.name}{where}"


def _describe_contact(contact: Contact) -> str:
    email = next((e.address for e in contact.emails), None)
    extra = f" <{email}>" if email else ""
    org = f", {contact.organisation.name}" if contact.organisation else ""
    return f"#{contact.id} {contact.display_name}{extra}{org}"


def _as_id(ref: str) -> int | None:
    text = ref.strip().lstrip("#")
    return int(text) if text.isdigit() else None


def _single(kind: str, ref: str, matches: Sequence[Any], describe: Any) -> Any:
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        candidates = [describe(m) for m in matches]
        raise Ambiguous(
            f"'{ref}' matches {len(matches)} {kind}s: {'; '.join(candidates)}. "
            "Name one by its id (e.g. #" + str(matches[0].id) + ").",
            candidates,
        )
    return None


def find_organisation(session: Session, ref: str) -> Organisation:
    """An organisation by id (12 or #12), exact name, acronym or generic email."""
    org = lookup_organisation(session, ref)
    if org is None:
        hint = _suggest(session, ref, organisations=True)
        raise NotFound(f"No organisation matches '{ref}'.{hint}")
    return org


def lookup_organisation(session: Session, ref: str) -> Organisation | None:
    """Like ``find_organisation`` but None when nothing matches (still refuses ambiguity)."""
    ident = _as_id(ref)
    if ident is not None:
        org = session.get(Organisation, ident)
        if org is None:
            raise NotFound(f"There is no organisation #{ident}.")
        return org
    key = fold(ref)
    for condition in (
        Organisation.name_key == key,
        func.lower(Organisation.acronym) == ref.strip().lower(),
        func.lower(Organisation.email) == ref.strip().lower(),
    ):
        matches = list(session.scalars(select(Organisation).where(condition).limit(20)))
        found = _single("organisation", ref, matches, _describe_org)
        if found is not None:
            return found  # type: ignore[no-any-return]
    return None


def find_contact(session: Session, ref: str) -> Contact:
    """A contact by id (12 or #12), email address, or exact name."""
    contact = lookup_contact(session, ref)
    if contact is None:
        hint = _suggest(session, ref, organisations=False)
        raise NotFound(f"No contact matches '{ref}'.{hint}")
    return contact


def lookup_contact(session: Session, ref: str) -> Contact | None:
    """Like ``find_contact`` but None when nothing matches (still refuses ambiguity and an
    id that is not there)."""
    ident = _as_id(ref)
    if ident is not None:
        contact = session.get(Contact, ident)
        if contact is None:
            raise NotFound(f"There is no contact #{ident}.")
        return contact
    if "@" in ref:
        key = check_email(ref).key
        matches = list(
            session.scalars(
                select(Contact)
                .join(ContactEmail)
                .where(ContactEmail.address_key == key)
                .distinct()
                .limit(20)
            )
        )
    else:
        key = fold(ref)
        matches = list(
            session.scalars(select(Contact).where(Contact.display_name_key == key).limit(20))
        )
        if not matches:
            full = func.lower(func.coalesce(Contact.given_name, "") + " " + Contact.family_name)
            matches = list(session.scalars(select(Contact).where(full == key).limit(20)))
    return _single("contact", ref, matches, _describe_contact)  # type: ignore[no-any-return]


def _suggest(session: Session, ref: str, *, organisations: bool) -> str:
    if organisations:
        ids = search.search_organisations(session, ref, limit=3)
        names = [_describe_org(o) for o in _load_orgs(session, ids)]
    else:
        ids = search.search_contacts(session, ref, limit=3)
        names = [_describe_contact(c) for c in load_contacts(session, ids)]
    return f" Did you mean: {'; '.join(names)}?" if names else ""


# --- organisations -------------------------------------------------------------------------


def _apply_organisation_fields(org: Organisation, fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - ORGANISATION_FIELDS
    if unknown:
        raise CoalitionError(f"Unknown organisation field(s): {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        if name == "name":
            cleaned = clean(value)
            if not cleaned:
                raise InvalidValue("An organisation needs a name.")
            if len(cleaned) > 300:
                raise InvalidValue("An organisation's name can be 300 characters at most.")
            org.name = cleaned
            org.name_key = fold(cleaned)
        elif name == "kind":
            org.kind = choice(clean(value), ORGANISATION_KINDS, "kind of organisation") or "other"
        elif name == "membership":
            org.membership = choice(clean(value), MEMBERSHIPS, "membership") or "none"
        elif name == "country":
            org.country = country_code(value)
        elif name == "website":
            org.website = normalise_website(value)
        elif name == "email":
            typed = clean(value)
            if typed is None:
                org.email = None
            else:
                checked = check_email(typed)
                if not checked.valid:
                    raise InvalidValue(f"'{typed}' is not a valid email address: {checked.reason}")
                org.email = checked.address
        elif name == "phone":
            typed = clean(value)
            if typed is not None and typed != org.phone:
                # Typed (the importer writes organisations itself and keeps odd values);
                # a phone already stored is not judged again.
                check_typed_phone(typed)
            org.phone = typed
        elif name == "member_since":
            org.member_since = parse_date(value)
        elif name == "notes":
            org.notes = value.strip() if isinstance(value, str) and value.strip() else None
        else:
            setattr(org, name, clean(value))


def organisation_facts(session: Session) -> Iterator[OrgFacts]:
    """Every stored organisation as the matching rules (``dedupe``) see it."""
    for oid, name, acronym, website, email, country in session.execute(
        select(
            Organisation.id,
            Organisation.name,
            Organisation.acronym,
            Organisation.website,
            Organisation.email,
            Organisation.country,
        )
    ):
        yield OrgFacts(oid, name, acronym, website, email, country)


_SAME = {"same name": "name", "acronym": "acronym", "same acronym": "acronym"}


def _check_duplicate_org(session: Session, org: Organisation) -> None:
    """Refuse an organisation the rules of ``dedupe`` say is certainly one already here
    (the same name, acronym or web domain), as an import would match it."""
    named = OrgFacts(org.id or 0, org.name, org.acronym, org.website, org.email, org.country)
    index = OrganisationIndex(f for f in organisation_facts(session) if f.id != org.id)
    match = index.exact(named)
    if match is None:
        return
    other = session.get_one(Organisation, match.organisation_id)
    same = _SAME.get(match.rule, "web domain" if "web domain" in match.rule else match.rule)
    raise Duplicate(
        f"An organisation with the same {same} already exists ({_describe_org(other)}); "
        "use it, or pass --allow-duplicate if this is really another organisation.",
        kind="organisation",
        existing_id=other.id,
        existing=_describe_org(other),
        same=same,
    )


def add_organisation(
    work: Work,
    *,
    tags: Iterable[str] = (),
    allow_duplicate: bool = False,
    **fields: Any,
) -> OrganisationView:
    """Create an organisation. ``fields`` are those in ``ORGANISATION_FIELDS``; name is needed."""
    session = work.session
    if not clean(fields.get("name")):
        raise InvalidValue("An organisation needs a name.")
    org = Organisation(kind="other", membership="none", tags=[], contacts=[])
    _apply_organisation_fields(org, fields)
    if not allow_duplicate:
        _check_duplicate_org(session, org)
    org.tags = get_tags(session, tags)
    session.add(org)
    session.flush()
    work.audit(
        "create",
        "organisation",
        org.id,
        org.name,
        None,
        organisation_snapshot(org),
        organisation_id=org.id,
    )
    search.index_organisations(session, [org.id])
    return organisation_view(org, 0)


def edit_organisation(
    work: Work,
    ref: str | int,
    changes: Mapping[str, Any],
    *,
    add_tags: Iterable[str] = (),
    remove_tags: Iterable[str] = (),
    allow_duplicate: bool = False,
    expected_version: int | None = None,
) -> OrganisationView:
    """Change an organisation. ``expected_version``: the version the editor opened it at
    (``OrganisationView.version``); when it has changed since, ``Conflict`` says who
    changed it and when, and nothing is saved."""
    session = work.session
    org = find_organisation(session, str(ref))
    check_version(session, "organisation", org, org.name, expected_version)
    before = organisation_snapshot(org)
    _apply_organisation_fields(org, changes)
    if ("name" in changes or "acronym" in changes) and not allow_duplicate:
        _check_duplicate_org(session, org)
    _remove_tags(org.tags, remove_tags)
    _add_tags(org.tags, get_tags(session, add_tags))
    after = organisation_snapshot(org)
    if after != before:
        org.updated_at = utcnow()
    flush_checked(session, "organisation", org, org.name)
    work.audit("update", "organisation", org.id, org.name, before, after, organisation_id=org.id)
    search.index_organisations(session, [org.id])
    if before["name"] != after["name"] or before["acronym"] != after["acronym"]:
        search.index_contacts(session, [c.id for c in org.contacts])
    return organisation_view(org)


def delete_organisation(work: Work, ref: str | int) -> OrganisationView:
    """Delete an organisation and its sign-ons; its people stay, without an organisation.

    Outreach logged with one of its people stays on that person's record;
    outreach logged with the organisation alone goes with it.
    """
    session = work.session
    org = find_organisation(session, str(ref))
    view = organisation_view(org)
    before = organisation_snapshot(org)
    before["signons"] = len(org.signons)
    contact_ids = [c.id for c in org.contacts]
    session.execute(
        delete(Interaction).where(
            Interaction.organisation_id == org.id, Interaction.contact_id.is_(None)
        )
    )
    session.execute(
        update(Interaction)
        .where(Interaction.organisation_id == org.id)
        .values(organisation_id=None)
    )
    session.delete(org)
    session.flush()
    work.audit("delete", "organisation", view.id, view.name, before, None, organisation_id=view.id)
    search.index_organisations(session, [view.id])
    search.index_contacts(session, contact_ids)
    return view


def get_organisation(session: Session, ref: str | int) -> OrganisationView:
    return organisation_view(find_organisation(session, str(ref)))


def _load_orgs(session: Session, ids: Sequence[int]) -> list[Organisation]:
    if not ids:
        return []
    rows = session.scalars(
        select(Organisation)
        .where(Organisation.id.in_(ids))
        .options(selectinload(Organisation.tags))
    )
    by_id = {o.id: o for o in rows}
    return [by_id[i] for i in ids if i in by_id]


def _contact_counts(session: Session, ids: Sequence[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(Contact.organisation_id, func.count())
        .where(Contact.organisation_id.in_(ids))
        .group_by(Contact.organisation_id)
    )
    return {org_id: count for org_id, count in rows if org_id is not None}


# --- contacts ------------------------------------------------------------------------------


def display_name_from(given: str | None, family: str | None, primary_email: str | None) -> str:
    """The name a contact is listed by unless one is set: their given and family name,
    else their primary address (a valid one, where they have one)."""
    parts = [p for p in (given, family) if p]
    return " ".join(parts) if parts else (primary_email or "")


def derive_display_name(contact: Contact) -> str:
    """``display_name_from`` for a stored contact (its emails come primary first)."""
    primary = next((e.address for e in contact.emails), None)
    return display_name_from(contact.given_name, contact.family_name, primary)


def _apply_contact_fields(session: Session, contact: Contact, fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - CONTACT_FIELDS
    if unknown:
        raise CoalitionError(f"Unknown contact field(s): {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        if name == "display_name":
            cleaned = clean(value)
            contact.display_name_custom = cleaned is not None
            if cleaned:
                contact.display_name = cleaned
        elif name == "organisation_id":
            if value is not None and session.get(Organisation, value) is None:
                raise NotFound(f"There is no organisation #{value}.")
            contact.organisation_id = value
            contact.organisation = session.get(Organisation, value) if value else None
        elif name == "language":
            contact.language = language_code(value)
        elif name == "country":
            contact.country = country_code(value)
        elif name in ("do_not_contact", "bounced"):
            setattr(contact, name, bool(value))
        elif name == "consent_basis":
            contact.consent_basis = choice(clean(value), CONSENT_BASES, "consent basis")
        elif name == "consent_date":
            contact.consent_date = parse_date(value)
        elif name == "notes":
            contact.notes = value.strip() if isinstance(value, str) and value.strip() else None
        else:
            setattr(contact, name, clean(value))


def _as_email_input(item: EmailInput | str) -> EmailInput:
    return item if isinstance(item, EmailInput) else EmailInput(item)


def _as_phone_input(item: PhoneInput | str) -> PhoneInput:
    return item if isinstance(item, PhoneInput) else PhoneInput(item)


def _add_emails(
    contact: Contact, items: Iterable[EmailInput | str], *, allow_invalid: bool
) -> list[str]:
    """Attach addresses; returns warnings for the invalid ones kept."""
    warnings = []
    have = {e.address_key for e in contact.emails}
    for item in map(_as_email_input, items):
        if not item.address.strip():
            continue
        checked = check_email(item.address)
        if not checked.valid:
            if not allow_invalid:
                raise InvalidValue(
                    f"'{checked.address}' is not a valid email address: {checked.reason} "
                    "Correct it, or pass --allow-invalid to keep it marked invalid."
                )
            warnings.append(
                f"Kept '{checked.address}' marked invalid ({checked.reason}); "
                "it will be left out of mail merge."
            )
        if checked.key in have:
            continue
        have.add(checked.key)
        if item.primary:
            for existing in contact.emails:
                existing.is_primary = False
        contact.emails.append(
            ContactEmail(
                address=checked.address,
                address_key=checked.key,
                label=clean(item.label),
                is_primary=item.primary,
                valid=checked.valid,
                invalid_reason=checked.reason,
            )
        )
    _ensure_primary(contact.emails)
    return warnings


def _ensure_primary(items: Sequence[ContactEmail] | Sequence[ContactPhone]) -> None:
    if items and not any(i.is_primary for i in items):
        preferred = next((i for i in items if getattr(i, "valid", True)), items[0])
        preferred.is_primary = True


def _region(contact: Contact) -> str | None:
    if contact.country:
        return contact.country
    if contact.organisation is not None:
        return contact.organisation.country
    return None


def _add_phones(contact: Contact, items: Iterable[PhoneInput | str]) -> None:
    """Attach numbers a person typed (``add_contact``, ``edit_contact``): what cannot be a
    phone number (an email address, words) is refused. The importer does not come this way:
    it keeps whatever a sheet's phone column holds (``imports``, ``check_phone``)."""
    region = _region(contact)
    have = {(p.e164 or p.number) for p in contact.phones}
    for item in map(_as_phone_input, items):
        if not item.number.strip():
            continue
        checked = check_typed_phone(item.number, region)
        if (checked.e164 or checked.number) in have:
            continue
        have.add(checked.e164 or checked.number)
        if item.primary:
            for existing in contact.phones:
                existing.is_primary = False
        contact.phones.append(
            ContactPhone(
                number=checked.number,
                e164=checked.e164,
                label=clean(item.label),
                is_primary=item.primary,
            )
        )
    _ensure_primary(contact.phones)


def _finish_contact(contact: Contact) -> None:
    if not contact.display_name_custom:
        contact.display_name = derive_display_name(contact)
    if not (contact.given_name or contact.family_name or contact.display_name_custom) and not (
        contact.emails
    ):
        raise InvalidValue("A contact needs at least a name or an email address.")
    if not contact.display_name:
        raise InvalidValue("A contact needs at least a name or an email address.")
    contact.display_name_key = fold(contact.display_name)


def _check_duplicate_emails(session: Session, contact: Contact) -> None:
    keys = [e.address_key for e in contact.emails]
    if not keys:
        return
    query = (
        select(Contact)
        .join(ContactEmail)
        .where(ContactEmail.address_key.in_(keys))
        .distinct()
        .limit(3)
    )
    if contact.id is not None:
        query = query.where(Contact.id != contact.id)
    other = session.scalars(query).first()
    if other is not None:
        raise Duplicate(
            f"That email address already belongs to {_describe_contact(other)}; "
            "edit that contact, or pass --allow-duplicate.",
            kind="contact",
            existing_id=other.id,
            existing=_describe_contact(other),
            same="email",
        )


def _check_duplicate_name(session: Session, contact: Contact) -> None:
    """A person is found by any of their addresses, then by name at the same organisation."""
    if contact.organisation_id is None or not contact.display_name_key:
        return
    query = select(Contact).where(
        Contact.display_name_key == contact.display_name_key,
        Contact.organisation_id == contact.organisation_id,
    )
    if contact.id is not None:
        query = query.where(Contact.id != contact.id)
    other = session.scalars(query.limit(1)).first()
    if other is not None:
        raise Duplicate(
            f"{_describe_contact(other)} has the same name at the same organisation; "
            "edit that contact, or pass --allow-duplicate if this is another person.",
            kind="contact",
            existing_id=other.id,
            existing=_describe_contact(other),
            same="name and organisation",
        )


def add_contact(
    work: Work,
    *,
    emails: Iterable[EmailInput | str] = (),
    phones: Iterable[PhoneInput | str] = (),
    tags: Iterable[str] = (),
    organisation: str | None = None,
    create_organisation: bool = True,
    allow_invalid: bool = False,
    allow_duplicate: bool = False,
    **fields: Any,
) -> ContactResult:
    """Create a contact.

    ``organisation`` names an organisation as a user would (id, name, acronym);
    when nothing matches and ``create_organisation`` is true, it is created.
    """
    session = work.session
    created_org = None
    matched: str | None = None
    if organisation is not None and clean(organisation):
        org = lookup_organisation(session, organisation)
        if org is None:
            # Another spelling of one already here ("Alpha Kids asbl", "A.K.") is that one.
            match = OrganisationIndex(organisation_facts(session)).exact(
                OrgFacts(0, clean(organisation) or "")
            )
            if match is not None:
                org = session.get(Organisation, match.organisation_id)
                matched = f"'{organisation}' taken as {org.name if org else ''} ({match.rule})."
        if org is None:
            if not create_organisation:
                raise NotFound(f"No organisation matches '{organisation}'.")
            created_org = add_organisation(work, name=organisation)
            org = session.get(Organisation, created_org.id)
        fields = {**fields, "organisation_id": org.id if org else None}
    addresses = [_as_email_input(e) for e in emails]
    if not any(fields.get(f) for f in ("given_name", "family_name", "display_name")):
        # "Jan de Vries <jan@example.org>" pasted with no name: the name written there.
        written = next(
            (p.name for e in addresses for p in parse_pasted_addresses(e.address) if p.name),
            None,
        )
        if written:
            parts = split_full_name(written)
            fields = {**fields, "given_name": parts.given_name, "family_name": parts.family_name}
    contact = Contact(emails=[], phones=[], tags=[], display_name="", display_name_key="")
    with session.no_autoflush:
        _apply_contact_fields(session, contact, fields)
        warnings = _add_emails(contact, addresses, allow_invalid=allow_invalid)
        _add_phones(contact, phones)
        _finish_contact(contact)
        if not allow_duplicate:
            _check_duplicate_emails(session, contact)
            _check_duplicate_name(session, contact)
        contact.tags = get_tags(session, tags)
        session.add(contact)
    session.flush()
    work.audit(
        "create",
        "contact",
        contact.id,
        contact.display_name,
        None,
        contact_snapshot(contact),
        contact_id=contact.id,
        organisation_id=contact.organisation_id,
    )
    search.index_contacts(session, [contact.id])
    if matched:
        warnings.insert(0, matched)
    return ContactResult(contact_view(contact), created_org, warnings)


def edit_contact(
    work: Work,
    ref: str | int,
    changes: Mapping[str, Any],
    *,
    organisation: str | None = None,
    add_emails: Iterable[EmailInput | str] = (),
    remove_emails: Iterable[str] = (),
    add_phones: Iterable[PhoneInput | str] = (),
    remove_phones: Iterable[str] = (),
    add_tags: Iterable[str] = (),
    remove_tags: Iterable[str] = (),
    relabel_emails: Mapping[str, str | None] | None = None,
    relabel_phones: Mapping[str, str | None] | None = None,
    allow_invalid: bool = False,
    allow_duplicate: bool = False,
    expected_version: int | None = None,
) -> ContactResult:
    """Change a contact. ``organisation`` moves them ("" leaves them without one).

    ``expected_version``: the version the editor opened them at (``ContactView.version``);
    when it has changed since, ``Conflict`` says who changed it and when, and nothing is
    saved.

    ``relabel_emails`` and ``relabel_phones`` give addresses or numbers the contact has
    (a number as stored or in its E.164 form) a new label (work, mobile …; None or "" for
    none), after those added and removed.
    """
    session = work.session
    contact = find_contact(session, str(ref))
    check_version(session, "contact", contact, contact.display_name, expected_version)
    before = contact_snapshot(contact) | _label_snapshot(contact)
    changes = dict(changes)
    if organisation is not None:
        org = find_organisation(session, organisation) if clean(organisation) else None
        changes["organisation_id"] = org.id if org else None
    _apply_contact_fields(session, contact, changes)

    drop = {check_email(a).key for a in remove_emails}
    missing = drop - {e.address_key for e in contact.emails}
    if missing:
        raise NotFound(f"{contact.display_name} has no address {', '.join(sorted(missing))}.")
    contact.emails[:] = [e for e in contact.emails if e.address_key not in drop]
    warnings = _add_emails(contact, add_emails, allow_invalid=allow_invalid)

    drop_phones = {clean(p) for p in remove_phones}
    kept = [p for p in contact.phones if p.number not in drop_phones and p.e164 not in drop_phones]
    if len(contact.phones) - len(kept) < len(drop_phones):
        raise NotFound(
            f"{contact.display_name} has no phone {', '.join(sorted(map(str, drop_phones)))}."
        )
    contact.phones[:] = kept
    _add_phones(contact, add_phones)
    _relabel(contact, relabel_emails or {}, relabel_phones or {})

    _remove_tags(contact.tags, remove_tags)
    _add_tags(contact.tags, get_tags(session, add_tags))
    _finish_contact(contact)
    if not allow_duplicate:
        _check_duplicate_emails(session, contact)
    after = contact_snapshot(contact) | _label_snapshot(contact)
    if after != before:
        contact.updated_at = utcnow()
    flush_checked(session, "contact", contact, contact.display_name)
    work.audit(
        "update",
        "contact",
        contact.id,
        contact.display_name,
        before,
        after,
        contact_id=contact.id,
        organisation_id=contact.organisation_id,
    )
    search.index_contacts(session, [contact.id])
    return ContactResult(contact_view(contact), None, warnings)


def _relabel(
    contact: Contact, emails: Mapping[str, str | None], phones: Mapping[str, str | None]
) -> None:
    """Set the labels of addresses and numbers the contact has; NotFound names one it
    has not."""
    for address, label in emails.items():
        key = check_email(address).key
        found = [e for e in contact.emails if e.address_key == key]
        if not found:
            raise NotFound(f"{contact.display_name} has no address {address}.")
        for email in found:
            email.label = clean(label)
    for number, label in phones.items():
        typed = clean(number)
        matched = [p for p in contact.phones if typed in (p.number, p.e164)]
        if not matched:
            raise NotFound(f"{contact.display_name} has no phone {number}.")
        for phone in matched:
            phone.label = clean(label)


def _label_snapshot(contact: Contact) -> dict[str, Any]:
    """The labels of a contact's addresses and numbers ("work: a@example.org"), for the
    change log of an edit: a relabelling changes nothing ``contact_snapshot`` records."""
    return {
        "email_labels": [f"{e.label}: {e.address}" for e in contact.emails if e.label],
        "phone_labels": [f"{p.label}: {p.number}" for p in contact.phones if p.label],
    }


def delete_contact(work: Work, ref: str | int) -> ContactView:
    """Delete a contact. Outreach logged with them alone goes too; outreach that also
    names their organisation stays on the organisation's record."""
    session = work.session
    contact = find_contact(session, str(ref))
    view = contact_view(contact)
    before = contact_snapshot(contact)
    session.execute(
        delete(Interaction).where(
            Interaction.contact_id == contact.id, Interaction.organisation_id.is_(None)
        )
    )
    session.execute(
        update(Interaction).where(Interaction.contact_id == contact.id).values(contact_id=None)
    )
    session.execute(
        update(SignOn)
        .where(SignOn.signed_by_id == contact.id)
        .values(signed_by_id=None, version=SignOn.version + 1)
    )
    session.delete(contact)
    session.flush()
    # The change log keeps that the contact was there and which fields they had, not their
    # details: what it held on them before goes too, out of everyone's reach but an erasure's.
    forget_values(
        session,
        and_(AuditEntry.entity == "contact", AuditEntry.entity_id == view.id),
        DELETED,
    )
    had = {k: DELETED for k, v in before.items() if v not in (None, "", [], False)}
    work.audit(
        "delete",
        "contact",
        view.id,
        DELETED,
        had,
        None,
        contact_id=view.id,
        organisation_id=view.organisation_id,
    )
    search.index_contacts(session, [view.id])
    return view


def get_contact(session: Session, ref: str | int) -> ContactView:
    return contact_view(find_contact(session, str(ref)))


def _contact_options() -> list[Any]:
    return [
        selectinload(Contact.emails),
        selectinload(Contact.phones),
        selectinload(Contact.tags),
        selectinload(Contact.organisation),
    ]


def load_contacts(session: Session, ids: Sequence[int]) -> list[Contact]:
    if not ids:
        return []
    by_id: dict[int, Contact] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for contact in session.scalars(
            select(Contact).where(Contact.id.in_(chunk)).options(*_contact_options())
        ):
            by_id[contact.id] = contact
    return [by_id[i] for i in ids if i in by_id]


def contacts_by_id(session: Session, ids: Sequence[int]) -> list[ContactView]:
    """Contact views for these ids, in the order given (loaded in chunks)."""
    return [contact_view(c) for c in load_contacts(session, ids)]


def organisations_by_id(session: Session, ids: Sequence[int]) -> list[OrganisationView]:
    orgs = _load_orgs(session, ids)
    counts = _contact_counts(session, ids)
    return [organisation_view(o, counts.get(o.id, 0)) for o in orgs]


def contacts_of(session: Session, organisation_id: int) -> list[ContactView]:
    ids = list(
        session.scalars(
            select(Contact.id)
            .where(Contact.organisation_id == organisation_id)
            .order_by(Contact.display_name_key)
        )
    )
    return [contact_view(c) for c in load_contacts(session, ids)]


@dataclass(frozen=True)
class SearchHit:
    kind: str
    """"organisation" or "contact"."""
    id: int
    title: str
    detail: str


def search_all(session: Session, query: str, limit: int = 20) -> list[SearchHit]:
    """Organisations then contacts matching ``query`` (prefix, case and accents ignored)."""
    hits: list[SearchHit] = []
    for org in _load_orgs(session, search.search_organisations(session, query, limit=limit)):
        detail = ", ".join(x for x in (org.acronym, org.city, org.country) if x)
        hits.append(SearchHit("organisation", org.id, org.name, detail))
    for contact in load_contacts(session, search.search_contacts(session, query, limit=limit)):
        email = next((e.address for e in contact.emails), "")
        org_name = contact.organisation.name if contact.organisation else ""
        detail = ", ".join(x for x in (email, contact.role, org_name) if x)
        hits.append(SearchHit("contact", contact.id, contact.display_name, detail))
    return hits
