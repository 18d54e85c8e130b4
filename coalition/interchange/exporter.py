"""Files out: mail-merge lists and the published signatory list.

Every file is written to a temporary name beside its target and renamed into
place only when complete, so an interrupted export never leaves half a file
where the last good one was. Spreadsheet cells go through
``interchange.safety``: in CSV a value a spreadsheet would run as a formula is
prefixed with an apostrophe; in XLSX every value is stored as a string or a
number, never as a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from coalition.domain.exports import Recipient, SignatoryList
from coalition.errors import FileProblem
from coalition.interchange.safety import cell_starts, safe_text

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
TABLE_FORMATS = (".csv", ".xlsx")
SIGNATORY_FORMATS = (".html", ".htm", ".md", ".csv", ".xlsx", ".txt")


@contextmanager
def atomic_path(target: Path, *, binary: bool = False) -> Iterator[IO[Any]]:
    """Write to a temporary file in the target's folder; rename over the target on success."""
    folder = target.parent
    if not folder.is_dir():
        raise FileProblem(f"The folder {folder} does not exist; create it or choose another path.")
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=folder)
    try:
        mode = "wb" if binary else "w"
        kwargs: dict[str, Any] = {} if binary else {"newline": "", "encoding": "utf-8"}
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_mailmerge(
    path: str | os.PathLike[str],
    recipients: Iterable[Recipient],
    *,
    excel: bool = False,
    delimiter: str = ",",
) -> int:
    """The mail-merge list in .csv or .xlsx; returns the number of recipients written."""
    if Path(path).suffix.lower() == ".csv":
        rows: Iterable[Sequence[Any]] = map(recipient_text, recipients)
    else:
        rows = map(recipient_row, recipients)
    return write_table(path, MAILMERGE_COLUMNS, rows, excel=excel, delimiter=delimiter)


def recipient_text(r: Recipient) -> tuple[str, ...]:
    """A recipient's mail-merge cells as text, the way a CSV holds them."""
    # Unpacked rather than read by name: twice as fast, once per row of a big export.
    # A Recipient's first twelve fields are the mail-merge columns, in order.
    (
        email, salutation, given, family, full, org, role, country, language, status,
        invited, shown,
    ) = r[:12]  # fmt: skip
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
) -> int:
    """Write rows to .csv or .xlsx (chosen by the suffix); returns the number of rows."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".csv":
        return _write_csv(target, headers, rows, excel=excel, delimiter=delimiter)
    if suffix == ".xlsx":
        return _write_xlsx(target, headers, rows, sheet_title)
    raise FileProblem(f"{target.name}: write a .csv or .xlsx file.")


def _write_csv(
    target: Path,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    excel: bool,
    delimiter: str,
) -> int:
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise FileProblem("--delimiter takes one character, such as ; or a tab.")
    count = 0
    unsafe = cell_starts(delimiter).search
    with atomic_path(target) as handle:
        if excel:
            handle.write("\ufeff")
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(headers)
        # Most rows are text that needs neither quoting nor neutralising: those are
        # joined and written in batches, exactly as csv.writer would write them (a
        # test holds the two to the same bytes). One join and a few searches per row
        # replace a call per cell; anything else goes through csv.writer cell by cell.
        batch: list[str] = []
        for row in rows:
            count += 1
            try:
                line = delimiter.join(row)
            except TypeError:  # a number, a date, None...
                line = None
            if (
                line is not None
                and line.count(delimiter) == len(row) - 1  # no cell holds the delimiter
                and '"' not in line
                and "\r" not in line
                and "\n" not in line
                and unsafe(delimiter + line) is None
                and (line or len(row) > 1)  # csv.writer writes a lone empty cell as ""
            ):
                batch.append(line)
                if len(batch) == 1000:
                    batch.append("")
                    handle.write("\r\n".join(batch))
                    batch.clear()
                continue
            if batch:
                batch.append("")
                handle.write("\r\n".join(batch))
                batch.clear()
            writer.writerow([_csv_cell(v) for v in row])
        if batch:
            batch.append("")
            handle.write("\r\n".join(batch))
    return count


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
    target: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str
) -> int:
    # openpyxl costs ~0.3 s to import; only exports to .xlsx pay for it.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31] or "Export")
    widths = [len(h) for h in headers]
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE7F0")
    # Column widths must be set before rows in write-only mode, so rows are held once;
    # exports are lists of people, not millions of rows.
    materialised = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            text = _text(value)
            if i < len(widths):
                widths[i] = max(widths[i], min(len(text), 60))
            cells.append(value)
        materialised.append(cells)
    for i, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(i)].width = width + 2
    header_cells = []
    for name in headers:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(vertical="center")
        header_cells.append(cell)
    sheet.append(header_cells)
    for cells in materialised:
        sheet.append([_xlsx_cell(sheet, v, WriteOnlyCell) for v in cells])
    last = get_column_letter(max(len(headers), 1))
    sheet.auto_filter.ref = f"A1:{last}{len(materialised) + 1}"
    with atomic_path(target, binary=True) as handle:
        workbook.save(handle)
    return len(materialised)


def _xlsx_cell(sheet: Any, value: Any, cell_type: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | dt.date):
        return value
    text = str(value)
    if not text.startswith("="):
        return text  # openpyxl stores any other string as a string
    cell = cell_type(sheet, value=text)
    cell.data_type = "s"  # text, never a formula
    return cell


# --- the signatory list ----------------------------------------------------------------------


def write_signatories(path: str | os.PathLike[str], listing: SignatoryList, today: dt.date) -> None:
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in SIGNATORY_FORMATS:
        raise FileProblem(f"{target.name}: write .html, .md, .csv, .xlsx or .txt.")
    if suffix in (".csv", ".xlsx"):
        grouped = any(g.label for g in listing.groups)
        headers = ["Group", "Signatory", "Country"] if grouped else ["Signatory", "Country"]
        rows = [
            ([g.label] if grouped else []) + [s.name, s.country_name or ""]
            for g in listing.groups
            for s in g.signatories
        ]
        write_table(target, headers, rows, sheet_title="Signatories")
        return
    text = {".html": _html, ".htm": _html, ".md": _markdown, ".txt": _plain}[suffix](listing, today)
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
        parts.extend(f"<li>{e(s.name)}</li>" for s in group.signatories)
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _md_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "\\`*_{}[]<>()#+-.!|" else ch for ch in text)


def _markdown(listing: SignatoryList, today: dt.date) -> str:
    lines = [f"# {_md_escape(listing.campaign_name)}", ""]
    if listing.link:
        lines += [f"<{listing.link}>", ""]
    lines += [f"{_count(listing.total)}, as of {today.isoformat()}.", ""]
    for group in listing.groups:
        if group.label:
            lines += [f"## {_md_escape(group.label)} ({len(group.signatories)})", ""]
        lines += [f"- {_md_escape(s.name)}" for s in group.signatories]
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
