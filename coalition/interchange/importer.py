"""From a file on disk to a plan, a report and an applied batch.

This is where file formats end: rows and cards become ``ContactRecord``s
(through the detected or given column mapping), and the domain plans and
applies them. A mail tool's status file (YAMM, Thunderbird Mail Merge,
Mailchimp: ``mailtools``) becomes ``StatusRecord``s instead: ``open_import`` reads a
file once and says which it is. The report is written here too, as CSV, one line per
row or card with its outcome.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coalition.domain.imports import (
    CLEARABLE_CONTACT_FIELDS,
    CLEARABLE_ORGANISATION_FIELDS,
    ContactRecord,
    ImportOptions,
    OrganisationRecord,
    StatusRecord,
)
from coalition.domain.values import parse_pasted_addresses
from coalition.errors import FileProblem
from coalition.interchange import mailtools
from coalition.interchange.mailtools import MailTool, read_statuses, recognise
from coalition.interchange.mapping import (
    FIELDS,
    Mapping,
    apply_overrides,
    detect,
    exported_by_coalition,
    guess_from_values,
    load_mapping_file,
    positional,
    says_utc,
    valid_target,
)
from coalition.interchange.safety import safe_text, unguard
from coalition.memory import collector_paused
from coalition.safefile import private_file

if TYPE_CHECKING:
    from coalition.domain.imports.plan import Plan
    from coalition.domain.imports.statuses import StatusPlan
    from coalition.interchange.tabular import Table

SPREADSHEETS = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".ods")
VCARDS = (".vcf", ".vcard")
_TRUE = {"yes", "y", "oui", "ja", "si", "sí", "tak", "true", "1", "x", "public", "✓"}
_FALSE = {"no", "n", "non", "nein", "nie", "false", "0", "private", "privé"}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in VCARDS:
        return "vcf"
    if suffix in SPREADSHEETS:
        return (
            suffix.lstrip(".").replace("tsv", "csv").replace("txt", "csv").replace("xlsm", "xlsx")
        )
    raise FileProblem(
        f"{path.name}: coalition imports .csv, .xlsx, .ods and .vcf files; "
        "save the file in one of those formats."
    )


class Records:
    """A file's records, read as they are iterated: a pass holds the record being read
    (and the plan's window of them), never the whole file, and the file can be read
    again (a dry run, then the import). The first pass takes the rows the reader opened
    to look at the file; a later one refuses a file that has changed since it was opened.
    """

    def __init__(
        self,
        path: Path,
        again: Callable[[], Iterator[ContactRecord]],
        *,
        first: Iterator[ContactRecord] | None = None,
        counter: Callable[[], int] | None = None,
        finished: Callable[[int], None] | None = None,
    ) -> None:
        self.path = path
        self._again = again
        self._first = first
        self._counter = counter
        self._finished = finished
        self._stamp = _stamp(path)
        self.count: int | None = None
        """How many records the file holds, once a pass has ended (or ``counted``)."""

    def __iter__(self) -> Iterator[ContactRecord]:
        if self._first is not None:
            records, self._first = self._first, None
        else:
            self.check_unchanged()
            records = self._again()
        count = 0
        for record in records:
            count += 1
            yield record
        self.count = count
        if self._finished is not None:
            self._finished(count)

    def check_unchanged(self) -> None:
        """Refuse a file changed since it was opened: a pass over it now would not read
        what was looked at (the mapping, the dry run)."""
        if _stamp(self.path) != self._stamp:
            raise FileProblem(f"{self.path.name} has changed since it was opened; open it again.")

    def counted(self) -> int:
        """How many records the file holds; a pass over it when no pass has ended yet."""
        if self.count is None:
            self.count = self._counter() if self._counter else sum(1 for _ in self)
        return self.count


def _stamp(path: Path) -> tuple[int, int]:
    found = path.stat()
    return found.st_size, found.st_mtime_ns


@dataclass
class Source:
    """A file opened for import: its records, and how they were read."""

    path: Path
    kind: str
    sha256: str
    mapping: Mapping | None
    records: Records
    """Read as they are iterated (``Records``)."""
    notes: list[str]
    """What the reader noticed (encoding, delimiter, header row, cards it could not read);
    a vCard file's count of cards and problems are known once a pass has ended."""
    problems: list[tuple[str, str]]
    """(source, message) for rows or cards that could not be read at all."""
    sheet: str | None = None
    """Spreadsheets: the sheet read."""
    sheets: list[str] = field(default_factory=list)
    """Spreadsheets: every worksheet, in workbook order (to choose another)."""
    encoding: str | None = None
    """CSV: the encoding the file was read with."""
    accented: list[str] = field(default_factory=list)
    """CSV: a few values with non-ASCII letters as read (``encoding_sample``)."""
    opened: dict[str, Any] = field(default_factory=dict)
    """How ``open_source`` was asked to read it (its keyword arguments): a second process
    reading it again reads the same records (``feed``), without scanning again the bounds
    of a workbook checked here (``checked``)."""


def open_source(
    path: str | os.PathLike[str],
    *,
    sheet: str | None = None,
    mapping_file: str | os.PathLike[str] | None = None,
    require_people: bool = True,
    overrides: dict[int, str | None] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    max_rows: int | None = None,
    checked: tuple[int, int, str | None] | None = None,
) -> Source:
    """Open a file for import. ``require_people=False`` (for --show-mapping) accepts a
    spreadsheet in which no column was recognised yet. ``overrides`` (column index ->
    field, None to ignore) are applied after the mapping file: the terminal app's choices.
    ``encoding`` and ``delimiter`` say what a CSV file is (``tabular.open_table``).
    A file of more than ``max_rows`` rows or cards (default ``tabular.DEFAULT_MAX_ROWS``)
    is refused while it is read (``Source.records``); nothing of it is imported.
    ``checked``: the (size, modification time, sheet asked for) of a spreadsheet when an
    earlier open checked its bounds (``Source.opened`` holds it): the same bytes and
    sheet are not scanned again (a second process reading the file the first opened:
    ``feed``)."""
    found = open_import(
        path,
        sheet=sheet,
        mapping_file=mapping_file,
        require_people=require_people,
        overrides=overrides,
        encoding=encoding,
        delimiter=delimiter,
        max_rows=max_rows,
        statuses=False,
        checked=checked,
    )
    assert isinstance(found, Source)
    return found


def open_import(
    path: str | os.PathLike[str],
    *,
    sheet: str | None = None,
    mapping_file: str | os.PathLike[str] | None = None,
    require_people: bool = True,
    overrides: dict[int, str | None] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    max_rows: int | None = None,
    statuses: bool = True,
    checked: tuple[int, int, str | None] | None = None,
) -> Source | StatusSource:
    """Open a file for import as what it is: a mail tool's status file (``mailtools``;
    looked for when ``statuses`` and no ``mapping_file`` says to read people), else a file
    of people (``open_source``'s arguments). A spreadsheet is read once for both: the
    bounds check and the sheet's parse are the costly part of a big file."""
    from coalition.interchange.tabular import DEFAULT_MAX_ROWS, open_table

    file, kind = _checked(path)
    sha = file_sha256(file)
    opened: dict[str, Any] = {
        "sheet": sheet,
        "mapping_file": None if mapping_file is None else os.fspath(mapping_file),
        "require_people": require_people,
        "overrides": overrides,
        "encoding": encoding,
        "delimiter": delimiter,
        "max_rows": max_rows,
    }
    if kind == "vcf":
        source = _open_vcards(file, sha, max_rows)
        source.opened = opened
        return source
    limit = DEFAULT_MAX_ROWS if max_rows is None else max_rows
    # taken before reading: a change while it is read is a change
    stamp: tuple[int, int, str | None] = (*_stamp(file), sheet)
    table = open_table(
        file,
        sheet=sheet,
        encoding=encoding,
        delimiter=delimiter,
        max_rows=limit,
        bounds_checked=checked is not None and tuple(checked) == stamp,
    )
    if kind == "xlsx":
        opened["checked"] = stamp
    if statuses and mapping_file is None:
        found = _status_source(file, kind, sha, table)
        if found is not None:
            return found
    source = _open_table(file, kind, sha, table, mapping_file, require_people, overrides)
    source.opened = opened
    return source


def encoding_sample(source: Source) -> str | None:
    """How the encoding chosen for a CSV file reads a few of its accented values, so that a
    wrong one shows in the plan: 'Read as cp1252: “René Köhler”, “Zoë Ångström”'."""
    if source.encoding is None or not source.accented:
        return None
    return f"Read as {source.encoding}: " + ", ".join(f"“{v}”" for v in source.accented)


def _checked(path: str | os.PathLike[str]) -> tuple[Path, str]:
    """A file that exists, is not empty and is of a kind coalition imports, with its kind."""
    file = Path(path)
    if not file.exists():
        raise FileProblem(f"{file} does not exist.")
    if file.is_dir():
        raise FileProblem(f"{file} is a folder; give the path of a file to import.")
    kind = file_kind(file)
    if file.stat().st_size == 0:
        raise FileProblem(f"{file.name} is empty; there is nothing to import.")
    return file, kind


@dataclass
class StatusSource:
    """A mail tool's status file opened for import: what became of each email it lists."""

    path: Path
    kind: str
    sha256: str
    tool: MailTool
    records: list[StatusRecord]
    columns: dict[str, str]
    """Each value's column: recipient, status, subject, time, notes."""
    notes: list[str]
    """How the file was read (encoding, delimiter, sheet)."""


def _status_source(file: Path, kind: str, sha: str, table: Table) -> StatusSource | None:
    """The table as a mail tool's status file (``mailtools.TOOLS``); None when no known
    tool wrote it (it is then a file of people)."""
    tool = recognise(table.headers) if table.headers is not None else None
    if tool is None or table.headers is None:
        return None
    where = mailtools.columns(tool, table.headers, file.name)
    with collector_paused():
        records = read_statuses(tool, where, ((r.number, r.values) for r in table.rows()))
    return StatusSource(
        file, kind, sha, tool, records, where.named(table.headers), _table_notes(table)
    )


def status_options(source: StatusSource, *, campaign: str | None, force: bool) -> ImportOptions:
    return ImportOptions(
        file_name=source.path.name,
        sha256=source.sha256,
        file_format=source.kind,
        mapping={"tool": source.tool.key, "columns": source.columns},
        campaign=campaign,
        force=force,
    )


def _open_table(
    file: Path,
    kind: str,
    sha: str,
    table: Table,
    mapping_file: str | os.PathLike[str] | None,
    require_people: bool,
    overrides: dict[int, str | None] | None = None,
) -> Source:
    from coalition.interchange.tabular import TableRow

    notes = _table_notes(table)
    rows = table.rows()
    if table.format == "csv" and table.headers and exported_by_coalition(table.headers):
        # coalition's own export: its formula marks come off (mapping's module notes).
        rows = (TableRow(r.number, [unguard(v) for v in r.values]) for r in rows)
        notes.append("coalition's own export")
    sample = list(itertools.islice(rows, 200))
    rows = itertools.chain(sample, rows)
    if table.headers is None:
        width = max((len(r.values) for r in sample), default=0)
        mapping = positional(width)
        guess_from_values(mapping, [r.values for r in sample[:50]])
        notes.append("no header row: columns guessed from their values")
    else:
        mapping = detect(table.headers)
        if table.header_row > 1:
            notes.append(f"header found on row {table.header_row}")
    if mapping_file is not None:
        apply_overrides(mapping, load_mapping_file(mapping_file, mapping.headers))
    if overrides:
        for index, target in overrides.items():
            if not 0 <= index < len(mapping.targets):
                continue
            if target is not None and not valid_target(target):
                raise FileProblem(f"'{target}' is not a field; use one of: {', '.join(FIELDS)}.")
            mapping.targets[index] = target
            mapping.source[index] = "chosen"
    people_fields = ("email", "full_name", "given_name", "family_name", "organisation")
    if require_people and not any(mapping.has(f) for f in (*people_fields, "display_name")):
        raise FileProblem(
            f"{file.name}: no column holds names, emails or organisations "
            f"(headers: {_some_headers(mapping.headers)}). "
            "Write a mapping with --show-mapping, edit it and pass --mapping FILE."
        )
    own_export = "coalition's own export" in notes

    def records_of(rows: Iterable[TableRow]) -> Iterator[ContactRecord]:
        read = row_reader(mapping)  # a reader per pass: its shared records are its own
        for r in rows:
            yield read(r.values, f"row {r.number}")

    def again() -> Iterator[ContactRecord]:
        rows = table.rows()
        if own_export:
            rows = (TableRow(r.number, [unguard(v) for v in r.values]) for r in rows)
        return records_of(rows)

    records = Records(
        file, again, first=records_of(rows), counter=lambda: sum(1 for _ in table.rows())
    )
    return Source(
        file,
        kind,
        sha,
        mapping,
        records,
        notes,
        [],
        table.sheet,
        list(table.sheets),
        encoding=table.encoding,
        accented=list(table.accented),
    )


def _table_notes(table: Table) -> list[str]:
    """How a table was read, for the plan."""
    notes = []
    if table.encoding:
        notes.append(f"encoding {table.encoding}")
    if table.delimiter:
        notes.append(f"delimiter {table.delimiter!r}")
    if table.undecodable_lines:
        numbers = [str(n) for n in table.undecodable]
        more = table.undecodable_lines - len(numbers)
        if more > 0:
            lines = f"lines {', '.join(numbers)} and {more:,} more"
        elif len(numbers) > 1:
            lines = f"lines {', '.join(numbers[:-1])} and {numbers[-1]}"
        else:
            lines = f"line {numbers[0]}"
        notes.append(f"bytes that are not {table.encoding} read as � on {lines}")
    if table.sheet:
        notes.append(f"sheet {table.sheet!r}")
    return notes


def _some_headers(headers: list[str]) -> str:
    """The first headers, each cut short: a file that is not a table can have a first
    line of any length, and the message must still fit a terminal."""
    shown = [h if len(h) <= 30 else h[:29] + "…" for h in headers[:8]]
    more = len(headers) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "") if shown else "none"


