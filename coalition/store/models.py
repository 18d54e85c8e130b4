"""The tables, as typed SQLAlchemy 2 models.

Design notes:

* Enumerations are stored as short strings with CHECK constraints rather than
  native enum types: the same schema then works on SQLite and PostgreSQL and a
  new value is a one-line migration.
* ``*_key`` columns hold a folded form of a name or address (case and Unicode
  normalisation) so that lookups by name and duplicate checks are index scans
  on both databases; the domain layer keeps them in step with the shown value.
* Times are stored as naive UTC datetimes; dates (deadlines, follow-ups) as
  plain dates.
* The audit log refers to records by id and keeps ``organisation_id`` /
  ``contact_id`` of the record it concerns so a history view and a personal
  data erasure can find every entry about a person without parsing JSON.
* The records two coordinators may edit at once (organisations, contacts, campaigns,
  sign-ons) carry a ``version``: 1 when written, one more at every change. The ORM
  checks and bumps it at every flush (``version_id_col``: an UPDATE of a row someone
  changed meanwhile matches nothing and fails); a bulk insert gets 1 from the server
  default; a Core or SQL ``UPDATE`` of those rows adds 1 itself (``bump``). An editor
  keeps the version it opened with and the domain refuses a save when it moved on.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from coalition.store.schema import (
    AUDIT_ACTIONS,
    CAMPAIGN_KINDS,
    CAMPAIGN_STATES,
    CHANNELS,
    CONSENT_BASES,
    DIRECTIONS,
    MEMBERSHIPS,
    MERGE_KINDS,
    ORGANISATION_KINDS,
    SIGNON_STATUSES,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


_last_uid_time = 0
_uid_sequence = 0
# Seeded from os.urandom, and again in a forked child so two processes never share a
# sequence. Uids must be unique, not secret: the system generator's syscall per call
# cost about a second of a 100,000-row import.
_uid_random = random.Random()
os.register_at_fork(after_in_child=_uid_random.seed)


def new_uid() -> str:
    """A time-ordered UUID (version 7 layout: milliseconds, a sequence, random bits).

    Random UUIDs scatter 100,000 imported contacts across the unique index on
    ``uid``, costing seconds of B-tree page splits; time-ordered ones append.
    """
    global _last_uid_time, _uid_sequence
    now = time.time_ns() // 1_000_000
    if now <= _last_uid_time:
        _uid_sequence += 1
        if _uid_sequence > 0xFFF:
            _last_uid_time += 1
            _uid_sequence = 0
        now = _last_uid_time
    else:
        _uid_sequence = _uid_random.getrandbits(8)
    _last_uid_time = now
    value = (now & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76 | _uid_sequence << 64
    value |= 0b10 << 62 | _uid_random.getrandbits(62)
    digits = f"{value:032x}"  # what str(uuid.UUID(int=value)) gives, at a third of the cost
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


VERSIONED = ("organisations", "contacts", "campaigns", "signons")
"""The tables whose rows carry a ``version`` (see the module's notes)."""


_FIRST_VERSION = text("1")


def bump(table: str) -> str:
    """What an SQL ``UPDATE`` of ``table`` adds to its SET list so that a row it changes
    counts as changed: ", version = version + 1" for a versioned table, else nothing."""
    return ", version = version + 1" if table in VERSIONED else ""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


organisation_tags = Table(
    "organisation_tags",
    Base.metadata,
    Column(
        "organisation_id",
        ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)

contact_tags = Table(
    "contact_tags",
    Base.metadata,
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(100), unique=True)


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(_in("kind", ORGANISATION_KINDS), name="kind"),
        CheckConstraint(_in("membership", MEMBERSHIPS), name="membership"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300), index=True)
    acronym: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(20), default="other")
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    city: Mapped[str | None] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(60))
    membership: Mapped[str] = mapped_column(String(20), default="none")
    member_since: Mapped[dt.date | None] = mapped_column(Date)
    owner: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, server_default=_FIRST_VERSION)
    """1 when written, one more at each change (see the module's notes)."""
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read once, by the mapper)

    tags: Mapped[list[Tag]] = relationship(secondary=organisation_tags, order_by=Tag.key)
    contacts: Mapped[list[Contact]] = relationship(back_populates="organisation")
    signons: Mapped[list[SignOn]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", passive_deletes=True
    )


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        CheckConstraint(
            "consent_basis IS NULL OR " + _in("consent_basis", CONSENT_BASES),
            name="consent_basis",
        ),
        Index("uq_contacts_uid", "uid", unique=True),
        # Contacts with a country of their own (most take their organisation's): the
        # Country filter's choices and counts read this instead of the whole table.
        # (SQLite only: naming another dialect's option here loads that dialect, ~70 ms
        # of every start of the app.)
        Index(
            "ix_contacts_country",
            "country",
            "organisation_id",
            sqlite_where=text("country IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable identity outside this database: the vCard UID, kept across export and import.
    # Nullable in the schema only because SQLite adds columns that way (migration 0003);
    # every row has one.
    uid: Mapped[str] = mapped_column(String(200), nullable=True, default=new_uid)
    given_name: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    honorific: Mapped[str | None] = mapped_column(String(50))
    display_name: Mapped[str] = mapped_column(String(400))
    display_name_key: Mapped[str] = mapped_column(String(400), index=True)
    display_name_custom: Mapped[bool] = mapped_column(Boolean, default=False)
    role: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    language: Mapped[str | None] = mapped_column(String(2))
    street: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    notes: Mapped[str | None] = mapped_column(Text)
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    bounced: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_basis: Mapped[str | None] = mapped_column(String(30))
    consent_date: Mapped[dt.date | None] = mapped_column(Date)
    consent_source: Mapped[str | None] = mapped_column(String(300))
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, server_default=_FIRST_VERSION)
    """1 when written, one more at each change (see the module's notes)."""
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read once, by the mapper)

    organisation: Mapped[Organisation | None] = relationship(back_populates="contacts")
    emails: Mapped[list[ContactEmail]] = relationship(
        back_populates="contact",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(ContactEmail.is_primary.desc(), ContactEmail.id)",
    )
    phones: Mapped[list[ContactPhone]] = relationship(
        back_populates="contact",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(ContactPhone.is_primary.desc(), ContactPhone.id)",
    )
    tags: Mapped[list[Tag]] = relationship(secondary=contact_tags, order_by=Tag.key)


