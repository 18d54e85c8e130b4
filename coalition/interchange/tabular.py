"""Reading rows from CSV, XLSX and ODS files as the programs people use write them.

Only reading: ``open_table`` finds out how a file is laid out (encoding,
delimiter, sheet, header row) and ``Table.rows()`` streams its data rows as
text. Mapping columns to contact fields happens in ``mapping``/``importer``.
Every problem a user can cause is a ``FileProblem`` with one sentence; no
library exception or traceback gets out.

CSV: bytes first, then text
    The encoding is settled before any parsing: a byte-order mark (UTF-8 from
    Excel's "CSV UTF-8", UTF-16 from Excel's "Unicode Text" and Thunderbird),
    then UTF-16 without a BOM recognised by its pattern of NUL bytes, then
    UTF-8 — strict on a 64 KiB sample *and* validated over the whole file in
    a streaming pass, because a European export can be plain ASCII for its
    first thousand rows and cp1252 after — then charset-normalizer, then
    cp1252. charset-normalizer alone misreads short Western samples (it takes
    "René;Köln" for Korean johab and "Anaïs" for cp1250), so its answer is
    one candidate among the Windows code pages and the reading that looks
    most like names wins: scripts mixed inside a word, words of accented
    letters only (Cyrillic read as cp1252) and stray symbols count against
    a reading; a tie goes to cp1252, the commonest. Multi-byte encodings
    come from charset-normalizer; when it sees one, cp932 (Shift_JIS),
    cp949, gb18030 and Big5 all compete, because on a few names it takes
    Japanese for Korean. A multi-byte reading is counted against for each
    character outside the older standard real text keeps to (JIS X 0208,
    KS X 1001 Hangul, GB 2312), for half-width katakana (Korean or Chinese
    bytes read as Shift_JIS) and for Hanja in a Korean reading (Chinese bytes
    read as cp949): Shift_JIS read as cp949 gives rare Hangul syllables.
    NUL bytes that UTF-16 does not explain, or a sample that is mostly
    control characters, mean the file is not text at all.

    One encoding for the whole file, or none: once a legacy encoding is
    chosen, one streaming pass (at C speed: each block decoded as UTF-8 with
    its bad bytes escaped, lines found by regular expression) looks for
    lines that are UTF-8 with non-ASCII text among lines that are not — an
    export pasted together from two programs, which any single reading
    garbles — and for bytes the chosen encoding cannot decode. Either way
    the file is refused, naming the first lines and how they read both ways,
    and asking for ``--encoding``. A UTF-8 line counts as such only where it
    reads more plausibly as UTF-8 than in the legacy encoding, so a cp1252
    line that happens to be valid UTF-8 does not make a file "mixed".

    Said, not guessed: ``open_table(encoding=…, delimiter=…)`` (the import's
    ``--encoding`` and ``--delimiter``, checked by ``csv_encoding`` and
    ``csv_delimiter``) are used as given, with no detection; bytes that do
    not fit are read as U+FFFD and their lines listed in ``Table.undecodable``.
    A file's own byte-order mark for the given encoding is skipped. Either
    way ``Table.accented`` holds a few values with non-ASCII letters as
    decoded, which the plan shows, so a wrong encoding is seen before
    anything is imported.

    The delimiter is found by parsing the sample with each candidate
    (``, ; TAB |``) through the ``csv`` module itself, so quoted fields that
    hold other delimiters or line breaks are handled as the real parse will
    handle them; the candidate giving the most rows with the same field
    count wins, wider rows breaking ties (a ``;`` file with decimal commas
    is consistent for ``,`` too, but narrower). ``csv.Sniffer`` is not used:
    it is easily fooled by quoted text. Excel's ``sep=;`` first line is
    honoured and skipped. Rows are then streamed: the file is never held in
    memory, only the detection sample.

Spreadsheets: .xlsx and .ods streamed, behind a guard (.xls is not read)
    An .xlsx/.xlsm sheet is streamed (``interchange/xlsx.py``): the sheet part is
    read from the zip in pieces through ``_SafeZip`` and parsed by the C expat parser,
    and only the shared strings, the cell styles and one row are in memory. Its values
    and texts are calamine's (the contract is the text of every row, row numbers
    included; tests/test_xlsx_stream.py compares the two on every workbook the tests
    have), so the import is unchanged: a 210,000 × 14 sheet that calamine read at a
    peak of 238 MiB is read in 11 MiB, at 2-4 times its time. ``Table.rows()`` streams
    the sheet again from the start after the header look-ahead has read its first rows
    (unless the look-ahead read the whole sheet: its few filled rows are then kept).
    ``COALITION_XLSX_READER=calamine`` reads .xlsx sheets whole in calamine, as before,
    for comparing the two.

    .ods tables are streamed too (``interchange/ods.py``: see "ODS: streamed, not
    loaded" below). python-calamine, which read both before (and still reads .xlsx with
    ``COALITION_XLSX_READER=calamine``), reads 100,000 rows several times faster than
    openpyxl's read-only mode, but builds a dense grid over the sheet's used range: one
    stray cell at XFD1048576 (python-calamine issue #130) asks for 17 billion cells and
    the process aborts — an abort, not an exception. And an .ods row of repeated cells
    (``number-columns-repeated``) inside a repeated row asks for as many cells from a
    file of a few hundred bytes.
    So before either reader sees a workbook it is checked with ``zipfile`` (the checks
    were made for calamine, and stay for the streamed reader):

    - zip bombs: at most 10,000 parts and 1 GiB declared uncompressed in
      all; a part over 1 MiB may not claim more than 500 times its
      compressed size (XML compresses 10-100 times; deflate's limit is about
      1,000). Reading stops at the declared size, so a lying header cannot
      feed more;
    - entity bombs: neither calamine's XML parser nor expat is defusedxml, so every XML
      part is scanned for ``<!DOCTYPE``/``<!ENTITY`` (which no spreadsheet
      program writes) and the workbook is refused if one appears;
    - extent: the sheet's XML is streamed once and the extent of the cells
      holding something is bounded from above, at C speed (a few ``in``
      tests and one regular expression per megabyte). For XLSX, cells in
      columns A-Z up to row 99,999 stand for that bound without being
      parsed; only cells beyond it have their position read, so a
      100,000 × 20 sheet parses about forty references. ``<dimension>`` is
      ignored, as calamine ignores it. When the XML is unusual (a namespace
      prefix on cells, a cell without a leading ``r="…"``, whitespace
      variants — calamine accepts all of them) or the quick bound is too
      loose to decide (more than about 160 columns), the sheet is walked tag
      by tag in Python following calamine's own row and column counters.
      For ODS every row's repeat count and its width up to the last
      non-empty cell are summed per table, the empty filler LibreOffice
      writes down to row 1,048,576 not counting; rows without repeats are
      counted in bulk. A sheet whose bound exceeds 16 million cells (about
      half a gigabyte in calamine) is refused with its corner cell named, so
      the user can delete the stray cell. A real 100,000 × 20 sheet is 2
      million cells; the scan takes about a quarter of calamine's own time.

    A sheet calamine reads (that setting) stays loaded in the ``Table`` after ``open_table``
    (calamine parses the whole sheet up front, and the header has to be found first), so
    ``rows()`` does not parse it twice.

ODS: streamed, not loaded
    An .ods never reaches calamine: ``coalition.interchange.ods`` reads the
    chosen table from content.xml as it unpacks, through the same guard (its
    checks unchanged), one row at a time, and stops at the table's end. The
    header search reads the first rows and stops; ``rows()`` reads the file
    again from the start. A 140,000 × 14 table that calamine held in ~280
    MiB takes ~25 MiB; rows of text are read in about calamine's time, rows
    mixing numbers and dates in about 2.5 times, rows expat must read in 5
    (``benchmarks/ods_reader_bench.py``). An import of it peaks at ~145 MiB,
    was 317, in the same time. Values are calamine's, except where calamine
    is wrong (columns left of the used range, tabs and line breaks in text,
    durations, drawings' text): that module lists each.

Header rows
    In a spreadsheet the header may sit below a title ("Coalition members
    2026", a blank row, then the headers), so the header is the first row
    that is substantial — at least two filled cells and a quarter of the
    width of the rows below — and holds only labels. A row holding an email
    address, a phone number, a number, a date or a web address is data: if
    such a row comes before any header candidate, there is no header row
    and ``headers`` is None. The same rule serves CSV files.

Cells become text
    Numbers are shown as a spreadsheet shows them, with at most 15
    significant digits and never in exponent form: 3225550101.0 becomes
    "3225550101", 12.5 "12.5", 0.1+0.2 "0.3". Dates become "2026-03-01",
    date-times "2026-03-01 14:30" (seconds only when not zero; a date-time
    at midnight is shown as a date, since that is how date cells arrive),
    times "14:30", durations "36:00:00", booleans "TRUE"/"FALSE" as Excel
    and LibreOffice display them, empty cells "". Every value is stripped.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import html
import io
import itertools
import os
import posixpath
import re
import unicodedata
import zipfile
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from coalition.errors import FileProblem, InvalidValue
from coalition.interchange.ods import OdsTable, column_name
from coalition.text import implausibility

__all__ = [
    "DEFAULT_MAX_ROWS",
    "MAX_SHEET_CELLS",
    "Table",
    "TableRow",
    "list_sheets",
    "open_table",
]

CSV_SUFFIXES = (".csv", ".tsv", ".tab", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
ODS_SUFFIXES = (".ods",)

SAMPLE_BYTES = 64 * 1024
"""How much of a CSV file is read to detect its encoding and delimiter."""
MAX_SHEET_CELLS = 3_000_000
"""Largest rows × columns extent handed to calamine, which holds the whole sheet: a real
100,000 × 20 member list (2 million cells) costs it ~135 MiB, so 3 million keeps an
import under 300 MiB. For all the tables of an .ods together, which it loads at once."""
MAX_REPEATED_ROWS = 10_000
"""An .ods row holding something may be repeated (``number-rows-repeated``) this often;
identical people do not come in thousands, repeat bombs do."""
MAX_REPEATED_CELLS = 1_000
"""The same for a cell holding something (``number-columns-repeated``)."""
MAX_PART = 64 << 20
"""Largest uncompressed XML part besides the sheet data (shared strings, styles)."""
MAX_REPEATED_TEXT = 128 << 20
"""Most bytes of cell text that repeats may multiply into: calamine gives every cell its own
copy of a shared string (XLSX) or of a repeated cell (ODS)."""
DEFAULT_MAX_ROWS = 1_000_000
"""Rows of data an import takes unless told otherwise (``coalition import --max-rows``)."""
MAX_ZIP_TOTAL = 1 << 30
MAX_ZIP_PARTS = 10_000
MAX_ZIP_RATIO = 500
_RATIO_FLOOR = 1 << 20
_CHUNK = 1 << 20
_MAX_CARRY = 16 << 20

_DELIMITERS = (",", ";", "\t", "|")
_HEADER_LOOKAHEAD = 30
_LEGACY = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257")


# ---------------------------------------------------------------------------
# Public API


@dataclass
class TableRow:
    number: int
    """1-based row number in the sheet, or record number in a CSV file (as a
    spreadsheet program shows it: a quoted multi-line cell is one row)."""
    values: list[str]
    """Every cell as stripped text; padded to ``len(headers)`` when there are headers."""


@dataclass
class Table:
    path: Path
    format: str
    """"csv", "xlsx" or "ods"."""
    headers: list[str] | None
    """Column names, or None when the file has no header row."""
    header_row: int
    """1-based number of the header row; 0 when there is none."""
    encoding: str | None = None
    """CSV only: the codec the file was read with."""
    delimiter: str | None = None
    """CSV only."""
    accented: list[str] = field(default_factory=list)
    """CSV only: a few values with non-ASCII letters as decoded, so a wrong encoding shows."""
    undecodable: list[int] = field(default_factory=list)
    """CSV read with a given encoding: the first lines (1-based, as an editor counts them)
    holding bytes the encoding cannot decode, which were read as U+FFFD."""
    undecodable_lines: int = 0
    """How many lines hold such bytes in all."""
    sheet: str | None = None
    """Spreadsheets only: the sheet read."""
    sheets: list[str] = field(default_factory=list)
    """Spreadsheets only: every worksheet, in workbook order."""
    _bom: int = field(default=0, repr=False, compare=False)
    _skip_first: bool = field(default=False, repr=False, compare=False)
    _grid: Any = field(default=None, repr=False, compare=False)
    """The sheet's cells: a loaded calamine sheet (.ods), an ``_XlsxSheet`` (.xlsx), or the
    few (number, cells) that hold a value, when the header look-ahead read them all."""
    max_rows: int | None = None
    """Most rows of data ``rows()`` yields; one more is refused (``FileProblem``)."""

    def rows(self) -> Iterator[TableRow]:
        """The data rows after the header, blank rows skipped; streams, and can run again.

        Past ``max_rows`` rows of data it raises ``FileProblem`` instead of the next row, so
        a caller that reads everything before changing anything changes nothing."""
        width = len(self.headers) if self.headers is not None else 0
        source = self._csv_records() if self.format == "csv" else self._grid_rows()
        limit = self.max_rows
        count = 0
        for number, cells in source:
            if number <= self.header_row:
                continue
            values = _trim(cells, width)
            if values is None:
                continue
            count += 1
            if limit is not None and count > limit:
                raise _too_many_rows(self.path, self.sheet, limit, f"row {number}")
            yield TableRow(number, values)

    def _csv_records(self) -> Iterator[tuple[int, list[str]]]:
        assert self.encoding is not None and self.delimiter is not None
        records = _csv_records(
            self.path, self.encoding, self._bom, self.delimiter, self._skip_first
        )
        for number, record in records:
            yield number, _texts(record)

    def _grid_rows(self) -> Iterator[tuple[int, list[str]]]:
        for number, raw in _grid_iter(self._grid, self.path):
            yield number, _texts(raw)


def open_table(
    path: str | os.PathLike[str],
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    max_rows: int | None = None,
    bounds_checked: bool = False,
) -> Table:
    """Open a CSV, XLSX or ODS file and find its layout; raises ``FileProblem``.

    ``encoding`` and ``delimiter`` (CSV only) say what the file is: they are used as
    given, with no detection (``csv_encoding``/``csv_delimiter`` check them).
    ``max_rows``: a spreadsheet known to hold more rows of data is refused here, before
    it is loaded; ``Table.rows()`` refuses the row after the last one allowed.
    ``bounds_checked`` (XLSX): an earlier open checked these same bytes' bounds (rows,
    columns, repeated shared texts): the pass over the whole sheet that finds them is
    not made again (``importer.open_source``'s ``checked``; 0.7 s of 100,000 rows)."""
    file = _checked_path(path)
    kind = _kind(file)
    if kind == "csv":
        if sheet is not None:
            raise FileProblem(
                f"{file.name} is a CSV file, which has no sheets; leave out the sheet name."
            )
        table = _open_csv(file, encoding, delimiter)
        table.max_rows = max_rows
        return table
    if encoding is not None or delimiter is not None:
        raise FileProblem(
            f"{file.name} is a spreadsheet, which has no text encoding or delimiter; "
            "leave out --encoding and --delimiter for it."
        )
    if kind == "xlsx":
        return _open_xlsx(file, sheet, max_rows, bounds_checked=bounds_checked)
    return _open_ods(file, sheet, max_rows)


def list_sheets(path: str | os.PathLike[str]) -> list[str]:
    """The worksheets of an XLSX or ODS file in workbook order; [] for CSV."""
    file = _checked_path(path)
    kind = _kind(file)
    if kind == "csv":
        return []
    if kind == "xlsx":
        with _SafeZip(file, "xlsx") as zf:
            return [s.name for s in _xlsx_sheets(zf)]
    with _SafeZip(file, "ods") as zf:
        return [s.name for s in _ods_scan(zf)]


# ---------------------------------------------------------------------------
# Files


def _checked_path(path: str | os.PathLike[str]) -> Path:
    file = Path(path)
    try:
        if not file.exists():
            raise FileProblem(f"{file} does not exist; check the path and try again.")
        if file.is_dir():
            raise FileProblem(f"{file} is a folder; give the path of a file to import.")
        size = file.stat().st_size
    except OSError as err:
        raise FileProblem(f"{file} cannot be read ({err.strerror or err}).") from None
    if size == 0:
        raise FileProblem(f"{file.name} is empty; there is nothing to import.")
    return file


def _kind(file: Path) -> str:
    suffix = file.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in XLSX_SUFFIXES:
        return "xlsx"
    if suffix in ODS_SUFFIXES:
        return "ods"
    if suffix in (".xls", ".xlsb", ".numbers"):
        raise FileProblem(
            f"{file.name} is in a spreadsheet format coalition does not read; "
            "open it in Excel or LibreOffice and save it as .xlsx, .ods or .csv."
        )
    raise FileProblem(
        f"{file.name}: coalition reads .csv, .tsv, .txt, .xlsx, .xlsm and .ods files; "
        "save the data in one of those formats."
    )


def _head(file: Path, size: int) -> bytes:
    try:
        with file.open("rb") as handle:
            return handle.read(size)
    except OSError as err:
        raise FileProblem(f"{file.name} cannot be read ({err.strerror or err}).") from None


_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGICS = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"SQLite format 3",
    b"\x1f\x8b",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x7fELF",
    b"MZ",
)


