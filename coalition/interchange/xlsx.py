"""The rows of one worksheet of an .xlsx/.xlsm, streamed: one row in memory, never the sheet.

``tabular`` opens the workbook through its zip guard and hands this module the parts
as streams of bytes; everything here is parsing. python-calamine, which read these
files before, builds the whole sheet in memory (about 40 bytes and a string per cell:
313 MiB for 210,000 rows of 14 columns); this reader keeps the shared-strings table,
the date styles and one row.

Parsing is C expat, through ElementTree's C tree builder: no Python runs per tag. The
elements of the rows are built in C, and after each 64 KiB fed the complete rows are
taken, read in one Python loop per cell and dropped from the tree (``_children``).
Measured on 100,000 rows × 14 columns of inline strings (CPU seconds on a shared,
noisy machine; benchmarks/xlsx_reader_bench.py): calamine's load and iterate 1.1-1.8;
this reader 2.7-4.0, of which building the elements is about 2.0 (empty cells are cut
out before, at C speed: ``_drop_empty_cells``); expat with Python handlers per event
2.3 with handlers that do nothing and 6.6 doing this reader's work; ``XMLPullParser``
4.1 with almost no work per row. So the reader costs 2-4 times calamine's time, and a
fixed 11 MiB where calamine's peak grows with the sheet (238 MiB at 210,000 rows); the
shared strings are the only thing that grows with the file (34 MiB at 210,000 rows of
distinct names and addresses).
No DOCTYPE or entity declaration reaches the parser: the zip guard refuses them in
every part before a byte is parsed.

The same values as calamine
    The contract is the text: for every row, ``tabular._texts`` of the cells given here
    is what it was for calamine's cells, row numbers included (tests/test_xlsx_stream.py
    compares the two on every workbook the tests have). Followed from calamine:

    - cell positions: a cell's ``r="B7"`` places it (its own row, not its row element's);
      a cell without one takes the next column of the row counter, which a ``<row r=…>``
      sets and each ``</row>`` advances;
    - a cell's value is its last ``<v>``/``<is>``/``<f>`` child (an ``<f>`` after the
      value empties it); a ``<v>`` in an inline-string cell is ignored;
    - strings (shared and inline) are the ``<t>`` texts of the item joined, phonetic
      runs (``<rPh>``) left out, with ``_xHHHH_`` escapes decoded (``_x005F_`` is ``_``;
      a lone surrogate stays as written);
    - a number is a float, shown as a date when its cell style's number format is one:
      built-in formats 14-22, 27-36, 45, 47 and 50-58 are dates and times, 46 (``[h]:mm:ss``) a
      duration, and a custom format is read token by token (``_date_kind``) as calamine
      reads it; serials below 1 are times of day, serial 60 is 1900-02-28 (Excel's
      phantom 29th), milliseconds rounded; ``date1904`` shifts by 1,462 days;
    - ``t="str"`` (a formula's text) is text, ``t="b"`` ``0``/``1``/``true``/``false``,
      ``t="d"`` an ISO date, an error (``#N/A``) an empty cell;
    - an untyped ``<v>`` that is not a number is text, as written.

    Where calamine refuses the whole sheet, this reader takes the sensible value:
    an unknown error code is empty as the known ones are, a shared-string index past
    the table is empty, an unknown ``t=`` is read as if absent, a ``t="n"`` or ``t="b"``
    value that is not one is its text, and an unexpected element inside a cell is
    skipped.

    Three differences that no import can see: calamine starts every row at the sheet's
    first used column, this reader at column A (the same columns under the same headers,
    and a headerless sheet's "column 2" is its column B); it pads with ``None`` where
    calamine gives ``""``; and rows come in the order the file writes them, where
    calamine sorts rows written out of order and merges two rows with one number.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET
from xml.parsers import expat

__all__ = ["Book", "Damaged", "sheet_rows"]

_FEED = 1 << 16
"""Bytes handed to expat at a time: the rows of one such piece are held, then yielded."""

NUMBER, DATE, DURATION = 0, 1, 2
_BUILTIN_DATES = {
    str(i): DATE for i in (*range(14, 23), *range(27, 37), 45, 47, *range(50, 59))
} | {"46": DURATION}
"""Built-in number formats (no ``numFmt`` of their own) that show dates, as calamine
reads them: 27-36 and 50-58 are the East Asian date formats."""


class Damaged(Exception):
    """The XML is not well-formed; the message says where."""


@dataclass
class Book:
    """What a sheet's cells refer to: shared strings, cell styles' kinds, the date system."""

    strings: list[str] = field(default_factory=list)
    styles: list[int] = field(default_factory=list)
    """``NUMBER``, ``DATE`` or ``DURATION`` for each ``cellXfs`` entry, by index."""
    date1904: bool = False

    @classmethod
    def load(
        cls,
        workbook: Iterable[bytes] | None,
        styles: Iterable[bytes] | None,
        strings: Iterable[bytes] | None,
    ) -> Book:
        book = cls()
        if workbook is not None:
            book.date1904 = _date1904(workbook)
        if styles is not None:
            book.styles = _styles(styles)
        if strings is not None:
            book.strings = _shared_strings(strings)
        return book


# ---------------------------------------------------------------------------
# Parsing helpers


def _parser() -> Any:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = _FEED
    return parser


def _feed(parser: Any, chunks: Iterable[bytes]) -> Iterator[None]:
    """Feed ``chunks`` in pieces of ``_FEED`` bytes, pausing after each."""
    try:
        for chunk in chunks:
            for at in range(0, len(chunk), _FEED):
                parser.Parse(chunk[at : at + _FEED] if len(chunk) > _FEED else chunk, False)
                yield
        parser.Parse(b"", True)
    except expat.ExpatError as err:
        raise Damaged(str(err)) from None
    yield


def _local(name: str) -> str:
    return name.rpartition(":")[2]


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape_one(match: re.Match[str]) -> str:
    code = int(match[1], 16)
    return match[0] if 0xD800 <= code <= 0xDFFF else chr(code)


def _text(value: str) -> str:
    """A cell's text with OOXML's ``_xHHHH_`` escapes decoded."""
    return _ESCAPE.sub(_unescape_one, value) if "_x" in value else value


# ---------------------------------------------------------------------------
# Workbook parts


def _date1904(chunks: Iterable[bytes]) -> bool:
    found = [False]

    def start(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "workbookPr":
            found[0] = attrs.get("date1904", "").strip().lower() in ("1", "true")

    parser = _parser()
    parser.StartElementHandler = start
    for _ in _feed(parser, chunks):
        pass
    return found[0]


def _styles(chunks: Iterable[bytes]) -> list[int]:
    """The kind of number each cell style (``cellXfs/xf``, by index) shows."""
    custom: dict[str, str] = {}
    kinds: list[int] = []
    where = [""]

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local in ("numFmts", "cellXfs", "cellStyleXfs"):
            where[0] = local
        elif local == "numFmt" and where[0] == "numFmts":
            code = attrs.get("formatCode", "")
            if code:
                custom[attrs.get("numFmtId", "")] = code
        elif local == "xf" and where[0] == "cellXfs":
            number = attrs.get("numFmtId")
            if number is None:
                kinds.append(NUMBER)
            elif number in custom:
                kinds.append(_date_kind(custom[number]))
            else:
                kinds.append(_BUILTIN_DATES.get(number, NUMBER))

    def end(name: str) -> None:
        if _local(name) == where[0]:
            where[0] = ""

    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    for _ in _feed(parser, chunks):
        pass
    return kinds


def _date_kind(code: str) -> int:
    """Whether a custom number format shows a date or time, a duration, or a number.

    calamine's reading, token by token: only the first section counts (up to ``;``),
    text in quotes and the character after ``\\``, ``_`` or ``*`` are literal, a
    bracket opening on ``h``, ``m`` or ``s`` (``[h]``, ``[mm]``) is a duration, and
    a date letter (d m h y s) outside brackets makes a date, as does ``A/P``/``AM/PM``."""
    escaped = quoted = hms = ampm = False
    brackets = 0
    previous = " "
    for ch in code:
        if escaped:
            escaped = False
        elif ch in "_\\*":
            escaped = True
        elif quoted:
            if ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == ";":
            return NUMBER
        elif ch == "[":
            brackets += 1
        elif ch == "]" and brackets == 1 and hms:
            return DURATION
        elif ch == "]":
            brackets = max(0, brackets - 1)
        elif ch in "aA" and not ampm and brackets == 0:
            ampm = True
        elif brackets == 0 and (ch in "pmPM/" if ampm else ch in "dmhysDMHYS"):
            return DATE
        elif not (hms and ch.lower() == previous.lower()):
            hms = previous == "[" and ch in "mhsMHS"
        previous = ch
    return NUMBER


def _shared_strings(chunks: Iterable[bytes]) -> list[str]:
    """The shared-strings table, each item read as an inline string is (``_item_text``)."""
    kinds = _Kinds()
    strings: list[str] = []
    for batch in _children(chunks, "sst"):
        strings.extend(_item_text(item, kinds) for item in batch if kinds[item.tag] == _SI)
    return strings


# ---------------------------------------------------------------------------
# Values


_EPOCH = dt.datetime(1899, 12, 30)
_MIDNIGHT = dt.datetime(1900, 1, 1)


def _round(value: float) -> int:
    """Half away from zero, as Rust's ``f64::round``; NaN is 0 (Rust's saturating cast)."""
    if value != value:
        return 0
    floor = math.floor(abs(value))
    whole = floor + 1 if abs(value) - floor >= 0.5 else floor
    return int(whole if value >= 0 else -whole)


def _excel_date(value: float, kind: int, date1904: bool) -> Any:
    """A serial as calamine shows it under a date or duration format."""
    try:
        if kind == DURATION:
            return dt.timedelta(milliseconds=_round(value * 86_400_000.0))
        serial = value + 1462.0 if date1904 else value
        if serial < 60.0:
            serial += 1.0  # Excel's 1900-02-29 that never was
        moment = _EPOCH + dt.timedelta(milliseconds=_round(serial * 86_400_000.0))
    except (OverflowError, ValueError):
        return value
    return moment.time() if value < 1.0 else moment


def _iso(value: str) -> Any:
    """A ``t="d"`` cell: an ISO 8601 date, date-time or time; its text if it is not one."""
    text = value.strip()
    for parse in (dt.date.fromisoformat, dt.datetime.fromisoformat, dt.time.fromisoformat):
        try:
            return parse(text)
        except ValueError:
            continue
    return text


def _number(raw: str) -> float | None:
    """The float calamine reads in ``raw`` (no whitespace, ``_`` or non-ASCII digits)."""
    try:
        number = float(raw)
    except ValueError:
        return None
    if "_" in raw or not raw.isascii() or raw[0] <= " " or raw[-1] <= " ":
        return None
    return number


def _boolean(raw: str) -> Any:
    word = raw.strip().lower()
    if word in ("1", "true"):
        return True
    if word in ("0", "false"):
        return False
    return raw


# ---------------------------------------------------------------------------
# The sheet


_EMPTY: Any = object()
_DIGITS = "0123456789"
_C, _V, _IS, _T, _ROW, _RPH, _F, _SI = range(1, 9)
_KINDS = {"c": _C, "v": _V, "is": _IS, "t": _T, "row": _ROW, "rPh": _RPH, "f": _F, "si": _SI}


def _column(letters: str) -> int:
    """0-based column of ``letters`` ("A" is 0); -1 when they are not a column."""
    if not letters.isascii() or not letters.isalpha() or len(letters) > 7:
        return -1
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number - 1


class _Kinds(dict[str, int]):
    """Element tag ("{namespace}c") to kind, by local name whatever the namespace."""

    def __missing__(self, tag: str) -> int:
        kind = self[tag] = _KINDS.get(tag.rpartition("}")[2], 0)
        return kind


def _children(chunks: Iterable[bytes], parent: str) -> Iterator[list[Any]]:
    """Batches of the complete child elements of the first element named ``parent``.

    The C parser builds the elements (no Python runs per tag); after each piece fed,
    the children complete so far are handed out and removed from the tree, so the
    tree holds one piece's worth of them. Once ``parent`` ends, the rest of the part
    is not read. Raises ``Damaged`` on XML that is not well-formed."""
    # The C parser's own event switch, which XMLPullParser uses: start events are wanted
    # only until ``parent`` starts, then none at all.
    parser: Any = ET.XMLParser(target=ET.TreeBuilder())
    events: list[tuple[str, Any]] = []
    parser._setevents(events, ("start",))
    root: Any = None
    holder: Any = None
    try:
        for chunk in chunks:
            for at in range(0, len(chunk), _FEED):
                parser.feed(chunk[at : at + _FEED] if len(chunk) > _FEED else chunk)
                if holder is None:
                    for _, element in events:
                        if root is None:
                            root = element
                        if element.tag.rpartition("}")[2] == parent:
                            holder = element
                            parser._setevents(events, ())
                            break
                    events.clear()
                    if holder is None:
                        continue
                    if holder is not root:
                        del root[:-1]  # what came before (column widths, views)
                closed = holder is not root and root[-1] is not holder
                ready = len(holder) if closed else len(holder) - 1
                if ready > 0:
                    yield holder[:ready]
                    del holder[:ready]
                if closed:
                    return
        parser.close()
    except ET.ParseError as err:
        raise Damaged(str(err)) from None
    if holder is not None and len(holder):
        yield holder[:]


def _item_text(item: Any, kinds: _Kinds) -> str:
    """The text of a string item (``<si>``, ``<is>``): its ``<t>`` texts joined, phonetic
    runs (``<rPh>``) left out, however deeply the runs nest."""
    if len(item) == 1:
        only = item[0]
        if kinds[only.tag] == _T and not len(only):
            return _text(only.text or "")
    pieces: list[str] = []
    stack = [iter(item)]
    while stack:
        for child in stack[-1]:
            kind = kinds[child.tag]
            if kind == _T:
                pieces.append("".join(child.itertext()))
            elif kind != _RPH and len(child):
                stack.append(iter(child))
                break
        else:
            stack.pop()
    return _text("".join(pieces))


def sheet_rows(chunks: Iterable[bytes], book: Book) -> Iterator[tuple[int, list[Any]]]:
    """(row number, raw cells) for every row holding a value, in file order.

    Cells are str, float, bool, datetime/time/timedelta (by cell style), or None where
    a row has no cell before a later one. Raises ``Damaged`` on XML that is not
    well-formed."""
    strings = book.strings
    count = len(strings)
    date1904 = book.date1904
    styles = book.styles
    style_kinds = {str(index): kind for index, kind in enumerate(styles)}
    kinds = _Kinds()
    columns: dict[str, int] = {}
    # The parser gives every tag of one name as the same str object: ``is`` finds the
    # usual ones (learnt from the first met) without a dictionary look-up.
    c_tag = is_tag = t_tag = ""
    row_counter = 1  # calamine's counters: the row of a cell without r= (1-based) ...
    for batch in _children(map(_drop_empty_cells, chunks), "sheetData"):
        for row in batch:
            if kinds[row.tag] != _ROW:
                continue
            row_ref = row.get("r")
            if row_ref is not None:
                if not row_ref.isdigit():
                    row_ref = row_ref.strip()
                if row_ref.isdigit() and row_ref.isascii() and row_ref.strip("0"):
                    row_counter = int(row_ref)
                else:
                    row_ref = None
            if not len(row):
                row_counter += 1
                continue
            tail = len(row_ref) if row_ref else 0
            column = 0  # ... and its column (0-based)
            empty_ref = None  # the r= of a cell without a value, read if one without r= follows
            number = 0
            cells: list[Any] = []
            for cell in row:
                if cell.tag is not c_tag:
                    if kinds[cell.tag] != _C:
                        continue
                    c_tag = cell.tag
                if not len(cell):  # no value (a formatted empty cell): only its place counts
                    ref = cell.get("r")
                    if ref:
                        empty_ref = ref
                    else:
                        if empty_ref is not None:
                            column = _follow(empty_ref, columns, column)
                            empty_ref = None
                        column += 1
                    continue
                cell_row = row_counter
                ref = cell.get("r")
                if ref:
                    empty_ref = None
                    # "AB7" in row 7 (all but hostile files): the letters before the number
                    at = columns.get(ref[:-tail]) if tail and ref.endswith(row_ref) else None
                    if at is None or at < 0:
                        at, cell_row = _cell_ref(ref, columns, row_counter)
                    if at >= 0:
                        column = at
                    # else not a cell address: calamine refuses the sheet; counted instead
                elif empty_ref is not None:
                    column = _follow(empty_ref, columns, column)
                    empty_ref = None
                at = column
                column += 1
                value = _EMPTY
                typ = cell.get("t")
                for child in cell:
                    if child.tag is is_tag and len(child) == 1:  # <is><t>text</t></is>
                        only = child[0]
                        if only.tag is t_tag and not len(only):
                            value = only.text or ""
                            if "_x" in value:
                                value = _text(value)
                            continue
                    kind = kinds[child.tag]
                    if kind == _V:
                        raw = child.text or ""
                        if typ is None or typ == "n":
                            if not raw:
                                value = _EMPTY
                                continue
                            number_ = _number(raw)
                            if number_ is None:
                                value = raw
                                continue
                            style = cell.get("s")
                            if style is None:
                                value = number_
                                continue
                            date = style_kinds.get(style)
                            if date is None:
                                date = style_kinds[style] = _style_kind(style, styles)
                            value = _excel_date(number_, date, date1904) if date else number_
                        elif typ == "s":
                            if not raw:
                                value = _EMPTY
                                continue
                            try:
                                index = int(raw)
                            except ValueError:
                                index = 0  # calamine's reading of an unreadable index
                            value = strings[index] if 0 <= index < count else _EMPTY
                        elif typ == "str":
                            value = _text(raw)
                        elif typ == "inlineStr" or typ == "is":
                            value = _EMPTY
                        elif typ == "b":
                            value = _boolean(raw) if raw else _EMPTY
                        elif typ == "e":
                            value = ""
                        elif typ == "d":
                            value = _iso(raw)
                        else:  # an unknown type: read as if it had none
                            number_ = _number(raw) if raw else None
                            value = (raw or _EMPTY) if number_ is None else number_
                    elif kind == _IS:
                        if len(child) == 1 and kinds[child[0].tag] == _T:
                            is_tag, t_tag = child.tag, child[0].tag
                        value = _item_text(child, kinds)
                    elif kind == _F:
                        value = _EMPTY
                if value is _EMPTY:
                    continue
                if cell_row != number:
                    if cells:
                        yield number, cells
                        cells = []
                    number = cell_row
                size = len(cells)
                if at == size:
                    cells.append(value)
                elif at > size:
                    cells.extend([None] * (at - size))
                    cells.append(value)
                else:
                    cells[at] = value
            if cells:
                yield number, cells
            row_counter += 1


def _cell_ref(ref: str, columns: dict[str, int], row: int) -> tuple[int, int]:
    """(0-based column, 1-based row) of a cell address; (-1, ``row``) if it is not one."""
    letters = ref.rstrip(_DIGITS)
    at = columns.get(letters)
    if at is None:
        at = columns[letters] = _column(letters)
    digits = ref[len(letters) :]
    if at >= 0 and digits.isdigit() and digits.isascii() and int(digits) > 0:
        return at, int(digits)
    return -1, row


_EMPTY_CELL = re.compile(
    rb'<c r="[A-Za-z]{1,3}[0-9]{1,7}"(?:\s+[A-Za-z_:][\w:.-]*="[^"<>/&]*")*\s*/>'
    rb'(?=<c r="|</row>)'
)


def _drop_empty_cells(chunk: bytes) -> bytes:
    """The chunk without the cells that hold nothing and whose place no later cell needs
    (the next cell has its own address, or the row ends): ``<c r="B2" s="1"/>`` as
    spreadsheet programs write for a formatted empty cell and openpyxl for an empty string.
    At C speed, so a sheet of a million formatted empty rows does not build two million
    elements; a cell split between chunks, or written any other way, is simply kept."""
    return _EMPTY_CELL.sub(b"", chunk) if b"/>" in chunk else chunk


def _follow(ref: str, columns: dict[str, int], column: int) -> int:
    """The column after an empty cell at ``ref`` (after ``column`` if ``ref`` is no address)."""
    at = _cell_ref(ref, columns, 0)[0]
    return at + 1 if at >= 0 else column + 1


def _style_kind(style: str, styles: list[int]) -> int:
    try:
        index = int(style)
    except ValueError:
        index = 0  # calamine reads an unreadable style as style 0
    return styles[index] if 0 <= index < len(styles) else NUMBER
