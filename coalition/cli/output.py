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


def local_time(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")


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


def print_table(
    titles: Sequence[str], rows: Iterable[Sequence[Any]], *, stderr: bool = False
) -> None:
    """A rich table of ``rows`` under ``titles``, on stdout or stderr."""
    # rich costs ~30 ms to import: only a command that prints a table pays for it.
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, pad_edge=False, highlight=False)
    for title in titles:
        table.add_column(title, overflow="fold")
    for row in rows:
        # Text(), never markup: a name like "[bold]" must print as typed.
        table.add_row(*(Text(cell(value)) for value in row))
    Console(stderr=stderr, soft_wrap=False).print(table)


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