def _open_vcards(file: Path, sha: str, max_rows: int | None = None) -> Source:
    from coalition.interchange.tabular import DEFAULT_MAX_ROWS
    from coalition.interchange.vcard import VCardReader

    reader = VCardReader(file, max_cards=DEFAULT_MAX_ROWS if max_rows is None else max_rows)
    notes = [f"encoding {reader.encoding}"]
    problems: list[tuple[str, str]] = []

    def cards() -> Iterator[ContactRecord]:
        # one card at a time: only the import's own records are held, not the file's cards
        return (record_from_vcard(card) for card in reader)

    def finished(count: int) -> None:
        """A pass has ended: the file's problems and count are known (the reader's)."""
        problems[:] = [
            (f"card {p.index}" if p.index else f"line {p.line}", p.message) for p in reader.problems
        ]
        notes[1:] = [f"{count} cards"]
        if not count and problems:
            raise FileProblem(f"{file.name}: no card could be read ({problems[0][1]}).")

    records = Records(file, cards, first=cards(), finished=finished)
    return Source(file, "vcf", sha, None, records, notes, problems)


def _bool(text: str) -> bool | None:
    key = text.strip().casefold()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return None


def _split_tags(text: str) -> list[str]:
    for separator in (";", "|", ","):
        if separator in text:
            return [t.strip() for t in text.split(separator) if t.strip()]
    return [text.strip()] if text.strip() else []


