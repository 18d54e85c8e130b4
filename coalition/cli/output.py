"""Printing: a table on a terminal, ``--format json|csv`` for scripts and spreadsheets.

The JSON shapes are documented in the README. Confirmations go to stderr so stdout
stays clean for scripts.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click

from coalition.domain.values import local_time
from coalition.interchange.safety import safe_text


def to_data(value: Any) -> Any:
    """Views to JSON-ready values: dates ISO 8601, times in UTC with a Z."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: to_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_data(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def cell(value: Any) -> str:
    """A value as a table cell or a CSV field shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return local_time(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    return str(value)


def outreach_lines(interactions: Sequence[Any]) -> list[str]:
    """The "outreach" field of ``org show`` and ``contact show``: the latest five."""
    return [
        f"{local_time(i.occurred_at)} {i.channel} {i.subject or ''}".strip()
        for i in interactions[:5]
    ]


GAP = 3
"""Columns are set apart by " │ " (the table has no outer edge); by two spaces when that
keeps a column the rules would leave out."""

SPARE = ("tags", "undone", "public", "certain", "role", "acronym", "by", "who", "from")
"""Columns a table too wide for the terminal leaves out first, in this order; then the
others from the right, ``LAST`` last."""

LAST = ("result", "changes")
"""What a merge will give and what a change changed: what the table is read for."""


def fit_columns(
    mins: Sequence[int],
    whole: Sequence[int],
    maxes: Sequence[int],
    width: int,
    spare: Sequence[int] = (),
    gap: int = GAP,
    last: Sequence[int] = (),
    empty: Sequence[int] = (),
) -> tuple[list[int], list[int]]:
    """Which columns a table ``width`` cells wide shows, and how wide each is.

    ``mins`` are the columns' longest words (narrower would cut one), ``whole`` their longest
    piece that reads best on one line (a date with its time), ``maxes`` their longest values.
    ``empty`` columns, with nothing to show, make room first when not all fit at full width;
    then columns are left out, ``spare`` first, then from the right with ``last`` last (never
    the first column), until every shown column has room for its longest word; ``spare``
    ones also to keep each ``whole`` piece on a line; those that fit again are taken back.
    Each shown column starts as wide as its longest value, and the widest give up width
    until the table fits, down to their ``whole`` (or, if those do not all fit, ``mins``).
    """

    def fits(columns: Sequence[int], sizes: Sequence[int]) -> bool:
        return sum(sizes[i] for i in columns) + gap * (len(columns) - 1) <= width

    shown = list(range(len(mins)))
    if not fits(shown, maxes):
        shown = [i for i in shown if i == 0 or i not in empty]
    rest = sorted(shown[1:], key=lambda i: (i not in last, i), reverse=True)
    order = list(dict.fromkeys([*(i for i in spare if i in rest), *rest]))
    for i in order:
        if fits(shown, mins) and (fits(shown, whole) or i not in spare):
            break
        shown.remove(i)
    for i in sorted(set(range(len(mins))) - set(shown) - set(empty), key=lambda i: (i in spare, i)):
        more = sorted([*shown, i])
        if fits(more, mins) and (fits(more, whole) or not fits(shown, whole)):
            shown = more
    room = max(width - gap * (len(shown) - 1), 1)
    floor = {i: max(whole[i], mins[i], 1) for i in shown}
    if sum(floor.values()) > room:
        # A date and its time on two lines: the column needs no more than the date.
        floor = {i: max(mins[i], 1) for i in shown}
    widths = {i: floor[i] if floor[i] < whole[i] else max(maxes[i], floor[i]) for i in shown}
    for _ in range(sum(widths.values()) - room):
        # The widest column gives up a cell, as long as it keeps its longest word.
        shrinkable = [i for i in shown if widths[i] > floor[i]]
        if not shrinkable:
            break
        widths[max(shrinkable, key=lambda i: widths[i])] -= 1
    if len(shown) == 1:
        widths[shown[0]] = min(widths[shown[0]], room)  # one word wider than the screen
    return shown, [widths[i] for i in shown]


def _measure(value: Any, text: str, cell_len: Callable[[str], int]) -> tuple[int, int, int]:
    """A cell's longest word, its longest piece best kept on one line, its longest line."""
    if not text.strip():
        return 0, 0, 0
    longest = max(cell_len(line) for line in text.splitlines())
    if isinstance(value, dt.datetime):
        return max(cell_len(w) for w in text.split()), longest, longest
    if isinstance(value, str | list | tuple):
        word = max(cell_len(w) for w in text.split())
        return word, word, longest
    return longest, longest, longest  # a number, a date, yes or no: never wrapped


