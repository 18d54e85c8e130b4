"""``coalition import`` and ``coalition imports …``: files in, as batches that can be undone."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from coalition.cli.options import format_option
from coalition.cli.output import emit, say
from coalition.cli.state import CoalitionGroup, State, pass_state
from coalition.domain import imports
from coalition.interchange import importer
from coalition.text import split_values


class _ProgressBar:
    """A rich progress bar on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> _ProgressBar:
        if sys.stderr.isatty():
            # rich.progress costs ~40 ms to import: only a terminal, which shows it, pays.
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
        return self

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.bar is None:
            return
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage, total=max(total, 1))
        self.bar.update(self.tasks[stage], completed=done, total=max(total, 1))

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False),
    help="Write every row's outcome to this CSV file.",
)
@click.option(
    "--campaign",
    help="Record sign-on answers (and new organisations as prospects) for this campaign.",
)
@click.option("--tag", "tags", multiple=True, help="Tag everything imported (repeatable).")
@click.option(
    "--on-duplicate",
    type=click.Choice(["skip", "update", "merge"]),
    default="skip",
    show_default=True,
    help="A person who is already there: skip them, overwrite with the file's values (update), "
    "or only fill what is empty (merge).",
)
@click.option("--sheet", help="Spreadsheet sheet to read (default: the first).")
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(dir_okay=False),
    help="TOML file of header = field (see --show-mapping).",
)
@click.option(
    "--show-mapping", is_flag=True, help="Print the detected column mapping as TOML and stop."
)
@click.option("--force", is_flag=True, help="Import a file again that was imported before.")
@pass_state
def import_cmd(
    state: State,
    files: tuple[str, ...],
    dry_run: bool,
    report_path: str | None,
    campaign: str | None,
    tags: tuple[str, ...],
    on_duplicate: str,
    sheet: str | None,
    mapping_file: str | None,
    show_mapping: bool,
    force: bool,
) -> None:
    """Import people and organisations from CSV, XLSX, ODS or vCard files.

    First a plan: each row or card becomes a new contact, an update, a
    duplicate (skipped) or an error, with the reason. Then, unless --dry-run,
    the plan is applied as one batch — all of it or nothing — that
    `coalition imports undo ID` can take back.
    """
    sources = [
        importer.open_source(
            f, sheet=sheet, mapping_file=mapping_file, require_people=not show_mapping
        )
        for f in files
    ]
    if show_mapping:
        for source in sources:
            if source.mapping is None:
                say(f"{source.path.name}: vCards need no mapping.")
                continue
            click.echo(f"# {source.path.name}")
            click.echo(source.mapping.to_toml())
        return
    with _ProgressBar() as progress:
        plans = []
        with state.read() as session:
            for source in sources:
                options = importer.options_for(
                    source,
                    campaign=campaign,
                    tags=tuple(split_values(tags)),
                    on_duplicate=on_duplicate,
                    force=force,
                )
                plans.append(imports.plan_import(session, source.records, options, progress))
        for source, plan in zip(sources, plans, strict=True):
            counts = plan.counts()
            if source.problems:
                counts["error"] = counts.get("error", 0) + len(source.problems)
            read = ", ".join(source.notes)
            words = imports.count_summary(counts)
            say(f"{source.path.name} ({read}): {imports.records_phrase(len(plan.rows))} — {words}.")
            dating = plan.dating()
            if dating:
                say(f"  {dating}.")
            if plan.previous_batch is not None and not force:
                say(
                    f"  Already imported as batch #{plan.previous_batch}; --force imports it again."
                )
            matches = plan.matches()
            for line in matches[:10]:
                say(f"  {line}")
            if len(matches) > 10:
                say(f"  … and {len(matches) - 10} more matches (see --report).")
            shown = 0
            for row in plan.rows:
                notes = ([row.reason] if row.action == "error" else []) + row.warnings
                for note in notes:
                    if shown < 10:
                        say(f"  {row.source}: {note}")
                    shown += 1
            for where, message in source.problems:
                if shown < 10:
                    say(f"  {where}: {message}")
                shown += 1
            if shown > 10:
                say(f"  … and {shown - 10} more (see --report).")
            if report_path:
                target = report_path
                if len(sources) > 1:
                    base = Path(report_path)
                    target = str(base.with_name(f"{base.stem}-{source.path.stem}{base.suffix}"))
                importer.write_report(target, plan, source.problems)
                say(f"  Report written to {target}.")
        if dry_run:
            say("Dry run: nothing was changed.")
            return
        with state.work() as work:  # all files or none: a refusal of one rolls back all
            batches = [imports.apply_plan(work, plan, progress) for plan in plans]
    for batch in batches:
        say(
            f"Imported {batch.file_name} as batch #{batch.id}; "
            f"`coalition imports undo {batch.id}` takes it back."
        )


@click.group("imports", cls=CoalitionGroup)
def imports_group() -> None:
    """Import batches: list them, undo one."""


BATCH_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("id", lambda b: b.id),
    ("when", lambda b: b.created_at),
    ("by", lambda b: b.coordinator),
    ("file", lambda b: b.file_name),
    ("new contacts", lambda b: b.counts.get("create", 0)),
    ("updated", lambda b: b.counts.get("update", 0) + b.counts.get("merge", 0)),
    ("new orgs", lambda b: b.counts.get("organisations created", 0)),
    ("undone", lambda b: b.undone_at),
]


@imports_group.command("list")
@format_option
@pass_state
def imports_list(state: State, fmt: str) -> None:
    """List import batches, newest first."""
    with state.read() as session:
        rows = imports.list_batches(session)
    emit(fmt, rows, BATCH_COLUMNS, empty="No imports yet.")


@imports_group.command("undo")
@click.argument("batch_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--with-later",
    is_flag=True,
    help="Take back the later work that depends on the batch too (outreach logged with its "
    "people, sign-ons moved since): all of it with the batch, or nothing.",
)
@pass_state
def imports_undo(state: State, batch_id: int, yes: bool, with_later: bool) -> None:
    """Undo import batch BATCH_ID: remove what it created, restore what it changed.

    Refused while later work depends on the batch, which the refusal lists;
    --with-later takes that work back with it, in one step.
    """
    if not yes:
        with state.read() as session:
            later = imports.undo_preview(session, batch_id, with_later=with_later)
        also = f" and take back {later.phrases()}" if later.groups else ""
        click.confirm(f"Undo import batch #{batch_id}{also}?", abort=True, err=True)
    with state.work() as work:
        undone = imports.undo_import(work, batch_id, with_later=with_later)
    batch = undone.batch
    said = f"Undid import batch #{batch.id} ({batch.file_name})"
    if undone.taken_back:
        said += ", and took back " + "; ".join(undone.taken_back)
    say(said + ".")
