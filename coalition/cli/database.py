"""The database file: create or upgrade it, check it, back it up, restore a backup, copy it
to another file or server (``db copy``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from coalition.cli.output import say
from coalition.cli.progress import ProgressBar
from coalition.cli.state import CoalitionGroup, State, pass_state, saved_from_here
from coalition.errors import DatabaseError
from coalition.store import maintenance


@click.command()
@pass_state
def init(state: State) -> None:
    """Create or upgrade the database and print where it is."""
    db = state.db
    click.echo(str(db.path) if db.path else db.url)


@click.command("check")
@click.option(
    "--repair",
    is_flag=True,
    help="Rebuild the search index if it is out of step with the tables (the one repair "
    "that can be made in place).",
)
@pass_state
def check_cmd(state: State, repair: bool) -> None:
    """Check the database: file structure, foreign keys, search index, schema.

    Prints each check and what it found; exits 1 when something is wrong, saying how to
    repair it. It only reads (--repair aside), and leaves an older schema as it is.
    """
    from coalition import settings
    from coalition.store import check

    target = settings.database_target(state.db_option)
    if "://" not in target and not Path(target).expanduser().exists():
        raise DatabaseError(f"There is no database at {target}; give its path with --db.")
    db = state.opened(upgrade=False)
    report = check.check_database(db)
    click.echo(f"Checked {report.where}:")
    _print_findings(report.findings)
    if repair and report.index_out_of_step and report.findings[0].ok:
        from coalition.store.database import upgrade_schema

        upgrade_schema(db)
        check.rebuild_search_index(db)
        say("Rebuilt the search index from the tables.")
        report = check.check_database(db)
        click.echo("After the repair:")
        _print_findings(report.findings)
    if report.ok:
        say("No problems found.")
        return
    for advice in report.repairs:
        say(advice)
    wrong = sum(not f.ok for f in report.findings)
    raise DatabaseError(
        f"{wrong} of {len(report.findings)} checks found problems in {report.where}."
    )


def _print_findings(findings: Sequence[Any]) -> None:
    for finding in findings:
        if finding.ok:
            note = f": {finding.note}" if finding.note else ""
            click.echo(f"  ok       {finding.what}{note}")
            continue
        click.echo(f"  PROBLEM  {finding.what}:")
        for problem in finding.problems:
            click.echo(f"             {problem}")


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@pass_state
def backup_cmd(state: State, out: Path) -> None:
    """Copy the database to OUT with SQLite's online backup (safe while the app is open).

    The file's structure is checked first (SQLite's quick_check): a damaged database is
    not copied over a good backup.
    """
    from coalition.store import check

    db = state.db
    problem = check.quick_check(db)
    if problem is not None:
        raise DatabaseError(
            f"The database {db.where} is damaged ({problem}); no backup was made. "
            + check.recovery_advice(db.where)
        )
    maintenance.backup(db, out)
    say(f"Backed up {db.path} to {out}.")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def restore_cmd(state: State, source: Path, yes: bool) -> None:
    """Replace the database with the backup SOURCE, keeping the current file as a safety copy."""
    maintenance.schema_of(source)
    if not yes:
        click.confirm(
            f"Replace {state.db.path} with {source}? The current file is kept as a safety copy.",
            abort=True,
            err=True,
        )
    from coalition.cli.privacy import report_check
    from coalition.domain import privacy

    restored = privacy.restore_backup(state.db, state.coordinator, source)
    say(f"Restored {source}; the previous database is in {restored.safety}.")
    if restored.erased_again:
        assert restored.finished is not None
        say(
            f"{restored.erased_again} person(s) in the backup had been erased since: erased "
            f"again (the backup {source} itself still holds them)."
        )
        report_check(restored.finished, "The file was rewritten")


@click.group("db", cls=CoalitionGroup)
def db_group() -> None:
    """The whole database: copy it to another file or a PostgreSQL server, and back."""


@db_group.command("copy")
@click.argument("source", metavar="SRC")
@click.argument("target", metavar="DEST")
def copy_cmd(source: str, target: str) -> None:
    """Copy the database SRC into the empty database DEST (each a file or a postgresql:// URL).

    Everything goes: ids, history, import batches, erasures; the search index is rebuilt
    on DEST. DEST must be empty (a new file, an empty server database), or nothing is
    written. Ends by comparing each table's row count and checksum on both sides; exits 1
    (and writes nothing) if any differs. --db is not used: SRC and DEST say where.
    """
    from coalition.store import transfer

    with ProgressBar() as progress:
        report = transfer.copy_database(source, target, progress)
        saved_from_here()
    width = max(len(t.table) for t in report.tables)
    click.echo(f"{'table':<{width}}  {'rows':>9}  {'copied':>9}  checksum (sha256)")
    for t in report.tables:
        shown = (
            t.source_sum[:12]
            if t.source_sum == t.copy_sum
            else (f"{t.source_sum[:12]} ≠ {t.copy_sum[:12]}")
        )
        mark = "" if t.same else "  DIFFERS"
        click.echo(f"{t.table:<{width}}  {t.source_rows:>9,}  {t.copy_rows:>9,}  {shown}{mark}")
    for i in report.indexes:
        mark = "" if i.same else "  DIFFERS"
        click.echo(
            f"{i.table:<{width}}  {i.records:>9,}  {i.entries:>9,}  rebuilt on the target{mark}"
        )
    if not report.ok:
        wrong = sum(not t.same for t in report.tables) + sum(not i.same for i in report.indexes)
        raise DatabaseError(
            f"The copy differs from {report.source} in {wrong} table(s) (above); it was rolled "
            f"back and nothing was written to {report.target}. This is a bug: please report it."
        )
    say(
        f"Copied {report.rows:,} rows from {report.source} to {report.target} in "
        f"{report.seconds:.1f} s; every table has the same rows on both sides."
    )