_ORG_FIELDS = {
    "organisation": "name", "acronym": "acronym", "website": "website",
    "membership": "membership", "org_kind": "kind", "org_email": "email",
    "org_phone": "phone", "org_notes": "notes",
}  # fmt: skip
_PLACES = ("country", "city", "address_country", "address_city")
_SPECIAL = (
    "tags", "email_label", "phone_label", "id", "org_id", "signon_status",
    "signon_display_name", "public", "answered_at",
)  # fmt: skip


def row_reader(mapping: Mapping) -> Callable[[list[str], str], ContactRecord]:
    """A function turning one row's values into a record, by ``mapping``.

    The mapping is resolved once, so each of 100,000 rows visits only its
    mapped columns with their field and label already known.
    """
    # Columns grouped by what they fill, so a row visits each group with no dispatch.
    plain: list[tuple[int, str]] = []
    org_columns: list[tuple[int, str]] = []
    place_columns: list[tuple[int, str]] = []
    other: list[tuple[int, str, str | None]] = []
    emails: list[tuple[int, str | None]] = []
    phones: list[tuple[int, str | None]] = []
    fields = set(ContactRecord.__slots__) - {"source", "emails", "phones", "tags"}  # type: ignore[attr-defined]
    for index, target in enumerate(mapping.targets):
        if target is None or target == "ignore":
            continue
        base, _, label = target.partition(":")
        if base == "email":
            emails.append((index, label or None))
        elif base == "phone":
            phones.append((index, label or None))
        elif base in _ORG_FIELDS:
            org_columns.append((index, _ORG_FIELDS[base]))
        elif base in _PLACES:
            place_columns.append((index, base))
        elif base in _SPECIAL:
            other.append((index, base, label or None))
        elif base in fields:
            plain.append((index, base))

    # An edited export (rows with ids) clears what its mapped columns leave empty.
    contact_clearable = [
        (index, name) for index, name in plain if name in CLEARABLE_CONTACT_FIELDS
    ] + [
        (index, name[len("address_") :])
        for index, name in place_columns
        if name.startswith("address_")
    ]
    organisation_clearable = [
        (index, name) for index, name in org_columns if name in CLEARABLE_ORGANISATION_FIELDS
    ] + [(index, name) for index, name in place_columns if not name.startswith("address_")]

    # A time in a column headed "(UTC)" is UTC, whatever the computer's own zone.
    zones = {index: " UTC" for index, header in enumerate(mapping.headers) if says_utc(header)}

    # Organisation names, countries, roles, tags and notes repeat down a sheet: each distinct
    # value is kept once (a 100,000-row file held ~40 MB of copies). Emails and phones are
    # nearly all distinct and are not pooled. The pools are emptied when they grow past
    # ``_POOLED``: the import holds a window of rows, and a million rows of distinct names
    # must not be kept for the sake of sharing.
    pool: dict[str, str] = {}
    shared = pool.setdefault
    organisations: dict[tuple[object, ...], OrganisationRecord] = {}

    def read(values: list[str], source: str) -> ContactRecord:
        """``values``: a table row's cells, stripped (``TableRow.values``)."""
        if len(pool) > _POOLED:
            pool.clear()
        if len(organisations) > _POOLED:
            organisations.clear()
        record = ContactRecord(source=source)
        width = len(values)
        for index, name in plain:
            if index < width and getattr(record, name) is None:
                value = values[index]
                if value:
                    setattr(record, name, shared(value, value))
        for index, label in emails:
            value = values[index] if index < width else ""
            if not value:
                continue
            if _plain_address(value):
                record.emails.append((value, label))
                continue
            for found in parse_pasted_addresses(value):
                record.emails.append((found.address, label))
                if found.name and not (
                    record.full_name
                    or record.given_name
                    or record.family_name
                    or record.display_name
                ):
                    # "Nováková, Jana" <jana@example.org> in a row with no name: the
                    # name beside the address is the person's (the domain splits it).
                    record.full_name = found.name
        for index, label in phones:
            value = values[index] if index < width else ""
            if value:
                record.phones.extend((part, label) for part in _split_multi(value))
        org: dict[str, str] = {}
        for index, name in org_columns:
            value = values[index] if index < width else ""
            if value and name not in org:
                org[name] = shared(value, value)
        place: dict[str, str] = {}
        for index, name in place_columns:
            value = values[index] if index < width else ""
            if value and name not in place:
                place[name] = shared(value, value)
        email_labels: list[str] = []
        phone_labels: list[str] = []
        for index, base, _label in other:
            value = values[index] if index < width else ""
            if not value:
                continue
            if base == "tags":
                record.tags.extend(shared(t, t) for t in _split_tags(value))
            elif base == "email_label":
                email_labels.append(value)
            elif base == "phone_label":
                phone_labels.append(value)
            elif base == "id":
                digits = value.lstrip("#").split(".")[0]
                record.id = int(digits) if digits.isdigit() else None
            elif base == "org_id":
                digits = value.lstrip("#").split(".")[0]
                if digits.isdigit():
                    org.setdefault("id", digits)
            elif base == "signon_status":
                record.signon_status = record.signon_status or value
            elif base == "signon_display_name":
                record.signon_display_name = record.signon_display_name or value
            elif base == "public":
                record.signon_public = _bool(value)
            elif base == "answered_at":
                record.answered_at = record.answered_at or value + zones.get(index, "")
        if record.id is not None:
            record.cleared = _empty(values, contact_clearable)
        if email_labels:
            _apply_labels(record.emails, email_labels)
        if phone_labels:
            _apply_labels(record.phones, phone_labels)
        if org.get("name"):
            if "id" in org:
                record.organisation = _organisation(org, place)
                record.organisation.cleared = _empty(values, organisation_clearable)
            else:
                # The rows naming an organisation alike share one record: the plan checks
                # it once, and 100,000 rows of 5,000 organisations hold 5,000 records.
                key = (*org.items(), place.get("country"), place.get("city"))
                named = organisations.get(key)
                if named is None:
                    named = organisations[key] = _organisation(org, place)
                record.organisation = named
            record.country = place.get("address_country")
            record.city = place.get("address_city")
        elif place:
            record.country = place.get("address_country") or place.get("country")
            record.city = place.get("address_city") or place.get("city")
        return record

    return read


