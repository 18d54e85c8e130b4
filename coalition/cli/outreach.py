"""``coalition log`` and the follow-ups: outreach to organisations and contacts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from coalition.cli.options import F, format_option, given, with_options
from coalition.cli.output import emit, say
from coalition.cli.state import CoalitionGroup, State, pass_state
from coalition.domain import outreach
from coalition.domain.values import local_time


def interaction_options(*, log: bool) -> Callable[[F], F]:
    """Whom an interaction was with and what it was: ``log`` fills in the usual channel and
    direction; ``interaction edit`` changes only the options given."""

    def usual(value: str) -> dict[str, Any]:
        return {"default": value, "show_default": True} if log else {}

    def decorate(func: F) -> F:
        options = [
            click.option("--org", "organisation", help="Organisation (id, name or acronym)."),
            click.option(
                "--contact",
                help="Contact (id, email or name)"
                + ("." if log else "; brings their organisation unless --org."),
            ),
            click.option(
                "--channel", help="email, call, meeting, event, letter or other.", **usual("email")
            ),
            click.option("--direction", help="out (we reached them) or in.", **usual("out")),
            click.option("--subject"),
            click.option("--notes"),
            click.option("--outcome"),
            click.option("--campaign", help="Campaign code it was about."),
            click.option(
                "--follow-up",
                "follow_up_on",
                metavar="DATE",
                help="Follow up on (YYYY-MM-DD, +3d, +2w, fri, next week, next month)"
                + ("." if log else "; a new day opens it again."),
            ),
        ]
        return with_options(func, options)

    return decorate


@click.command("log")
@interaction_options(log=True)
@click.option(
    "--keep-followups",
    is_flag=True,
    help="Leave all their earlier open follow-ups open.",
)
@pass_state
def log_cmd(state: State, keep_followups: bool, **fields: Any) -> None:
    """Log an interaction (email, call, meeting …) with an organisation or contact.

    It closes the earlier open follow-ups with the organisation (or the contact, if they
    have none) about the same campaign or about no campaign, and says which; those about
    another campaign stay open. --keep-followups keeps them all open.
    """
    with state.work() as work:
        result = outreach.log_interaction(work, close_followups=not keep_followups, **fields)
    say(result.sentence())


FOLLOWUP_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("id", lambda i: i.id),
    ("due", lambda i: i.follow_up_on),
    ("organisation", lambda i: i.organisation),
    ("contact", lambda i: i.contact),
    ("channel", lambda i: i.channel),
    ("subject", lambda i: i.subject),
    ("by", lambda i: i.coordinator),
]


@click.command()
@click.option(
    "--due-before", metavar="DATE", help="Only those due before this date (e.g. tomorrow)."
)
@click.option("--mine", is_flag=True, help="Only those logged by me (--as).")
@format_option
@pass_state
def followups(state: State, due_before: str | None, mine: bool, fmt: str) -> None:
    """Open follow-ups, oldest first."""
    with state.read() as session:
        rows = outreach.list_followups(
            session, due_before=due_before, coordinator=state.coordinator if mine else None
        )
    emit(fmt, rows, FOLLOWUP_COLUMNS, empty="No open follow-ups.")


@click.command("followup-done")
@click.argument("interaction_id", type=int)
@pass_state
def followup_done(state: State, interaction_id: int) -> None:
    """Mark the follow-up of interaction INTERACTION_ID done."""
    with state.work() as work:
        view = outreach.complete_followup(work, interaction_id)
    say(f"Follow-up #{view.id} done.")


@click.command("followup-postpone")
@click.argument("interaction_id", type=int)
@click.argument("when")
@pass_state
def followup_postpone(state: State, interaction_id: int, when: str) -> None:
    """Move the open follow-up of interaction INTERACTION_ID to WHEN (+7, next week, a date)."""
    with state.work() as work:
        view = outreach.postpone_followup(work, interaction_id, when)
    assert view.follow_up_on is not None
    say(f"Follow-up #{view.id} moved to {view.follow_up_on.isoformat()}.")


@click.group(cls=CoalitionGroup)
def interaction() -> None:
    """Interactions already logged: list, edit, delete."""


INTERACTION_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    # What a narrow terminal leaves out goes last (cli/output.py leaves columns out from the
    # right).
    ("id", lambda i: i.id),
    ("when", lambda i: i.occurred_at),
    ("channel", lambda i: i.channel),
    ("organisation", lambda i: i.organisation),
    ("contact", lambda i: i.contact),
    ("subject", lambda i: i.subject),
    ("campaign", lambda i: i.campaign),
    ("follow-up", lambda i: i.follow_up_on),
    ("done", lambda i: i.done if i.follow_up_on else None),
    ("direction", lambda i: i.direction),
    ("by", lambda i: i.coordinator),
]


@interaction.command("list")
@click.option("--org", "organisation", help="Only with this organisation (id, name or acronym).")
@click.option("--contact", help="Only with this contact (id, email or name).")
@click.option("--campaign", help="Only about this campaign.")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many.")
@format_option
@pass_state
def interaction_list(state: State, fmt: str, limit: int | None, **filters: str | None) -> None:
    """List logged interactions, newest first."""
    with state.read() as session:
        rows = outreach.list_interactions(session, limit=limit, **filters)
    emit(fmt, rows, INTERACTION_COLUMNS, empty="No interactions.")


@interaction.command("edit")
@click.argument("interaction_id", type=int)
@interaction_options(log=False)
@click.option("--when", "occurred_on", metavar="DATE", help="The day it happened.")
@pass_state
def interaction_edit(state: State, interaction_id: int, **fields: str | None) -> None:
    """Correct interaction INTERACTION_ID; only the options given change ("" clears one)."""
    with state.work() as work:
        view = outreach.edit_interaction(work, interaction_id, given(**fields))
    say(f"Saved interaction #{view.id}.")


@interaction.command("delete")
@click.argument("interaction_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def interaction_delete(state: State, interaction_id: int, yes: bool) -> None:
    """Delete interaction INTERACTION_ID and its follow-up."""
    if not yes:
        with state.read() as session:
            view = outreach.get_interaction(session, interaction_id)
        click.confirm(f"Delete {_described(view)}?", abort=True, err=True)
    with state.work() as work:
        view = outreach.delete_interaction(work, interaction_id)
    say(f"Deleted {_described(view)}.")


def _described(i: Any) -> str:
    """ "call #7 with Émilie Müller / MCE (Call back, 2026-03-02)"."""
    who = " / ".join(x for x in (i.contact, i.organisation) if x)
    what = ", ".join(x for x in (i.subject, local_time(i.occurred_at)[:10]) if x)
    return f"{i.channel} #{i.id} with {who} ({what})"
