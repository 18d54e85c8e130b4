"""The status files of mail-merge tools: which tool wrote a file, and what each row says.

One table, ``TOOLS``: for each file a tool writes, the headers that recognise it, the columns
holding the recipient, the status, the subject and the time, and what each status value
means (a ``StatusMeaning``: an email to log, with what the recipient did as its outcome, and
a flag to set). ``recognise`` finds a file's tool from its headers; ``read_statuses`` turns its
rows into ``StatusRecord``s. The domain (``domain/imports/statuses.py``) matches them to
contacts and writes; nothing here knows the database.

Where each format comes from:

- YAMM (Yet Another Mail Merge, a Google Sheets add-on) writes the status of each recipient
  into a "Merge status" column of the sheet merged from; the values and what they mean are
  those of YAMM's help article "Opened, clicked, bounced emails... What do our tracking stats
  mean?" (support.yet-another-mail-merge.com, article 115002286069; yamm.com/help): EMAIL_SENT,
  EMAIL_OPENED, EMAIL_CLICKED, RESPONDED, BOUNCED, UNSUBSCRIBED; NO_RECIPIENT marks a row whose
  recipient cell is empty, and a row not merged keeps an empty status. The recipient column is
  the sheet's own: "Email Address" in YAMM's template, "Email" in coalition's mail merge (any
  header the importer reads as an email address does). The sheet comes back as Google
  Sheets downloads it (CSV or XLSX). YAMM keeps the time of each status only as a note on the
  cell, which neither download carries, so its rows are dated when imported.
- Mailchimp's audience export is a zip of one CSV per status; the cleaned (bounced) and the
  unsubscribed members' files are recognised by the columns only they have: "CLEAN_TIME",
  "CLEAN_CAMPAIGN_TITLE" or "UNSUB_TIME", "UNSUB_CAMPAIGN_TITLE", "UNSUB_REASON", after the
  audience's fields ("Email Address", "First Name", "Last Name", …) and MEMBER_RATING,
  OPTIN_TIME … (Mailchimp's help on exporting an audience; the column sets as public
  importers of these files read them). Times are written "2026-11-05 14:03:22" in UTC. A
  member cleaned or unsubscribed without a campaign (by hand, by an import) had no email: only
  the flag is set.
- Thunderbird Mail Merge (the add-on by Alexander Bergmann) sends one message per row of a CSV
  or address book; the log it is read from here is a CSV of what was sent, one row per
  message: recipient ("To", "Recipient" or "Email"), "Subject", "Date" and "Status" ("sent",
  else not sent: "failed", "error …", a draft or a message left in the outbox). The add-on's
  own documentation does not describe such a log, so this is the shape its users keep, as the
  issue asking for it describes; the Date may be ISO, day-first or a mail header's date
  ("Thu, 05 Nov 2026 14:03:22 +0100").
"""

from __future__ import annotations

import email.utils
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from coalition.domain.imports import StatusMeaning, StatusRecord
from coalition.errors import FileProblem
from coalition.interchange.mapping import detect_target, fold_header

# What a status can mean (see ``StatusMeaning``).
SENT = StatusMeaning("sent", mailed=True)
OPENED = StatusMeaning("opened", mailed=True, outcome="opened")
CLICKED = StatusMeaning("clicked", mailed=True, outcome="clicked")
RESPONDED = StatusMeaning("responded", mailed=True, outcome="responded")
BOUNCED = StatusMeaning("bounced", mailed=True, outcome="bounced", flag="bounced")
UNSUBSCRIBED = StatusMeaning(
    "unsubscribed", mailed=True, outcome="unsubscribed", flag="do_not_contact"
)
NOT_SENT = StatusMeaning("not sent", mailed=False)


