"""The database file: create or upgrade it, back it up, restore a backup."""

from __future__ import annotations

from pathlib import Path

import click

from coalition.cli.output import say
from coalition.cli.state import State, pass_state
from coalition.store import maintenance


@click.command()
@pass_state
def init(state: State) -> None:
    """Create or upgrade the database and print where it is."""
    db = state.db
    click.echo(str(db.path) if db.path else db.url)


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@pass_state
def backup_cmd(state: State, out: Path) -> None:
    """Copy the database to OUT with SQLite's online backup (safe while the app is open)."""
    maintenance.backup(state.db, out)
    say(f"Backed up {state.db.path} to {out}.")


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
    safety = maintenance.restore(state.db, source)
    say(f"Restored {source}; the previous database is in {safety}.")
