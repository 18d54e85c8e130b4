"""Files out: mail-merge lists and the published signatory list.

Every file is written to a temporary name beside its target and renamed into
place only when complete, so an interrupted export never leaves half a file
where the last good one was; the file is private (0600) and never written through
a symlink (``coalition.safefile``). The signatory list, though meant to be
published, is written privately too: the coordinator shares it on purpose.
Spreadsheet cells go through ``interchange.safety``: in CSV a value a
spreadsheet would run as a formula is prefixed with an apostrophe; in XLSX every
value is stored as a string or a number, never as a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import html.entities
import json
import math
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any

from coalition.domain.audit import work
from coalition.domain.exports import (
    OutreachLog,
    OutreachLogging,
    Recipient,
    RecipientFilter,
    Signatory,
    SignatoryList,
    recipient_stream,
)
from coalition.errors import FileProblem, InvalidValue
from coalition.interchange.safety import cell_starts, safe_text
from coalition.safefile import PrivateFile, private_file, staged
from coalition.store.database import Database

MAILMERGE_COLUMNS = [
    "Email",
    "Salutation",
    "GivenName",
    "FamilyName",
    "FullName",
    "Organisation",
    "Role",
    "Country",
    "Language",
    "CampaignStatus",
    "InvitedOn",
    "DisplayName",
]
# The same columns under the names a mail tool expects (the cells do not change, nor their
# order). Mailchimp's import matches each column to an audience field by its header: "Email
# Address", "First Name" and "Last Name" are a new audience's own fields, the other headers
# become text merge fields, and the columns may come in any order (Mailchimp help, "Format
# Guidelines for Your Import File"). YAMM's merge markers are the sheet's first row, whatever
# it says, and "Email Address" is the column it sends to unless told otherwise (YAMM's
# template sheet; YAMM help). Thunderbird Mail Merge reads a CSV's headers as the {{Name}}
# variables of the draft, {{Email}} in its To field: the default columns, without spaces
# (the add-on's description on addons.thunderbird.net).
_SPACED = [
    "Email Address",
    "Salutation",
    "First Name",
    "Last Name",
    "Full Name",
    "Organisation",
    "Role",
    "Country",
    "Language",
    "Campaign Status",
    "Invited On",
    "Display Name",
]
MAILMERGE_PRESETS: dict[str, list[str]] = {
    "mailchimp": _SPACED,
    "yamm": _SPACED,
    "thunderbird": MAILMERGE_COLUMNS,
}
"""A mail tool's name and the headers of its mail merge (``MAILMERGE_COLUMNS`` renamed)."""
TABLE_FORMATS = (".csv", ".xlsx")
SIGNATORY_FORMATS = (".html", ".htm", ".md", ".csv", ".xlsx", ".txt", ".json")


def atomic_path(target: Path, *, binary: bool = False) -> AbstractContextManager[IO[Any]]:
    """Write to a private temporary file in the target's folder; rename it over the target
    on success (``safefile.private_file``: 0600, never through a symlink, removed on
    failure, a killed run's leftovers cleaned by the next write there)."""
    return private_file(target, binary=binary)


@contextmanager
def _written(target: Path, into: PrivateFile | None, *, binary: bool) -> Iterator[IO[Any]]:
    """``atomic_path(target)``, or, with ``into``, the staged file that its owner commits."""
    if into is None:
        with private_file(target, binary=binary) as handle:
            yield handle
        return
    handle = into.open(binary=binary)
    yield handle
    into.close()


def write_mailmerge(
    path: str | os.PathLike[str],
    recipients: Iterable[Recipient],
    *,
    excel: bool = False,
    delimiter: str = ",",
    headers: Sequence[str] = MAILMERGE_COLUMNS,
    into: PrivateFile | None = None,
) -> int:
    """The mail-merge list in .csv or .xlsx; returns the number of recipients written.
    ``headers``: the columns' names (a ``MAILMERGE_PRESETS`` entry); ``into``: see
    ``write_table``."""
    if Path(path).suffix.lower() == ".csv":
        rows: Iterable[Sequence[Any]] = map(recipient_text, recipients)
    else:
        rows = map(recipient_row, recipients)
    return write_table(path, headers, rows, excel=excel, delimiter=delimiter, into=into)


