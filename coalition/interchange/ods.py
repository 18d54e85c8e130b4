"""One table of an .ods, streamed row by row instead of loaded whole.

python-calamine builds the whole sheet in memory (and every other table of the
file with it): 1.96 million cells cost it ~280 MiB. ``OdsTable.rows()`` reads
``content.xml`` as it unpacks (through ``tabular``'s zip guard, which refuses
DOCTYPE/ENTITY declarations), holds one row at a time and stops at the end of
the chosen table; the empty filler LibreOffice writes to row 1,048,576 and the
tables around the chosen one cost only the time to read past them.

Two paths, one meaning
    The file is cut after every ``</table:table-row>``. In each 1 MiB block the
    tags of text cells and empty cells as LibreOffice writes them become
    separators (NUL, which XML text cannot hold) in a few passes of
    ``bytes.replace``, so a row of text is split in C without a look at each
    cell. The other cells of a row, if they are plain too (attributes in double
    quotes without ``&``, at most one paragraph of plain text), are matched by
    a regular expression and their attributes looked up in a small cache
    (LibreOffice repeats the same few). Anything else — table starts, spans,
    links, several paragraphs, annotations, merged cells, comments — goes to
    expat (``xml.parsers.expat``, no namespace processing: names are matched
    with the prefixes LibreOffice and calamine use), which keeps the state of
    the whole document. A row is only read without expat right after expat
    has read a row's end tag, so text inside a comment or CDATA section never
    passes for a row. Both paths give the same values; the tests read every
    file both ways.

Values, as calamine gives them (``tabular._texts`` turns them into text)
    ``office:value-type`` float, percentage and currency give ``office:value``
    as a float; date gives a ``date`` (``2026-03-01``) or a ``datetime``
    (``2026-03-01T14:30:05``, fractions of a second cut to microseconds), any
    other date text as it is written; boolean gives True for "true" or "1"; string
    gives ``office:string-value`` or the cell's text: paragraphs joined by a
    line break, ``text:s`` as its count of spaces, spans and links as their
    text, annotations left out. As calamine does, the first value attribute of
    a cell counts whatever its type says, a cell of no type is empty, and
    ``number-columns-repeated`` / ``number-rows-repeated`` repeat a cell or a
    row holding something (``tabular`` bounds both before this runs). Covered
    (merged) cells are read like cells; hidden rows, header rows and row
    groups are rows like any other.

Where this reader differs from calamine (on purpose)
    - the columns stay where they are: calamine drops the empty columns left
      of the used range, so a table starting in column B came out shifted;
    - ``text:tab`` is a tab and ``text:line-break`` a line break; calamine
      drops both and runs the words together;
    - a time beyond a day or negative (``PT36H00M00S``, ``-PT01H00M00S``) or
      written short (``PT1H``) is a duration (shown ``36:00:00``), any other
      time of day a ``time``; calamine gives such times as their ISO text;
    - ``office:boolean-value="1"`` is True (XML Schema's boolean);
    - ``text:s`` gives at most 1,000 spaces, and a repeat count that is not
      ASCII digits counts 1 (calamine fails on it);
    - the text of drawings anchored in a cell (``draw:*``: text boxes,
      shapes) is not the cell's value; calamine adds it;
    - whitespace between cells (an indented content.xml) is ignored; calamine
      refuses such a file;
    - a number that is not one (``office:value="1,5"``) is refused naming
      the cell; calamine refuses the file naming nothing.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from xml.parsers import expat

from coalition.errors import FileProblem

__all__ = ["OdsTable"]

_ROW_END = b"</table:table-row>"
_ATTRS = rb'(?:[ ][^<>&\t\n\r\'"/]*(?:"[^<>&\t\n\r\'"]*"[^<>&\t\n\r\'"/]*)*)?'
"""Attributes as LibreOffice writes them: double quotes, no '&', '<', '>', tab or line break
(which XML would unescape or normalise), '/' only inside a value."""
_ROW_TAG = re.compile(rb"<table:table-row(" + _ATTRS + rb")>")
_TYPED_RUN = re.compile(
    "(?:<table:table-cell"
    + _ATTRS.decode()
    + "(?:/>|></table:table-cell>|><text:p/></table:table-cell>|><text:p>[^<]*))+"
)
"""Other cells as ``_TEXT_CELLS`` leaves them in a row: their attributes, then no text or
one paragraph of plain text (its end tags are gone)."""
_TYPED = re.compile("<table:table-cell([^>]*)>(?:<text:p>([^<]*))?")
"""Each cell of a ``_TYPED_RUN``: its attributes and text."""
_ATTR = re.compile(r'([\w.\-:]+)="([^"]*)"')
_ROWS_REPEATED = re.compile(rb'\btable:number-rows-repeated="([0-9]+)"')
_TEXT_CELLS = (
    (b'<table:table-cell office:value-type="string" calcext:value-type="string"><text:p>', b"\0"),
    (b'<table:table-cell office:value-type="string"><text:p>', b"\0"),
    (b"</text:p></table:table-cell>", b""),
    (b"<table:table-cell/>", b"\0"),
)
"""Tags of text cells and empty cells, and what they become in a row of text only: NUL (which
XML text cannot hold) separates the cells."""
_CELL_TAG = b"<table:table-cell"


def _not_plain(block: bytes) -> bool:
    """What only expat reads right: line ends XML normalises, comments, CDATA, instructions
    (searched for by their rarer byte first: '<' is everywhere)."""
    return (
        b"\r" in block
        or b"\x00" in block
        or (b"!" in block and b"<!" in block)
        or (b"?" in block and block.find(b"<?", 1) >= 0)  # besides the XML declaration
    )


_BAD_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)")
_DATE = re.compile(
    r"([0-9]{1,4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:T([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.([0-9]+))?)?"
)
_DURATION = re.compile(
    r"(-)?P(?:([0-9]+)D)?T(?=[0-9])(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+)(?:\.([0-9]+))?S)?"
)
_CACHE_SIZE = 4096
_MAX_SPACES = 1_000
"""``text:s`` gives at most this many spaces (calamine gives any number, and ten digits of
count ask for gigabytes)."""
MAX_REPEATS = (10_000, 1_000)
"""``tabular``'s bounds on repeated rows and cells holding something, checked before any row
is read; here only a file changed since (its rows are read again) could break them."""
MAX_COLUMNS = 1 << 20

_TEXT = object()
"""A cell kind whose value is the cell's text."""