def _old_excel(file: Path) -> FileProblem:
    return FileProblem(
        f"{file.name} is an Excel 97-2003 workbook or a password-protected one; "
        "open it in Excel or LibreOffice, remove any password and save it as .xlsx."
    )


# ---------------------------------------------------------------------------
# CSV


def csv_encoding(name: str) -> str:
    """The codec a user's ``--encoding NAME`` stands for ("latin-1", "UTF8", "Shift_JIS"),
    by Python's name for it; ``InvalidValue`` when there is none, or it is not text."""
    try:
        info = codecs.lookup(name.strip())
    except (LookupError, ValueError):
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise InvalidValue(
            f"{name!r} is not a text encoding coalition knows; give one such as utf-8, "
            "cp1252 (Western Europe, Excel), cp1250 (Central Europe), latin-1, shift_jis "
            "or utf-16."
        )
    return info.name


_DELIMITER_NAMES = {
    "tab": "\t", "\\t": "\t", "semicolon": ";", "comma": ",", "pipe": "|", "space": " ",
    "colon": ":",
}  # fmt: skip


def csv_delimiter(text: str) -> str:
    """The character a user's ``--delimiter`` stands for: one character, or its name
    (``tab`` or ``\\t``, ``semicolon``, ``comma``, ``pipe``); ``InvalidValue`` otherwise."""
    value = _DELIMITER_NAMES.get(text.strip().casefold(), text) if text.strip() else text
    if len(value) != 1 or value in '"\r\n\x00':
        raise InvalidValue(
            f"--delimiter takes one character, such as , or ; or tab (for a tab); "
            f"{text!r} is not one."
        )
    return value