def _layout(
    titles: Sequence[str], sizes: Sequence[Sequence[int]], filled: set[int], width: int
) -> tuple[list[int], list[int], int]:
    """The columns shown, their widths and the gap between them: ``GAP`` (ruled), or one
    less (spaces) if that leaves out fewer columns with something in them."""
    mins, whole, maxes = ([size[k] for size in sizes] for k in range(3))
    empty = [i for i in range(len(titles)) if i not in filled]
    spare = [titles.index(title) for title in SPARE if title in titles]
    last = [i for i, title in enumerate(titles) if title in LAST]

    def missed(columns: list[int]) -> tuple[int, int]:
        """How many columns with something in them are left out: not spare ones, all."""
        missing = filled - set(columns)
        return len(missing - set(spare)), len(missing)

    shown, widths = fit_columns(mins, whole, maxes, width, spare, GAP, last, empty)
    if missed(shown) > (0, 0):
        compact = fit_columns(mins, whole, maxes, width, spare, GAP - 1, last, empty)
        if missed(compact[0]) < missed(shown):
            return *compact, GAP - 1
    return shown, widths, GAP


def print_table(
    titles: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    stderr: bool = False,
    elsewhere: str = "",
) -> None:
    """A rich table of ``rows`` under ``titles``, on stdout or stderr.

    It fits the terminal without cutting a word, an id, a date or a status: text wraps at
    spaces only, and columns that would leave the others no room for their longest words
    are left out, and named on stderr (with ``elsewhere``, another way to see them).
    """
    # rich costs ~30 ms to import: only a command that prints a table pays for it.
    from rich import box
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Per column: the longest word, the longest piece best on one line, the longest line.
    sizes = [list(_measure(title, title, cell_len)) for title in titles]
    texts = []
    filled: set[int] = set()
    for row in rows:
        texts.append([cell(value) for value in row])
        for i, (size, value, text) in enumerate(zip(sizes, row, texts[-1], strict=True)):
            size[:] = map(max, size, _measure(value, text, cell_len))
            if text.strip():
                filled.add(i)

    class Quiet(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # rich would exit 1: the command line stops quietly (state.py)

    console = Quiet(stderr=stderr, soft_wrap=False)
    shown, widths, gap = _layout(titles, sizes, filled, console.width)
    if gap == GAP:
        table = Table(show_edge=False, pad_edge=False, highlight=False)
    else:
        table = Table(
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            padding=(0, 1, 0, 0),
            highlight=False,
        )
    for i, width in zip(shown, widths, strict=True):
        table.add_column(titles[i], width=width, overflow="ellipsis")
    for text_row in texts:
        # Text(), never markup: a name like "[bold]" must print as typed.
        table.add_row(*(Text(text_row[i]) for i in shown))
    console.print(table)
    left_out = [title for i, title in enumerate(titles) if i not in shown and i in filled]
    if left_out:
        see = f"or {elsewhere}" if elsewhere else f"to see {'them' if left_out[1:] else 'it'}"
        names = ", ".join(left_out)
        say(f"Left out at {console.width} columns: {names} (widen the terminal {see}).")


def emit(
    fmt: str,
    records: Sequence[Any],
    columns: Sequence[tuple[str, Callable[[Any], Any]]],
    *,
    empty: str = "Nothing to show.",
) -> None:
    """Print records as a table, JSON (the whole view) or CSV (the table's columns)."""
    if fmt == "json":
        click.echo(json.dumps(to_data(list(records)), ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([title for title, _ in columns])
        for record in records:
            writer.writerow([safe_text(cell(get(record))) for _, get in columns])
        return
    if not records:
        click.echo(empty, err=True)
        return
    print_table(
        [title for title, _ in columns],
        ([get(record) for _, get in columns] for record in records),
        elsewhere="use --format csv",
    )


def emit_fields(fmt: str, record: Any, rows: Sequence[tuple[str, Any]]) -> None:
    """Print one record: label/value lines, or the whole view as JSON."""
    if fmt == "json":
        click.echo(json.dumps(to_data(record), ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["field", "value"])
        for label, value in rows:
            writer.writerow([label, safe_text(cell(value))])
        return
    width = max((len(label) for label, _ in rows), default=0)
    for label, value in rows:
        text = cell(value)
        if text:
            click.echo(f"{label.rjust(width)}  {text}")


def say(message: str) -> None:
    """A confirmation for people; on stderr so stdout stays clean for scripts."""
    click.echo(message, err=True)