_CELLS = frozenset({"table:table-cell", "table:covered-table-cell"})
_SKIPPED = "office:annotation"


class _BadValue(ValueError):
    pass


class OdsTable:
    """The table named ``name`` of an .ods; ``chunks()`` gives content.xml's bytes anew."""

    def __init__(self, file: Path, name: str, chunks: Callable[[], Iterable[bytes]]) -> None:
        self.file = file
        self.name = name
        self.chunks = chunks

    def rows(self, *, plain: bool = True) -> Iterator[tuple[int, list[Any]]]:
        """(row number, raw cells) for every row holding something, in order.

        Rows with nothing in them are not yielded (their numbers are skipped), and a row
        ends at its last cell holding something. ``plain=False`` sends every row through
        expat (the tests compare both paths)."""
        reader = _Reader(self.file, self.name)
        return reader.read(self.chunks(), plain=plain)


class _Reader:
    def __init__(self, file: Path, name: str) -> None:
        self.file = file
        self.wanted = name
        self.out: list[tuple[int, list[Any]]] = []
        self.kinds: dict[str, tuple[Any, int, Any]] = {}
        # expat state
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.fed = 0
        self.row_end_at = -1
        self.tables = 0  # depth of table:table elements
        self.active = False
        self.done = False
        self.number = 0  # rows of the chosen table so far
        self.repeat = 1
        self.cells: list[Any] | None = None
        self.empties = 0
        self.cell_repeat = 1
        self.texts: list[str] | None = None
        self.first_paragraph = True
        self.skipping = 0

    # -- driving ---------------------------------------------------------------

    def read(self, chunks: Iterable[bytes], *, plain: bool) -> Iterator[tuple[int, list[Any]]]:
        carry = b""
        out = self.out
        for block in chunks:
            buffer = carry + block if carry else block
            end = buffer.rfind(_ROW_END)
            if end < 0:
                carry = buffer
                continue
            cut = end + len(_ROW_END)
            carry = buffer[cut:]
            if plain and not _not_plain(buffer):
                self._region(buffer[:end])
            else:
                self._feed(buffer[:cut])
            if out:
                yield from out
                out.clear()
            if self.done:
                return
        self._feed(carry, final=True)
        yield from out
        out.clear()

    def _feed(self, data: bytes, *, final: bool = False) -> None:
        if self.done:
            return
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError as err:
            if self.done:
                return
            raise FileProblem(
                f"{self.file.name} is damaged (its content.xml is not well-formed XML: "
                f"{expat.ErrorString(err.code)}, line {err.lineno}); re-save it in "
                "LibreOffice and try again."
            ) from None
        except _BadValue as err:
            raise self._bad(str(err)) from None
        self.fed += len(data)

    def _bad(self, value: str) -> FileProblem:
        column = len(self.cells or ()) + self.empties + 1
        return FileProblem(
            f"{self.file.name}: sheet {self.wanted!r} cell {column_name(column)}"
            f"{self.number + 1} holds {value[:40]!r} where a number, date or time belongs; "
            "re-save the file in LibreOffice and try again."
        )

    # -- the plain path --------------------------------------------------------

    def _region(self, region: bytes) -> None:
        """Complete rows (and whatever lies between them), each row's end tag cut off."""
        pieces = region.split(_ROW_END)
        # text cells' tags become separators in a few passes over the whole region
        texts = region
        for tag, by in _TEXT_CELLS:
            texts = texts.replace(tag, by)
        text_pieces = texts.split(_ROW_END)
        if len(text_pieces) != len(pieces):  # cannot happen outside comments, but be sure
            text_pieces = pieces
        clean = len(_ROW_END)
        for piece, text_piece in zip(pieces, text_pieces, strict=True):
            # only right after expat has read a row's end: never inside a comment or a cell
            if self.row_end_at == self.fed - clean and self.tables == 1 and not self.done:
                row = _ROW_TAG.match(piece)
                if row is not None:
                    if not self.active:
                        if piece.count(b"<table:table") == piece.count(_CELL_TAG) + 1:
                            continue  # a row of another table: skipped unread
                    else:
                        if self._row(row[1], text_piece[row.end() :]):
                            continue
            self._feed(piece + _ROW_END)

    def _row(self, attrs: bytes, body: bytes) -> bool:
        """A row of cells LibreOffice writes plainly, read without expat; False if it is not.

        The tags of text cells and empty cells are already separators (``_TEXT_CELLS``), so
        a row of those alone is split in C; other cells are matched by ``_TYPED_RUN``, and
        their attributes looked up in a cache (LibreOffice repeats the same few)."""
        if b"&" in body and _BAD_ENTITY.search(body):
            return False
        try:
            text = body.decode()
        except UnicodeDecodeError:
            raise self._damaged() from None
        parts = text.split("\x00")
        repeat = 1
        if attrs and b"rows-repeated" in attrs:
            found = _ROWS_REPEATED.search(attrs)
            repeat = max(1, int(found[1])) if found else 1
        entities = "&" in text
        if "<" not in text:
            if parts[0]:  # text outside a cell
                return False
            cells: list[Any] = parts[1:]
            if entities:
                cells = [html.unescape(cell) if "&" in cell else cell for cell in cells]
            while cells and not cells[-1]:
                cells.pop()
            self._emit(cells, repeat)
            return True
        cells = []
        empties = 0
        kinds = self.kinds
        for index, part in enumerate(parts):
            if index:  # a text cell's text, then perhaps other cells
                at = part.find("<")
                value, rest = (part, "") if at < 0 else (part[:at], part[at:])
                if value:
                    if empties:
                        if empties > MAX_COLUMNS:
                            raise self._changed()
                        cells.extend([""] * empties)
                        empties = 0
                    cells.append(html.unescape(value) if entities and "&" in value else value)
                else:
                    empties += 1
            else:
                rest = part
            if not rest:
                continue
            if _TYPED_RUN.fullmatch(rest) is None:
                return False
            for cell_attrs, shown in _TYPED.findall(rest):
                kind = kinds.get(cell_attrs)
                if kind is None:
                    if len(kinds) >= _CACHE_SIZE:
                        kinds.clear()
                    try:
                        kind = _kind(_ATTR.findall(cell_attrs))
                    except _BadValue as err:
                        self.cells, self.empties = cells, empties
                        raise self._bad(str(err)) from None
                    kinds[cell_attrs] = kind
                mode, times, value = kind
                if mode is _TEXT:
                    value = html.unescape(shown) if entities and "&" in shown else shown
                if value == "" or value is None:
                    empties += times
                    continue
                if empties:
                    if empties > MAX_COLUMNS:
                        raise self._changed()
                    cells.extend([""] * empties)
                    empties = 0
                if times == 1:
                    cells.append(value)
                else:
                    if times > MAX_REPEATS[1]:
                        raise self._changed()
                    cells.extend([value] * times)
        self._emit(cells, repeat)
        return True

    def _changed(self) -> FileProblem:
        return FileProblem(
            f"{self.file.name}: sheet {self.wanted!r} repeats row {self.number + 1:,} or its "
            "cells far more often than when the file was opened; it has changed since: "
            "import it again."
        )

    def _damaged(self) -> FileProblem:
        return FileProblem(
            f"{self.file.name} is damaged (its content.xml is not valid UTF-8); "
            "re-save it in LibreOffice and try again."
        )

    def _emit(self, cells: list[Any], repeat: int) -> None:
        number = self.number
        self.number = number + repeat
        if not cells:
            return
        if repeat > MAX_REPEATS[0] or len(cells) > MAX_COLUMNS:
            raise self._changed()
        out = self.out
        out.append((number + 1, cells))
        for extra in range(2, repeat + 1):
            out.append((number + extra, list(cells)))

    # -- the expat path --------------------------------------------------------

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        if self.texts is not None:
            if self.skipping or name == _SKIPPED or name.startswith("draw:"):
                self.skipping += 1
            elif name == "text:p":
                if self.first_paragraph:
                    self.first_paragraph = False
                else:
                    self.texts.append("\n")
            elif name == "text:s":
                count = attrs.get("text:c", "1")
                spaces = int(count) if count.isascii() and count.isdigit() else 1
                self.texts.append(" " * min(spaces, _MAX_SPACES))
            elif name == "text:tab":
                self.texts.append("\t")
            elif name == "text:line-break":
                self.texts.append("\n")
            return
        if name in _CELLS:
            if self.cells is None or not self.active or self.tables != 1:
                return
            mode, times, value = _kind(list(attrs.items()))
            self.cell_repeat = times
            if mode is _TEXT:
                self.texts = []
                self.first_paragraph = True
                self.skipping = 0
            else:
                self._cell(value)
        elif name == "table:table-row":
            if self.tables != 1:
                return
            repeated = attrs.get("table:number-rows-repeated", "1")
            self.repeat = _count(repeated)
            self.cells = []
            self.empties = 0
        elif name == "table:table":
            self.tables += 1
            if self.tables == 1:
                self.active = attrs.get("table:name") == self.wanted
                self.number = 0

    def _end(self, name: str) -> None:
        if self.texts is not None:
            if self.skipping:
                self.skipping -= 1
            elif name in _CELLS:
                value = "".join(self.texts)
                self.texts = None
                self._cell(value)
            return
        if name == "table:table-row":
            if self.tables != 1:
                return
            self.row_end_at = self.parser.CurrentByteIndex
            if self.active and self.cells is not None:
                self._emit(self.cells, self.repeat)
            else:
                self.number += self.repeat
            self.cells = None
        elif name == "table:table":
            self.tables -= 1
            if self.tables == 0 and self.active:
                self.active = False
                self.done = True
                self.parser.StartElementHandler = None
                self.parser.EndElementHandler = None
                self.parser.CharacterDataHandler = None

    def _text(self, data: str) -> None:
        if self.texts is not None and not self.skipping:
            self.texts.append(data)

    def _cell(self, value: Any) -> None:
        cells = self.cells
        if cells is None:
            return
        times = self.cell_repeat
        if value == "" or value is None:
            self.empties += times
            return
        if self.empties:
            if self.empties > MAX_COLUMNS:
                raise self._changed()
            cells.extend([""] * self.empties)
            self.empties = 0
        if times > MAX_REPEATS[1]:
            raise self._changed()
        cells.extend([value] * times)