def preset_headers(preset: str | None) -> list[str]:
    """The mail merge's headers for a mail tool (None: coalition's own)."""
    if preset is None:
        return MAILMERGE_COLUMNS
    if preset not in MAILMERGE_PRESETS:
        raise InvalidValue(
            f"There is no preset '{preset}'; use one of: {', '.join(MAILMERGE_PRESETS)}."
        )
    return MAILMERGE_PRESETS[preset]


@dataclass(frozen=True)
class MailMergeWritten:
    """What ``mail_merge`` wrote, and what it logged."""

    target: Path
    count: int
    left_out: dict[str, int]
    logged: OutreachLog | None = None
    log_subject: str | None = None
    organisations: int = 0
    """Rows, among ``count``, at an organisation's own address."""

    def summary(self) -> str:
        """ "Wrote 12 recipients to invitations.csv. Left out: 2 bounced. Logged …" """
        skipped = ", ".join(f"{n} {why}" for why, n in self.left_out.items())
        text = f"Wrote {_plural(self.count, 'recipient')} to {self.target}."
        if self.organisations == 1:
            text += " Of these, 1 is an organisation's own address."
        elif self.organisations:
            text += f" Of these, {self.organisations} are organisations' own addresses."
        if skipped:
            text += f" Left out: {skipped}."
        if self.logged is not None:
            text += (
                f" Logged '{self.log_subject}' for {_plural(self.logged.logged, 'recipient')}; "
                f"{_plural(self.logged.invited, 'organisation')} moved to invited."
            )
            if self.logged.closed:
                text += f" Closed {_plural(self.logged.closed, 'earlier follow-up')}."
        return text


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def mail_merge(
    db: Database,
    coordinator: str,
    target: Path,
    wanted: RecipientFilter,
    *,
    excel: bool = False,
    delimiter: str = ",",
    log_subject: str | None = None,
    preset: str | None = None,
    keep_followups: bool = False,
) -> MailMergeWritten:
    """The mail merge a coordinator sends: the recipients ``wanted`` written to ``target``
    (.csv or .xlsx) and, with ``log_subject``, the email logged with each of them (moving
    a campaign's prospects, and organisations not in it yet, to invited). The command
    line and the app both come here.

    The list is streamed: each recipient is written as it is read. With a log, it is
    read, logged and written inside one unit of work, each recipient logged as it
    passes and written as the log leaves it (*invited*, invited today); the file is
    complete under a temporary name before the unit of work commits, and takes its
    place only once it has: a file on disk always has its log, a failed log or file
    leaves neither, and the file shows what an export run after it would show. ``preset``
    names the columns as a mail tool expects them (``MAILMERGE_PRESETS``). The logged email
    closes the recipients' earlier open follow-ups about its campaign or about none, as
    ``coalition log`` does, unless ``keep_followups``."""
    headers = preset_headers(preset)
    if target.suffix.lower() not in TABLE_FORMATS:
        raise FileProblem(f"{target.name}: write a .csv or .xlsx file.")
    if len(delimiter) != 1:
        raise FileProblem("The CSV separator is one character, such as , or ;.")
    if log_subject is None:
        with db.read_session() as session:
            found = recipient_stream(session, wanted)
            count = write_mailmerge(
                target, found, excel=excel, delimiter=delimiter, headers=headers
            )
        left_out = dict(sorted(found.left_out.items()))
        return MailMergeWritten(target, count, left_out, organisations=found.organisations)
    with staged(target) as pending:
        with work(db, coordinator) as unit:
            found = recipient_stream(unit.session, wanted)
            outreach = OutreachLogging(
                unit, log_subject, found.campaign_id, keep_followups=keep_followups
            )
            count = write_mailmerge(
                target,
                outreach.passing(found),
                excel=excel,
                delimiter=delimiter,
                headers=headers,
                into=pending,
            )
            logged = outreach.finish()
        pending.commit()
    left_out = dict(sorted(found.left_out.items()))
    return MailMergeWritten(
        target, count, left_out, logged, log_subject, organisations=found.organisations
    )


