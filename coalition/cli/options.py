"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from coalition.text import split_values

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


def expected_version_option(func: F) -> F:
    return click.option(
        "--expected-version",
        type=click.IntRange(min=0),
        metavar="N",
        help=(
            "Refuse to save when the record is no longer at this version (the 'version' "
            "of show --format json when you read it): someone changed it since."
        ),
    )(func)


def given(**options: Any) -> dict[str, Any]:
    """The options the user actually gave ("" clears a field)."""
    return {k: v for k, v in options.items() if v is not None}


# The filters (``domain.filters``): one option per field, the same words in every list and
# export. ``--campaign``'s help is the command's, since an export also fills the campaign's
# columns with it.


def _filter_option(name: str) -> Callable[[Any], Any]:
    return {
        "search": click.option(
            "--search",
            "search_text",
            metavar="QUERY",
            help="Full-text search (every word a prefix; any case or accents).",
        ),
        "tag": click.option("--tag", help="Only those with this tag."),
        "country": click.option(
            "--country", help="The person's own country, else their organisation's (BE, Belgium)."
        ),
        "organisation_country": click.option(
            "--country", help="Only organisations in this country."
        ),
        "language": click.option("--language", help="Only people with this preferred language."),
        "membership": click.option(
            "--membership", help="Only organisations (or their people) with this membership."
        ),
        "kind": click.option("--kind", help="Only organisations of this kind."),
        "status": click.option(
            "--status",
            "statuses",
            multiple=True,
            help="With --campaign: only those whose sign-on is at one of these statuses; "
            "'none' for those not in it yet (repeatable or comma-separated).",
        ),
    }[name]


def contact_filter_options(*, campaign_help: str) -> Callable[[F], F]:
    """The options of a ``ContactFilter``, for the lists and exports of people."""

    def decorate(func: F) -> F:
        return with_options(
            func,
            [
                click.option("--campaign", help=campaign_help),
                *(
                    _filter_option(n)
                    for n in ("status", "tag", "country", "language", "membership", "search")
                ),
            ],
        )

    return decorate


def organisation_filter_options(func: F) -> F:
    """The options of an ``OrganisationFilter``, for the lists and exports of organisations."""
    return with_options(
        func,
        [
            click.option("--campaign", help="Only organisations with a sign-on for it."),
            *(_filter_option(n) for n in ("status", "tag", "organisation_country")),
            *(_filter_option(n) for n in ("membership", "kind", "search")),
        ],
    )


def statuses_given(options: dict[str, Any]) -> dict[str, Any]:
    """The options with ``--status`` values split ("signed,declined" is two)."""
    return {**options, "statuses": tuple(split_values(options.get("statuses") or ()))}
