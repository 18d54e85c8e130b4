"""What an import reads: records of people and organisations, the options, how its
counts and sign-on answers are said, and when each row was answered."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from coalition.domain.values import (
    fold,
)

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called as work advances; the CLI draws a bar."""

ON_DUPLICATE = ("skip", "update", "merge")
CHUNK = 2000

WINDOW = 10_000
"""Rows planned and written at a time: a window of the benchmark's rows holds ~18 MB while
it is planned (records, planned rows, match facts). 10,000 rather than 20,000 took a
100,000-row import's peak from ~210 to ~165 MiB at no measurable cost in time: the windows'
own queries are a small part of the work."""

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
    checked: tuple[str, ...] | None = field(default=None, compare=False)
    """Set once the plan has cleaned and checked the record: the warnings of each row naming
    it (rows naming one organisation alike share one record)."""


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
    answered_at: str | None = None
    """When the row was answered, as the file writes it (a form's "Timestamp"): it dates
    the sign-on the row sets (``read_answer_times`` reads it)."""
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
    allow_erased: bool = False
    """Import people the erasure ledger names too (they have consented again)."""


# --- the plan ---------------------------------------------------------------------------------


COUNT_LABELS = {
    "create": "new contacts",
    "update": "updated",
    "merge": "merged",
    "unchanged": "unchanged",
    "organisation": "organisation-only rows",
    "duplicate": "duplicates skipped",
    "erased": "erased people skipped",
    "in-file duplicate": "repeated in the file",
    "skip": "empty rows skipped",
    "error": "errors",
    "organisations created": "new organisations",
    "organisations updated": "organisations updated",
    "sign-ons": "sign-ons set",
    "language from country": "languages set from country",
    "invalid emails": "invalid emails kept (flagged)",
    "warnings": "warnings",
}
"""What the counts of a plan mean, in the order they are reported."""