def _open_csv(file: Path, encoding: str | None = None, delimiter: str | None = None) -> Table:
    sample = _head(file, SAMPLE_BYTES)
    complete = len(sample) < SAMPLE_BYTES
    _refuse_other_formats(file, sample)
    undecodable: list[int] = []
    undecodable_lines = 0
    if encoding is None:
        encoding, bom = _detect_encoding(file, sample)
    else:
        encoding, bom = _given_encoding(csv_encoding(encoding), sample)
        undecodable, undecodable_lines = _undecodable(file, encoding, bom)
    text = _decode_sample(sample[bom:], encoding, complete=complete)
    _refuse_binary_text(file, text, replaced=undecodable_lines == 0)
    if not text.strip(" \t\r\n\ufeff\x00"):
        raise FileProblem(f"{file.name} holds only blank lines; there is nothing to import.")
    first_line = text.partition("\n")[0]
    declared = re.fullmatch(r"\s*sep=(.)\s*", first_line.rstrip("\r"), re.IGNORECASE)
    skip_first = bool(declared)
    if delimiter is not None:
        delimiter = csv_delimiter(delimiter)
    elif declared:
        delimiter = declared[1]
    else:
        delimiter = _detect_delimiter(text, complete=complete)
    table = Table(
        path=file,
        format="csv",
        headers=None,
        header_row=0,
        encoding=encoding,
        delimiter=delimiter,
        accented=_accented(text, delimiter, skip_first, complete=complete),
        undecodable=undecodable,
        undecodable_lines=undecodable_lines,
        _bom=bom,
        _skip_first=skip_first,
    )
    head: list[tuple[int, list[str]]] = []
    for number, record in _csv_records(file, encoding, bom, delimiter, skip_first):
        if any(cell.strip() for cell in record):
            head.append((number, record))
            if len(head) >= _HEADER_LOOKAHEAD:
                break
    if not head:
        raise FileProblem(f"{file.name} holds only blank lines; there is nothing to import.")
    _apply_header(table, head, [_texts(cells) for _, cells in head])
    return table


def _csv_records(
    file: Path, encoding: str, bom: int, delimiter: str, skip_first: bool
) -> Iterator[tuple[int, list[str]]]:
    """(record number, fields) for every record, blank ones included."""
    try:
        handle = file.open("rb")
    except OSError as err:
        raise FileProblem(f"{file.name} cannot be read ({err.strerror or err}).") from None
    with handle:
        handle.seek(bom)
        text = io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline="")
        lines: Iterable[str] = (line.replace("\x00", "") for line in text)
        if skip_first:
            lines = itertools.islice(lines, 1, None)
        reader = csv.reader(lines, delimiter=delimiter, quotechar='"', strict=False)
        number = 0
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as err:
                raise FileProblem(
                    f"{file.name}: row {number + 1} cannot be read ({err}); "
                    "look for a quote that is opened and never closed."
                ) from None
            except (OSError, UnicodeError, LookupError) as err:
                raise FileProblem(f"{file.name} cannot be read ({err}).") from None
            number += 1
            yield number, record


def _refuse_other_formats(file: Path, sample: bytes) -> None:
    """A zipped spreadsheet, an old Excel workbook or a known binary format named .csv."""
    if sample.startswith(_ZIP_MAGIC):
        raise FileProblem(
            f"{file.name} is a zipped spreadsheet (such as .xlsx or .ods), not a CSV text; "
            "give it its proper extension and import it again."
        )
    if sample.startswith(_OLE_MAGIC):
        raise _old_excel(file)
    if sample.startswith(_BINARY_MAGICS):
        raise _not_text(file)


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _given_encoding(codec: str, sample: bytes) -> tuple[str, int]:
    """(codec, BOM bytes to skip) for an encoding the user gave: its own byte-order mark,
    if the file starts with one, is not read as a character."""
    for mark, name in _BOMS:
        if sample.startswith(mark):
            if name == codec:
                return ("utf-8-sig", 0) if codec == "utf-8" else (codec, len(mark))
            break
    return codec, 0


def _detect_encoding(file: Path, sample: bytes) -> tuple[str, int]:
    """(codec, number of BOM bytes to skip)."""
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", 0
    if sample.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return ("utf-32-le" if sample[0] == 0xFF else "utf-32-be"), 4
    if sample.startswith(b"\xff\xfe"):
        return "utf-16-le", 2
    if sample.startswith(b"\xfe\xff"):
        return "utf-16-be", 2
    nuls = sample.count(0)
    if nuls:
        wide = _utf16_by_nuls(sample)
        if wide is not None:
            return wide, 0
        if nuls > 8 and nuls * 100 > len(sample):
            raise _not_text(file)  # a stray NUL or two is dropped while reading
    if _utf8_prefix_ok(sample, complete=len(sample) < SAMPLE_BYTES):
        failure = _utf8_failure(file)
        if failure is None:
            return "utf-8", 0
        sample = sample + b"\n" + _window(file, failure)
    codec = _guess_encoding(sample)
    _refuse_binary_text(file, _decode_sample(sample, codec, complete=False))
    _check_one_encoding(file, codec)
    return codec, 0


def _not_text(file: Path) -> FileProblem:
    return FileProblem(
        f"{file.name} is not a text (CSV) file; export the data from its program "
        "as CSV or .xlsx and import that."
    )


