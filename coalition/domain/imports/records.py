"""What an import reads: records of people and organisations, the options, and how
its counts and sign-on answers are said."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from coalition.domain.values import (
    fold,
)

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called as work advances; the CLI draws a bar."""

ON_DUPLICATE = ("skip", "update", "merge")
CHUNK = 2000

# --- inputs ---------------------------------------------------------------------------------


@dataclass(slots=True)
class OrganisationRecord:
    name: str
    id: int | None = None
    """The organisation's id in coalition (from an exported sheet): update that one."""
    acronym: str | None = None
    kind: str | None = None
    country: str | None = None
    city: str | None = None
    website: str | None = None
    email: str | None = None
    phone: str | None = None
    membership: str | None = None
    notes: str | None = None
    cleared: tuple[str, ...] = ()
    """Fields an edited sheet left empty for this id: an update clears them."""


ORGANISATION_RECORD_FIELDS = (
    "name", "acronym", "kind", "country", "city", "website", "email", "phone", "membership",
    "notes",
)  # fmt: skip
"""The organisation values an import row can set."""


@dataclass(slots=True)
class ContactRecord:
    """One person (and/or their organisation) as read from a row or a card."""

    source: str
    """Where it came from, for reports: "row 12", "card 3"."""
    id: int | None = None
    uid: str | None = None
    """A vCard's UID: the same UID is the same person."""
    full_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    honorific: str | None = None
    display_name: str | None = None
    role: str | None = None
    language: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    notes: str | None = None
    emails: list[tuple[str, str | None]] = field(default_factory=list)
    phones: list[tuple[str, str | None]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    organisation: OrganisationRecord | None = None
    signon_status: str | None = None
    signon_display_name: str | None = None
    signon_public: bool | None = None
    cleared: tuple[str, ...] = ()
    """Fields an edited sheet left empty for this id: an update clears them (see
    ``CLEARABLE_CONTACT_FIELDS``); a row without an id never clears anything."""


CLEARABLE_CONTACT_FIELDS = (
    "given_name", "family_name", "honorific", "display_name", "role", "language", "street",
    "postal_code", "city", "region", "country", "notes",
)  # fmt: skip
CLEARABLE_ORGANISATION_FIELDS = ("acronym", "country", "city", "website", "email", "phone", "notes")
"""What an empty cell in an edited export clears. Emails, phones, tags, kind, membership
and the link to an organisation are kept: a blank cell there is too easily an accident."""


@dataclass(frozen=True)
class ImportOptions:
    file_name: str
    sha256: str
    file_format: str
    mapping: dict[str, Any] | None = None
    campaign: str | None = None
    tags: tuple[str, ...] = ()
    on_duplicate: str = "skip"
    force: bool = False


# --- the plan ---------------------------------------------------------------------------------


COUNT_LABELS = {
    "create": "new contacts",
    "update": "updated",
    "merge": "merged",
    "unchanged": "unchanged",
    "organisation": "organisation-only rows",
    "duplicate": "duplicates skipped",
    "in-file duplicate": "repeated in the file",
    "skip": "empty rows skipped",
    "error": "errors",
    "organisations created": "new organisations",
    "organisations updated": "organisations updated",
    "sign-ons": "sign-ons set",
    "invalid emails": "invalid emails kept (flagged)",
    "warnings": "warnings",
}
"""What the counts of a plan mean, in the order they are reported."""


_ONE = {
    "new contacts": "new contact",
    "organisation-only rows": "organisation-only row",
    "duplicates skipped": "duplicate skipped",
    "empty rows skipped": "empty row skipped",
    "errors": "error",
    "new organisations": "new organisation",
    "organisations updated": "organisation updated",
    "sign-ons set": "sign-on set",
    "invalid emails kept (flagged)": "invalid email kept (flagged)",
    "warnings": "warning",
}


def count_summary(counts: dict[str, int], *, grouped: bool = False) -> str:
    """ "3 new contacts, 1 duplicate skipped, …": a plan's or batch's counts in words
    (``grouped`` writes 12,000 rather than 12000)."""
    return ", ".join(
        (f"{counts[k]:,}" if grouped else str(counts[k]))
        + " "
        + (_ONE.get(label, label) if counts[k] == 1 else label)
        for k, label in COUNT_LABELS.items()
        if counts.get(k)
    )


def records_phrase(n: int) -> str:
    """ "1 record", "12,000 records"."""
    return f"{n:,} record" + ("" if n == 1 else "s")


SIGN_WORDS = {
    "signed": {
        "yes",
        "y",
        "oui",
        "o",
        "ja",
        "j",
        "si",
        "sí",
        "tak",
        "x",
        "signed",
        "sign",
        "1",
        "true",
        "we sign",
        "yes we sign",
        "signe",
        "signé",
        "unterzeichnet",
        "firmado",
        "firmato",
        "ondertekend",
        "podpisano",
        "ok",
        "agree",
        "d'accord",
        "✓",
        "✔",
    },
    "declined": {
        "no",
        "n",
        "non",
        "nein",
        "nie",
        "declined",
        "decline",
        "refused",
        "0",
        "false",
        "no thanks",
        "refusé",
        "abgelehnt",
        "rechazado",
        "rifiutato",
        "afgewezen",
        "odmowa",
    },
    "considering": {
        "maybe",
        "considering",
        "perhaps",
        "peut-être",
        "peut etre",
        "vielleicht",
        "quizás",
        "quizas",
        "forse",
        "misschien",
        "może",
        "moze",
        "later",
        "pending",
        "to be confirmed",
        "tbc",
    },
    "invited": {"invited", "invité", "eingeladen", "invitado", "invitato", "uitgenodigd"},
    "prospect": {"prospect", "target", "to invite"},
    "withdrawn": {"withdrawn", "withdrew", "retiré", "zurückgezogen"},
}
_STATUS_BY_WORD = {fold(w): status for status, words in SIGN_WORDS.items() for w in words}


def signon_status_from(text: str | None) -> str | None:
    """The sign-on status an answer means ("Oui" -> signed), None when blank or unknown."""
    if not text or not text.strip():
        return None
    key = fold(text).strip(" .!")
    if key in _STATUS_BY_WORD:
        return _STATUS_BY_WORD[key]
    first = key.split(" ")[0].strip(",;:")
    return _STATUS_BY_WORD.get(first)


UPDATED_FIELDS = (
    "given_name", "family_name", "honorific", "role", "language", "street", "postal_code",
    "city", "region", "country", "notes",
)  # fmt: skip
