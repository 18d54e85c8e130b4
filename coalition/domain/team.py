"""Who is working, and what they may do: the team of a server database.

On a SQLite file there is one user (whoever can open the file); the coordinator
recorded with every change is the name given with ``--as``, ``$COALITION_USER`` or the
login name, as the person at the keyboard declares it.

On PostgreSQL every person logs in as a database role of their own (``coalition team
add``), and the name recorded with every change — the change log, interactions,
sign-on moves, merges, import batches and their undoing, erasures — is that role
(``acting_coordinator``): no one can write history under another coordinator's name.
``--as`` naming someone else is refused there; ``$COALITION_USER`` and the login name,
which are only defaults, give way to the role.

Viewers read and search. Their writes are refused by the database itself (their
grants are SELECT only; ``store.database.explain`` gives the sentence); exports of
personal data are checked here, before a file is written, because a role that may read
the contacts could otherwise copy them out (``require_personal_data``). The public
signatory list and the organisation list are not personal data and stay open to them.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from coalition.errors import CoalitionError, DatabaseError, InvalidValue, NotFound
from coalition.store import team as store_team
from coalition.store.database import Database
from coalition.store.team import Kind, Member, Removal

__all__ = [
    "Added",
    "Kind",
    "Member",
    "Removal",
    "acting_coordinator",
    "add_member",
    "list_members",
    "remove_member",
    "require_personal_data",
]


class ViewerRefused(CoalitionError):
    """A viewer asked for what only a coordinator may do."""


def acting_coordinator(db: Database, claimed: str, *, declared: bool) -> str:
    """The coordinator recorded with every change made through ``db``.

    ``claimed``: the name from ``--as``, ``$COALITION_USER`` or the login; ``declared``:
    whether the person named it themselves with ``--as``. On SQLite that name; on a
    server the database role, and a declared name that is another is refused.
    """
    role = db.role
    if role is None:
        return claimed
    if declared and claimed != role:
        raise CoalitionError(
            f"On a server database you act as your database role '{role}'; --as cannot "
            f"name another coordinator ('{claimed}'). Leave out --as, or connect as "
            f"{claimed} (their user name in the --db URL)."
        )
    return role


def require_personal_data(session: Session) -> None:
    """Refuse a viewer an export of personal data, before any file is written."""
    if session.get_bind().dialect.name != "postgresql":
        return
    if store_team.can_write(session.connection()):
        return
    raise ViewerRefused(
        "You are a viewer on this database: you may read it, but not export personal data "
        "(contacts, mail-merge lists, vCards, sign-ons with who signed, a person's record); "
        "nothing was written. The public signatory list and the organisations can be "
        "exported; ask a coordinator for the rest."
    )


# --- the team ---------------------------------------------------------------------------------

_NAME = re.compile(r"[a-z][a-z0-9_.-]*")
_RESERVED = frozenset({"public", "none", "current_user", "current_role", "session_user", "all"})


def check_name(name: str) -> str:
    """``name`` as a team member's login, or a sentence saying what one must be."""
    if (
        not _NAME.fullmatch(name)
        or len(name) > 63
        or name.startswith(("pg_", store_team.GROUP_PREFIX))
        or name in _RESERVED
    ):
        raise InvalidValue(
            f"'{name}' cannot be a team member's name: it is their database login, "
            "1 to 63 lowercase letters, digits, '.', '_' or '-', starting with a letter "
            "(not pg_… or coalition_…). For example: coalition team add lea.martin"
        )
    return name


def _server_only(db: Database) -> None:
    if db.is_sqlite:
        raise DatabaseError(
            "team is for PostgreSQL databases; a SQLite file has one user (whoever can open "
            "the file). Copy it to a server with `coalition db copy` to work as a team."
        )


@dataclass(frozen=True)
class Added:
    """A new team member; ``password`` is shown once, then only the server has its hash."""

    name: str
    kind: Kind
    password: str | None
    existing: bool
    """The role was already on the server (another database's team, or removed from
    this one): it joined this team, its password unchanged."""
    login_restored: bool = False
    """It could not log in (a removal had locked it) and now can again."""


def add_member(db: Database, name: str, *, viewer: bool = False, password: bool = True) -> Added:
    """Make ``name`` a coordinator (or a viewer) of this database: a new login role with a
    generated password (none with ``password=False``, for servers that authenticate
    otherwise), or a role already on the server joining this database's team."""
    _server_only(db)
    check_name(name)
    kind: Kind = "viewer" if viewer else "coordinator"
    with db.session() as session:
        connection = session.connection()
        me = db.role
        if not store_team.may_create_roles(connection):
            raise DatabaseError(
                f"Your database role '{me}' lacks the CREATEROLE right, which adding a team "
                "member needs; ask the server's administrator to run "
                f'ALTER ROLE "{me}" CREATEROLE, or to add {name} themselves.'
            )
        if not store_team.owns_the_tables(connection):
            raise DatabaseError(
                f"Your database role '{me}' does not own this database's tables, so it cannot "
                "grant rights on them; run `coalition team add` as the role that created the "
                "database (its owner)."
            )
        current = {m.name: m for m in store_team.members(connection)}
        if name in current:
            raise InvalidValue(
                f"{name} is already on this database's team (a {current[name].kind}); "
                f"`coalition team remove {name}` first to change that."
            )
        if store_team.role_exists(connection, name):
            relogged = store_team.join(connection, name, kind)
            return Added(name, kind, None, existing=True, login_restored=relogged)
        secret = secrets.token_urlsafe(18) if password else None
        store_team.create_member(connection, name, kind, secret)
    return Added(name, kind, secret, existing=False)


def list_members(db: Database) -> list[Member]:
    """The coordinators and viewers of this database, by name."""
    _server_only(db)
    with db.read_session() as session:
        return store_team.members(session.connection())


def remove_member(db: Database, name: str) -> Removal:
    """Take ``name`` off this database's team (see ``store.team.remove_member``)."""
    _server_only(db)
    with db.session() as session:
        connection = session.connection()
        if name not in {m.name for m in store_team.members(connection)}:
            raise NotFound(
                f"{name} is not on this database's team; `coalition team list` shows who is."
            )
        if name == db.role:
            raise InvalidValue(
                f"{name} is the role you are logged in as; another coordinator with the "
                "CREATEROLE right must remove you."
            )
        if not store_team.may_create_roles(connection):
            raise DatabaseError(
                f"Your database role '{db.role}' lacks the CREATEROLE right, which removing a "
                "team member needs; ask the server's administrator."
            )
        return store_team.remove_member(connection, name)