def _kind(attrs: list[tuple[str, str]]) -> tuple[Any, int, Any]:
    """(mode, columns repeated, value) of a cell from its attributes, in document order.

    As calamine reads a cell: the first of the value attributes counts; without one, a
    cell whose type is string holds its text (mode ``_TEXT``) and any other cell is
    empty."""
    value: Any = None
    is_string = False
    found = False
    times = 1
    for key, raw in attrs:
        if key == "table:number-columns-repeated":
            times = _count(raw)
        elif found:
            continue
        elif key == "office:value-type":
            is_string = raw == "string"
        elif key == "office:value":
            value, found = _float(raw), True
        elif key == "office:string-value":
            value, found = raw, True
        elif key == "office:date-value":
            value, found = _date(raw), True
        elif key == "office:time-value":
            value, found = _duration(raw), True
        elif key == "office:boolean-value":
            value, found = raw.strip().lower() in ("true", "1"), True
    if not found and is_string:
        return _TEXT, times, None
    return None, times, value


def _count(raw: str) -> int:
    """A repeat count; 1 unless it is one (a count of 0 is no count, as in tabular)."""
    return max(1, int(raw)) if raw.isascii() and raw.isdigit() else 1


def _float(raw: str) -> Any:
    if not raw:
        return ""
    try:
        return float(raw)
    except ValueError:
        raise _BadValue(raw) from None


def _date(raw: str) -> Any:
    found = _DATE.fullmatch(raw)
    if found is None:
        return raw
    year, month, day, hour, minute, second, fraction = found.groups()
    try:
        if hour is None:
            return dt.date(int(year), int(month), int(day))
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        return dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro
        )
    except ValueError:
        return raw


def _duration(raw: str) -> Any:
    found = _DURATION.fullmatch(raw)
    if found is None:
        return raw
    sign, days, hours, minutes, seconds, fraction = found.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        span = dt.timedelta(
            days=int(days or 0),
            hours=int(hours or 0),
            minutes=int(minutes or 0),
            seconds=int(seconds or 0),
            microseconds=micro,
        )
    except OverflowError:
        return raw
    if sign:
        return -span
    if span < dt.timedelta(days=1):
        return (dt.datetime.min + span).time()
    return span


def column_name(number: int) -> str:
    """A spreadsheet column's letters: 1 is A, 27 is AA (a cell named in a sentence)."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"
