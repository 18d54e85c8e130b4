"""Keeping spreadsheet programs from running what a cell says (CSV/formula injection).

A value that a spreadsheet would read as a formula — one that starts with
``= + - @``, or with a tab or carriage return, also after leading spaces or a
non-breaking space, and on any line of a multi-line value — is neutralised by
a leading apostrophe, the mark Excel and LibreOffice read as "this is text".

Values that merely *look* like arithmetic are left alone, because mangling
them would hurt more than help and they cannot call functions or reach
outside the sheet: phone numbers ("+32 2 555 01 01") and signed numbers
("-12.5") contain only digits, spaces and ``+-().,/``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

TRIGGERS = ("=", "+", "-", "@")
_BLANKS = " \u00a0\u2007\u202f\ufeff"
_HARMLESS = re.compile(r"^[+-]?[0-9][0-9 ().,/\u00a0-]*$|^[+-]?\([0-9][0-9 ().,/-]*$")


def _dangerous_line(line: str) -> bool:
    if line[:1] in ("\t", "\r"):
        return True
    stripped = line.lstrip(_BLANKS)
    if not stripped.startswith(TRIGGERS):
        return False
    return not _HARMLESS.match(stripped.strip())


# Anything that could need a change: a trigger at the start (after blanks), a tab
# or CR at the start, or a second line. Most cells match none, and pass untouched.
_SUSPECT = re.compile(r"^[ \u00a0\u2007\u202f\ufeff]*[=+\-@]|^[\t\r]|\n")


def safe_text(value: str) -> str:
    """``value`` made safe to put in a spreadsheet cell, changed only where needed."""
    if not value or not _SUSPECT.search(value):
        return value
    lines = value.split("\n")
    if not any(_dangerous_line(line) for line in lines):
        return value
    return "\n".join("'" + line if _dangerous_line(line) else line for line in lines)


# A cell of a row joined with NUL separators that starts with a trigger, a blank, a tab
# or a CR. Rows without one and without a newline need no cell changed.
_CELL_START = re.compile("\x00[=+\\-@\t\r" + _BLANKS + "]")


def safe_row(cells: Sequence[str]) -> Sequence[str]:
    """Every cell of a row of strings made safe: the row itself when no cell needs a
    change (checked with one join and one search, not a call per cell), else a copy
    with each cell through ``safe_text``."""
    joined = "\x00" + "\x00".join(cells)
    if "\n" not in joined and _CELL_START.search(joined) is None:
        return cells
    return [safe_text(cell) for cell in cells]