@dataclass(frozen=True)
class MailTool:
    """One kind of status file: how to recognise it, read it and understand its statuses.
    Headers are compared folded (``mapping.fold_header``: "CLEAN_TIME" is "clean time")."""

    key: str
    name: str
    """As a plan says it: "YAMM merge status sheet"."""
    requires: tuple[tuple[str, ...], ...]
    """The file is this tool's when, for each group, one of its headers is there."""
    recipient: tuple[str, ...]
    """The recipient's column, the first there; else any column read as an email address."""
    status: tuple[str, ...] = ()
    statuses: dict[str, StatusMeaning] = field(default_factory=dict)
    """Each status value (folded) and what it means; a value "failed: …" is read as its first
    word. An empty status means not sent."""
    every_row: StatusMeaning | None = None
    """For a file with one status for all its rows (no status column)."""
    subject: tuple[str, ...] = ()
    time: tuple[str, ...] = ()
    utc: bool = False
    """The tool writes its times in UTC, without saying so."""
    note: tuple[str, ...] = ()
    """Columns whose text goes into the logged email's notes (a reason for unsubscribing)."""
    mailed_without_subject: bool = True
    """False: a row naming no subject tells of no email (a Mailchimp member cleaned by hand),
    only of its flag."""


def _folded(*headers: str) -> tuple[str, ...]:
    return tuple(fold_header(h) for h in headers)


TOOLS: tuple[MailTool, ...] = (
    MailTool(
        key="mailchimp-cleaned",
        name="Mailchimp export of cleaned members",
        requires=(_folded("Email Address"), _folded("CLEAN_TIME", "CLEAN_CAMPAIGN_TITLE")),
        recipient=_folded("Email Address"),
        every_row=BOUNCED,
        subject=_folded("CLEAN_CAMPAIGN_TITLE"),
        time=_folded("CLEAN_TIME"),
        utc=True,
        mailed_without_subject=False,
    ),
    MailTool(
        key="mailchimp-unsubscribed",
        name="Mailchimp export of unsubscribed members",
        requires=(_folded("Email Address"), _folded("UNSUB_TIME", "UNSUB_CAMPAIGN_TITLE")),
        recipient=_folded("Email Address"),
        every_row=UNSUBSCRIBED,
        subject=_folded("UNSUB_CAMPAIGN_TITLE"),
        time=_folded("UNSUB_TIME"),
        utc=True,
        note=_folded("UNSUB_REASON", "UNSUB_REASON_OTHER"),
        mailed_without_subject=False,
    ),
    MailTool(
        key="yamm",
        name="YAMM merge status sheet",
        requires=(_folded("Merge status"),),
        recipient=_folded("Email Address", "Email"),
        status=_folded("Merge status"),
        statuses={
            "email sent": SENT,
            "email opened": OPENED,
            "email clicked": CLICKED,
            "responded": RESPONDED,
            "bounced": BOUNCED,
            "unsubscribed": UNSUBSCRIBED,
            "no recipient": NOT_SENT,
        },
    ),
    MailTool(
        key="thunderbird",
        name="Thunderbird Mail Merge log",
        requires=(
            _folded("To", "Recipient", "Email"),
            _folded("Subject"),
            _folded("Date", "Sent", "Time"),
            _folded("Status"),
        ),
        recipient=_folded("To", "Recipient", "Email"),
        status=_folded("Status"),
        statuses={
            "sent": SENT,
            "delivered": SENT,
            "ok": SENT,
            "failed": NOT_SENT,
            "error": NOT_SENT,
            "draft": NOT_SENT,
            "saved as draft": NOT_SENT,
            "queued": NOT_SENT,
            "outbox": NOT_SENT,
            "send later": NOT_SENT,
            "skipped": NOT_SENT,
        },
        subject=_folded("Subject"),
        time=_folded("Date", "Sent", "Time"),
    ),
)


def recognise(headers: Sequence[str]) -> MailTool | None:
    """The tool that wrote a file with these headers, or None for any other file."""
    have = {fold_header(h) for h in headers}
    for tool in TOOLS:
        if all(have & set(group) for group in tool.requires):
            return tool
    return None


