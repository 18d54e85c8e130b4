"""``coalition import`` and ``coalition imports …``: files in, as batches that can be undone."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from coalition.cli.options import format_option
from coalition.cli.output import emit, say
from coalition.cli.progress import ProgressBar
from coalition.cli.state import (
    CoalitionGroup,
    State,
    pass_state,
    saved_from_here,
    stop_interrupted,
)
from coalition.domain import imports
from coalition.interchange import feed, importer
from coalition.text import split_values


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
    help="Record sign-on answers (and new organisations as prospects) for this campaign; "
    "from a mail tool's status file, invite the organisations its emails reached.",
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
    "--encoding",
    metavar="NAME",
    help="What a CSV file's text is (utf-8, cp1252, cp1250, latin-1, shift_jis …): read it so, "
    "with no guessing; bytes that do not fit are read as � and their lines named.",
)
@click.option(
    "--delimiter",
    metavar="CHAR",
    help="What separates a CSV file's columns: one character, or tab, semicolon, comma, pipe.",
)
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(dir_okay=False),
    help="TOML file of header = field (see --show-mapping); the file is then read as "
    "people, even one a mail tool wrote.",
)
@click.option(
    "--show-mapping", is_flag=True, help="Print the detected column mapping as TOML and stop."
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=1_000_000,
    show_default=True,
    help="Refuse a file with more rows of data (or cards) than this; nothing of it is imported.",
)
@click.option("--force", is_flag=True, help="Import a file again that was imported before.")
@click.option(
    "--allow-erased",
    is_flag=True,
    help="Import people who were erased earlier too (they have consented again).",
)
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
    encoding: str | None,
    delimiter: str | None,
    mapping_file: str | None,
    show_mapping: bool,
    max_rows: int,
    force: bool,
    allow_erased: bool,
) -> None:
    """Import people and organisations from CSV, XLSX, ODS or vCard files.

    First a plan: each row or card becomes a new contact, an update, a
    duplicate (skipped) or an error, with the reason. Then, unless --dry-run,
    the plan is applied as one batch — all of it or nothing — that
    `coalition imports undo ID` can take back.

    A status file of YAMM (its sheet with the "Merge status" column), Thunderbird
    Mail Merge (its log) or Mailchimp (the exports of cleaned and unsubscribed
    members) logs the emails with the people they went to, with what each did
    (opened, clicked, responded), and marks who bounced or unsubscribed; with
    --campaign, the organisations it reached are invited. It never adds anyone:
    addresses no contact has are listed and left alone.
    """
    if encoding is not None or delimiter is not None:
        from coalition.interchange.tabular import csv_delimiter, csv_encoding

        encoding = csv_encoding(encoding) if encoding is not None else None
        delimiter = csv_delimiter(delimiter) if delimiter is not None else None
    sources = [
        importer.open_import(
            f,
            sheet=sheet,
            mapping_file=mapping_file,
            require_people=not show_mapping,
            encoding=encoding,
            delimiter=delimiter,
            max_rows=max_rows,
        )
        for f in files
    ]
    if show_mapping:
        for source in sources:
            if isinstance(source, importer.StatusSource):
                read = ", ".join(f"{role} {header!r}" for role, header in source.columns.items())
                say(
                    f"{source.path.name}: read as a {source.tool.name} ({read}); no mapping needed."
                )
            elif source.mapping is None:
                say(f"{source.path.name}: vCards need no mapping.")
            else:
                click.echo(f"# {source.path.name}")
                click.echo(source.mapping.to_toml())
        return

    def options_of(source: importer.Source) -> imports.ImportOptions:
        return importer.options_for(
            source,
            campaign=campaign,
            tags=tuple(split_values(tags)),
            on_duplicate=on_duplicate,
            force=force,
            allow_erased=allow_erased,
        )

    def report_of(source: importer.Source | importer.StatusSource) -> str | None:
        if not report_path or len(sources) == 1:
            return report_path
        base = Path(report_path)
        return str(base.with_name(f"{base.stem}-{source.path.stem}{base.suffix}"))

    def show(source: importer.Source | importer.StatusSource, done: Any) -> None:
        target = report_of(source)
        if isinstance(source, importer.StatusSource):
            _show_status_plan(
                source, done, force=force, ignored=bool(tags) or on_duplicate != "skip"
            )
            if target:
                importer.write_status_report(target, done)
        else:
            _show_outcome(source, done, force=force)  # its report is written as it imports
        if target:
            say(f"  Report written to {target}.")

    with ProgressBar() as progress:
        if dry_run:
            for source in sources:
                if isinstance(source, importer.StatusSource):
                    with state.read() as session:
                        done: Any = imports.plan_statuses(
                            session,
                            source.records,
                            importer.status_options(source, campaign=campaign, force=force),
                            tool=source.tool.name,
                        )
                else:
                    with importer.report_writer(report_of(source), source) as observe:
                        done = imports.rehearse(
                            state.db, state.coordinator, feed.records(source), options_of(source),
                            progress=progress, observe=observe,
                        )  # fmt: skip
                show(source, done)
            say("Dry run: nothing was changed.")
            return
        outcomes: list[Any] = []
        batches: list[Any] = []
        try:
            # all files or none: a refusal of one rolls back all; each report appears only
            # once the import it tells of is saved
            with contextlib.ExitStack() as reports, state.work() as work:
                for source in sources:
                    if isinstance(source, importer.StatusSource):
                        options = importer.status_options(source, campaign=campaign, force=force)
                        plan = imports.plan_statuses(
                            work.session, source.records, options, tool=source.tool.name
                        )
                        batches.append(imports.apply_statuses(work, plan))
                        outcomes.append(plan)
                        continue
                    observe = reports.enter_context(
                        importer.report_writer(report_of(source), source)
                    )
                    outcome = imports.import_records(
                        work, feed.records(source), options_of(source),
                        progress=progress, observe=observe,
                    )  # fmt: skip
                    batches.append(outcome.batch)
                    outcomes.append(outcome)
        except KeyboardInterrupt as exc:  # Ctrl+C: say whether the commit had happened
            numbers = " and ".join(f"#{b.id}" for b in batches)
            undo = " and ".join(f"`coalition imports undo {b.id}`" for b in batches)
            saved_as = (
                f"Interrupted; the import was saved as batch {numbers} (undo it with {undo})."
            )
            stop_interrupted(click.get_current_context(), exc, saved_as=saved_as)
        saved_from_here()
    for source, done in zip(sources, outcomes, strict=True):
        show(source, done)
    for batch in batches:
        say(
            f"Imported {batch.file_name} as batch #{batch.id}; "
            f"`coalition imports undo {batch.id}` takes it back."
        )


def _show_outcome(source: importer.Source, outcome: imports.Outcome, *, force: bool) -> None:
    """What an import did, or a dry run would do: counts, how the file was read, the first
    matches and notes (the report holds every row)."""
    counts = dict(outcome.counts)
    if source.problems:
        counts["error"] = counts.get("error", 0) + len(source.problems)
    read = ", ".join(source.notes)
    words = imports.count_summary(counts)
    say(f"{source.path.name} ({read}): {imports.records_phrase(outcome.rows)} — {words}.")
    sample = importer.encoding_sample(source)
    if sample:
        say(f"  {sample}; if these look wrong, give the file's encoding with --encoding.")
    dating = outcome.dating()
    if dating:
        say(f"  {dating}.")
    if outcome.batch is None:
        _show_repeat(outcome.previous_batch, force)
    _show_lines(outcome.matches.shown, outcome.matches.total, "matches")
    problems = [f"{where}: {message}" for where, message in source.problems]
    notes = outcome.notes
    _show_lines(notes.shown + problems, notes.total + len(problems))


def _show_status_plan(
    source: importer.StatusSource, plan: imports.StatusPlan, *, force: bool, ignored: bool
) -> None:
    read = ", ".join([source.tool.name, *source.notes])
    rows = f"{len(plan.rows):,} row{'' if len(plan.rows) == 1 else 's'}"
    say(f"{source.path.name} ({read}): {rows} — {plan.summary()}.")
    if any(r.logs for r in plan.rows):
        say(f"  {plan.dating()}")
    _show_repeat(plan.previous_batch, force)
    unknown = plan.unknown_addresses()
    if unknown:
        shown = ", ".join(unknown[:10]) + (
            f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        )
        say(f"  Not known, left alone: {shown}.")
    if ignored:
        say("  --tag and --on-duplicate do not apply to a mail tool's status file.")
    notes = [
        f"{row.record.source}: {note}"
        for row in plan.rows
        for note in ([row.reason] if row.action == "not understood" else []) + row.warnings
    ]
    _show_lines(notes, len(notes))


def _show_repeat(previous_batch: int | None, force: bool) -> None:
    if previous_batch is not None and not force:
        say(f"  Already imported as batch #{previous_batch}; --force imports it again.")


def _show_lines(lines: list[str], total: int, what: str = "") -> None:
    """The first ten lines, indented, and how many more (of ``total``) the report holds."""
    for line in lines[:10]:
        say(f"  {line}")
    if total > 10:
        say(f"  … and {total - 10} more{' ' + what if what else ''} (see --report).")


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
