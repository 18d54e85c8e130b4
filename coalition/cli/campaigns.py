"""``coalition campaign …`` and ``coalition signon …``: campaigns and each
organisation's sign-on status in them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from coalition.cli.options import F, expected_version_option, format_option, given, with_options
from coalition.cli.output import emit, emit_fields, say
from coalition.cli.state import CoalitionGroup, State, pass_state
from coalition.domain import browse, campaigns, pipeline
from coalition.domain.filters import OrganisationFilter
from coalition.text import split_values


@click.group(cls=CoalitionGroup)
def campaign() -> None:
    """Campaigns (statements, letters, petitions): add, list, show, edit."""


def campaign_field_options(func: F) -> F:
    options = [
        click.option("--kind", help="statement, letter, petition or other."),
        click.option("--text", help="The text, or a summary of it."),
        click.option("--link", help="Where the statement is published."),
        click.option("--opened", "opened_on", metavar="DATE", help="Date it opened for sign-on."),
        click.option("--deadline", metavar="DATE"),
        click.option("--target", type=click.IntRange(min=0), help="Signatories hoped for."),
        click.option("--state", "campaign_state", help="draft, open or closed."),
    ]
    return with_options(func, options)


@campaign.command("add")
@click.argument("code")
@click.option("--name", help="Full name (default: the code).")
@campaign_field_options
@pass_state
def campaign_add(state: State, code: str, **fields: Any) -> None:
    """Add a campaign with a short CODE such as csam-2022."""
    fields["state"] = fields.pop("campaign_state")
    with state.work() as work:
        view = campaigns.add_campaign(work, code, **given(**fields))
    say(f"Added campaign {view.code}: {view.name}.")


def _progress(c: Any) -> str:
    return f"{c.signed}/{c.target}" if c.target else str(c.signed)


CAMPAIGN_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("code", lambda c: c.code),
    ("name", lambda c: c.name),
    ("kind", lambda c: c.kind),
    ("state", lambda c: c.state),
    ("deadline", lambda c: c.deadline),
    ("signed", _progress),
    ("invited", lambda c: c.counts.get("invited", 0)),
    ("considering", lambda c: c.counts.get("considering", 0)),
]


@campaign.command("list")
@click.option("--state", "campaign_state", help="Only draft, open or closed campaigns.")
@format_option
@pass_state
def campaign_list(state: State, fmt: str, campaign_state: str | None) -> None:
    """List campaigns, newest first, with sign-on counts."""
    with state.read() as session:
        rows = campaigns.list_campaigns(session, state=campaign_state)
    emit(fmt, rows, CAMPAIGN_COLUMNS, empty="No campaigns.")


@campaign.command("show")
@click.argument("code")
@format_option
@pass_state
def campaign_show(state: State, code: str, fmt: str) -> None:
    """Show a campaign with its counts per sign-on status."""
    with state.read() as session:
        view = campaigns.get_campaign(session, code)
    rows: list[tuple[str, Any]] = [
        ("code", view.code),
        ("name", view.name),
        ("kind", view.kind),
        ("state", view.state),
        ("link", view.link),
        ("opened", view.opened_on),
        ("deadline", view.deadline),
        ("target", view.target),
        ("text", view.text),
    ]
    rows += [(status, str(n)) for status, n in view.counts.items()]
    emit_fields(fmt, view, rows)


@campaign.command("edit")
@click.argument("code")
@click.option("--name")
@campaign_field_options
@expected_version_option
@pass_state
def campaign_edit(state: State, code: str, expected_version: int | None, **fields: Any) -> None:
    """Change a campaign; only the options given change."""
    fields["state"] = fields.pop("campaign_state")
    with state.work() as work:
        view = campaigns.edit_campaign(
            work, code, given(**fields), expected_version=expected_version
        )
    say(f"Saved campaign {view.code}.")


@click.group(cls=CoalitionGroup)
def signon() -> None:
    """Sign-ons: each organisation's status in a campaign."""


