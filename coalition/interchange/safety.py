"""Keeping spreadsheet programs from running what a cell says (CSV/formula injection).

A value that a spreadsheet would read as a formula — one that starts with
``= + - @``, or with a tab or carriage return, also after leading spaces or a
non-breaking space, and on any line of a multi-line value — is neutralised by
a leading apostrophe, the mark Excel and LibreOffice read as "this is text".

Values that merely *look* like arithmetic are left alone, because mangling
them would hurt more than help and they cannot call functions or reach
outside the sheet: phone numbers ("+32 2 555 01 01") and signed numbers
("-12.5") contain only digits, spaces and ``+-().,/``.

The mark can be taken off again (``unguard``), so that a CSV written by
``coalition export contacts`` and imported back changes nothing. For that the
mark has to be unambiguous: a line that already starts with apostrophes before
a trigger ("'=x", someone's own text) gets one more, just as "=x" does. Then a
line starting with an apostrophe and, after its apostrophes, a trigger was
always marked by ``safe_text``, and ``unguard`` takes exactly one apostrophe
off it: ``unguard(safe_text(v)) == v`` for every text. A line like "'quoted",
or a phone number after an apostrophe, was never marked and is left alone.
Which files get ``unguard`` is the importer's rule (only coalition's own CSV
exports: ``mapping.exported_by_coalition``).
"""

from __future__ import annotations

import re

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


def _needs_mark(line: str) -> bool:
    """A line a spreadsheet would run, also after the apostrophes it starts with (which
    ``safe_text`` marks too, so that the mark can be taken off unambiguously)."""
    return _dangerous_line(line.lstrip("'"))


# Anything that could need a change: a trigger at the start (after apostrophes and
# blanks), a tab or CR at the start (after apostrophes), or a second line. Most cells
# match none, and pass untouched.
_SUSPECT = re.compile(r"^'*[ \u00a0\u2007\u202f\ufeff]*[=+\-@]|^'*[\t\r]|\n")
_MARKED = re.compile(r"^'+[ \u00a0\u2007\u202f\ufeff]*[=+\-@]|^'+[\t\r]|\n'")


def safe_text(value: str) -> str:
    """``value`` made safe to put in a spreadsheet cell, changed only where needed."""
    if not value or not _SUSPECT.search(value):
        return value
    lines = value.split("\n")
    if not any(_needs_mark(line) for line in lines):
        return value
    return "\n".join("'" + line if _needs_mark(line) else line for line in lines)


def unguard(value: str) -> str:
    """The text ``safe_text`` was given, from what it wrote: one apostrophe taken off each
    line it marked, and nothing else changed."""
    if not value or not _MARKED.search(value):
        return value
    lines = value.split("\n")
    return "\n".join(line[1:] if line[:1] == "'" and _needs_mark(line) else line for line in lines)


def cell_starts(separator: str) -> re.Pattern[str]:
    """A pattern for the line ``separator + separator.join(cells)`` that finds every cell
    ``safe_text`` might change, but for cells holding a newline (look for those apart):
    one starting with a trigger, a blank, a tab, a CR or an apostrophe. Lines it does not
    match hold no cell to neutralise, so a writer can pass them through with one search
    per line."""
    return re.compile(re.escape(separator) + "['=+\\-@\t\r" + _BLANKS + "]")