class ContactEmail(Base):
    __tablename__ = "contact_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(320))
    # Folded normalised address; equal keys are the same mailbox.
    address_key: Mapped[str] = mapped_column(String(320), index=True)
    label: Mapped[str | None] = mapped_column(String(50))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    valid: Mapped[bool] = mapped_column(Boolean, default=True)
    invalid_reason: Mapped[str | None] = mapped_column(String(300))
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL"), index=True
    )

    contact: Mapped[Contact] = relationship(back_populates="emails")

    __table_args__ = (Index("ix_contact_emails_contact_id", "contact_id"),)


class ContactPhone(Base):
    __tablename__ = "contact_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(60))
    e164: Mapped[str | None] = mapped_column(String(20), index=True)
    label: Mapped[str | None] = mapped_column(String(50))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL"), index=True
    )

    contact: Mapped[Contact] = relationship(back_populates="phones")

    __table_args__ = (Index("ix_contact_phones_contact_id", "contact_id"),)


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint(_in("kind", CAMPAIGN_KINDS), name="kind"),
        CheckConstraint(_in("state", CAMPAIGN_STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="statement")
    text: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    opened_on: Mapped[dt.date | None] = mapped_column(Date)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    target: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10), default="draft")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, server_default=_FIRST_VERSION)
    """1 when written, one more at each change (see the module's notes)."""
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read once, by the mapper)


class SignOn(Base):
    __tablename__ = "signons"
    __table_args__ = (
        UniqueConstraint("organisation_id", "campaign_id", name="uq_signons_org_campaign"),
        CheckConstraint(_in("status", SIGNON_STATUSES), name="status"),
        Index("ix_signons_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    signed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    display_name: Mapped[str | None] = mapped_column(String(300))
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str | None] = mapped_column(Text)
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, server_default=_FIRST_VERSION)
    """1 when written, one more at each change (see the module's notes)."""
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read once, by the mapper)

    organisation: Mapped[Organisation] = relationship(back_populates="signons")
    campaign: Mapped[Campaign] = relationship()
    signed_by: Mapped[Contact | None] = relationship()
    events: Mapped[list[SignOnEvent]] = relationship(
        back_populates="signon",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="SignOnEvent.id",
    )


