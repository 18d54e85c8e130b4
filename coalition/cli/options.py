"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "json", "csv")


def with_options(func: F, options: Sequence[Callable[[Any], Any]]) -> F:
    """Apply a shared list of click options, first option shown first."""
    for option in reversed(options):
        func = option(func)
    return func


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="Output as a table, JSON (for scripts) or CSV (for spreadsheets).",
    )(func)


def given(**options: Any) -> dict[str, Any]:
    """The options the user actually gave ("" clears a field)."""
    return {k: v for k, v in options.items() if v is not None}