_POOLED = 20_000
"""Most distinct values (and organisations) a row reader keeps for sharing: rows share
within a window or two (``imports.run.WINDOW``); at 50,000 the pools held ~35 MB of a long
file's organisations for little more sharing."""


def _organisation(org: dict[str, str], place: dict[str, str]) -> OrganisationRecord:
    """The organisation a row names (``org``: its values by field; ``place``: country, city)."""
    return OrganisationRecord(
        name=org["name"],
        id=int(org["id"]) if org.get("id") else None,
        acronym=org.get("acronym"),
        kind=org.get("kind"),
        website=org.get("website"),
        email=org.get("email"),
        phone=org.get("phone"),
        membership=org.get("membership"),
        notes=org.get("notes"),
        country=place.get("country"),
        city=place.get("city"),
    )


def _empty(values: list[str], columns: list[tuple[int, str]]) -> tuple[str, ...]:
    """The fields of ``columns`` whose cell is empty in this row."""
    width = len(values)
    return tuple(name for index, name in columns if index >= width or not values[index].strip())


def _plain_address(value: str) -> bool:
    """Whether an email cell (stripped, not empty) is one bare address, as nearly all
    are: then it needs no parsing. ``parse_pasted_addresses`` reads the others: names
    and <…>, mailto:, several addresses (, ; new lines, Google's :::), and brackets,
    quotes or punctuation around an address."""
    return (
        value[-1].isalnum()
        and value[0].isalnum()
        and "<" not in value
        and ":" not in value
        and "," not in value
        and ";" not in value
        and "\n" not in value
        and "\r" not in value
    )