class SignOnEvent(Base):
    """One status change of a sign-on; progress over time is plotted from these."""

    __tablename__ = "signon_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    signon_id: Mapped[int] = mapped_column(ForeignKey("signons.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    coordinator: Mapped[str] = mapped_column(String(100))
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL"), index=True
    )

    signon: Mapped[SignOn] = relationship(back_populates="events")


class Interaction(Base):
    __tablename__ = "interactions"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("direction", DIRECTIONS), name="direction"),
        CheckConstraint("contact_id IS NOT NULL OR organisation_id IS NOT NULL", name="has_party"),
        Index("ix_interactions_open_followups", "done", "follow_up_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(10))
    direction: Mapped[str] = mapped_column(String(3), default="out")
    subject: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(500))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    # Deleting a party is handled by the domain (an interaction needs one party),
    # so these are plain SET NULL guards, not the deletion policy.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    follow_up_on: Mapped[dt.date | None] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    coordinator: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    contact: Mapped[Contact | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    campaign: Mapped[Campaign | None] = relationship()


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    coordinator: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(10))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(400))
    organisation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    contact_id: Mapped[int | None] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (
        CheckConstraint(_in("action", AUDIT_ACTIONS), name="action"),
        Index("ix_audit_log_entity", "entity", "entity_id"),
    )


class ImportBatch(Base):
    """One applied import: what was read, how, by whom, and what it did.

    Rows the batch created carry its id (``import_batch_id``); rows it changed
    have their earlier values in ``ImportChange``, so the batch can be undone
    as a whole.
    """

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    coordinator: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_format: Mapped[str] = mapped_column(String(10))
    mapping: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_audit_id: Mapped[int | None] = mapped_column(Integer)
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    undone_by: Mapped[str | None] = mapped_column(String(100))


class ImportChange(Base):
    """The values a record had before an import batch changed it."""

    __tablename__ = "import_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int] = mapped_column(Integer)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)


class Merge(Base):
    """Two contacts or two organisations made one: the rows as they were before, so
    ``merges undo`` can put both back exactly (ids, links, sign-ons)."""

    __tablename__ = "merges"
    __table_args__ = (CheckConstraint(_in("kind", MERGE_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    kept_id: Mapped[int] = mapped_column(Integer, index=True)
    other_id: Mapped[int] = mapped_column(Integer)
    kept_label: Mapped[str | None] = mapped_column(String(400))
    other_label: Mapped[str | None] = mapped_column(String(400))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    coordinator: Mapped[str] = mapped_column(String(100))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    last_audit_id: Mapped[int | None] = mapped_column(Integer)
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    undone_by: Mapped[str | None] = mapped_column(String(100))


class DuplicateDismissal(Base):
    """A pair a coordinator said is not a duplicate: not listed again. Lower id first."""

    __tablename__ = "duplicate_dismissals"
    __table_args__ = (
        CheckConstraint(_in("kind", MERGE_KINDS), name="kind"),
        CheckConstraint("low_id < high_id", name="ordered"),
        UniqueConstraint("kind", "low_id", "high_id", name="uq_duplicate_dismissals_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    low_id: Mapped[int] = mapped_column(Integer)
    high_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    coordinator: Mapped[str] = mapped_column(String(100))


class Erasure(Base):
    """A person erased (GDPR art. 17), kept for good as the erasure ledger, without their data.

    ``digests`` holds salted hashes (HMAC-SHA256 with ``salt``, one salt per database) of
    the identifiers the person had, by kind ("email", "phone", "name", "uid"), so a
    restored backup, a later import or a vCard folder can recognise them without this
    table holding who they were. ``pending`` is true from the erase's commit until the
    file has been rewritten and checkpointed (``person erase --finish`` completes it).
    ``token`` is the entry's identity across copies of the database (restore merges the
    ledgers of both).
    """

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    coordinator: Mapped[str] = mapped_column(String(100))
    contact_id: Mapped[int | None] = mapped_column(Integer)
    salt: Mapped[str] = mapped_column(String(64))
    digests: Mapped[dict[str, Any]] = mapped_column(JSON)
    pending: Mapped[bool] = mapped_column(Boolean, default=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
