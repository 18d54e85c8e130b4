"""``coalition org …``: organisations."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from coalition.cli.merges import merge_options, merge_records
from coalition.cli.options import (
    F,
    expected_version_option,
    format_option,
    given,
    organisation_filter_options,
    statuses_given,
    with_options,
)
from coalition.cli.output import emit, emit_fields, outreach_lines, say, to_data
from coalition.cli.state import CoalitionGroup, State, pass_state
from coalition.domain import browse, campaigns, outreach, people
from coalition.text import split_values


@click.group(cls=CoalitionGroup)
def org() -> None:
    """Organisations: add, list, show, edit, delete."""


def org_field_options(func: F) -> F:
    options = [
        click.option("--acronym", help="Short name, e.g. MCE."),
        click.option(
            "--kind",
            help="ngo, foundation, network, company, academic, public body or other.",
        ),
        click.option("--country", help="ISO 3166 code or English name (BE, Belgium)."),
        click.option("--city"),
        click.option("--website"),
        click.option("--email", help="Generic address, e.g. info@example.org."),
        click.option("--phone"),
        click.option("--membership", help="member, partner, prospect or none."),
        click.option("--member-since", metavar="DATE", help="Date it joined the coalition."),
        click.option("--owner", help="Coordinator responsible for it."),
        click.option("--notes"),
        click.option(
            "--allow-duplicate",
            is_flag=True,
            help="Save it although it matches an organisation already here (the same name, "
            "acronym or web domain).",
        ),
    ]
    return with_options(func, options)


@org.command("add")
@click.argument("name")
@org_field_options
@click.option("--tag", "tags", multiple=True, help="Tag (repeatable, or comma-separated).")
@pass_state
def org_add(
    state: State, name: str, tags: tuple[str, ...], allow_duplicate: bool, **fields: Any
) -> None:
    """Add an organisation called NAME."""
    with state.work() as work:
        view = people.add_organisation(
            work,
            name=name,
            tags=split_values(tags),
            allow_duplicate=allow_duplicate,
            **given(**fields),
        )
    say(f"Added organisation #{view.id} {view.name}.")
    click.echo(view.id)


ORG_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("id", lambda o: o.id),
    ("name", lambda o: o.name),
    ("acronym", lambda o: o.acronym),
    ("kind", lambda o: o.kind.replace("_", " ")),
    ("country", lambda o: o.country),
    ("membership", lambda o: o.membership),
    ("contacts", lambda o: o.contact_count),
    ("tags", lambda o: o.tags),
]


@org.command("list")
@organisation_filter_options
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many.")
@format_option
@pass_state
def org_list(state: State, fmt: str, **filters: Any) -> None:
    """List organisations, by name or best match."""
    with state.read() as session:
        rows = browse.list_organisations(session, **statuses_given(filters))
    emit(fmt, rows, ORG_COLUMNS, empty="No organisations.")


@org.command("show")
@click.argument("ref")
@format_option
@pass_state
def org_show(state: State, ref: str, fmt: str) -> None:
    """Show an organisation with its people, sign-ons and recent outreach.

    REF is an id (12 or #12), the exact name, the acronym or the generic email.
    """
    with state.read() as session:
        view = people.get_organisation(session, ref)
        contacts = people.contacts_of(session, view.id)
        signons = campaigns.signons_of(session, view.id)
        timeline = outreach.interactions_of(session, organisation_id=view.id, limit=20)
    if fmt == "json":
        record = {
            **to_data(view),
            "contacts": to_data(contacts),
            "signons": to_data(signons),
            "interactions": to_data(timeline),
        }
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    emit_fields(
        fmt,
        view,
        [
            ("id", view.id),
            ("name", view.name),
            ("acronym", view.acronym),
            ("kind", view.kind.replace("_", " ")),
            ("country", view.country),
            ("city", view.city),
            ("website", view.website),
            ("email", view.email),
            ("phone", view.phone),
            ("membership", view.membership if view.membership != "none" else None),
            ("member since", view.member_since),
            ("owner", view.owner),
            ("tags", view.tags),
            ("notes", view.notes),
            (
                "people",
                [
                    f"#{c.id} {c.display_name}" + (f" ({c.role})" if c.role else "")
                    for c in contacts
                ],
            ),
            ("sign-ons", [f"{s.campaign}: {s.status}" for s in signons]),
            ("outreach", outreach_lines(timeline)),
            ("updated", view.updated_at),
        ],
    )


@org.command("edit")
@click.argument("ref")
@click.option("--name", help="New name.")
@org_field_options
@click.option("--add-tag", "add_tags", multiple=True)
@click.option("--remove-tag", "remove_tags", multiple=True)
@expected_version_option
@pass_state
def org_edit(
    state: State,
    ref: str,
    add_tags: tuple[str, ...],
    remove_tags: tuple[str, ...],
    allow_duplicate: bool,
    expected_version: int | None,
    **fields: Any,
) -> None:
    """Change an organisation; only the options given change ("" clears a field)."""
    with state.work() as work:
        view = people.edit_organisation(
            work,
            ref,
            given(**fields),
            add_tags=split_values(add_tags),
            remove_tags=split_values(remove_tags),
            allow_duplicate=allow_duplicate,
            expected_version=expected_version,
        )
    say(f"Saved organisation #{view.id} {view.name}.")


@org.command("delete")
@click.argument("ref")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def org_delete(state: State, ref: str, yes: bool) -> None:
    """Delete an organisation and its sign-ons (its people stay)."""
    if not yes:
        with state.read() as session:
            view = people.get_organisation(session, ref)
        click.confirm(
            f"Delete #{view.id} {view.name} and its sign-ons? Its {view.contact_count} "
            "contact(s) stay, without an organisation.",
            abort=True,
            err=True,
        )
        ref = str(view.id)
    with state.work() as work:
        view = people.delete_organisation(work, ref)
    say(f"Deleted organisation #{view.id} {view.name}.")


@org.command("merge")
@merge_options
@pass_state
def org_merge(state: State, keep: str, other: str, take: tuple[str, ...], yes: bool) -> None:
    """Merge organisation OTHER into KEEP, then delete OTHER.

    People, outreach, follow-ups, sign-ons, tags and the change log move to KEEP;
    two sign-ons for one campaign become one with the further status and both
    histories. KEEP's values win unless --take names a field; a losing value goes
    to KEEP's notes. Shows the result and asks first unless --yes.
    """
    merge_records(state, "organisation", keep, other, take, yes)
