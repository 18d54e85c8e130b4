"""The team of a PostgreSQL database: its coordinators and viewers, as database roles.

Each person is a LOGIN role of the server; what they may do on one coalition database
comes from the group role they are a member of, two per database, NOLOGIN, made the
first time someone is added:

* ``coalition_<database>_coordinators``: read and write every table (and use the
  sequences that number the rows);
* ``coalition_<database>_viewers``: read every table, nothing else.

Rights are granted to the groups, never to a person, so a table a later schema
revision adds is granted in one place: ``grant_groups`` grants every table of the
schema to both groups, and ``ALTER DEFAULT PRIVILEGES`` makes the tables the role
that set up the team creates later (an Alembic upgrade run by that role) granted as
they are made. An upgrade run by another role must grant its new tables to the two
groups itself (``GRANT ... TO coalition_<database>_coordinators``), or run
``coalition team add`` once more as the owner, which grants again.

Every name that reaches SQL here is quoted by psycopg (``sql.Identifier``); a password
is sent already hashed (libpq's ``PQencryptPasswordConn``), so it is never in the
server's statement log.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection

Kind = Literal["coordinator", "viewer"]

KINDS: tuple[Kind, ...] = ("coordinator", "viewer")

GROUP_PREFIX = "coalition_"

_MAX_NAME = 63
"""PostgreSQL's longest identifier (NAMEDATALEN - 1)."""

HISTORY_COLUMNS = ("coordinator", "undone_by")
"""The columns of the schema that name the coordinator who did something."""


@dataclass(frozen=True)
class Member:
    """One person on the team of this database."""

    name: str
    kind: Kind
    can_log_in: bool


def _sql() -> Any:
    from psycopg import sql

    return sql


def _cursor(connection: Connection) -> Any:
    """psycopg's own cursor on the connection's transaction (for ``sql.Composed``)."""
    return connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def _run(connection: Connection, statement: Any, params: Any = None) -> list[Any]:
    cursor = _cursor(connection)
    try:
        cursor.execute(statement, params)
        return list(cursor.fetchall()) if cursor.description else []
    finally:
        cursor.close()


def database_name(connection: Connection) -> str:
    return str(connection.exec_driver_sql("SELECT current_database()").scalar_one())


def group_name(database: str, kind: Kind) -> str:
    """The group role of ``kind`` for ``database``; a database name too long to fit
    stands in as a short digest of itself."""
    suffix = f"_{kind}s"
    name = f"{GROUP_PREFIX}{database}{suffix}"
    if len(name.encode()) <= _MAX_NAME:
        return name
    digest = hashlib.sha256(database.encode()).hexdigest()[:16]
    return f"{GROUP_PREFIX}{digest}{suffix}"


def groups(connection: Connection) -> dict[Kind, str]:
    database = database_name(connection)
    return {kind: group_name(database, kind) for kind in KINDS}


def role_exists(connection: Connection, name: str) -> bool:
    return bool(_run(connection, "SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)))


def may_create_roles(connection: Connection) -> bool:
    """Whether the session's role has the CREATEROLE right (or is a superuser)."""
    rows = _run(
        connection,
        "SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user",
    )
    return bool(rows and rows[0][0])


def owns_the_tables(connection: Connection) -> bool:
    """Whether the session's role may grant rights on every table of the schema: it owns
    them (or is a member of their owner, or a superuser)."""
    rows = _run(
        connection,
        "SELECT coalesce(bool_and(pg_has_role(current_user, tableowner, 'USAGE')), true) "
        "FROM pg_tables WHERE schemaname = current_schema()",
    )
    return bool(rows[0][0])


def can_write(connection: Connection) -> bool:
    """Whether the session's role may write the change log: a coordinator's right (a
    viewer's grants are SELECT only; the owner and a superuser write everything)."""
    rows = _run(connection, "SELECT has_table_privilege('audit_log', 'INSERT')")
    return bool(rows[0][0])


def ensure_groups(connection: Connection) -> dict[Kind, str]:
    """The two group roles of this database, made if missing, and granted what each may
    do on every table and sequence there is now (and, through default privileges, on
    those the current role creates later). Safe to run again: it grants again."""
    sql = _sql()
    names = groups(connection)
    database = database_name(connection)
    for name in names.values():
        if not role_exists(connection, name):
            _run(connection, sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)))
    writer = sql.Identifier(names["coordinator"])
    reader = sql.Identifier(names["viewer"])
    for group in (writer, reader):
        _run(
            connection,
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), group),
        )
        _run(
            connection,
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(_schema(connection), group),
        )
    grants = [
        ("SELECT, INSERT, UPDATE, DELETE", "TABLES", writer),
        ("USAGE, SELECT, UPDATE", "SEQUENCES", writer),
        ("SELECT", "TABLES", reader),
    ]
    schema = _schema(connection)
    for rights, objects, group in grants:
        _run(
            connection,
            sql.SQL("GRANT " + rights + " ON ALL " + objects + " IN SCHEMA {} TO {}").format(
                schema, group
            ),
        )
        _run(
            connection,
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT "
                + rights
                + " ON "
                + objects
                + " TO {}"
            ).format(schema, group),
        )
    return names


