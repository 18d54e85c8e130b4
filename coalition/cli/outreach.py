"""``coalition log`` and the follow-ups: outreach to organisations and contacts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from coalition.cli.options import format_option
from coalition.cli.output import emit, say
from coalition.cli.state import State, pass_state
from coalition.domain import outreach


@click.command("log")
@click.option("--org", "organisation", help="Organisation (id, name or acronym).")
@click.option("--contact", help="Contact (id, email or name).")
@click.option(
    "--channel",
    default="email",
    show_default=True,
    help="email, call, meeting, event, letter or other.",
)
@click.option("--direction", default="out", show_default=True, help="out (we reached them) or in.")
@click.option("--subject")
@click.option("--notes")
@click.option("--outcome")
@click.option("--campaign", help="Campaign code it was about.")
@click.option(
    "--follow-up",
    "follow_up_on",
    metavar="DATE",
    help="Follow up on (YYYY-MM-DD, +3d, +2w, fri, next week, next month).",
)
@click.option(
    "--keep-followups",
    is_flag=True,
    help="Leave earlier open follow-ups with them open.",
)
@pass_state
def log_cmd(state: State, keep_followups: bool, **fields: Any) -> None:
    """Log an interaction (email, call, meeting …) with an organisation or contact.

    Earlier open follow-ups with the organisation are closed unless --keep-followups.
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