def recipient_text(r: Recipient) -> tuple[str, ...]:
    """A recipient's mail-merge cells as text, the way a CSV holds them."""
    # Unpacked rather than read by name: twice as fast, once per row of a big export.
    # A Recipient's first twelve fields are the mail-merge columns, in order.
    (
        email, salutation, given, family, full, org, role, country, language, status,
        invited, shown, _contact_id, _organisation_id,
    ) = r  # fmt: skip
    return (
        email,
        salutation,
        given or "",
        family or "",
        full,
        org or "",
        role or "",
        country or "",
        language or "",
        status or "",
        invited.isoformat() if invited else "",
        shown or "",
    )


def recipient_row(r: Recipient) -> list[Any]:
    return [
        r.email,
        r.salutation,
        r.given_name or "",
        r.family_name or "",
        r.full_name,
        r.organisation or "",
        r.role or "",
        r.country or "",
        r.language or "",
        r.campaign_status or "",
        r.invited_on,
        r.display_name or "",
    ]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_table(
    path: str | os.PathLike[str],
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    excel: bool = False,
    delimiter: str = ",",
    sheet_title: str = "Export",
    into: PrivateFile | None = None,
) -> int:
    """Write rows to .csv or .xlsx (chosen by the suffix); returns the number of rows.
    ``into``: a staged file to write instead (closed, not renamed: its owner commits it)."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".csv":
        return _write_csv(target, headers, rows, excel=excel, delimiter=delimiter, into=into)
    if suffix == ".xlsx":
        return _write_xlsx(target, headers, rows, sheet_title, into=into)
    raise FileProblem(f"{target.name}: write a .csv or .xlsx file.")


def _write_csv(
    target: Path,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    excel: bool,
    delimiter: str,
    into: PrivateFile | None = None,
) -> int:
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise FileProblem("--delimiter takes one character, such as ; or a tab.")
    count = 0
    plain = _PlainRows(delimiter)
    with _written(target, into, binary=False) as handle:
        if excel:
            handle.write("\ufeff")
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(headers)
        # Most rows are text that needs neither quoting nor neutralising: those are
        # joined and written as csv.writer would write them (a test holds the two to
        # the same bytes), tested a chunk at a time by a few searches of C code over
        # the chunk's text. A chunk that fails is halved until the rows that need
        # csv.writer, cell by cell, are found; the others keep the fast path.
        rows = iter(rows)
        while chunk := list(islice(rows, _CHUNK)):
            count += len(chunk)
            plain.write(handle, writer, chunk)
    return count


_CHUNK = 512
"""Rows tested together: large enough that the per-chunk calls cost nothing, small
enough that a row needing quotes sends few others down the halving path."""


class _PlainRows:
    """Writes rows of text the way csv.writer does, testing many rows at once."""

    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter
        self.join = delimiter.join
        self.unsafe = cell_starts(delimiter).search

    def text(self, chunk: list[Sequence[Any]]) -> str | None:
        """The CSV text of ``chunk`` (each row ended by CRLF), if every row is cells of
        text that csv.writer would write unquoted and safe_text would leave alone."""
        try:
            lines = list(map(self.join, chunk))
        except TypeError:  # a number, a date, None...
            return None
        delimiter = self.delimiter
        # The chunk's cells in one line, each after a delimiter: a cell holding the
        # delimiter shows as one delimiter too many; the cell_starts search sees every
        # cell's start, the first of each row included.
        cells = delimiter + delimiter.join(lines)
        if (
            cells.count(delimiter) != sum(map(len, chunk))
            or "" in lines  # csv.writer writes a lone empty cell as ""
            or '"' in cells
            or "\r" in cells
            or "\n" in cells
            or self.unsafe(cells) is not None
        ):
            return None
        lines.append("")
        return "\r\n".join(lines)

    def write(self, handle: IO[str], writer: Any, chunk: list[Sequence[Any]]) -> None:
        text = self.text(chunk)
        if text is not None:
            handle.write(text)
        elif len(chunk) > 8:
            half = len(chunk) // 2
            self.write(handle, writer, chunk[:half])
            self.write(handle, writer, chunk[half:])
        else:
            for row in chunk:
                line = self.text([row])
                if line is not None:
                    handle.write(line)
                else:
                    writer.writerow([_csv_cell(v) for v in row])


def _csv_cell(value: Any) -> str:
    if type(value) is str:
        return safe_text(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)  # numbers (also negative) stay numbers
    return safe_text(_text(value))


def _write_xlsx(
    target: Path,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    title: str,
    *,
    into: PrivateFile | None = None,
) -> int:
    """One sheet: the header row bold on a tinted fill and frozen, an autofilter over
    the table, columns as wide as their content (up to 60 characters).

    The parts of the workbook are written directly, as openpyxl's write-only mode
    writes them (inline strings; no cell is ever a formula, so text such as
    "=HYPERLINK(...)" stays text), but a row at a time instead of an XML element
    at a time: openpyxl took 15 s for a 100,000-row mail merge. The rows go to a
    temporary file as they come, because the column widths, which precede them
    in the sheet, are known only at the end; memory stays flat.
    """
    width = len(headers)
    widths = [len(h) for h in headers]
    letters = [_column_letter(i) for i in range(max(width, 1))]
    count = 0
    with tempfile.TemporaryFile() as sheet_data:
        parts = ['<row r="1">']
        parts.extend(
            f'<c r="{letters[i]}1" s="1" t="inlineStr"><is>{_xml_t(h)}</is></c>'
            for i, h in enumerate(headers)
        )
        parts.append("</row>")
        append = parts.append
        special = _XML_SPECIAL.search
        for row in rows:
            count += 1
            n = count + 1
            append(f'<row r="{n}">')
            if len(row) > len(letters):
                letters.extend(_column_letter(i) for i in range(len(letters), len(row)))
            for i, value in enumerate(row):
                if value.__class__ is str:
                    if not value:
                        continue
                    size = len(value)
                    if (
                        special(value) is not None
                        or value[0] in _XML_BLANKS
                        or value[-1] in _XML_BLANKS
                    ):
                        append(f'<c r="{letters[i]}{n}" t="inlineStr"><is>{_xml_t(value)}</is></c>')
                    else:
                        append(f'<c r="{letters[i]}{n}" t="inlineStr"><is><t>{value}</t></is></c>')
                elif value is None:
                    continue
                else:
                    size = len(_text(value))
                    append(_xlsx_cell(f"{letters[i]}{n}", value))
                if i < width and size > widths[i]:
                    widths[i] = size
            append("</row>")
            if len(parts) > 20_000:
                sheet_data.write("".join(parts).encode("utf-8"))
                parts.clear()
        sheet_data.write("".join(parts).encode("utf-8"))
        last = f"{letters[max(width, 1) - 1]}{count + 1}"
        name = _sheet_name(title)
        columns = "".join(
            f'<col min="{i}" max="{i}" width="{min(w, 60) + 2}" customWidth="1"/>'
            for i, w in enumerate(widths, 1)
        )
        sheet_head = (
            f'{_XML_DECLARATION}<worksheet xmlns="{_SHEET_NS}">'
            f'<dimension ref="A1:{last}"/>'
            '<sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
            '</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{columns}</cols>" if columns else "")
            + "<sheetData>"
        )
        sheet_tail = (
            f'</sheetData><autoFilter ref="A1:{last}"/>'
            '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
            "</worksheet>"
        )
        workbook = _WORKBOOK.format(
            name=_xml_text(name).replace('"', "&quot;"),
            filter=_xml_text("'" + name.replace("'", "''") + "'!$A$1:" + _absolute(last)),
        )
        with (
            _written(target, into, binary=True) as handle,
            zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book,
        ):
            for part, text in _XLSX_PARTS.items():
                book.writestr(part, text)
            book.writestr("xl/workbook.xml", workbook)
            with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
                sheet.write(sheet_head.encode("utf-8"))
                sheet_data.seek(0)
                shutil.copyfileobj(sheet_data, sheet, 1 << 20)
                sheet.write(sheet_tail.encode("utf-8"))
    return count


def _xlsx_cell(ref: str, value: Any) -> str:
    """A cell that is not a plain string: a number, a truth value, a date, or text."""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float) and math.isfinite(value):
        return f'<c r="{ref}" t="n"><v>{value!r}</v></c>'
    if isinstance(value, dt.datetime):
        return f'<c r="{ref}" s="3" t="n"><v>{_serial(value)}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="2" t="n"><v>{_serial(value)}</v></c>'
    text = str(value)
    return f'<c r="{ref}" t="inlineStr"><is>{_xml_t(text)}</is></c>' if text else ""


def _serial(value: dt.date) -> float | int:
    """A date as a spreadsheet serial number (days since 1899-12-30, with the 1900 leap
    year that never was, as Excel and openpyxl count)."""
    if isinstance(value, dt.datetime):
        moment = value.replace(tzinfo=None)
        days = (moment.date() - _EPOCH).days
        day = moment - dt.datetime.combine(moment.date(), dt.time())
        fraction: float = day.total_seconds() / 86400
    else:
        days, fraction = (value - _EPOCH).days, 0
    if 0 < days <= 60:
        days -= 1
    return days + fraction if fraction else days


def _xml_t(text: str) -> str:
    """A <t> element for text: escaped, control characters XML cannot hold dropped,
    leading or trailing blanks kept."""
    text = (
        _XML_ILLEGAL.sub("", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    )
    if text[:1] in _XML_BLANKS or text[-1:] in _XML_BLANKS:
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


def _xml_text(text: str) -> str:
    return (
        _XML_ILLEGAL.sub("", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    )


def _column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _absolute(ref: str) -> str:
    """L95 -> $L$95."""
    digits = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return f"${ref[: len(ref) - len(digits)]}${digits}"


def _sheet_name(title: str) -> str:
    """A name Excel accepts for a sheet: up to 31 characters, none of []:*?/\\."""
    name = "".join("_" if ch in "[]:*?/\\" else ch for ch in _XML_ILLEGAL.sub("", title))
    return name.strip("'")[:31] or "Export"


_EPOCH = dt.date(1899, 12, 30)
# Text that needs escaping in XML or cannot be in XML at all, or holds a line break.
_XML_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\n\r\ufffe\uffff]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_BLANKS = " \t\n\r"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_WORKBOOK = (
    _XML_DECLARATION + f'<workbook xmlns="{_SHEET_NS}" xmlns:r="{_REL_NS}">'
    '<workbookPr/><bookViews><workbookView activeTab="0"/></bookViews>'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets>'
    '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
    "{filter}</definedName></definedNames>"
    '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
)
_XLSX_PARTS = {
    "[Content_Types].xml": _XML_DECLARATION
    + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>",
    "_rels/.rels": _XML_DECLARATION + f'<Relationships xmlns="{_PACKAGE_RELS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>",
    "xl/_rels/workbook.xml.rels": _XML_DECLARATION + f'<Relationships xmlns="{_PACKAGE_RELS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/>'
    "</Relationships>",
    # Styles by index: 0 plain, 1 the header (bold, tinted, centred vertically),
    # 2 a date, 3 a date and time.
    "xl/styles.xml": _XML_DECLARATION + f'<styleSheet xmlns="{_SHEET_NS}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd h:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b val="1"/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDE7F0"/>'
    '<bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" '
    'applyFill="1" applyAlignment="1"><alignment vertical="center"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>",
}


# --- the signatory list ----------------------------------------------------------------------


def write_signatories(path: str | os.PathLike[str], listing: SignatoryList, today: dt.date) -> None:
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in SIGNATORY_FORMATS:
        raise FileProblem(f"{target.name}: write .html, .md, .csv, .xlsx, .txt or .json.")
    if suffix in (".csv", ".xlsx"):
        grouped = any(g.label for g in listing.groups)
        headers = ["Group"] if grouped else []
        headers += ["Signatory", "Country", "Signed on", "Website"]
        rows: list[list[Any]] = [
            ([g.label] if grouped else [])
            + [s.name, s.country_name or "", s.signed_on, s.website or ""]
            for g in listing.groups
            for s in g.signatories
        ]
        write_table(target, headers, rows, sheet_title="Signatories")
        return
    writer = {".html": _html, ".htm": _html, ".md": _markdown, ".txt": _plain, ".json": _json}
    text = writer[suffix](listing, today)
    with atomic_path(target) as handle:
        handle.write(text)


def _count(n: int) -> str:
    return f"{n} signator{'y' if n == 1 else 'ies'}"


def _html(listing: SignatoryList, today: dt.date) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(listing.campaign_name)} — signatories</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.5}h2{margin-top:2rem}ul{padding-left:1.2rem}"
        ".meta{color:#555}</style>",
        "</head><body>",
        f"<h1>{e(listing.campaign_name)}</h1>",
    ]
    if listing.link:
        parts.append(f'<p><a href="{e(listing.link, quote=True)}">Read the statement</a></p>')
    parts.append(f'<p class="meta">{_count(listing.total)}, as of {today.isoformat()}.</p>')
    for group in listing.groups:
        if group.label:
            parts.append(f"<h2>{e(group.label)} ({len(group.signatories)})</h2>")
        parts.append("<ul>")
        parts.extend(f"<li>{_html_signatory(s)}</li>" for s in group.signatories)
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _html_signatory(signatory: Signatory) -> str:
    """A signatory's name, linked to its website when it has one (http or https only)."""
    name = html.escape(signatory.name)
    if not signatory.website:
        return name
    href = html.escape(signatory.website, quote=True)
    return f'<a href="{href}" rel="nofollow noopener">{name}</a>'


