"""Merging two contacts or two organisations (``contact merge``, ``org merge``) and
the ``merges`` group that lists and undoes merges."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from coalition.cli.options import F, format_option, with_options
from coalition.cli.output import emit, print_table, say
from coalition.cli.state import CoalitionGroup, State, pass_state
from coalition.domain import merge
from coalition.text import split_values


def merge_options(func: F) -> F:
    return with_options(
        func,
        [
            click.argument("keep"),
            click.argument("other"),
            click.option(
                "--take",
                "take",
                multiple=True,
                metavar="FIELD",
                help="Take this field's value from OTHER (repeatable, or comma-separated).",
            ),
            click.option("--yes", is_flag=True, help="Do not show the result first and ask."),
        ],
    )


def _show_merge(preview: Any) -> None:
    """What a merge will give, field by field, on stderr (the question follows)."""
    say(
        f"Merging {preview.kind} #{preview.other_id} {preview.other} into "
        f"#{preview.kept_id} {preview.kept}:"
    )
    rows = []
    for f in preview.fields:
        source = "" if f.winner == "same" else f.winner
        if f.to_notes:
            source += " (kept's to notes)" if f.winner == "other" else " (other's to notes)"
        rows.append((f.field.replace("_", " "), f.kept, f.other, f.result, source))
    titles = ("field", f"#{preview.kept_id} (kept)", f"#{preview.other_id}", "result", "from")
    print_table(titles, rows, stderr=True)
    for s in preview.signons:
        was = f"{s.kept} and {s.other}" if s.kept else f"{s.other} (moves)"
        say(f"Sign-on {s.campaign}: {was} → {s.result}")
    if preview.moves:
        moved = ", ".join(f"{what} {n}" for what, n in preview.moves.items())
        say(f"Moves to #{preview.kept_id}: {moved}.")
    if preview.notes:
        say(f"Added to the notes of #{preview.kept_id}:")
        for line in preview.notes:
            say(f"  {line}")


def merge_records(
    state: State, kind: str, keep: str, other: str, take: tuple[str, ...], yes: bool
) -> None:
    """``contact merge`` and ``org merge``: show what the merge gives, ask, merge."""
    fields = split_values(take)
    if not yes:
        with state.read() as session:
            preview = merge.preview_merge(session, kind, keep, other, fields)
        _show_merge(preview)
        click.confirm(
            f"Merge #{preview.other_id} {preview.other} into #{preview.kept_id} {preview.kept} "
            f"and delete #{preview.other_id}?",
            abort=True,
            err=True,
        )
        keep, other = str(preview.kept_id), str(preview.other_id)
    with state.work() as work:
        if kind == "contact":
            view = merge.merge_contacts(work, keep, other, take=fields)
        else:
            view = merge.merge_organisations(work, keep, other, take=fields)
    say(view.sentence())


@click.group(cls=CoalitionGroup)
def merges() -> None:
    """Merges of contacts or organisations: list them, undo one."""


MERGE_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("id", lambda m: m.id),
    ("when", lambda m: m.at),
    ("by", lambda m: m.coordinator),
    ("kind", lambda m: m.kind),
    ("kept", lambda m: f"#{m.kept_id} {m.kept or ''}".strip()),
    ("merged into it", lambda m: f"#{m.other_id} {m.other or ''}".strip()),
    ("undone", lambda m: m.undone_at),
]


@merges.command("list")
@format_option
@pass_state
def merges_list(state: State, fmt: str) -> None:
    """List merges, newest first."""
    with state.read() as session:
        rows = merge.list_merges(session)
    emit(fmt, rows, MERGE_COLUMNS, empty="No merges yet.")


@merges.command("undo")
@click.argument("merge_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def merges_undo(state: State, merge_id: int, yes: bool) -> None:
    """Undo merge MERGE_ID: put both records back as they were, with their ids and links."""
    if not yes:
        with state.read() as session:
            view = merge.get_merge(session, merge_id)
        click.confirm(
            f"Undo merge #{view.id}: put {view.kind} #{view.other_id} {view.other} back beside "
            f"#{view.kept_id} {view.kept}?",
            abort=True,
            err=True,
        )
    with state.work() as work:
        view = merge.undo_merge(work, merge_id)
    message = (
        f"Undid merge #{view.id}: {view.kind} #{view.other_id} {view.other} is back beside "
        f"#{view.kept_id} {view.kept}"
    )
    say(message + ("" if message.endswith(".") else "."))  # "… e.V." ends a sentence itself
