"""``coalition person …``: personal-data requests (GDPR access and erasure)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from coalition.cli.output import say, to_data
from coalition.cli.state import CoalitionGroup, State, pass_state
from coalition.domain import people, privacy
from coalition.interchange.exporter import atomic_path


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
    with atomic_path(out) as handle:
        json.dump(to_data(record), handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    say(f"Wrote everything held on {record['contact']['display_name']} to {out}.")


@person.command("erase")
@click.argument("contact_ref", metavar="CONTACT")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def person_erase(state: State, contact_ref: str, yes: bool) -> None:
    """Erase CONTACT's personal data everywhere (GDPR art. 17) and rewrite the file.

    Keeps the anonymous facts (an organisation signed; an interaction took
    place) and records that an erasure happened, without the data.
    """
    with state.read() as session:
        view = people.get_contact(session, contact_ref)
    if not yes:
        click.confirm(
            f"Erase #{view.id} {view.display_name} everywhere? This cannot be undone.",
            abort=True,
            err=True,
        )
    summary = privacy.erase_and_rewrite(state.db, state.coordinator, str(view.id))
    say(
        f"Erased contact #{summary.contact_id}: {summary.interactions_anonymised} interaction(s) "
        f"kept without their details, {summary.interactions_removed} removed, "
        f"{summary.audit_entries_scrubbed} change-log entries scrubbed; the file was rewritten."
    )