def _json(listing: SignatoryList, today: dt.date) -> str:
    """The list for a web page to draw: the campaign, then each group's signatories."""
    data = {
        "campaign": listing.campaign_code,
        "name": listing.campaign_name,
        "link": listing.link,
        "as_of": today.isoformat(),
        "total": listing.total,
        "groups": [
            {
                "label": group.label or None,
                "signatories": [
                    {
                        "name": s.name,
                        "country": s.country,
                        "country_name": s.country_name,
                        "kind": s.kind,
                        "signed_on": s.signed_on.isoformat() if s.signed_on else None,
                        "website": s.website,
                    }
                    for s in group.signatories
                ],
            }
            for group in listing.groups
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _md_escape(text: str, *, block: bool = False, heading: bool = False) -> str:
    """``text`` as Markdown that renders as ``text``: on one line, with a backslash only
    before what CommonMark, GitHub's Markdown (strikethrough, autolinks, task lists,
    footnotes) or a math extension would read as markup where it stands, so that
    "e-Enfance" stays "e-Enfance" and "[EU] *Test*" shows its brackets and stars.

    ``block``: the text starts a block (a list item's text), where "# ", "- ", "1. ",
    ">" or "---" would start a heading, a list, a quote or a rule. ``heading``: the text
    is an ATX heading's, which a closing run of "#" would lose.
    """
    text = _MD_BLANKS.sub(" ", text).strip()  # a line break would end the list item
    marked = {i for i, ch in enumerate(text) if _md_marks(text, i, ch)}
    if block:
        opening = _MD_BLOCK_START.match(text)
        if opening:
            marked.add(opening.start(opening.lastgroup or 0))
    if heading:
        closing = _MD_HEADING_CLOSE.search(text)
        if closing:
            marked.add(closing.start(1))
    return "".join("\\" + ch if i in marked else ch for i, ch in enumerate(text))


def _md_marks(text: str, i: int, ch: str) -> bool:
    """Whether the character at ``i`` would be read as markup (or start some)."""
    if ch not in _MD_SPECIAL:
        return False
    after = text[i + 1] if i + 1 < len(text) else " "
    if ch in "`[$":  # code, a link, footnote or task box, math
        return True
    if ch == "\\":  # an escape of what follows, or a hard line break at the end
        return after in _ASCII_PUNCTUATION or i + 1 == len(text)
    if ch == "<":  # a tag, an autolink, a comment
        return after.isascii() and (after.isalpha() or after in "/!?")
    if ch == "&":  # an entity: &amp; &#38; &#x26;
        return _is_entity(text, i)
    if ch == "/":  # an autolink: http://…, //…
        return after == "/"
    if ch == "@":  # an email autolink or a mention
        return after.isascii() and after.isalnum()
    if ch == ".":  # www. starts an autolink on GitHub
        return text[max(i - 3, 0) : i].lower() == "www" and (i == 3 or not text[i - 4].isalnum())
    # * _ ~ make emphasis and strikethrough; a run between spaces never does, nor "_"
    # within a word (snake_case).
    run_start, run_end = i, i
    while run_start and text[run_start - 1] == ch:
        run_start -= 1
    while run_end + 1 < len(text) and text[run_end + 1] == ch:
        run_end += 1
    before = text[run_start - 1] if run_start else " "
    after = text[run_end + 1] if run_end + 1 < len(text) else " "
    if before == " " and after == " ":
        return False
    return not (ch == "_" and before.isalnum() and after.isalnum())


def _is_entity(text: str, i: int) -> bool:
    """Whether "&…;" at ``i`` is one Markdown turns into a character."""
    found = _MD_ENTITY.match(text, i)
    if found is None:
        return False
    name = found.group(1)
    return name.startswith("#") or f"{name};" in html.entities.html5


_MD_BLANKS = re.compile("[ \t\r\n\f\v]+")
_MD_SPECIAL = frozenset("\\`[$<&/@.*_~")
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_MD_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});")
# What starts a block at the start of a list item's text: a heading, a list item, a
# quote, a rule ("--" too: after the item's "- " it makes "- --"), a fence. The named
# group is the character to escape.
_MD_BLOCK_START = re.compile(
    r"(?P<h>#{1,6})(?: |$)|(?P<b>[-+*])(?: |$)|(?P<q>>)|[0-9]{1,9}(?P<o>[.)])(?: |$)"
    r"|(?P<r>[-*_])(?: *(?P=r))+ *$|(?P<f>~)~~"
)
_MD_HEADING_CLOSE = re.compile(r"(?:^| )(#+)$")