def _schema(connection: Connection) -> Any:
    sql = _sql()
    name = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
    return sql.Identifier(str(name))


def encrypted_password(connection: Connection, name: str, password: str) -> str:
    """The password as the server stores it (SCRAM, or what ``password_encryption``
    says), hashed here so the statement carries no plain password."""
    pgconn = connection.connection.dbapi_connection.pgconn  # type: ignore[union-attr]
    return bytes(pgconn.encrypt_password(password.encode(), name.encode())).decode()


def create_member(connection: Connection, name: str, kind: Kind, password: str | None) -> None:
    """A new LOGIN role ``name``, member of this database's group of ``kind``."""
    sql = _sql()
    names = ensure_groups(connection)
    statement = sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name))
    if password is not None:
        hashed = encrypted_password(connection, name, password)
        statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(hashed))
    _run(connection, statement)
    _grant(connection, names[kind], name)


def join(connection: Connection, name: str, kind: Kind) -> bool:
    """An existing role joins this database's team as ``kind``, its password unchanged;
    one that could not log in (removed from a team before) may again. Returns whether
    it could not."""
    sql = _sql()
    names = ensure_groups(connection)
    _grant(connection, names[kind], name)
    rows = _run(connection, "SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (name,))
    if rows and not rows[0][0]:
        _run(connection, sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(name)))
        return True
    return False


def _grant(connection: Connection, group: str, member: str) -> None:
    sql = _sql()
    _run(
        connection,
        sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), sql.Identifier(member)),
    )


def members(connection: Connection) -> list[Member]:
    """The members of this database's two groups, by name; one in both is a coordinator."""
    names = groups(connection)
    rows = _run(
        connection,
        "SELECT r.rolname, bool_or(g.rolname = %s), r.rolcanlogin "
        "FROM pg_auth_members m "
        "JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.roleid "
        "WHERE g.rolname IN (%s, %s) GROUP BY r.rolname, r.rolcanlogin ORDER BY r.rolname",
        (names["coordinator"], names["coordinator"], names["viewer"]),
    )
    return [
        Member(str(name), "coordinator" if writes else "viewer", bool(login))
        for name, writes, login in rows
    ]


def named_in_history(connection: Connection, name: str) -> bool:
    """Whether any record of this database names ``name`` as who did something."""
    sql = _sql()
    columns = _run(
        connection,
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND column_name = ANY(%s)",
        (list(HISTORY_COLUMNS),),
    )
    for table, column in columns:
        found = _run(
            connection,
            sql.SQL("SELECT 1 FROM {} WHERE {} = %s LIMIT 1").format(
                sql.Identifier(table), sql.Identifier(column)
            ),
            (name,),
        )
        if found:
            return True
    return False


def other_teams(connection: Connection, name: str) -> list[str]:
    """The other coalition group roles ``name`` is a member of (other databases' teams)."""
    ours = set(groups(connection).values())
    rows = _run(
        connection,
        "SELECT g.rolname FROM pg_auth_members m "
        "JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.roleid "
        "WHERE r.rolname = %s AND g.rolname LIKE 'coalition\\_%%' AND NOT g.rolcanlogin",
        (name,),
    )
    return sorted(str(group) for (group,) in rows if group not in ours)


Removal = Literal["dropped", "locked", "revoked"]


def remove_member(connection: Connection, name: str) -> Removal:
    """Take ``name`` off this database's team: its group memberships revoked; then the
    role dropped when nothing names it, else made NOLOGIN (the change log keeps the
    name, and no one else may later log in under it). A role still on another
    database's team keeps its login (``"revoked"``)."""
    sql = _sql()
    role = sql.Identifier(name)
    for group in groups(connection).values():
        if role_exists(connection, group):
            _run(connection, sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group), role))
    if other_teams(connection, name):
        return "revoked"
    if not named_in_history(connection, name) and not _owns_anything(connection, name):
        _run(connection, "SAVEPOINT coalition_drop_role")
        try:
            _run(connection, sql.SQL("DROP ROLE {}").format(role))
        except Exception as exc:
            if getattr(exc, "sqlstate", None) != "2BP01":  # dependent objects still exist
                raise
            _run(connection, "ROLLBACK TO SAVEPOINT coalition_drop_role")
        else:
            return "dropped"
    _run(connection, sql.SQL("ALTER ROLE {} NOLOGIN").format(role))
    return "locked"


def _owns_anything(connection: Connection, name: str) -> bool:
    """Whether any database of the server holds an object the role owns or was granted
    rights on by name (``pg_shdepend``): DROP ROLE would fail then."""
    rows = _run(
        connection,
        "SELECT 1 FROM pg_shdepend d JOIN pg_roles r ON r.oid = d.refobjid "
        "WHERE d.refclassid = 'pg_authid'::regclass AND r.rolname = %s LIMIT 1",
        (name,),
    )
    return bool(rows)