def _utf16_by_nuls(sample: bytes) -> str | None:
    """UTF-16 without a BOM: ASCII text leaves a NUL in every other byte."""
    pairs = max(1, len(sample) // 2)
    even_nul, odd_nul = sample[0::2].count(0), sample[1::2].count(0)
    for codec, nul, other in (("utf-16-le", odd_nul, even_nul), ("utf-16-be", even_nul, odd_nul)):
        if nul * 10 >= pairs * 3 and other * 20 <= nul:
            whole = sample[: len(sample) // 2 * 2]
            if _decode_sample(whole, codec, complete=False, errors="strict") is not None:
                return codec
    return None


def _utf8_prefix_ok(sample: bytes, *, complete: bool) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        decoder.decode(sample, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _utf8_failure(file: Path) -> int | None:
    """Offset of the first byte that is not UTF-8 in the whole file, or None."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0
    try:
        with file.open("rb") as handle:
            while True:
                block = handle.read(_CHUNK)
                if not block:
                    decoder.decode(b"", final=True)
                    return None
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as err:
                    return offset + max(0, err.start)
                offset += len(block)
    except UnicodeDecodeError:
        return offset
    except OSError as err:
        raise FileProblem(f"{file.name} cannot be read ({err.strerror or err}).") from None


def _window(file: Path, offset: int) -> bytes:
    with file.open("rb") as handle:
        handle.seek(max(0, offset - 2048))
        return handle.read(SAMPLE_BYTES)


# Multi-byte East Asian encodings, each with the older standard that holds the characters
# real text uses: a reading needing characters beyond it (the rare Hangul syllables cp949
# added, kanji outside JIS X 0208) is most likely a wrong reading.
_CJK_CORE = {
    "cp932": "shift_jis", "shift_jis": "shift_jis", "shift_jis_2004": "shift_jis",
    "shift_jisx0213": "shift_jis", "euc_jp": "euc_jp", "euc_jis_2004": "euc_jp",
    "euc_jisx0213": "euc_jp",
    "cp949": "euc_kr", "euc_kr": "euc_kr", "johab": "euc_kr",
    "gb18030": "gb2312", "gbk": "gb2312", "gb2312": "gb2312",
    "big5": "big5", "cp950": "big5", "big5hkscs": "big5",
}  # fmt: skip
_CJK_TRIED = ("cp932", "cp949", "gb18030", "big5")
_HALFWIDTH_KANA = re.compile("[\uff61-\uff9f]")


def _guess_encoding(sample: bytes) -> str:
    """The legacy encoding that reads ``sample`` most plausibly (see the module notes)."""
    candidates = list(_LEGACY)
    try:
        from charset_normalizer import from_bytes

        found = [codecs.lookup(match.encoding).name for match in from_bytes(sample)]
    except Exception:  # a detector failure must not stop an import
        found = []
    # charset-normalizer's first choice, and when it sees an East Asian encoding among its
    # choices, the commonest of them all: on a few names it takes Japanese for Korean.
    for name in found[:1]:
        if not name.startswith(("utf", "ascii")) and name not in candidates:
            candidates.append(name)
    if any(name in _CJK_CORE for name in found):
        candidates.extend(name for name in _CJK_TRIED if name not in candidates)
    scored: list[tuple[int, int, str]] = []
    for order, codec in enumerate(candidates):
        text = _decode_sample(sample, codec, complete=False, errors="strict")
        if text is None:
            continue
        scored.append((implausibility(text) + _rare_cjk(text, codec), order, codec))
    if not scored:
        return "cp1252"
    return min(scored)[2]


def _rare_cjk(text: str, codec: str) -> int:
    """How many characters of a multi-byte reading lie outside its core standard, or are
    half-width katakana (what Korean or Chinese bytes look like read as Shift_JIS), or
    are Hanja in a Korean reading."""
    core = _CJK_CORE.get(codec)
    if core is None or text.isascii():
        return 0
    rare = 0
    for ch in set(text):
        if ord(ch) < 0x80:
            continue
        try:
            # Python's euc_kr writes the syllables KS X 1001 lacks as 8-byte make-up sequences.
            usual = len(ch.encode(core)) == 2
        except UnicodeEncodeError:
            usual = False
        if not usual or _HALFWIDTH_KANA.match(ch) or (core == "euc_kr" and _is_ideograph(ch)):
            rare += text.count(ch)
    return rare


def _is_ideograph(ch: str) -> bool:
    """Korean is written in Hangul: Hanja in a cp949 reading are most likely Chinese bytes."""
    return "\u4e00" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _decode_sample(data: bytes, codec: str, *, complete: bool, errors: str = "replace") -> Any:
    decoder = codecs.getincrementaldecoder(codec)(errors)
    try:
        return decoder.decode(data, final=complete)
    except UnicodeDecodeError:
        return None


# Mixed and undecodable lines -------------------------------------------------------------

_SHOWN_LINES = 3
_ESCAPED = re.compile("[\udc80-\udcff]")


def _line_blocks(file: Path) -> Iterator[bytes]:
    """The file in pieces of about a MiB, each ending at a line break (but the last)."""
    carry = b""
    try:
        with file.open("rb") as handle:
            while block := handle.read(_CHUNK):
                data = carry + block if carry else block
                cut = data.rfind(b"\n") + 1
                if cut == 0 and len(data) < _MAX_CARRY:
                    carry = data
                    continue
                cut = cut or len(data)
                carry = data[cut:]
                yield data[:cut]
    except OSError as err:
        raise FileProblem(f"{file.name} cannot be read ({err.strerror or err}).") from None
    if carry:
        yield carry


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


@dataclass
class _Lines:
    """Some lines of one kind: the first few (number, bytes), and how many in all."""

    shown: list[tuple[int, bytes]] = field(default_factory=list)
    count: int = 0

    def add(self, number: int, line: bytes) -> None:
        self.count += 1
        if len(self.shown) < _SHOWN_LINES:
            self.shown.append((number, line))


def _check_one_encoding(file: Path, codec: str) -> None:
    """Refuse a file that no one encoding reads: UTF-8 lines among lines in a legacy
    encoding (an export pasted together from two programs), or bytes ``codec`` cannot
    decode. One streaming pass at C speed: each block is decoded as UTF-8 with its
    undecodable bytes escaped, and regular expressions find the lines that are UTF-8
    with non-ASCII characters and those that are not UTF-8; only a few of each are
    looked at in Python."""
    utf8, other, bad = _Lines(), _Lines(), _Lines()
    legacy: list[bytes] = []  # lines that are not UTF-8, for the encoding to suggest
    kept = 0
    number = 0  # lines before the block
    for block in _line_blocks(file):
        if block.isascii():
            number += block.count(b"\n")
            continue
        text = block.decode("utf-8", "surrogateescape")
        for match, at in _numbered(_UTF8_LINE, text, number):
            if len(utf8.shown) >= _SHOWN_LINES:
                utf8.count += 1  # one more at least, and enough to name them
                break
            line = match[0]
            if implausibility(line) < implausibility(line.encode().decode(codec, "replace")):
                utf8.add(at, line.encode())
        for match, at in _numbered(_LEGACY_LINE, text, number):
            if other.count > _SHOWN_LINES and kept >= SAMPLE_BYTES:
                break
            line_bytes = match[0].encode("utf-8", "surrogateescape")
            other.add(at, line_bytes)
            if kept < SAMPLE_BYTES:
                legacy.append(line_bytes)
                kept += len(line_bytes)
        if not _decodes(block, codec):
            for offset, line_bytes in enumerate(block.split(b"\n")):
                if not _decodes(line_bytes, codec):
                    bad.add(number + offset + 1, line_bytes)
                    if bad.count > _SHOWN_LINES:
                        break
        number += block.count(b"\n")
        if utf8.shown and other.count > _SHOWN_LINES:
            break  # mixed: enough to say so
    if utf8.count and other.count:
        raise _mixed(file, utf8, other, _guess_encoding(b"\n".join(legacy)))
    if bad.count:
        raise _undecodable_in(file, codec, bad)


# In a block decoded as UTF-8 with undecodable bytes escaped (U+DC80-U+DCFF): a line that
# is UTF-8 and holds a non-ASCII character, and a line that is not UTF-8. Possessive
# repeats keep the search linear however long a line is.
_UTF8_LINE = re.compile(
    "^[\x00-\x09\x0b-\x7f]*+[^\x00-\x7f\udc80-\udcff][^\n\udc80-\udcff]*+$", re.MULTILINE
)
_LEGACY_LINE = re.compile("^[^\n\udc80-\udcff]*+[\udc80-\udcff][^\n]*+", re.MULTILINE)


def _numbered(
    pattern: re.Pattern[str], text: str, before: int
) -> Iterator[tuple[re.Match[str], int]]:
    """The matches of ``pattern`` in ``text``, each with its line number in the file."""
    at, number = 0, before + 1
    for match in pattern.finditer(text):
        number += text.count("\n", at, match.start())
        at = match.start()
        yield match, number


def _lines_phrase(lines: _Lines) -> str:
    numbers = [str(n) for n, _ in lines.shown]
    more = lines.count - len(numbers)
    if more > 0:
        return "lines " + ", ".join(numbers) + " and more"
    if len(numbers) == 1:
        return "line " + numbers[0]
    return "lines " + ", ".join(numbers[:-1]) + " and " + numbers[-1]


_FRAGMENT = re.compile(r"[^\s,;|\"]*[^\x00-\x7f][^\s,;|\"]*")


def _fragment(text: str) -> str:
    """The words of a line that hold non-ASCII characters, as a reader would look for them."""
    words = _FRAGMENT.findall(text.replace("\t", " "))[:3]
    shown = " ".join(words) if words else text.strip()
    shown = "".join(ch if ch.isprintable() else "\ufffd" for ch in shown)
    return shown if len(shown) <= 40 else shown[:39] + "…"


def _mixed(file: Path, utf8: _Lines, other: _Lines, legacy: str) -> FileProblem:
    line = utf8.shown[0][1]
    as_utf8 = _fragment(line.decode("utf-8"))
    misread = _fragment(line.decode(legacy, "replace"))
    line = other.shown[0][1]
    as_legacy = _fragment(line.decode(legacy, "replace"))
    broken = _fragment(line.decode("utf-8", "replace"))
    return FileProblem(
        f"{file.name} mixes two encodings, so no one reading is right: "
        f"{_lines_phrase(utf8)} {'is' if utf8.count == 1 else 'are'} UTF-8 "
        f"(“{as_utf8}”, which {legacy} would read as “{misread}”) and "
        f"{_lines_phrase(other)} {'is' if other.count == 1 else 'are'} not "
        f"(“{as_legacy}” in {legacy}, “{broken}” in UTF-8). Save the file again as UTF-8 "
        f"in the program that made it, or import it with --encoding utf-8 or --encoding "
        f"{legacy} to read it all one way (what does not fit is read as �)."
    )


def _undecodable_in(file: Path, codec: str, bad: _Lines) -> FileProblem:
    line = bad.shown[0][1]
    return FileProblem(
        f"{file.name} has bytes that are not {codec}, the encoding most of it reads as, "
        f"on {_lines_phrase(bad)} (“{_fragment(line.decode(codec, 'replace'))}” in "
        f"{codec}, “{_fragment(line.decode('utf-8', 'replace'))}” in UTF-8). Import it "
        f"with --encoding NAME to say what the file is (what does not fit is read as �), "
        f"or save it again as UTF-8 in the program that made it."
    )


def _undecodable(file: Path, codec: str, bom: int) -> tuple[list[int], int]:
    """For an encoding the user gave: the first lines holding bytes it cannot decode, and
    how many lines do (they are read with U+FFFD)."""
    first: list[int] = []
    count = 0
    number = 1  # the line the chunk starts in
    try:
        with file.open("rb") as handle:
            handle.seek(bom)
            text = io.TextIOWrapper(handle, encoding=codec, errors="surrogateescape", newline="")
            while chunk := text.read(_CHUNK):
                if _ESCAPED.search(chunk):
                    for offset, line in enumerate(chunk.split("\n")):
                        if _ESCAPED.search(line) and (not first or first[-1] != number + offset):
                            count += 1
                            if len(first) < 10:
                                first.append(number + offset)
                number += chunk.count("\n")
    except OSError as err:
        raise FileProblem(f"{file.name} cannot be read ({err.strerror or err}).") from None
    except (UnicodeError, LookupError) as err:
        raise FileProblem(f"{file.name} cannot be read as {codec} ({err}).") from None
    return first, count


def _refuse_binary_text(file: Path, text: str, *, replaced: bool = True) -> None:
    """``replaced``: count U+FFFD as a sign of binary (not when the user gave the encoding
    and some lines are known not to fit it)."""
    if not text:
        return
    odd = sum(
        1
        for ch in text
        if (ch == "\ufffd" and replaced)
        or (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v\x1a")
    )
    if odd * 20 > len(text):
        raise _not_text(file)


_PLAIN_MARKS = frozenset("\u00a0’‘“”–—…€«»•·°")
"""Non-ASCII punctuation that tells nothing of the encoding a value was read with."""


def _accented(text: str, delimiter: str, skip_first: bool, *, complete: bool) -> list[str]:
    """Up to four distinct values of the sample with non-ASCII letters (or what a wrong
    encoding makes of them: symbols, U+FFFD), as decoded: shown in the plan, they make a
    wrong encoding visible before anything is imported."""
    if text.isascii():
        return []
    if not complete:
        text = text[: text.rfind("\n") + 1] or text
    lines: Iterable[str] = io.StringIO(text, newline="")
    if skip_first:
        lines = itertools.islice(lines, 1, None)
    found: list[str] = []
    try:
        for record in itertools.islice(csv.reader(lines, delimiter=delimiter), 5000):
            for cell in record:
                if cell.isascii() or "@" in cell:
                    continue
                value = "".join(
                    ch if ch.isprintable() else "\ufffd" for ch in " ".join(cell.split())
                )
                if len(value) > 40 or any(value in v or v in value for v in found):
                    continue
                if any(ord(ch) > 127 and ch not in _PLAIN_MARKS for ch in value):
                    found.append(value)
                    if len(found) == 4:
                        return found
    except csv.Error:
        pass
    return found


def _detect_delimiter(text: str, *, complete: bool) -> str:
    if not complete:
        cut = text.rfind("\n")
        if cut > 0:
            text = text[:cut]
    best: tuple[tuple[bool, int, float], str] | None = None
    for delimiter in _DELIMITERS:
        counts: list[int] = []
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
        try:
            for record in itertools.islice(reader, 200):
                if any(cell.strip() for cell in record):
                    counts.append(len(record))
        except csv.Error:
            pass
        if not counts:
            continue
        if not complete and len(counts) > 1:
            counts.pop()  # the last record may be cut short by the sample
        mode = max(set(counts), key=lambda n: (counts.count(n), n))
        share = counts.count(mode) / len(counts)
        if mode < 2:
            continue
        key = (share >= 0.8, mode if share >= 0.8 else 0, share)
        if best is None or key > best[0]:
            best = (key, delimiter)
    return best[1] if best else ","


# ---------------------------------------------------------------------------
# Header rows


_EMAIL = re.compile(r"(?:mailto:)?[^@\s]+@[^@\s]+\.[^@\s]+", re.IGNORECASE)
_PHONE = re.compile(r"(?:\+|00)?[\d\s().\-/]+")
_NUMBER = re.compile(r"[-+]?(?:\d+|\d{1,3}(?:[ ,.\u00a0\u202f]\d{3})+)(?:[.,]\d+)?%?")
_DATE = re.compile(
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}/\d{1,2}/\d{1,2})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?.*)?"
)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def _is_data(value: Any) -> bool:
    """True when a cell holds a value rather than a column label."""
    if not isinstance(value, str):
        return value is not None
    text = value.strip()
    if not text:
        return False
    if _EMAIL.fullmatch(text) or _URL.fullmatch(text) or _DATE.fullmatch(text):
        return True
    if _NUMBER.fullmatch(text):
        return True
    return bool(_PHONE.fullmatch(text)) and sum(ch.isdigit() for ch in text) >= 6


def _filled(cells: list[Any]) -> int:
    return sum(1 for c in cells if not (c is None or (isinstance(c, str) and not c.strip())))


def _find_header(rows: list[list[Any]]) -> int | None:
    """Index in ``rows`` (non-blank rows, in order) of the header row, or None."""
    widths = [_filled(cells) for cells in rows]
    for index, cells in enumerate(rows[:12]):
        filled = widths[index]
        below = max(widths[index + 1 : index + 21], default=0)
        if filled < min(2, max(filled, below)) or filled * 4 < below:
            continue  # a title or a note above the table
        if any(_is_data(c) for c in cells):
            return None  # data comes first: there is no header row
        return index
    return None


def _apply_header(
    table: Table, numbered: list[tuple[int, list[Any]]], texts: list[list[str]]
) -> None:
    index = _find_header([cells for _, cells in numbered])
    if index is None:
        return
    headers = texts[index]
    while headers and not headers[-1]:
        headers.pop()
    table.headers = headers
    table.header_row = numbered[index][0]


def _texts(cells: list[Any]) -> list[str]:
    """Every cell as stripped text (inline and by exact type: it runs for every cell)."""
    by_type = _BY_TYPE
    return [
        (v.strip() if "\r" not in v else v.replace("\r\n", "\n").strip())
        if type(v) is str
        else by_type.get(type(v), _cell_text)(v)
        for v in cells
    ]


def _trim(values: list[str], width: int) -> list[str] | None:
    """Trailing empties beyond ``width`` dropped, padded to ``width``; None if blank."""
    last = len(values)
    while last and not values[last - 1]:
        last -= 1
    if last == 0:
        return None
    if last < width:
        return values[:last] + [""] * (width - last)
    return values[:last]


# ---------------------------------------------------------------------------
# Cells as text


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, dt.datetime):
        return _date_time_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _clock(value)
    if isinstance(value, dt.timedelta):
        seconds = round(value.total_seconds())
        sign = "-" if seconds < 0 else ""
        hours, rest = divmod(abs(seconds), 3600)
        return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return str(value).strip()


def _date_time_text(value: dt.datetime) -> str:
    if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
        return value.date().isoformat()
    return f"{value.date().isoformat()} {_clock(value.time())}"


def _clock(value: dt.time) -> str:
    if value.second or value.microsecond:
        return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    return f"{value.hour:02d}:{value.minute:02d}"


def _number_text(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    text = f"{value:.15g}"
    if "e" not in text:
        return "0" if text == "-0" else text
    try:
        text = format(Decimal(f"{value:.15g}"), "f")
    except InvalidOperation:
        return repr(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


_BY_TYPE: dict[type, Any] = {
    float: _number_text,
    int: str,
    bool: lambda value: "TRUE" if value else "FALSE",
    dt.datetime: _date_time_text,
    dt.date: dt.date.isoformat,
    dt.time: _clock,
}


# ---------------------------------------------------------------------------
# Zip containers


_DOCTYPE = (b"<!DOCTYPE", b"<!ENTITY")
_XML_PARTS = (".xml", ".rels")


class _SafeZip:
    """A zip archive checked for bombs before anything reads it."""

    def __init__(self, file: Path, kind: str) -> None:
        self.file = file
        self.kind = kind
        head = _head(file, 8)
        if head.startswith(_OLE_MAGIC):
            raise _old_excel(file)
        if not head.startswith(_ZIP_MAGIC):
            raise FileProblem(
                f"{file.name} is not an .{kind} workbook (it is not a zip archive); "
                "if it is a CSV text, give it a .csv extension."
            )
        try:
            self.zip = zipfile.ZipFile(file)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            raise self.damaged() from None
        names = [i.filename for i in infos]
        if len(infos) > MAX_ZIP_PARTS or len(set(names)) != len(names):
            self.zip.close()
            raise self.damaged()
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                self.zip.close()
                raise FileProblem(
                    f"{file.name} is password-protected; remove the password in Excel "
                    "or LibreOffice, save it and import it again."
                )
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                self.zip.close()
                raise self.damaged()
            total += info.file_size
            ratio_bomb = info.file_size > _RATIO_FLOOR and info.file_size > MAX_ZIP_RATIO * max(
                1, info.compress_size
            )
            if total > MAX_ZIP_TOTAL or ratio_bomb:
                self.zip.close()
                raise FileProblem(
                    f"{file.name} unpacks to far more data than a spreadsheet holds "
                    "(a zip bomb, or a sheet too large to import); if the file is genuine, "
                    "save the data as CSV and import that."
                )
        self.names = set(names)
        self.sizes = {i.filename: i.file_size for i in infos}

    def damaged(self) -> FileProblem:
        return FileProblem(
            f"{self.file.name} is damaged or incomplete (not a complete .{self.kind} "
            "archive); copy or download it again, or re-save it in Excel or LibreOffice."
        )

    def __enter__(self) -> _SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zip.close()

    def chunks(self, name: str) -> Iterator[bytes]:
        """The part's bytes in chunks, refused on any DOCTYPE/ENTITY declaration."""
        if name not in self.names:
            raise self.damaged()
        tail = b""
        left = self.sizes[name]
        try:
            with self.zip.open(name) as part:
                while True:
                    block = part.read(_CHUNK)
                    if not block:
                        return
                    # zipfile stops at the declared size (whose sum was capped above);
                    # this does not rely on it
                    left -= len(block)
                    if left < 0:
                        raise self.damaged()
                    edge = tail + block[:16]
                    if (b"<!" in block or b"<!" in edge) and any(
                        mark in block or mark in edge for mark in _DOCTYPE
                    ):
                        raise FileProblem(
                            f"{self.file.name} declares XML entities in {name}, which "
                            "spreadsheet programs never write and which can be used to "
                            "attack readers; re-save it in Excel or LibreOffice."
                        )
                    tail = block[-16:]
                    yield block
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError):
            raise self.damaged() from None
        except Exception as err:
            if isinstance(err, FileProblem):
                raise
            raise self.damaged() from None

    def read(self, name: str) -> bytes:
        return b"".join(self.chunks(name))

    def check_xml_parts(self, skip: Iterable[str]) -> None:
        skipped = set(skip)
        for name in sorted(self.names):
            if name in skipped or not name.lower().endswith(_XML_PARTS):
                continue  # media are never parsed as XML
            for _ in self.chunks(name):
                pass


def _parse_xml(zf: _SafeZip, name: str) -> Any:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    data = zf.read(name)
    try:
        return ElementTree.fromstring(data)
    except (DefusedXmlException, SyntaxError, ValueError):
        raise zf.damaged() from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# ---------------------------------------------------------------------------
# Spreadsheets


@dataclass
class _Sheet:
    name: str
    part: str = ""
    visible: bool = True
    rows: int = 0
    cols: int = 0
    filled: int = 0
    """XLSX: rows holding a value (an upper bound), counted during the extent scan."""


def _choose(file: Path, sheets: list[_Sheet], wanted: str | None) -> _Sheet:
    if not sheets:
        raise FileProblem(f"{file.name} holds no worksheet; there is nothing to import.")
    if wanted is None:
        return next((s for s in sheets if s.visible), sheets[0])
    for sheet in sheets:
        if sheet.name == wanted:
            return sheet
    folded = [s for s in sheets if s.name.casefold() == wanted.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    raise FileProblem(
        f"{file.name} has no sheet named {wanted!r}; its sheets are "
        + ", ".join(repr(s.name) for s in sheets)
        + "."
    )


def _refuse_extent(file: Path, sheet: _Sheet) -> None:
    if sheet.rows * sheet.cols > MAX_SHEET_CELLS:
        corner = f"{column_name(sheet.cols)}{sheet.rows}"
        raise FileProblem(
            f"{file.name}: sheet {sheet.name!r} reaches cell {corner}, "
            f"{sheet.rows:,} rows by {sheet.cols:,} columns, more than the "
            f"{MAX_SHEET_CELLS:,} cells coalition reads; delete the stray cells far from "
            "the data (or save the data as CSV) and import it again."
        )


def _too_many_rows(file: Path, sheet: str | None, limit: int, where: str) -> FileProblem:
    place = f"sheet {sheet!r} " if sheet is not None else ""
    return FileProblem(
        f"{file.name}: {place}has more than {limit:,} rows of data ({where} is one too "
        f"many), more than an import takes at once; split the file, or raise the limit "
        "with --max-rows."
    )


def _refuse_rows(
    file: Path, sheet: _Sheet, rows: int, limit: int | None, verb: str = "reaches"
) -> None:
    """Before loading: a sheet known to hold more than ``limit`` rows (a header allowed)."""
    if limit is not None and rows > limit + 1:
        what = f"{verb} row {rows:,}" if verb == "reaches" else f"{verb} {rows:,} rows"
        raise FileProblem(
            f"{file.name}: sheet {sheet.name!r} {what}, more than the "
            f"{limit:,} rows of data an import takes at once; split the file (or delete "
            "stray cells far below the data), or raise the limit with --max-rows."
        )


def _refuse_parts(zf: _SafeZip, skip: Iterable[str]) -> None:
    """Parts besides the sheet data that calamine holds whole (shared strings, styles)."""
    skipped = set(skip)
    for name, size in zf.sizes.items():
        if name in skipped or not name.lower().endswith(_XML_PARTS) or size <= MAX_PART:
            continue
        raise FileProblem(
            f"{zf.file.name}: its part {name} unpacks to {size / (1 << 20):,.0f} MiB, more "
            f"than the {MAX_PART >> 20} MiB a spreadsheet's {posixpath.basename(name)} "
            "needs; save the data as CSV and import that."
        )


def _column_number(letters: bytes) -> int:
    number = 0
    for byte in letters.upper():
        number = number * 26 + byte - 64
    return number


def _load_grid(file: Path, sheet: _Sheet, kind: str) -> Any:
    if kind == "ods":  # streamed from the file each time it is read, never held
        return OdsTable(file, sheet.name, lambda: _ods_content(file))
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(file))
        try:
            grid = workbook.get_sheet_by_name(sheet.name)
        finally:
            workbook.close()
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as err:  # calamine errors and Rust panics alike
        raise FileProblem(
            f"{file.name}: sheet {sheet.name!r} cannot be read ({_short(err)}); "
            "re-save the file in Excel or LibreOffice and try again."
        ) from None
    return grid


def _short(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text[:160]


def _grid_iter(grid: Any, file: Path) -> Generator[tuple[int, list[Any]], None, None]:
    """(row number, raw cells) for the rows of a sheet: streamed from an .xlsx, or every
    row of a loaded calamine sheet.

    python-calamine yields the rows above the used range as empty rows, so
    the n-th row yielded is row n of the sheet.
    """
    if isinstance(grid, OdsTable):
        yield from grid.rows()
        return
    if isinstance(grid, _XlsxSheet):
        yield from grid.rows()
        return
    if isinstance(grid, list):  # all the rows holding a value, read by the header look-ahead
        yield from grid
        return
    if grid is None or grid.start is None:
        return
    try:
        rows = iter(grid.iter_rows())
    except Exception as err:
        raise FileProblem(f"{file.name} cannot be read ({_short(err)}).") from None
    number = 0
    while True:
        try:
            raw = next(rows)
        except StopIteration:
            return
        except Exception as err:
            raise FileProblem(f"{file.name} cannot be read ({_short(err)}).") from None
        number += 1
        yield number, raw


def _spreadsheet_table(
    file: Path, kind: str, sheets: list[_Sheet], chosen: _Sheet, grid: Any = None
) -> Table:
    if grid is None:
        grid = _load_grid(file, chosen, kind)
    table = Table(
        path=file,
        format=kind,
        headers=None,
        header_row=0,
        sheet=chosen.name,
        sheets=[s.name for s in sheets],
        _grid=grid,
    )
    head: list[tuple[int, list[Any]]] = []
    with contextlib.closing(_grid_iter(grid, file)) as rows:
        for number, raw in rows:
            if _filled(raw):
                head.append((number, raw))
                if len(head) >= _HEADER_LOOKAHEAD:
                    break
        else:  # the whole sheet was read: its few rows are kept, not streamed again
            table._grid = list(head)
    if not head:
        others = [s.name for s in sheets if s.name != chosen.name]
        hint = (
            f"; choose another sheet ({', '.join(repr(n) for n in others)})"
            if others
            else "; there is nothing to import"
        )
        raise FileProblem(f"{file.name}: sheet {chosen.name!r} is empty{hint}.")
    _apply_header(table, head, [_texts(raw) for _, raw in head])
    return table


# XLSX -----------------------------------------------------------------------


def _open_xlsx(
    file: Path, wanted: str | None, max_rows: int | None = None, *, bounds_checked: bool = False
) -> Table:
    with _SafeZip(file, "xlsx") as zf:
        sheets = _xlsx_sheets(zf)
        chosen = _choose(file, sheets, wanted)
        _refuse_parts(zf, skip=[s.part for s in sheets])
        zf.check_xml_parts(skip=[s.part for s in sheets])
        if not bounds_checked:
            filled = [0, 0]
            chosen.rows, chosen.cols = _xlsx_extent(zf, chosen.part, filled, max_rows)
            chosen.filled = filled[0]
            _refuse_rows(file, chosen, chosen.filled, max_rows, "has values in")
            _refuse_extent(file, chosen)
            _refuse_shared_copies(zf, chosen, filled[1])
        grid = None if os.environ.get(_ENGINE) == "calamine" else _xlsx_sheet(zf, chosen)
    table = _spreadsheet_table(file, "xlsx", sheets, chosen, grid)
    table.max_rows = max_rows
    return table


_ENGINE = "COALITION_XLSX_READER"
"""Set to ``calamine`` to read .xlsx sheets whole with calamine, as before the streamed
reader (for comparing the two; tests/test_xlsx_stream.py runs the suite's files both ways)."""


@dataclass
class _XlsxSheet:
    """An .xlsx sheet read as a stream each time its rows are asked for (``xlsx.py``):
    only the shared strings and cell styles stay in memory."""

    file: Path
    sheet: str
    part: str
    book: Any

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        from coalition.interchange import xlsx

        with _SafeZip(self.file, "xlsx") as zf:
            try:
                yield from xlsx.sheet_rows(zf.chunks(self.part), self.book)
            except xlsx.Damaged as err:
                raise _unreadable_xlsx(self.file, err, self.sheet) from None


def _unreadable_xlsx(file: Path, err: Exception, sheet: str | None = None) -> FileProblem:
    where = f"{file.name}: sheet {sheet!r}" if sheet is not None else file.name
    return FileProblem(
        f"{where} cannot be read ({_short(err)}); "
        "re-save the file in Excel or LibreOffice and try again."
    )


def _xlsx_sheet(zf: _SafeZip, sheet: _Sheet) -> _XlsxSheet:
    """The chosen sheet, with what its cells refer to: shared strings, styles, 1904."""
    from coalition.interchange import xlsx

    workbook, targets = _xlsx_workbook(zf)
    parts: dict[str, str] = {}
    for kind, target in targets.values():
        for wanted in ("sharedStrings", "styles"):
            if kind.endswith("/" + wanted) and target in zf.names:
                parts.setdefault(wanted, target)
    for wanted in ("sharedStrings", "styles"):  # where calamine looks, whatever rels say
        usual = f"xl/{wanted}.xml".lower()
        parts.setdefault(wanted, next((n for n in zf.names if n.lower() == usual), ""))
    try:
        book = xlsx.Book.load(
            zf.chunks(workbook),
            zf.chunks(parts["styles"]) if parts["styles"] else None,
            zf.chunks(parts["sharedStrings"]) if parts["sharedStrings"] else None,
        )
    except xlsx.Damaged as err:
        raise _unreadable_xlsx(zf.file, err) from None
    return _XlsxSheet(zf.file, sheet.name, sheet.part, book)


def _xlsx_workbook(zf: _SafeZip) -> tuple[str, dict[str, tuple[str, str]]]:
    """The workbook part and its relationships: id -> (type, part)."""
    workbook = "xl/workbook.xml"
    if "_rels/.rels" in zf.names:
        for rel in _parse_xml(zf, "_rels/.rels"):
            if rel.get("Type", "").endswith("/officeDocument"):
                workbook = _resolve("", rel.get("Target", ""))
                break
    if workbook not in zf.names:
        raise FileProblem(
            f"{zf.file.name} is a zip archive but not an Excel workbook; "
            "open it in the program that made it and save it as .xlsx."
        )
    rels_name = posixpath.join(
        posixpath.dirname(workbook), "_rels", posixpath.basename(workbook) + ".rels"
    )
    targets: dict[str, tuple[str, str]] = {}
    if rels_name in zf.names:
        for rel in _parse_xml(zf, rels_name):
            targets[rel.get("Id", "")] = (
                rel.get("Type", ""),
                _resolve(posixpath.dirname(workbook), rel.get("Target", "")),
            )
    return workbook, targets


def _xlsx_sheets(zf: _SafeZip) -> list[_Sheet]:
    workbook, targets = _xlsx_workbook(zf)
    sheets: list[_Sheet] = []
    for element in _parse_xml(zf, workbook).iter():
        if _local(element.tag) != "sheet":
            continue
        rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
        kind, part = targets.get(rid, ("", ""))
        if not kind.endswith("/worksheet"):
            continue  # chart sheets and the like hold no rows
        if part not in zf.names:
            raise zf.damaged()
        state = element.get("state", "visible")
        sheets.append(_Sheet(element.get("name", ""), part, state == "visible"))
    return sheets


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(base, target))


# In the fast path a cell is one of: an ordinary ``<c r="A1"…`` (column A-Z, row
# up to 99,999: counted as that bound, never parsed), a cell beyond that
# (group 1 its reference, group 2 "/" when it is self-closing, hence empty),
# or a ``<c`` written any other way (group 3: the sheet is then walked tag by
# tag).
_ODD_CELL = re.compile(rb'<c(?: r="(?![A-Z][0-9]{1,5}")([^"]*)"[^>]*?(/?)>|(?! r=")([\s/>]))')
_PLAIN_BOUND = (99_999, 26)
_PREFIXED_CELL = re.compile(rb"<[A-Za-z_][\w.\-]*:c[\s/>]")
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(row|c)(?=[\s/>])([^>]*)>")
_R_ATTR = re.compile(rb"""(?:^|\s)r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF = re.compile(rb"([A-Za-z]{1,4})([0-9]{1,8})")


def _xlsx_extent(
    zf: _SafeZip, part: str, filled: list[int] | None = None, max_rows: int | None = None
) -> tuple[int, int]:
    """Upper bounds of (last row, last column) of the cells with content, 1-based.

    The fast path costs a few passes over the XML at C speed; the walk, in
    Python per tag, runs only when the fast bound is too loose to decide
    (more than 160 columns, or a hostile file) or the XML is unusual.
    ``filled[0]`` becomes the number of rows holding a value (``<v>`` or ``<t>``),
    the rows of a file of a million empty formatted rows not counting, and ``filled[1]``
    the cells using shared strings. Past ``max_rows`` such rows the walk is not made.
    """
    counted = [0, 0, 0]
    fast = _xlsx_extent_fast(zf, part, counted)
    too_many = max_rows is not None and counted[0] > max_rows + 1  # refused for that
    if not too_many and (fast is None or fast[0] * fast[1] > MAX_SHEET_CELLS):
        counted[:] = [0, 0, 0]
        fast = _xlsx_extent_walk(zf, part, counted)
    if filled is not None:
        filled[:] = counted[:2]
    return fast or (0, 0)


_SHARED_REF = re.compile(rb't\s*=\s*["\']s["\'][^>]*>\s*<(?:[A-Za-z_][\w.\-]*:)?v>\s*([0-9]+)')


def _refuse_shared_copies(zf: _SafeZip, sheet: _Sheet, references: int) -> None:
    """calamine copies a shared string into every cell that uses it: one long text used by a
    million cells is a bomb. Bounded by the longest string times the cells using shared
    strings, and summed exactly only when that bound is too high."""
    part = next((n for n in zf.names if n.lower().endswith("sharedstrings.xml")), None)
    if part is None or not references:
        return
    lengths: list[int] = []
    for piece in _complete_tags(zf, part):
        lengths.extend(map(len, piece.split(b"</si>")[:-1] if b"</si>" in piece else ()))
    if not lengths or max(lengths) * references <= MAX_REPEATED_TEXT:
        return
    total = 0
    for piece in _complete_tags(zf, sheet.part):
        for index in _SHARED_REF.findall(piece):
            position = int(index)
            total += lengths[position] if position < len(lengths) else 0
        if total > MAX_REPEATED_TEXT:
            raise FileProblem(
                f"{zf.file.name}: sheet {sheet.name!r} repeats its shared texts into more "
                f"than {MAX_REPEATED_TEXT >> 20} MiB of cells, which no real list of people "
                "does; save the data as CSV and import that."
            )


def _count_filled(piece: bytes, filled: list[int]) -> None:
    """Add to ``filled[0]`` the rows of ``piece`` that hold a value, at C speed per row.

    ``piece`` ends after a tag, not always after a row: the row still open at its end is
    remembered in ``filled[2]`` (1 when it has shown a value) and counted once, when it ends.
    """
    segments = piece.split(b"row>")
    for at, row in enumerate(segments):
        if b"v>" in row or b"t>" in row:
            filled[2] = 1
        if at < len(segments) - 1:  # this segment ends with the row's end tag
            filled[0] += filled[2]
            filled[2] = 0


def _complete_tags(zf: _SafeZip, part: str) -> Iterator[bytes]:
    """The part in pieces that end after a ``>``, so no tag is split between pieces."""
    carry = b""
    for block in zf.chunks(part):
        buffer = carry + block if carry else block
        cut = buffer.rfind(b">") + 1
        if cut == 0:
            carry = buffer
            if len(carry) > _MAX_CARRY:
                raise zf.damaged()
            continue
        carry = buffer[cut:]
        yield buffer[:cut] if carry else buffer
    if carry:
        yield carry


def _xlsx_extent_fast(zf: _SafeZip, part: str, filled: list[int]) -> tuple[int, int] | None:
    """Bounds when every cell is written ``<c r="…"``; None when one is not."""
    max_row, max_col = _PLAIN_BOUND
    for piece in _complete_tags(zf, part):
        _count_filled(piece, filled)
        filled[1] += piece.count(b't="s"')
        if b":c" in piece and _PREFIXED_CELL.search(piece):
            return None
        for ref, slash, irregular in _ODD_CELL.findall(piece):
            if irregular:
                return None
            if slash:
                continue  # an empty cell
            parsed = _REF.fullmatch(ref)
            if not parsed:
                _bad_ref(zf, ref)
                continue
            max_col = max(max_col, _column_number(parsed[1]))
            max_row = max(max_row, int(parsed[2]))
    return max_row, max_col


def _xlsx_extent_walk(zf: _SafeZip, part: str, filled: list[int]) -> tuple[int, int]:
    """Bounds for any sheet, tag by tag, following calamine's row and column counters."""
    max_row = max_col = 0
    row = col = 0
    for piece in _complete_tags(zf, part):
        _count_filled(piece, filled)
        filled[1] += piece.count(b't="s"') + piece.count(b"t='s'") + piece.count(b"t = ")
        for match in _TAG.finditer(piece):
            name, attrs = match[1], match[2]
            ref = _R_ATTR.search(attrs)
            value = (ref[1] if ref[1] is not None else ref[2]) if ref else None
            if name == b"row":
                if value is not None and value.strip().isdigit():
                    row = int(value)
                else:
                    row += 1
                col = 0
                continue
            if value is not None:
                parsed = _REF.fullmatch(value.strip())
                if not parsed:
                    _bad_ref(zf, value)
                    continue
                cell_row, col = int(parsed[2]), _column_number(parsed[1])
            else:
                cell_row, col = max(row, 1), col + 1
            if not attrs.rstrip().endswith(b"/"):
                max_row, max_col = max(max_row, cell_row), max(max_col, col)
    return max_row, max_col


def _bad_ref(zf: _SafeZip, ref: bytes) -> None:
    raise FileProblem(
        f"{zf.file.name} has a cell at {ref.decode('latin-1')[:20]!r}, which is not a cell "
        "address; re-save the file in Excel or LibreOffice and try again."
    )


# ODS ------------------------------------------------------------------------


def _open_ods(file: Path, wanted: str | None, max_rows: int | None = None) -> Table:
    with _SafeZip(file, "ods") as zf:
        _refuse_parts(zf, skip=["content.xml"])
        sheets = _ods_scan(zf)
        zf.check_xml_parts(skip=["content.xml"])
    chosen = _choose(file, sheets, wanted)
    _refuse_rows(file, chosen, chosen.rows, max_rows)
    for sheet in sheets:  # calamine loads every table of an .ods at once
        _refuse_extent(file, sheet)
    if sum(s.rows * s.cols for s in sheets) > MAX_SHEET_CELLS:
        biggest = max(sheets, key=lambda s: s.rows * s.cols)
        raise FileProblem(
            f"{file.name}: its sheets hold more than the {MAX_SHEET_CELLS:,} cells coalition "
            f"reads from one file, {biggest.name!r} the most ({biggest.rows:,} rows by "
            f"{biggest.cols:,} columns); save the sheet to import as CSV and import that."
        )
    table = _spreadsheet_table(file, "ods", sheets, chosen)
    table.max_rows = max_rows
    return table


def _ods_content(file: Path) -> Iterator[bytes]:
    with _SafeZip(file, "ods") as zf:
        yield from zf.chunks("content.xml")


_ODS_TABLE = re.compile(rb"<table:table(?=[\s>])([^>]*)>")
_ODS_NAME = re.compile(rb'table:name\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_ODS_ROW = re.compile(rb"<table:table-row(?=[\s/>])([^>]*)>")
_ODS_CELL = re.compile(rb"<table:(?:covered-)?table-cell(?=[\s/>])([^>]*)>")
_ROWS_REPEATED = re.compile(rb'number-rows-repeated\s*=\s*["\']([0-9]+)')
_COLUMNS_REPEATED = re.compile(rb'number-columns-repeated\s*=\s*["\']([0-9]+)')
_ROW_END = b"</table:table-row>"


def _ods_scan(zf: _SafeZip) -> list[_Sheet]:
    """The tables of content.xml, with an exact recount when the quick bound is too loose."""
    if "mimetype" in zf.names:
        mimetype = zf.read("mimetype").strip()
        if mimetype != b"application/vnd.oasis.opendocument.spreadsheet":
            raise FileProblem(
                f"{zf.file.name} is not an OpenDocument spreadsheet "
                f"({mimetype.decode('ascii', 'replace')[:60]}); save the data as .ods, "
                ".xlsx or .csv."
            )
    manifest = "META-INF/manifest.xml"
    if manifest in zf.names and b"encryption-data" in zf.read(manifest):
        raise FileProblem(
            f"{zf.file.name} is password-protected; remove the password in LibreOffice "
            "(File > Properties), save it and import it again."
        )
    if "content.xml" not in zf.names:
        raise zf.damaged()
    try:
        sheets = _ods_count(zf, precise=False)
        if any(s.rows * s.cols > MAX_SHEET_CELLS for s in sheets):
            sheets = _ods_count(zf, precise=True)
    except _RepeatBomb as bomb:
        raise FileProblem(
            f"{zf.file.name}: sheet {bomb.sheet!r} repeats {bomb.what}, which no real list "
            "of people does; re-save the sheet from LibreOffice with the repeated cells "
            "removed, or as CSV."
        ) from None
    return sheets


class _RepeatBomb(Exception):
    def __init__(self, sheet: str, what: str) -> None:
        super().__init__(what)
        self.sheet, self.what = sheet, what


def _ods_count(zf: _SafeZip, *, precise: bool) -> list[_Sheet]:
    """Tables with upper bounds of their extent, as calamine counts it.

    Unless ``precise``, rows without repeat attributes are counted in bulk (their width bounded
    by the number of ``table-cell`` tags, end tags included); rows with
    repeats, table starts and anything unusual go through ``_ods_piece``.
    """
    sheets: list[_Sheet] = []
    state = {"rows": 0}
    carry = b""
    for block in zf.chunks("content.xml"):
        buffer = carry + block if carry else block
        end = buffer.rfind(_ROW_END)
        if end < 0:
            carry = buffer
            if len(carry) > _MAX_CARRY:
                raise zf.damaged()
            continue
        carry = buffer[end + len(_ROW_END) :]
        region = buffer[:end]
        pieces = region.split(_ROW_END)
        plain = (
            not precise
            and sheets
            and b"table:name=" not in region
            and region.count(b"<table:table-row") == len(pieces)
        )
        if not plain:
            for piece in pieces:
                _ods_piece(piece, sheets, state, closed=True)
            continue
        special = list(map(bytes.__contains__, pieces, itertools.repeat(b"repeated")))
        sheet = sheets[-1]
        if not any(special):
            state["rows"] += len(pieces)
            sheet.rows = state["rows"]
            widths = map(bytes.count, pieces, itertools.repeat(b"table-cell"))
            sheet.cols = max(sheet.cols, *widths)
            continue
        for piece, odd in zip(pieces, special, strict=True):
            if odd:
                _ods_piece(piece, sheets, state, closed=True)
            else:
                state["rows"] += 1
                sheet.rows = state["rows"]
                sheet.cols = max(sheet.cols, piece.count(b"table-cell"))
    if carry:
        _ods_piece(carry, sheets, state, closed=False)
    return sheets


def _ods_piece(piece: bytes, sheets: list[_Sheet], state: dict[str, int], *, closed: bool) -> None:
    """Account for one piece of content.xml that ends just before a ``</table:table-row>``."""
    start = 0
    if b"<table:table" in piece:
        for table in _ODS_TABLE.finditer(piece):
            name = _ODS_NAME.search(table[1])
            raw = (name[1] if name[1] is not None else name[2]) if name else b""
            sheets.append(_Sheet(html.unescape(raw.decode("utf-8", "replace"))))
            state["rows"] = 0
            start = table.end()
    if not sheets:
        return
    sheet = sheets[-1]
    rows = list(_ODS_ROW.finditer(piece, start))
    if not rows:
        return
    for extra in rows[:-1]:  # self-closing rows hold nothing
        state["rows"] += _repeat(_ROWS_REPEATED, extra[1])
    last = rows[-1]
    if not closed and last[1].rstrip().endswith(b"/"):
        state["rows"] += _repeat(_ROWS_REPEATED, last[1])
        return
    repeat = _repeat(_ROWS_REPEATED, last[1])
    cells_at = last.end()
    width = 0
    rows_before = state["rows"]
    if piece.find(b"columns-repeated", cells_at) < 0:
        if (
            piece.find(b"value-type", cells_at) >= 0
            or piece.find(b"</table:table-cell>", cells_at) >= 0
            or piece.find(b"</table:covered-table-cell>", cells_at) >= 0
        ):
            width = piece.count(b"<table:table-cell", cells_at) + piece.count(
                b"<table:covered-table-cell", cells_at
            )
        text = len(_MARKUP.sub(b"", piece[cells_at:])) if repeat > 1 else 0
    else:
        col = text = 0
        cells = list(_ODS_CELL.finditer(piece, cells_at))
        for at, cell in enumerate(cells):
            times = _repeat(_COLUMNS_REPEATED, cell[1])
            col += times
            attrs = cell[1]
            if b"value-type" in attrs or not attrs.rstrip().endswith(b"/"):
                width = col
                ends = cells[at + 1].start() if at + 1 < len(cells) else len(piece)
                text += times * len(_MARKUP.sub(b"", piece[cell.end() : ends]))
                if times > MAX_REPEATED_CELLS:
                    first = f"{column_name(col - times + 1)}{rows_before + 1}"
                    raise _RepeatBomb(
                        sheet.name,
                        f"cell {first} {times:,} times (more than {MAX_REPEATED_CELLS:,})",
                    )
    if width and repeat > MAX_REPEATED_ROWS:
        raise _RepeatBomb(
            sheet.name,
            f"row {rows_before + 1:,} {repeat:,} times (more than {MAX_REPEATED_ROWS:,})",
        )
    if width and text and (repeat > 1 or text > len(piece)):
        state["text"] = state.get("text", 0) + repeat * text
        if state["text"] > MAX_REPEATED_TEXT:
            raise _RepeatBomb(
                sheet.name,
                f"the cells of row {rows_before + 1:,} into more than "
                f"{MAX_REPEATED_TEXT >> 20} MiB of text",
            )
    state["rows"] += repeat
    if width:
        sheet.rows = state["rows"]
        sheet.cols = max(sheet.cols, width)


_MARKUP = re.compile(rb"<[^>]*>")


def _repeat(pattern: re.Pattern[bytes], attrs: bytes) -> int:
    found = pattern.search(attrs)
    return max(1, int(found[1])) if found else 1
