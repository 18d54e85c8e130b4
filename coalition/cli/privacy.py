"""``coalition person …``: personal-data requests (GDPR access and erasure)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from coalition.cli.output import say, to_data
from coalition.cli.state import CoalitionGroup, State, pass_state
from coalition.domain import privacy
from coalition.errors import CoalitionError
from coalition.safefile import private_file


@click.group(cls=CoalitionGroup)
def person() -> None:
    """Personal-data requests: export everything held on a person, or erase them."""


@person.command("export")
@click.argument("contact_ref", metavar="CONTACT")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@pass_state
def person_export(state: State, contact_ref: str, out: Path) -> None:
    """Write everything held on CONTACT to OUT as JSON (subject access, GDPR art. 15/20)."""
    with state.read() as session:
        record = privacy.person_record(session, contact_ref)
    with private_file(out) as handle:  # 0600, never through a symlink
        json.dump(to_data(record), handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    say(f"Wrote everything held on {record['contact']['display_name']} to {out}.")


@person.command("erase")
@click.argument("contact_ref", metavar="CONTACT", required=False)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--finish",
    is_flag=True,
    help="Finish erasures that could not rewrite the file (another program had it open, "
    "or the command was stopped).",
)
@pass_state
def person_erase(state: State, contact_ref: str | None, yes: bool, finish: bool) -> None:
    """Erase CONTACT's personal data everywhere (GDPR art. 17) and rewrite the file.

    Keeps the anonymous facts (an organisation signed; an interaction took
    place) and records that an erasure happened, without the data. The file
    and its -wal are then searched for the person's identifiers, and the count
    reported. The erasure ledger (salted hashes only) keeps them out of later
    imports and restored backups.
    """
    if finish:
        if contact_ref is not None:
            raise click.UsageError("--finish takes no CONTACT: it finishes every pending erasure.")
        done = privacy.finish_erasures(state.db)
        if not done.erasures and not done.occurrences:
            say("No erasure is pending; nothing to finish.")
            return
        report_check(done, f"Finished {done.erasures} erasure(s): the file was rewritten")
        return
    if contact_ref is None:
        raise click.UsageError("Name the CONTACT to erase, or give --finish.")
    with state.read() as session:
        target = privacy.erasure_target(session, contact_ref)
    if not yes:
        click.confirm(
            f"Erase {target.label} everywhere? This cannot be undone.",
            abort=True,
            err=True,
        )
    try:
        summary, done = privacy.erase_and_rewrite(
            state.db, state.coordinator, f"#{target.contact_id}"
        )
    except privacy.ErasureUnfinished as exc:
        if exc.summary is not None:
            say(_erased(exc.summary) + ".")
        raise
    report_check(done, _erased(summary) + "; the file was rewritten")


def _erased(summary: privacy.ErasureSummary) -> str:
    return (
        f"Erased contact #{summary.contact_id}: {summary.interactions_anonymised} interaction(s) "
        f"kept without their details, {summary.interactions_removed} removed, "
        f"{summary.audit_entries_scrubbed} change-log entries scrubbed"
    )


def report_check(done: privacy.Finished, first: str) -> None:
    """The count the erasure's own check found; any left is an error (exit 1)."""
    if done.occurrences:
        raise CoalitionError(
            f"{first}, but the person's identifiers still occur {done.occurrences} time(s) in "
            "the database file and its -wal: other records mention them. Find them with "
            "`coalition search`, edit them, and run `coalition person erase --finish`."
        )
    say(f"{first} and checked: their identifiers occur 0 times in the database file and its -wal.")
