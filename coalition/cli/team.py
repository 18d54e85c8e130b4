"""``coalition team …``: who may work on a PostgreSQL database (domain/team.py).

Nothing here asks a question: a password is generated and printed once (alone on
stdout, so a script can take it), never typed in, and a command run from a script or
a pipe never waits for input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from coalition.cli.options import format_option
from coalition.cli.output import emit, say
from coalition.cli.state import CoalitionGroup, State, pass_state
from coalition.domain import team as domain_team


@click.group(cls=CoalitionGroup)
def team() -> None:
    """Who may work on a PostgreSQL database: add, list and remove coordinators and viewers.

    Each person logs in as a database role of their own, and that role is the name the
    change log records for everything they do. Coordinators read and write; viewers
    read and search, and cannot change anything, erase anyone or export personal data.
    """


@team.command("add")
@click.argument("name")
@click.option("--viewer", is_flag=True, help="Read only: no changes, no personal-data exports.")
@click.option(
    "--no-password",
    is_flag=True,
    help="Make no password (for servers that authenticate otherwise: peer, certificates).",
)
@pass_state
def team_add(state: State, name: str, viewer: bool, no_password: bool) -> None:
    """Add NAME to this database's team: a login role with a coordinator's (or a viewer's)
    rights. Prints a generated password once."""
    added = domain_team.add_member(state.db, name, viewer=viewer, password=not no_password)
    what = f"a {added.kind}"
    if added.login_restored:
        say(
            f"{added.name} is back on the team as {what}, and may log in again with the "
            "password they had."
        )
        return
    if added.existing:
        say(
            f"{added.name} already logs in to this server: now {what} of this database too, "
            "with the password they have."
        )
        return
    say(f"Added {added.name} as {what} of this database; they connect as user {added.name}.")
    if added.password is not None:
        say("Their password, shown this once (give it to them privately):")
        click.echo(added.password)


TEAM_COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("name", lambda m: m.name),
    ("kind", lambda m: m.kind),
    ("can log in", lambda m: m.can_log_in),
]


@team.command("list")
@format_option
@pass_state
def team_list(state: State, fmt: str) -> None:
    """List this database's coordinators and viewers."""
    emit(fmt, domain_team.list_members(state.db), TEAM_COLUMNS, empty="No one on the team yet.")


_REMOVED = {
    "dropped": "{name} is off the team and their login role was dropped.",
    "locked": (
        "{name} is off the team and can no longer log in; the role is kept, without login, "
        "because the change log names it (no one else can take the name)."
    ),
    "revoked": (
        "{name} is off this database's team; they keep their login for the other "
        "databases whose team they are on."
    ),
}


@team.command("remove")
@click.argument("name")
@pass_state
def team_remove(state: State, name: str) -> None:
    """Take NAME off this database's team: their rights revoked, and their login role
    dropped, or kept without login when the change log names them."""
    done = domain_team.remove_member(state.db, name)
    say(_REMOVED[done].format(name=name))