def _split_multi(value: str) -> list[str]:
    """Phone numbers: Google writes several values in one cell separated by " ::: "."""
    if ":::" not in value:
        return [value]
    return [p for p in (p.strip() for p in value.split(":::")) if p]


def _apply_labels(items: list[tuple[str, str | None]], labels: list[str]) -> None:
    for i, label in enumerate(labels):
        if i < len(items) and items[i][1] is None:
            clean_label = label.replace("*", "").strip().lower() or None
            items[i] = (items[i][0], clean_label)


def record_from_vcard(card: object) -> ContactRecord:
    c: object = card
    index = getattr(c, "index", 0)
    record = ContactRecord(source=f"card {index}", uid=getattr(c, "uid", None) or None)
    record.given_name = getattr(c, "given_name", "") or None
    record.family_name = getattr(c, "family_name", "") or None
    record.honorific = getattr(c, "honorific_prefix", "") or None
    formatted = getattr(c, "formatted_name", "") or None
    derived = " ".join(p for p in (record.given_name, record.family_name) if p)
    if formatted and formatted != derived:
        if derived:
            record.display_name = formatted
        else:
            record.full_name = formatted
    record.role = getattr(c, "title", "") or getattr(c, "role", "") or None
    record.notes = getattr(c, "note", "") or None
    record.language = getattr(c, "language", None) or None
    record.tags = list(getattr(c, "categories", []) or [])
    for email in getattr(c, "emails", []) or []:
        label = _clean_label(email.label) or _label(email.types)
        address = email.address
        if "<" in address:  # EMAIL:Jan de Vries <jan@example.org>: the address alone
            found = parse_pasted_addresses(address)
            if len(found) == 1:
                address = found[0].address
        record.emails.append((address, label))
    for phone in getattr(c, "phones", []) or []:
        record.phones.append((phone.number, _clean_label(phone.label) or _label(phone.types)))
    addresses = getattr(c, "addresses", []) or []
    if addresses:
        a = addresses[0]
        record.street, record.postal_code = a.street or None, a.postal_code or None
        record.city, record.region = a.locality or None, a.region or None
        record.country = a.country or None
    organisation = getattr(c, "organisation", "") or ""
    if organisation:
        urls = getattr(c, "urls", []) or []
        record.organisation = OrganisationRecord(
            name=organisation, website=urls[0] if urls else None
        )
    return record


