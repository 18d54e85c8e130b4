"""Finding records across kinds: ``search``, ``history`` and ``duplicates``."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import click

from coalition.cli.options import format_option
from coalition.cli.output import cell, emit, say
from coalition.cli.state import State, pass_state
from coalition.domain import audit, duplicates, people
from coalition.errors import Ambiguous, NotFound

DUPLICATE_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("kind", lambda p: p.kind),
    ("ids", lambda p: f"#{p.ids[0]} #{p.ids[1]}"),
    ("names", lambda p: f"{p.names[0]} / {p.names[1]}"),
    ("reason", lambda p: p.reason),
    ("score", lambda p: p.score),
    ("certain", lambda p: p.certain),
]

DUPLICATES_SHOWN = 50
"""Pairs a table shows unless --limit says otherwise (JSON and CSV give them all)."""


@click.command("duplicates")
@click.option(
    "--kind",
    type=click.Choice(["contact", "organisation"]),
    help="Only contacts or only organisations (default: both).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    help=f"Show at most this many (a table shows {DUPLICATES_SHOWN} unless given).",
)
@click.option(
    "--dismiss",
    nargs=2,
    metavar="A B",
    help="Mark records A and B (ids as listed, or as other commands name them) as not a "
    "duplicate: they are not listed again.",
)
@format_option
@pass_state
def duplicates_cmd(
    state: State,
    kind: str | None,
    limit: int | None,
    dismiss: tuple[str, str] | None,
    fmt: str,
) -> None:
    """Likely duplicate contacts and organisations, best first, with the reason."""
    if dismiss:
        with state.work() as work:
            done = duplicates.dismiss_pair(work, kind, *dismiss)
        plural = "Contacts" if done.kind == "contact" else "Organisations"
        pair = f"{plural} #{done.ids[0]} {done.names[0]} and #{done.ids[1]} {done.names[1]}"
        if done.created:
            say(f"{pair} are marked as not a duplicate; they are not listed again.")
        else:
            say(f"{pair} were already marked as not a duplicate.")
        return
    shown = limit if limit is not None or fmt != "table" else DUPLICATES_SHOWN
    with state.read() as session:
        scan = duplicates.scan_duplicates(session, kind, shown)
    if fmt == "json":
        # One pair a line, a thousand lines at a time: 100,000 pairs as one indented string would
        # take seconds and several hundred MB.
        names = [f.name for f in dataclasses.fields(duplicates.DuplicatePair)]
        encode = json.JSONEncoder(ensure_ascii=False).encode
        pairs = scan.pairs
        click.echo("[" if pairs else "[]")
        for start in range(0, len(pairs), 1000):
            chunk = pairs[start : start + 1000]
            text = ",\n".join(f"  {encode({n: getattr(p, n) for n in names})}" for p in chunk)
            click.echo(text + ("," if start + 1000 < len(pairs) else ""))
        if pairs:
            click.echo("]")
    else:
        emit(fmt, scan.pairs, DUPLICATE_COLUMNS, empty="No likely duplicates.")
    if scan.capped:
        big = scan.capped[0]
        others = len(scan.capped) - 1
        more = f" (and {others} more such group{'s' if others > 1 else ''})" if others else ""
        say(
            f"{big.members:,} {big.kind}s share {big.what}{more}: only the first "
            f"{big.listed} pairs of each such group are listed."
        )
    if fmt != "table" or not scan.pairs:
        return
    if scan.total > len(scan.pairs):
        say(f"Showing {len(scan.pairs)} of {scan.total:,} pairs; --limit N shows more.")
    merges = [
        command
        for what, command in (
            ("contact", "`coalition contact merge KEEP OTHER`"),
            ("organisation", "`coalition org merge KEEP OTHER`"),
        )
        if any(p.kind == what for p in scan.pairs)
    ]
    say(
        f"{' or '.join(merges)} merges a pair; "
        "`coalition duplicates --dismiss A B` drops one that is not a duplicate."
    )


SEARCH_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("kind", lambda h: h.kind),
    ("id", lambda h: h.id),
    ("name", lambda h: h.title),
    ("detail", lambda h: h.detail),
]


@click.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="At most this many of each kind.",
)
@format_option
@pass_state
def search_cmd(state: State, query: tuple[str, ...], limit: int, fmt: str) -> None:
    """Find organisations and contacts; any case or accents, words as prefixes."""
    with state.read() as session:
        hits = people.search_all(session, " ".join(query), limit=limit)
    emit(fmt, hits, SEARCH_COLUMNS, empty="Nothing matches.")


HISTORY_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("when", lambda a: a.at),
    ("who", lambda a: a.coordinator),
    ("action", lambda a: a.action),
    ("what", lambda a: f"{a.entity} #{a.entity_id}"),
    ("label", lambda a: a.label),
    ("changes", lambda a: _changes(a)),
]


def _changes(entry: Any) -> str:
    if entry.action != "update" or not entry.after:
        return ""
    parts = []
    for key, new in entry.after.items():
        old = (entry.before or {}).get(key)
        parts.append(f"{key}: {cell(old) or '∅'} → {cell(new) or '∅'}")
    return "; ".join(parts)


@click.command()
@click.argument("ref", required=False)
@click.option("--org", "org_ref", metavar="ORG", help="History of this organisation.")
@click.option("--contact", "contact_ref", metavar="CONTACT", help="History of this contact.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@format_option
@pass_state
def history(
    state: State,
    ref: str | None,
    org_ref: str | None,
    contact_ref: str | None,
    limit: int,
    fmt: str,
) -> None:
    """The change log, newest first; of one organisation or contact when REF is given."""
    with state.read() as session:
        org_id = contact_id = None
        if org_ref:
            org_id = people.find_organisation(session, org_ref).id
        elif contact_ref:
            contact_id = people.find_contact(session, contact_ref).id
        elif ref:
            org = person = None
            if "@" not in ref:
                try:
                    org = people.find_organisation(session, ref)
                except NotFound:
                    org = None
            try:
                person = people.find_contact(session, ref)
            except NotFound:
                person = None
            if org is not None and person is not None:
                raise Ambiguous(
                    f"'{ref}' names both organisation #{org.id} {org.name} and contact "
                    f"#{person.id} {person.display_name}; use --org or --contact.",
                    [],
                )
            if org is None and person is None:
                raise NotFound(f"No organisation or contact matches '{ref}'.")
            org_id = org.id if org else None
            contact_id = person.id if person else None
        rows = audit.history(session, organisation_id=org_id, contact_id=contact_id, limit=limit)
    emit(fmt, rows, HISTORY_COLUMNS, empty="No changes recorded.")