def _markdown(listing: SignatoryList, today: dt.date) -> str:
    lines = [f"# {_md_escape(listing.campaign_name, heading=True)}", ""]
    if listing.link:
        lines += [f"<{listing.link}>", ""]
    lines += [f"{_count(listing.total)}, as of {today.isoformat()}.", ""]
    for group in listing.groups:
        if group.label:
            title = f"{group.label} ({len(group.signatories)})"
            lines += [f"## {_md_escape(title, heading=True)}", ""]
        lines += [f"- {_md_escape(s.name, block=True)}" for s in group.signatories]
        lines.append("")
    return "\n".join(lines)


def _plain(listing: SignatoryList, today: dt.date) -> str:
    lines = [listing.campaign_name, ""]
    if listing.link:
        lines += [listing.link, ""]
    lines += [f"{_count(listing.total)}, as of {today.isoformat()}.", ""]
    for group in listing.groups:
        if group.label:
            lines += [f"{group.label} ({len(group.signatories)})", ""]
        lines += [s.name for s in group.signatories]
        lines.append("")
    return "\n".join(lines)


# --- lists for spreadsheets ------------------------------------------------------------------

# Headers chosen so that `coalition import` maps them back (tests/test_exports.py).
CONTACT_COLUMNS: dict[str, Any] = {
    "id": lambda c: c.id,
    "display_name": lambda c: c.display_name,
    "honorific": lambda c: c.honorific,
    "given_name": lambda c: c.given_name,
    "family_name": lambda c: c.family_name,
    "role": lambda c: c.role,
    "organisation": lambda c: c.organisation,
    "email": lambda c: c.emails[0].address if c.emails else None,
    "email_2": lambda c: c.emails[1].address if len(c.emails) > 1 else None,
    "phone": lambda c: c.phones[0].number if c.phones else None,
    "phone_2": lambda c: c.phones[1].number if len(c.phones) > 1 else None,
    "language": lambda c: c.language,
    "street": lambda c: c.street,
    "postal_code": lambda c: c.postal_code,
    "address_city": lambda c: c.city,
    "region": lambda c: c.region,
    "address_country": lambda c: c.country,
    # "; " because a tag may hold a comma, and the importer splits on ";" first.
    "tags": lambda c: "; ".join(c.tags),
    "notes": lambda c: c.notes,
    "do_not_contact": lambda c: c.do_not_contact,
    "bounced": lambda c: c.bounced,
}
ORGANISATION_COLUMNS: dict[str, Any] = {
    "organisation_id": lambda o: o.id,
    "organisation": lambda o: o.name,
    "acronym": lambda o: o.acronym,
    "kind": lambda o: o.kind,
    "country": lambda o: o.country,
    "city": lambda o: o.city,
    "website": lambda o: o.website,
    "generic_email": lambda o: o.email,
    "organisation_phone": lambda o: o.phone,
    "membership": lambda o: o.membership,
    "member_since": lambda o: o.member_since,
    "tags": lambda o: "; ".join(o.tags),
    "contacts": lambda o: o.contact_count,
    "organisation_notes": lambda o: o.notes,
}


def choose_columns(available: dict[str, Any], wanted: Sequence[str]) -> list[str]:
    if not wanted:
        return list(available)
    unknown = [w for w in wanted if w not in available]
    if unknown:
        raise FileProblem(
            f"Unknown column(s): {', '.join(unknown)}; choose from {', '.join(available)}."
        )
    return list(wanted)