@signon.command("set")
@click.argument("arguments", nargs=-1, required=True, metavar="[ORGANISATION] CAMPAIGN [STATUS]")
@click.option("--by", "signed_by", metavar="CONTACT", help="Contact who signed or answered.")
@click.option("--display-name", help="Name to publish in the signatory list.")
@click.option("--public/--private", default=None, help="May be listed publicly (default public).")
@click.option("--notes")
@click.option(
    "--org",
    "organisations",
    multiple=True,
    metavar="ORG",
    help="Many at once: this organisation (repeatable; id, name, acronym or email).",
)
@click.option("--tag", help="Many at once: the organisations with this tag.")
@click.option("--country", help="Many at once: the organisations in this country.")
@click.option("--membership", help="Many at once: the organisations with this membership.")
@click.option("--kind", help="Many at once: the organisations of this kind.")
@click.option(
    "--move-existing",
    is_flag=True,
    help="Many at once: also move those already in the campaign, where the pipeline allows.",
)
@click.option("--yes", is_flag=True, help="Many at once: do not ask first.")
@expected_version_option
@pass_state
def signon_set(
    state: State,
    arguments: tuple[str, ...],
    signed_by: str | None,
    display_name: str | None,
    public: bool | None,
    notes: str | None,
    organisations: tuple[str, ...],
    move_existing: bool,
    yes: bool,
    expected_version: int | None,
    **selection: str | None,
) -> None:
    """Set ORGANISATION's STATUS for CAMPAIGN, or many organisations' at once.

    STATUS: prospect, invited, considering, signed, declined or withdrawn.
    Moves follow the pipeline prospect → invited → considering → signed or
    declined (stages may be skipped); signed → withdrawn; declined or
    withdrawn → considering. Other moves are refused. Reaching signed, declined
    or withdrawn closes the organisation's open follow-ups about CAMPAIGN.

    Many at once: `coalition signon set --tag members CAMPAIGN invited` (or --org
    ORG … , --country, --membership, --kind; together they narrow): those not in
    CAMPAIGN yet get STATUS; those already in it stay as they are unless
    --move-existing. It says what it will do and asks first unless --yes.
    """
    if organisations or any(selection.values()):
        if len(arguments) != 2:
            raise click.UsageError(
                "Many at once takes CAMPAIGN STATUS (the --org options name them)."
            )
        if signed_by or display_name or public is not None or notes or expected_version is not None:
            raise click.UsageError(
                "--by, --display-name, --public, --notes and --expected-version are for one "
                "organisation."
            )
        _set_many(state, organisations, selection, *arguments, move_existing, yes)
        return
    if len(arguments) not in (2, 3):
        raise click.UsageError(
            "Give ORGANISATION CAMPAIGN [STATUS], or --tag/--org … CAMPAIGN STATUS."
        )
    organisation, campaign_code = arguments[:2]
    status = arguments[2] if len(arguments) == 3 else None
    extra: dict[str, Any] = {}
    if signed_by is not None:
        extra["signed_by"] = signed_by
    if display_name is not None:
        extra["display_name"] = display_name
    if notes is not None:
        extra["notes"] = notes
    with state.work() as work:
        done = campaigns.change_signon(
            work,
            organisation,
            campaign_code,
            status,
            public=public,
            expected_version=expected_version,
            **extra,
        )
    say(done.sentence())


def _set_many(
    state: State,
    organisations: tuple[str, ...],
    selection: dict[str, str | None],
    campaign_code: str,
    status: str,
    move_existing: bool,
    yes: bool,
) -> None:
    """``signon set`` for every organisation the options select."""

    wanted = OrganisationFilter(
        tag=selection["tag"],
        country=selection["country"],
        membership=selection["membership"],
        kind=selection["kind"],
    )

    def selected(session: Any) -> list[int]:
        return browse.chosen_organisations(session, organisations, wanted)

    if not yes:
        with state.read() as session:
            plan = campaigns.plan_signons(
                session, selected(session), campaign_code, status, move_existing=move_existing
            )
        click.echo(plan.sentence(planned=True), err=True)
        click.confirm("Go ahead?", abort=True, err=True)
    with state.work() as work:
        done = campaigns.set_signons(
            work, selected(work.session), campaign_code, status, move_existing=move_existing
        )
    say(done.sentence())


@signon.command("delete")
@click.argument("organisation")
@click.argument("campaign_code", metavar="CAMPAIGN")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def signon_delete(state: State, organisation: str, campaign_code: str, yes: bool) -> None:
    """Delete ORGANISATION's sign-on for CAMPAIGN and its history (one recorded by mistake)."""
    if not yes:
        with state.read() as session:
            view = campaigns.get_signon(session, organisation, campaign_code)
        changes = len(view.history)
        click.confirm(
            f"Delete the sign-on of {view.organisation} for {view.campaign} ({view.status}, "
            f"{changes} status change{'' if changes == 1 else 's'})?",
            abort=True,
            err=True,
        )
        organisation = f"#{view.organisation_id}"
    with state.work() as work:
        view = campaigns.delete_signon(work, organisation, campaign_code)
    say(f"Deleted the sign-on of {view.organisation} for {view.campaign} (it was {view.status}).")


SIGNON_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("organisation", lambda s: s.organisation),
    ("country", lambda s: s.country),
    ("status", lambda s: s.status),
    ("since", lambda s: s.status_since),
    ("signed by", lambda s: s.signed_by),
    ("display name", lambda s: s.display_name),
    ("public", lambda s: s.public),
]


@signon.command("list")
@click.argument("campaign_code", metavar="CAMPAIGN")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    help="Only these statuses; 'none' for the organisations not in it yet "
    "(repeatable or comma-separated).",
)
@click.option(
    "--quiet-for",
    metavar="LENGTH",
    help="Only invited or considering organisations with no status change and nothing "
    "logged with them about CAMPAIGN for this long (14d, 2w, 1m): whom to chase.",
)
@format_option
@pass_state
def signon_list(
    state: State, campaign_code: str, statuses: tuple[str, ...], quiet_for: str | None, fmt: str
) -> None:
    """List the sign-ons of CAMPAIGN, by organisation name."""
    with state.read() as session:
        rows = pipeline.list_signons(
            session, campaign_code, statuses=split_values(statuses), quiet_for=quiet_for
        )
    quiet = f"No one in {campaign_code} has been quiet for {quiet_for}."
    emit(fmt, rows, SIGNON_COLUMNS, empty=quiet if quiet_for else "No sign-ons.")