_COMMON_LABELS = {"work", "home", "mobile", "cell", "other", "fax", "main", "iphone", "pager"}


def _clean_label(label: str | None) -> str | None:
    """Apple's "Work" and a TYPE's "work" are one label; custom labels stay as written."""
    if not label:
        return None
    folded = label.strip().casefold()
    if folded in _COMMON_LABELS:
        return "mobile" if folded == "cell" else folded
    return label.strip()


def _label(types: list[str]) -> str | None:
    for wanted in ("work", "home", "cell", "mobile", "fax", "other"):
        if wanted in types:
            return "mobile" if wanted == "cell" else wanted
    return None


def options_for(source: Source, **choices: object) -> ImportOptions:
    return ImportOptions(
        file_name=source.path.name,
        sha256=source.sha256,
        file_format=source.kind,
        mapping=source.mapping.as_dict() if source.mapping else None,
        **choices,  # type: ignore[arg-type]
    )


REPORT_COLUMNS = [
    "source",
    "action",
    "reason",
    "contact_id",
    "name",
    "email",
    "organisation",
    "organisation_outcome",
    "sign_on",
    "answered_at",
    "warnings",
]


def report_rows(plan: Plan) -> Iterator[list[str]]:
    for row in plan.rows:
        r = row.record
        name = r.display_name or " ".join(p for p in (r.given_name, r.family_name) if p) or ""
        yield [
            row.source,
            row.action,
            row.reason,
            str(row.contact_id or ""),
            name,
            row.emails[0][0] if row.emails else "",
            r.organisation.name if r.organisation else "",
            row.org_note,
            row.signon or "",
            row.answered_at.isoformat(sep=" ") if row.answered_at else "",
            "; ".join(row.warnings),
        ]


