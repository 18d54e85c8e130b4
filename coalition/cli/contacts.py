"""``coalition contact …``: contacts (people)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from coalition.cli.merges import merge_options, merge_records
from coalition.cli.options import (
    F,
    contact_filter_options,
    expected_version_option,
    format_option,
    given,
    statuses_given,
    with_options,
)
from coalition.cli.output import cell, emit, emit_fields, outreach_lines, say, to_data
from coalition.cli.state import CoalitionGroup, State, pass_state
from coalition.domain import browse, outreach, people
from coalition.domain.values import split_full_name
from coalition.text import split_values


@click.group(cls=CoalitionGroup)
def contact() -> None:
    """Contacts (people): add, list, show, edit, delete."""


def contact_field_options(func: F) -> F:
    options = [
        click.option("--given-name", help="Given (first) name."),
        click.option("--family-name", help="Family (last) name."),
        click.option("--honorific", help="Ms, Dr, Mme, Frau …"),
        click.option("--display-name", help="Name to show, if not 'given family'."),
        click.option("--role", help="Role or job title."),
        click.option("--language", help="Preferred language: ISO 639-1 code or English name."),
        click.option("--street"),
        click.option("--postal-code"),
        click.option("--city"),
        click.option("--region"),
        click.option("--country", help="Country of the postal address."),
        click.option("--notes"),
        click.option(
            "--do-not-contact/--ok-to-contact",
            default=None,
            help="Never include in mail merge or outreach.",
        ),
        click.option("--bounced/--not-bounced", default=None, help="Mail to this person bounces."),
        click.option(
            "--consent-basis",
            help="GDPR basis: consent, legitimate interest, contract, legal obligation, "
            "public task or vital interest.",
        ),
        click.option("--consent-date", metavar="DATE"),
        click.option("--consent-source", help="Where consent or the data came from."),
        click.option(
            "--allow-invalid", is_flag=True, help="Keep an invalid email address, marked invalid."
        ),
        click.option(
            "--allow-duplicate",
            is_flag=True,
            help="Save it although it matches a contact already here (the same email address, "
            "or the same name at the same organisation).",
        ),
    ]
    return with_options(func, options)


def labelled(value: str) -> tuple[str | None, str]:
    """'work:a@example.org' -> ('work', 'a@example.org'); no label -> (None, value)."""
    label, sep, rest = value.partition(":")
    if sep and label and " " not in label and "@" not in label and label.lower() != "mailto":
        return label, rest.strip()
    return None, value.strip()


def _report_contact(result: Any, verb: str) -> None:
    if result.created_organisation is not None:
        o = result.created_organisation
        say(f"Created organisation #{o.id} {o.name} (no organisation had that name).")
    for warning in result.warnings:
        say(f"Warning: {warning}")
    say(f"{verb} contact #{result.contact.id} {result.contact.display_name}.")


@contact.command("add")
@click.option("--name", help='Full name, split into given and family name ("Émilie Müller").')
@contact_field_options
@click.option(
    "--email",
    "emails",
    multiple=True,
    help="Address, optionally labelled: work:a@example.org (repeatable).",
)
@click.option(
    "--phone",
    "phones",
    multiple=True,
    help="Number, optionally labelled: mobile:+32 470 55 01 01 (repeatable).",
)
@click.option("--org", "organisation", help="Organisation (id, name or acronym); created if new.")
@click.option("--tag", "tags", multiple=True, help="Tag (repeatable, or comma-separated).")
@pass_state
def contact_add(
    state: State,
    name: str | None,
    emails: tuple[str, ...],
    phones: tuple[str, ...],
    organisation: str | None,
    tags: tuple[str, ...],
    allow_invalid: bool,
    allow_duplicate: bool,
    **fields: Any,
) -> None:
    """Add a contact; needs at least a name or an email address."""
    values = given(**fields)
    if name:
        parts = split_full_name(name)
        values.setdefault("given_name", parts.given_name)
        values.setdefault("family_name", parts.family_name)
        if parts.honorific:
            values.setdefault("honorific", parts.honorific)
    with state.work() as work:
        result = people.add_contact(
            work,
            emails=[people.EmailInput(a, label) for label, a in map(labelled, emails)],
            phones=[people.PhoneInput(n, label) for label, n in map(labelled, phones)],
            tags=split_values(tags),
            organisation=organisation,
            allow_invalid=allow_invalid,
            allow_duplicate=allow_duplicate,
            **values,
        )
    _report_contact(result, "Added")
    click.echo(result.contact.id)


def _email_cell(c: Any) -> str:
    if not c.emails:
        return ""
    first = c.emails[0]
    return first.address + ("" if first.valid else " (invalid)")


CONTACT_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("id", lambda c: c.id),
    ("name", lambda c: c.display_name),
    ("organisation", lambda c: c.organisation),
    ("role", lambda c: c.role),
    ("email", _email_cell),
    ("tags", lambda c: c.tags),
]


@contact.command("list")
@click.option("--org", "organisation", help="Only people at this organisation.")
@contact_filter_options(campaign_help="Only people whose organisation has a sign-on for it.")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many.")
@format_option
@pass_state
def contact_list(state: State, fmt: str, **filters: Any) -> None:
    """List contacts, by name or best match."""
    with state.read() as session:
        rows = browse.list_contacts(session, **statuses_given(filters))
    emit(fmt, rows, CONTACT_COLUMNS, empty="No contacts.")


@contact.command("show")
@click.argument("ref")
@format_option
@pass_state
def contact_show(state: State, ref: str, fmt: str) -> None:
    """Show a contact. REF is an id (12 or #12), an email address or the exact name."""
    with state.read() as session:
        view = people.get_contact(session, ref)
        timeline = outreach.interactions_of(session, contact_id=view.id, limit=20)
    if fmt == "json":
        record = {**to_data(view), "interactions": to_data(timeline)}
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    address = ", ".join(
        x for x in (view.street, view.postal_code, view.city, view.region, view.country) if x
    )
    emit_fields(
        fmt,
        view,
        [
            ("id", view.id),
            ("name", view.display_name),
            ("honorific", view.honorific),
            ("given name", view.given_name),
            ("family name", view.family_name),
            ("role", view.role),
            ("organisation", view.organisation),
            ("language", view.language),
            (
                "emails",
                [
                    (f"{e.label}: " if e.label else "")
                    + e.address
                    + ("" if e.valid else f" (invalid: {e.invalid_reason})")
                    for e in view.emails
                ],
            ),
            ("phones", [(f"{p.label}: " if p.label else "") + p.number for p in view.phones]),
            ("address", address),
            ("tags", view.tags),
            ("do not contact", True if view.do_not_contact else None),
            ("bounced", True if view.bounced else None),
            (
                "consent",
                " ".join(
                    cell(x)
                    for x in (view.consent_basis, view.consent_date, view.consent_source)
                    if x
                ),
            ),
            ("notes", view.notes),
            ("outreach", outreach_lines(timeline)),
            ("updated", view.updated_at),
        ],
    )


@contact.command("edit")
@click.argument("ref")
@contact_field_options
@click.option("--org", "organisation", help="Move to this organisation ('' for none).")
@click.option("--add-email", "add_emails", multiple=True)
@click.option("--remove-email", "remove_emails", multiple=True)
@click.option("--add-phone", "add_phones", multiple=True)
@click.option("--remove-phone", "remove_phones", multiple=True)
@click.option(
    "--label-email",
    "label_emails",
    multiple=True,
    metavar="LABEL:ADDRESS",
    help="Label an address the contact has (work:a@example.org); the address alone clears it.",
)
@click.option(
    "--label-phone",
    "label_phones",
    multiple=True,
    metavar="LABEL:NUMBER",
    help="Label a number the contact has (mobile:+32 470 55 01 23); alone, clears it.",
)
@click.option("--add-tag", "add_tags", multiple=True)
@click.option("--remove-tag", "remove_tags", multiple=True)
@expected_version_option
@pass_state
def contact_edit(
    state: State,
    ref: str,
    organisation: str | None,
    add_emails: tuple[str, ...],
    remove_emails: tuple[str, ...],
    add_phones: tuple[str, ...],
    remove_phones: tuple[str, ...],
    label_emails: tuple[str, ...],
    label_phones: tuple[str, ...],
    add_tags: tuple[str, ...],
    remove_tags: tuple[str, ...],
    allow_invalid: bool,
    allow_duplicate: bool,
    expected_version: int | None,
    **fields: Any,
) -> None:
    """Change a contact; only the options given change ("" clears a field)."""
    with state.work() as work:
        result = people.edit_contact(
            work,
            ref,
            given(**fields),
            organisation=organisation,
            add_emails=[people.EmailInput(a, label) for label, a in map(labelled, add_emails)],
            remove_emails=list(remove_emails),
            add_phones=[people.PhoneInput(n, label) for label, n in map(labelled, add_phones)],
            remove_phones=list(remove_phones),
            add_tags=split_values(add_tags),
            remove_tags=split_values(remove_tags),
            relabel_emails={a: label for label, a in map(labelled, label_emails)},
            relabel_phones={n: label for label, n in map(labelled, label_phones)},
            allow_invalid=allow_invalid,
            allow_duplicate=allow_duplicate,
            expected_version=expected_version,
        )
    _report_contact(result, "Saved")


@contact.command("delete")
@click.argument("ref")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def contact_delete(state: State, ref: str, yes: bool) -> None:
    """Delete a contact and the outreach logged with them alone."""
    if not yes:
        with state.read() as session:
            view = people.get_contact(session, ref)
        click.confirm(f"Delete #{view.id} {view.display_name}?", abort=True, err=True)
        ref = str(view.id)
    with state.work() as work:
        view = people.delete_contact(work, ref)
    say(f"Deleted contact #{view.id} {view.display_name}.")


@contact.command("merge")
@merge_options
@pass_state
def contact_merge(state: State, keep: str, other: str, take: tuple[str, ...], yes: bool) -> None:
    """Merge contact OTHER into KEEP, then delete OTHER.

    Emails, phones, tags, outreach, follow-ups, sign-ons and the change log move
    to KEEP. KEEP's values win unless --take names a field (--take role); a losing
    value goes to KEEP's notes. Shows the result and asks first unless --yes.
    """
    merge_records(state, "contact", keep, other, take, yes)
