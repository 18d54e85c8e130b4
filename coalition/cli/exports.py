"""``coalition export …``: mail-merge lists, the signatory list, address books and sheets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from coalition.cli.options import (
    contact_filter_options,
    organisation_filter_options,
    statuses_given,
)
from coalition.cli.output import say
from coalition.cli.state import CoalitionGroup, State, pass_state
from coalition.domain import browse, exports, outreach, pipeline, privacy, team
from coalition.interchange import exporter
from coalition.interchange.vcard_export import write_vcards
from coalition.text import split_values


@click.group(cls=CoalitionGroup)
def export() -> None:
    """Files out: mail-merge lists and the signatory list."""


filter_options = contact_filter_options(
    campaign_help="The campaign whose status and invitation date to fill in; "
    "with --status, only its organisations at those statuses."
)


def recipient_filter(one_per_org: bool = False, **options: Any) -> exports.RecipientFilter:
    return exports.RecipientFilter(one_per_org=one_per_org, **statuses_given(options))


@export.command("mailmerge")
@click.argument("out", type=click.Path(dir_okay=False))
@filter_options
@click.option(
    "--one-per-org",
    is_flag=True,
    help="One recipient per organisation: who signed, else the first with a valid address, "
    "else its own address.",
)
@click.option("--excel", is_flag=True, help="CSV: add a byte-order mark so Excel reads UTF-8.")
@click.option(
    "--delimiter",
    default=",",
    show_default=True,
    help="CSV: field separator, e.g. ';' for European Excel.",
)
@click.option(
    "--log-outreach",
    "log_subject",
    metavar="SUBJECT",
    help="Also log an email with this subject to every recipient "
    "(and, with --campaign, move prospects and organisations not in it yet to invited; "
    "the file shows them invited). The email closes their earlier open follow-ups about "
    "the campaign or about none, as `coalition log` does.",
)
@click.option(
    "--keep-followups",
    is_flag=True,
    help="With --log-outreach: leave the recipients' earlier open follow-ups open.",
)
@click.option(
    "--preset",
    type=click.Choice(sorted(exporter.MAILMERGE_PRESETS)),
    help="Name the columns as this mail tool expects them: mailchimp and yamm (Email Address, "
    "First Name, Last Name …), thunderbird ({{Email}}, {{GivenName}} … variables).",
)
@pass_state
def export_mailmerge(
    state: State,
    out: str,
    one_per_org: bool,
    excel: bool,
    delimiter: str,
    log_subject: str | None,
    keep_followups: bool,
    preset: str | None,
    **filters: Any,
) -> None:
    """Write OUT (.csv or .xlsx) with one row per recipient for a mail merge.

    Left out, and counted: do-not-contact, bounced, no valid email; an address
    that appears twice is written once. An organisation the filters select that
    none of its people reach gets a row at its own address ("Dear colleagues"),
    unless someone there asked not to be contacted; without one it is counted
    as having no one to write to. --preset names the columns for Mailchimp's
    import, YAMM or Thunderbird Mail Merge.
    """
    written = exporter.mail_merge(
        state.db,
        state.coordinator,
        Path(out),
        recipient_filter(one_per_org, **filters),
        excel=excel,
        delimiter=delimiter,
        log_subject=log_subject,
        preset=preset,
        keep_followups=keep_followups,
    )
    say(written.summary())


@export.command("signatories")
@click.argument("campaign_code", metavar="CAMPAIGN")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option(
    "--group-by",
    type=click.Choice(["country", "kind"]),
    help="Group the list, with counts per group.",
)
@pass_state
def export_signatories(state: State, campaign_code: str, out: str, group_by: str | None) -> None:
    """Write the public signatory list of CAMPAIGN to OUT (.html, .md, .csv, .xlsx or .txt).

    Organisations that signed and may be listed publicly, under their display
    names, sorted as a reader expects (case and accents folded).
    """
    with state.read() as session:
        listing = exports.signatories(session, campaign_code, group_by)
    exporter.write_signatories(out, listing, dt.date.today())
    say(f"Wrote {listing.total} signatories of {listing.campaign_code} to {out}.")


@export.command("vcard")
@click.argument("out", type=click.Path(path_type=Path))
@filter_options
@click.option(
    "--vcard-version",
    type=click.Choice(["3.0", "4.0"]),
    default="3.0",
    show_default=True,
    help="vCard version to write.",
)
@pass_state
def export_vcard(state: State, out: Path, vcard_version: str, **filters: Any) -> None:
    """Write contacts as vCards: OUT.vcf (one file) or OUT/ (a vdir, one file per contact)."""
    with state.read() as session:
        contacts = exports.address_book(session, recipient_filter(**filters))
        erased = privacy.ledger(session).holds_uid
        count = write_vcards(out, contacts, vcard_version, erased=erased)
    say(f"Wrote {count} vCards ({vcard_version}) to {out}.")


@export.command("contacts")
@click.argument("out", type=click.Path(dir_okay=False))
@filter_options
@click.option("--columns", help="Comma-separated columns to write (default: all).")
@pass_state
def export_contacts(state: State, out: str, columns: str | None, **filters: Any) -> None:
    """Write contacts to OUT (.csv or .xlsx), each row with its id.

    Edit the sheet and import it back: rows with an id update those contacts
    (previewed and undoable like any import).
    """
    chosen = exporter.choose_columns(exporter.CONTACT_COLUMNS, split_values([columns or ""]))
    with state.read() as session:
        rows = (
            [exporter.CONTACT_COLUMNS[c](x) for c in chosen]
            for x in exports.address_book(session, recipient_filter(**filters))
        )
        count = exporter.write_table(out, chosen, rows, sheet_title="Contacts")
    say(f"Wrote {count} contacts to {out}.")


@export.command("organisations")
@click.argument("out", type=click.Path(dir_okay=False))
@organisation_filter_options
@click.option("--columns", help="Comma-separated columns to write (default: all).")
@pass_state
def export_organisations(state: State, out: str, columns: str | None, **filters: Any) -> None:
    """Write organisations to OUT (.csv or .xlsx), each row with its id."""
    chosen = exporter.choose_columns(exporter.ORGANISATION_COLUMNS, split_values([columns or ""]))
    with state.read() as session:
        orgs = browse.list_organisations(session, **statuses_given(filters))
    rows = ([exporter.ORGANISATION_COLUMNS[c](o) for c in chosen] for o in orgs)
    count = exporter.write_table(out, chosen, rows, sheet_title="Organisations")
    say(f"Wrote {count} organisations to {out}.")


@export.command("signons")
@click.argument("campaign_code", metavar="CAMPAIGN")
@click.argument("out", type=click.Path(dir_okay=False))
@pass_state
def export_signons(state: State, campaign_code: str, out: str) -> None:
    """Write CAMPAIGN's sign-ons to OUT (.xlsx or .csv) for reporting to partners:
    organisation, status and since when, who signed, and the last outreach."""
    with state.read() as session:
        team.require_personal_data(session)  # who signed: people's names
        signons = pipeline.list_signons(session, campaign_code)
        last = outreach.last_interactions(session, [s.organisation_id for s in signons])
    headers = [
        "Organisation",
        "Country",
        "Status",
        "Since",
        "Signed by",
        "Display name",
        "Public",
        "Last outreach",
        "Last outreach on",
    ]
    rows = (
        [
            s.organisation,
            s.country,
            s.status,
            s.status_since,
            s.signed_by,
            s.display_name,
            s.public,
            last[s.organisation_id].subject if s.organisation_id in last else None,
            last[s.organisation_id].occurred_at if s.organisation_id in last else None,
        ]
        for s in signons
    )
    count = exporter.write_table(out, headers, rows, sheet_title=campaign_code)
    say(f"Wrote {count} sign-ons of {campaign_code} to {out}.")