@dataclass(frozen=True)
class Columns:
    """Where a file's values are: column indexes, -1 where the file has none."""

    recipient: int
    status: int
    subject: int
    time: int
    notes: tuple[int, ...]

    def named(self, headers: Sequence[str]) -> dict[str, str]:
        """Each role and its header, for the plan and the batch."""
        found = {
            "recipient": self.recipient,
            "status": self.status,
            "subject": self.subject,
            "time": self.time,
        }
        named = {role: headers[i] for role, i in found.items() if i >= 0}
        if self.notes:
            named["notes"] = ", ".join(headers[i] for i in self.notes)
        return named


def columns(tool: MailTool, headers: Sequence[str], file_name: str) -> Columns:
    """Where ``tool``'s values are among ``headers``; a file without a recipient column is
    refused."""
    folded = [fold_header(h) for h in headers]

    def first(names: tuple[str, ...]) -> int:
        return next((folded.index(n) for n in names if n in folded), -1)

    recipient = first(tool.recipient)
    if recipient < 0:  # the column any import reads as an address ("E-mail", "Courriel" …)
        recipient = next(
            (i for i, h in enumerate(headers) if _target(h) == "email"),
            -1,
        )
    if recipient < 0:
        raise FileProblem(
            f"{file_name} looks like a {tool.name} but has no column of recipients' addresses "
            f"(such as {headers_phrase(tool.recipient, headers)}); name that column Email."
        )
    return Columns(
        recipient,
        first(tool.status),
        first(tool.subject),
        first(tool.time),
        tuple(i for i, h in enumerate(folded) if h in tool.note),
    )


def _target(header: str) -> str:
    """The field a header means, without its label ("email:work" is "email")."""
    return (detect_target(header) or "").partition(":")[0]


def headers_phrase(names: tuple[str, ...], headers: Sequence[str]) -> str:
    """The first expected header as the file would write it, for a message."""
    return next((h for h in headers if fold_header(h) in names), names[0].title())


def meaning(tool: MailTool, status: str) -> StatusMeaning | None:
    """What a status value means to ``tool``; None when it is not one it writes."""
    if tool.every_row is not None:
        return tool.every_row
    key = fold_header(status)
    if not key:
        return NOT_SENT
    found = tool.statuses.get(key)
    if found is None:  # "failed: 550 mailbox unavailable", "error - timeout"
        found = tool.statuses.get(fold_header(status.split(":")[0].split(" - ")[0]))
    return found


def read_statuses(
    tool: MailTool, where: Columns, rows: Iterable[tuple[int, list[str]]]
) -> list[StatusRecord]:
    """Each row (number, cells) as a ``StatusRecord``."""
    records = []
    for number, values in rows:
        width = len(values)

        def cell(index: int, values: list[str] = values, width: int = width) -> str:
            return values[index] if 0 <= index < width else ""

        status = cell(where.status)
        found = meaning(tool, status)
        subject = cell(where.subject) or None
        if found is not None and found.mailed and not subject and not tool.mailed_without_subject:
            found = replace(found, mailed=False)
        note = "; ".join(v for v in (cell(i) for i in where.notes) if v) or None
        records.append(
            StatusRecord(
                source=f"row {number}",
                address=cell(where.recipient),
                status=status,
                meaning=found,
                subject=subject,
                at=_time(cell(where.time), utc=tool.utc),
                note=note,
            )
        )
    return records


def _time(text: str, *, utc: bool) -> str | None:
    """A time as the domain reads it: a mail header's date ("Thu, 05 Nov 2026 14:03:22 +0100")
    becomes ISO with its offset; a tool that writes UTC gets it said."""
    if not text:
        return None
    if any(c.isalpha() for c in text):  # a month's name: a mail header's date?
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.isoformat(sep=" ")
    return f"{text} UTC" if utc else text