def _problem_rows(problems: Iterable[tuple[str, str]]) -> Iterator[list[str]]:
    """The rows or cards the reader could not read at all, as report lines."""
    for source, message in problems:
        yield [source, "error", message, "", "", "", "", "", "", "", ""]


@contextmanager
def report_writer(
    path: str | os.PathLike[str] | None, source: Source
) -> Iterator[Callable[[Plan], None] | None]:
    """The report of an import written as it goes: the block gets a function to give each
    window's plan to (``imports.import_records``'s ``observe``); the rows the reader could
    not read are added at the end, and the file appears, whole and private, only when the
    block ends without an exception. None (and nothing written) without a ``path``."""
    if path is None:
        yield None
        return
    with _report_file(path, REPORT_COLUMNS) as write:
        yield lambda plan: write(report_rows(plan))
        write(_problem_rows(source.problems))


STATUS_REPORT_COLUMNS = [
    "source",
    "email",
    "status",
    "action",
    "reason",
    "contact_id",
    "outcome",
    "subject",
    "occurred_at",
    "warnings",
]


def status_report_rows(plan: StatusPlan) -> Iterator[list[str]]:
    for row in plan.rows:
        r = row.record
        yield [
            r.source,
            row.address or r.address,
            r.status,
            row.action,
            row.reason,
            str(row.contact_id or ""),
            (r.meaning.outcome or "") if r.meaning and row.logs else "",
            r.subject or "",
            row.at.isoformat(sep=" ") if row.at else "",
            "; ".join(row.warnings),
        ]


def write_status_report(path: str | os.PathLike[str], plan: StatusPlan) -> None:
    """Every row of a status file with its outcome, as CSV, written privately."""
    _write_report(path, STATUS_REPORT_COLUMNS, status_report_rows(plan))


def _report_target(path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    if not target.parent.is_dir():
        raise FileProblem(
            f"The folder {target.parent} does not exist; choose another --report path."
        )
    return target


def _write_report(
    path: str | os.PathLike[str], columns: list[str], lines: Iterable[list[str]]
) -> None:
    with _report_file(path, columns) as write:
        write(lines)


@contextmanager
def _report_file(
    path: str | os.PathLike[str], columns: list[str]
) -> Iterator[Callable[[Iterable[list[str]]], None]]:
    """A report being written: the block gets a function writing lines under ``columns``,
    each cell guarded against formulas (``safe_text``); the file is 0600, never written
    through a symlink, and appears whole when the block ends without an exception."""
    target = _report_target(path)
    with private_file(target) as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)

        def write(lines: Iterable[list[str]]) -> None:
            for line in lines:
                writer.writerow([safe_text(v) for v in line])

        yield write