_ONE = {
    "new contacts": "new contact",
    "organisation-only rows": "organisation-only row",
    "duplicates skipped": "duplicate skipped",
    "empty rows skipped": "empty row skipped",
    "erased people skipped": "erased person skipped",
    "errors": "error",
    "new organisations": "new organisation",
    "organisations updated": "organisation updated",
    "sign-ons set": "sign-on set",
    "languages set from country": "language set from country",
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

# --- when a row was answered -------------------------------------------------------------

# When each row of a form's replies was answered: its "Timestamp" column, read as the
# programs write it, so the sign-on it sets is dated by the answer and not by the import.
#
# Formats read: ISO ("2026-11-05 14:03:22", "2026-11-05T14:03:22+01:00", "…Z", and the
# "2026-11-05 14:03" a spreadsheet's date cell becomes), Google Forms' "2026/11/05 14:03:22
# GMT+1" (with or without AM/PM), day first "05/11/2026 14:03:22" or "05.11.2026", and month
# first "11/5/2026 2:03:22 PM" as US spreadsheets write it. A value without a zone is the
# computer's local time; times are returned as naive UTC, as they are stored.
#
# Whether "05/11/2026" is the 5th of November or the 11th of May is decided once for the
# whole file, as a coordinator reading it would: by a row that can only be one ("13/10/2026"),
# else the reading that puts no answer in the future, else the one that keeps the rows in
# time order (forms list replies as they came), else a 12-hour clock (AM/PM, as US dates go),
# else day first.

_WHEN = re.compile(
    r"""^\s*(?:
        (?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})
      | (?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})
    )
    (?:(?:T|\s+|,\s*)
        (?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,6})\d*)?)?
        \s*(?P<ampm>[ap]\.?m\.?)?
    )?
    (?:\s*(?P<utc>z|utc|gmt))?
    (?:\s*(?P<sign>[+-])(?P<zh>\d{1,2})(?::?(?P<zm>\d{2}))?)?
    (?:\s*(?:utc|gmt))?
    \s*$""",
    re.VERBOSE | re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _Parts:
    """A value cut into its numbers; ``first``/``second`` are both set when it is written
    day and month without the year first, and which is which is for the file to say."""

    year: int
    first: int
    second: int
    year_first: bool
    dotted: bool
    clock: tuple[int, int, int, int]
    twelve_hour: bool
    offset: int | None
    """Minutes east of UTC; None for the computer's local time."""


def _parts(text: str) -> _Parts | None:
    found = _WHEN.match(text)
    if found is None:
        return None
    g = found.groupdict()
    hour, minute = int(g["H"] or 0), int(g["M"] or 0)
    second = int(g["S"] or 0)
    micro = int((g["f"] or "0").ljust(6, "0"))
    ampm = (g["ampm"] or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    offset = None
    if g["sign"]:
        offset = int(g["zh"]) * 60 + int(g["zm"] or 0)
        if offset > 14 * 60:
            return None
        offset = -offset if g["sign"] == "-" else offset
    elif g["utc"]:
        offset = 0
    clock = (hour, minute, second, micro)
    if g["y"]:
        return _Parts(int(g["y"]), int(g["m"]), int(g["d"]), True, False, clock, bool(ampm), offset)
    year = int(g["year"])
    year = year + 2000 if year < 100 else year
    return _Parts(year, int(g["a"]), int(g["b"]), False, g["sep"] == ".", clock, bool(ampm), offset)


def _utc(parts: _Parts, day_first: bool) -> dt.datetime | None:
    """The moment, as naive UTC; None when there is no such day."""
    if parts.year_first:
        month, day = parts.first, parts.second
    elif parts.dotted or day_first:
        day, month = parts.first, parts.second
    else:
        month, day = parts.first, parts.second
    try:
        if parts.offset is None:
            local = dt.datetime(parts.year, month, day, *parts.clock)
            return local.astimezone(dt.UTC).replace(tzinfo=None)
        zone = dt.timezone(dt.timedelta(minutes=parts.offset))
        aware = dt.datetime(parts.year, month, day, *parts.clock, tzinfo=zone)
        return aware.astimezone(dt.UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class AnswerTimes:
    """Each row's answer time (naive UTC) or, for one that cannot be used, why."""

    times: list[dt.datetime | None]
    problems: list[str | None]
    """Per row: None, or what to tell the coordinator ("not understood", "in the future")."""
    reading: str | None
    """How day and month were read, when some value could be either ("day first, as
    13/10/2026 in row 9 shows"); None when no value was ambiguous."""


def read_answer_times(
    values: Sequence[tuple[str, str | None]],
    *,
    now: dt.datetime,
    what: str = "answer time",
    otherwise: str = "the sign-on is dated now",
) -> AnswerTimes:
    """``values``: (source, text) per row, text None where the row has none. ``now`` (naive
    UTC): an answer after it is refused. A problem names the value as ``what`` and says
    ``otherwise`` happens instead."""
    parts = [_parts(text) if text else None for _source, text in values]
    day_first, reading = _day_first(values, parts, now)
    times: list[dt.datetime | None] = []
    problems: list[str | None] = []
    for (_source, text), cut in zip(values, parts, strict=True):
        when = _utc(cut, day_first) if cut is not None else None
        problem = None
        if text and when is None:
            how = "" if cut is None or not _ambiguous(cut) else f" ({reading})"
            problem = f"{what} '{text}' not understood{how}; {otherwise}"
        elif when is not None and when > now:
            problem = f"{what} '{text}' is in the future; {otherwise}"
            when = None
        times.append(when)
        problems.append(problem)
    return AnswerTimes(times, problems, reading)


def days_phrase(times: Sequence[dt.datetime]) -> str:
    """The days some times fall on: "2026-10-01 to 2026-10-06", "2026-10-01" (``times``:
    not empty)."""
    first, last = min(times).date(), max(times).date()
    return first.isoformat() + ("" if first == last else f" to {last.isoformat()}")


def _ambiguous(parts: _Parts) -> bool:
    return not parts.year_first and not parts.dotted


def _day_first(
    values: Sequence[tuple[str, str | None]], parts: Sequence[_Parts | None], now: dt.datetime
) -> tuple[bool, str | None]:
    """Whether the file writes the day first, and why (None when nothing was ambiguous)."""
    cut = [(v, p) for v, p in zip(values, parts, strict=True) if p is not None and _ambiguous(p)]
    if not cut:
        return True, None
    days = [(v, p) for v, p in cut if p.first > 12 >= p.second]
    months = [(v, p) for v, p in cut if p.second > 12 >= p.first]
    if len(days) != len(months):
        (source, text), _p = (days if len(days) > len(months) else months)[0]
        first = len(days) > len(months)
        return first, f"{_order(first)}, as {text} in {source} shows"
    readings = {
        first: [_utc(p, first) for _v, p in cut]
        for first in (True, False)
    }  # fmt: skip
    future = {first: sum(1 for t in ts if t is None or t > now) for first, ts in readings.items()}
    if future[True] != future[False]:
        first = future[True] < future[False]
        return first, f"{_order(first)}: the other way, some would be impossible or yet to come"
    disorder = {first: _out_of_order(ts) for first, ts in readings.items()}
    if disorder[True] != disorder[False]:
        first = disorder[True] < disorder[False]
        return first, f"{_order(first)}: so the replies are in the order they came"
    if any(p.twelve_hour for _v, p in cut):
        return False, f"{_order(False)}, as US dates with AM/PM are written"
    return True, f"{_order(True)}: no row says otherwise"


def _order(day_first: bool) -> str:
    return "read day first (DD/MM/YYYY)" if day_first else "read month first (MM/DD/YYYY)"


def _out_of_order(times: Sequence[dt.datetime | None]) -> int:
    """How many times the next reply is earlier than the one before."""
    known = [t for t in times if t is not None]
    return sum(1 for a, b in itertools.pairwise(known) if b < a)


# --- mail tools' status files ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusMeaning:
    """What one status value says of a recipient: a mail tool's table maps its values here."""

    event: str
    """What the plan counts it as: one of ``EVENTS``, or "not sent"."""
    mailed: bool
    """The email went out to them: it is logged with the contact."""
    outcome: str | None = None
    """The logged email's outcome: "opened", "clicked", "responded", "bounced" …"""
    flag: str | None = None
    """Set on the contact: "bounced" or "do_not_contact" (one of ``FLAGS``)."""

    @property
    def reached(self) -> bool:
        """The email reached the recipient: with a campaign, it is their invitation."""
        return self.mailed and self.flag != "bounced"


@dataclass(frozen=True, slots=True)
class StatusRecord:
    """One row of a status file, as read."""

    source: str
    """Where it came from, for the plan: "row 12"."""
    address: str
    """The recipient as the file writes it ("" when the row has none)."""
    status: str
    """The status as the file writes it ("EMAIL_OPENED"); "" when the file has no status
    column (every row of a Mailchimp export of cleaned members is one)."""
    meaning: StatusMeaning | None
    """None: a status the tool's table does not know."""
    subject: str | None = None
    """The email's subject or campaign title, when the file names it."""
    at: str | None = None
    """When it happened, as the file writes it (a zone-less time is local, unless it ends
    with "UTC")."""
    note: str | None = None
    """What else the tool says (Mailchimp's reason for unsubscribing)."""
