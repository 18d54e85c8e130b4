"""Two contacts or two organisations made one, and a merge taken back.

``merge_contacts`` and ``merge_organisations`` fold the *other* record into the
*kept* one: addresses, numbers, tags, outreach (follow-ups are outreach), sign-ons,
people and the change log all end up on the kept record, and the other is deleted.
Where both records hold a value the kept one's wins, unless ``take`` names the
field; a value that loses is written into the kept record's notes ("Merged from
#12: role: Director"), so nothing disappears. ``preview_merge`` works the result
out field by field with the same rules and changes nothing: the command line
shows it before asking, and a screen can show it side by side.

Two sign-ons of one campaign become one: the further status wins (prospect <
invited < considering < declined, withdrawn < signed) and the status changes of
both are kept on it.

Every merge keeps, in ``Merge.snapshot``, the rows as they were before it, as the
database stores them: the two records' own rows, the rows it deleted or changed
(addresses, numbers, sign-ons) and the ids of the rows it pointed at the kept
record (outreach, people, sign-ons, status changes, change-log entries), with the
tag links of both. ``undo_merge`` puts all of it back, ids included, unless later
changes depend on the merge (change-log entries about either record written after
it), which it names.

The work is set-based (one ``UPDATE ... WHERE`` per kind of row, bulk inserts on
undo), so an organisation with hundreds of people and thousands of interactions
merges and unmerges in well under a second (benchmarks/merge_bench.py).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coalition.domain.audit import Work, jsonable, refuse_if_later_changes
from coalition.domain.people import find_contact, find_organisation
from coalition.domain.values import choice, fold
from coalition.errors import CoalitionError, InvalidValue, NotFound
from coalition.store import search
from coalition.store.bulk import stored
from coalition.store.glance import FOLLOWUP_OPEN
from coalition.store.models import AuditEntry, Base, Merge, bump, utcnow
from coalition.store.schema import MERGE_KINDS

SNAPSHOT_VERSION = 1

STATUS_ORDER = {
    "prospect": 0,
    "invited": 1,
    "considering": 2,
    "declined": 3,
    "withdrawn": 3,
    "signed": 4,
}
"""How far a sign-on has come: of two sign-ons of one campaign, the further one wins
(the kept record's on a tie)."""

CONTACT_TAKEABLE = (
    "display_name",
    "given_name",
    "family_name",
    "honorific",
    "role",
    "organisation",
    "language",
    "street",
    "postal_code",
    "city",
    "region",
    "country",
    "consent_basis",
    "consent_date",
    "consent_source",
)
"""The contact fields ``take`` may name; notes, tags, addresses and numbers of both are
kept, and do-not-contact and bounced hold if either record says so."""

ORGANISATION_TAKEABLE = (
    "name",
    "acronym",
    "kind",
    "country",
    "city",
    "website",
    "email",
    "phone",
    "membership",
    "member_since",
    "owner",
)
"""The organisation fields ``take`` may name; notes and tags of both are kept."""

_COMBINED = ("notes", "tags", "emails", "phones", "do_not_contact", "bounced")
_ALIASES = {
    "org": "organisation",
    "organisation_id": "organisation",
    "organization": "organisation",
}
_COLUMN = {"organisation": "organisation_id"}
_EMPTY_DEFAULTS = {"kind": "other", "membership": "none"}
"""Defaults that say nothing: an organisation of kind "other" takes the other's kind."""

_CHUNK = 900


# --- views ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldMerge:
    """One field of a merge: both records' values, the result, and which one wins."""

    field: str
    kept: str | None
    other: str | None
    result: str | None
    winner: str
    """"same" (equal or both empty), "kept", "other", or "both" (lists and notes combined,
    a flag that holds if either record says so)."""
    to_notes: bool = False
    """The losing value is written into the kept record's notes."""


@dataclass(frozen=True)
class SignOnMerge:
    """What becomes of one of the other organisation's sign-ons."""

    campaign: str
    kept: str | None
    """The kept organisation's status for this campaign (None: it has no sign-on)."""
    other: str
    result: str


@dataclass(frozen=True)
class MergePreview:
    """What a merge will do, changing nothing (``preview_merge``)."""

    kind: str
    """"contact" or "organisation"."""
    kept_id: int
    other_id: int
    kept: str
    other: str
    fields: list[FieldMerge]
    """Every field that either record fills, in the order a form shows them."""
    signons: list[SignOnMerge]
    """The other organisation's sign-ons (organisations only)."""
    moves: dict[str, int]
    """What moves to the kept record, by kind ("interactions": 12, …); zeros left out."""
    notes: list[str]
    """The lines added to the kept record's notes."""


@dataclass(frozen=True)
class MergeView:
    id: int
    kind: str
    kept_id: int
    other_id: int
    kept: str | None
    other: str | None
    at: dt.datetime
    coordinator: str
    undone_at: dt.datetime | None
    undone_by: str | None

    def sentence(self) -> str:
        """What was done and how to take it back, as the command line and the app say it."""
        other = f"#{self.other_id} {self.other or ''}".rstrip()
        kept = f"#{self.kept_id} {self.kept or ''}".rstrip()
        return (
            f"Merged {self.kind} {other} into {kept}; "
            f"`coalition merges undo {self.id}` takes it back."
        )


def merge_view(m: Merge) -> MergeView:
    return MergeView(
        m.id,
        m.kind,
        m.kept_id,
        m.other_id,
        m.kept_label,
        m.other_label,
        m.at,
        m.coordinator,
        m.undone_at,
        m.undone_by,
    )


# --- raw rows ------------------------------------------------------------------------------
# Rows are read and written as the database stores them (dates and times as SQLite's text,
# flags as 0/1), so an undo puts back exactly the bytes that were there.


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _plain(value: Any) -> Any:
    """A value the driver returned, as JSON can hold it (SQLite's already are)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def _rows(
    session: Session, table: str, column: str, values: Sequence[Any], order: str = "id"
) -> list[dict[str, Any]]:
    """The rows of ``table`` whose ``column`` is one of ``values``, every column, as stored."""
    found: list[dict[str, Any]] = []
    statement = text(f"SELECT * FROM {table} WHERE {column} IN :values ORDER BY {order}")
    statement = statement.bindparams(bindparam("values", expanding=True))
    for chunk in _chunks(list(values)):
        found.extend(
            {k: _plain(v) for k, v in row._mapping.items()}
            for row in session.execute(statement, {"values": list(chunk)})
        )
    return found


def _ids(session: Session, table: str, column: str, value: Any) -> list[int]:
    return list(
        session.scalars(
            text(f"SELECT id FROM {table} WHERE {column} = :v ORDER BY id"), {"v": value}
        )
    )


def _existing(session: Session, table: str, ids: Sequence[int]) -> set[int]:
    statement = text(f"SELECT id FROM {table} WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    found: set[int] = set()
    for chunk in _chunks(list(ids)):
        found.update(session.scalars(statement, {"ids": list(chunk)}))
    return found


def _set_where_ids(
    session: Session,
    table: str,
    values: dict[str, Any],
    ids: Sequence[int],
    *,
    only_if: tuple[str, Any] | None = None,
    changes_record: bool = False,
) -> None:
    """``UPDATE table SET ... WHERE id IN ids`` (and ``only_if`` column = value), in chunks.

    ``changes_record``: the values are the record's own (the kept record's fields), so its
    version moves on and an editor who opened it before the merge is told; pointing a row
    at the kept record instead of the other changes nothing an editor would overwrite."""
    if not ids:
        return
    sets = ", ".join(f"{name} = :set_{name}" for name in values)
    if changes_record:
        sets += bump(table)
    sql = f"UPDATE {table} SET {sets} WHERE id IN :ids"
    params: dict[str, Any] = {f"set_{name}": value for name, value in values.items()}
    if only_if is not None:
        sql += f" AND {only_if[0]} = :only_if"
        params["only_if"] = only_if[1]
    statement = text(sql).bindparams(bindparam("ids", expanding=True))
    for chunk in _chunks(list(ids)):
        session.execute(statement, {**params, "ids": list(chunk)})


def _delete_ids(session: Session, table: str, ids: Sequence[int]) -> None:
    statement = text(f"DELETE FROM {table} WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    for chunk in _chunks(list(ids)):
        session.execute(statement, {"ids": list(chunk)})


def _update_row(session: Session, table: str, row: dict[str, Any]) -> None:
    """Write every column of ``row`` back onto the row with its id. Its version goes back
    with the rest: the values are those an editor who opened it before the merge saw."""
    names = [n for n in row if n != "id"]
    sets = ", ".join(f"{n} = :{n}" for n in names)
    session.execute(text(f"UPDATE {table} SET {sets} WHERE id = :id"), row)


def _insert(session: Session, table: str, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows (values as stored) with their ids: a few, or a few hundred tag links, so
    one executemany through SQLAlchemy, which reports a broken link as IntegrityError."""
    if not rows:
        return
    names = list(rows[0])
    session.execute(
        text(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})"
        ),
        list(rows),
    )


def _stored(session: Session, table: str, column: str, value: Any) -> Any:
    return stored(session, Base.metadata.tables[table].c[column], value)


def _tag_ids(session: Session, link: str, column: str, owner: int) -> list[int]:
    return list(
        session.scalars(
            text(f"SELECT tag_id FROM {link} WHERE {column} = :owner ORDER BY tag_id"),
            {"owner": owner},
        )
    )


def _names(session: Session, table: str, column: str, ids: Iterable[int]) -> dict[int, str]:
    """``column`` (a name, a code) of the rows of ``table`` with these ids."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    statement = text(f"SELECT id, {column} FROM {table} WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    return {int(i): str(n) for i, n in session.execute(statement, {"ids": wanted})}


def _tag_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    return _names(session, "tags", "name", ids)


def _count(session: Session, sql: str, **params: Any) -> int:
    return int(session.scalar(text(sql), params) or 0)


# --- the plan: what a merge will do ---------------------------------------------------------


@dataclass
class _SignOnPair:
    other: dict[str, Any]
    kept: dict[str, Any] | None
    code: str
    updates: dict[str, Any] = field(default_factory=dict)
    """Columns of the kept sign-on that change (when both have one)."""


@dataclass
class _Plan:
    kind: str
    kept: dict[str, Any]
    other: dict[str, Any]
    kept_label: str
    other_label: str
    fields: list[FieldMerge]
    updates: dict[str, Any]
    """Columns of the kept row that change (notes and updated_at included)."""
    notes: list[str]
    kept_tags: list[int]
    other_tags: list[int]
    moves: dict[str, int]
    kept_emails: list[dict[str, Any]] = field(default_factory=list)
    other_emails: list[dict[str, Any]] = field(default_factory=list)
    kept_phones: list[dict[str, Any]] = field(default_factory=list)
    other_phones: list[dict[str, Any]] = field(default_factory=list)
    signons: list[_SignOnPair] = field(default_factory=list)

    @property
    def table(self) -> str:
        return "contacts" if self.kind == "contact" else "organisations"

    def preview(self) -> MergePreview:
        return MergePreview(
            kind=self.kind,
            kept_id=self.kept["id"],
            other_id=self.other["id"],
            kept=self.kept_label,
            other=self.other_label,
            fields=self.fields,
            signons=[
                SignOnMerge(
                    p.code,
                    p.kept["status"] if p.kept else None,
                    p.other["status"],
                    p.updates.get("status", p.kept["status"] if p.kept else p.other["status"]),
                )
                for p in self.signons
            ],
            moves={k: v for k, v in self.moves.items() if v},
            notes=self.notes,
        )


def _takes(kind: str, take: Iterable[str], other_label: str, other: dict[str, Any]) -> set[str]:
    """The fields named in ``take``, checked: known, takeable, and filled on the other."""
    allowed = CONTACT_TAKEABLE if kind == "contact" else ORGANISATION_TAKEABLE
    names: set[str] = set()
    for raw in take:
        name = raw.strip().lower().replace("-", "_").replace(" ", "_")
        if not name:
            continue
        name = _ALIASES.get(name, name)
        if kind == "contact" and name == "name":
            name = "display_name"
        if name not in allowed:
            if name in _COMBINED:
                reason = f"the {name.replace('_', ' ')} of both are kept"
                if name in ("do_not_contact", "bounced"):
                    reason = f"{name.replace('_', ' ')} holds if either record says so"
                raise InvalidValue(
                    f"'{raw}' cannot be taken: {reason}; fields that can be taken are "
                    f"{', '.join(allowed)}."
                )
            raise InvalidValue(
                f"'{raw}' is not a {kind} field that can be taken; use one of {', '.join(allowed)}."
            )
        if _empty(name, other.get(_COLUMN.get(name, name))):
            raise InvalidValue(
                f"#{other['id']} {other_label} has no {name.replace('_', ' ')} to take."
            )
        names.add(name)
    return names


def _empty(name: str, value: Any) -> bool:
    return value is None or value == "" or _EMPTY_DEFAULTS.get(name) == value


def _decide(name: str, kept: Any, other: Any, take: set[str]) -> tuple[Any, str, bool]:
    """(result, winner, whether the losing value goes to the notes)."""
    if kept == other:
        return kept, "same", False
    if _empty(name, other):
        return kept, "kept", False
    if name in take:
        return other, "other", not _empty(name, kept)
    if _empty(name, kept):
        return other, "other", False
    return kept, "kept", True


def _shown(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _flag(value: Any) -> str:
    return "yes" if value else "no"


def _note_line(other_id: int, name: str, value: str | None, *, kept_value: bool = False) -> str:
    """A losing value as the kept record's notes keep it: the other's, or (when ``take``
    chose the other's) the kept record's own."""
    where = f"Before the merge with #{other_id}" if kept_value else f"Merged from #{other_id}"
    return f"{where}: {name.replace('_', ' ')}: {value}"


def _combine_notes(
    other_id: int, kept: str | None, other: str | None, lines: list[str]
) -> tuple[str | None, list[str]]:
    """The kept record's notes with the losing values and the other's notes after them."""
    added = list(lines)
    if other and other.strip() and other.strip() not in (kept or ""):
        added.append(_note_line(other_id, "notes", other.strip()))
    if not added:
        return kept, []
    return "\n".join([*([kept] if kept else []), *added]), added


def _notes_field(
    fields: list[FieldMerge],
    updates: dict[str, Any],
    other_id: int,
    kept: str | None,
    other: str | None,
    lines: list[str],
) -> list[str]:
    """Both records' notes and the lines the merge adds, as the kept record's notes;
    returns the lines added."""
    notes, added = _combine_notes(other_id, kept, other, lines)
    if kept or other or added:
        winner = "both" if added else ("same" if kept == other else "kept")
        fields.append(FieldMerge("notes", kept, other, notes, winner))
    if notes != kept:
        updates["notes"] = notes
    return added


def _scalar_fields(
    plan_fields: list[FieldMerge],
    updates: dict[str, Any],
    lines: list[str],
    names: Sequence[str],
    kept: dict[str, Any],
    other: dict[str, Any],
    take: set[str],
    shown: dict[str, Any] | None = None,
) -> None:
    """Decide each field in ``names``; ``shown`` maps a raw value to what a person reads."""
    for name in names:
        column = _COLUMN.get(name, name)
        k, o = kept[column], other[column]
        result, winner, to_notes = _decide(name, k, o, take)
        show = (shown or {}).get(name, _shown)
        if result != k:
            updates[column] = result
        if to_notes:
            if winner == "other":
                lines.append(_note_line(other["id"], name, show(k), kept_value=True))
            else:
                lines.append(_note_line(other["id"], name, show(o)))
        if _empty(name, k) and _empty(name, o):
            continue  # nothing to show: neither says anything
        plan_fields.append(FieldMerge(name, show(k), show(o), show(result), winner, to_notes))


def _contact_list(
    session: Session,
    table: str,
    name: str,
    shown: str,
    key: Any,
    kept_id: int,
    other_id: int,
    fields: list[FieldMerge],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Both contacts' addresses (or numbers) in ``table``, and those of the other that are
    new to the kept one (by ``key``, the move's own rule); the field the preview shows, with
    ``shown`` as each row's text, goes into ``fields`` when either has one."""
    kept = _rows(session, table, "contact_id", [kept_id])
    other = _rows(session, table, "contact_id", [other_id])
    have = {key(row) for row in kept}
    new = [row for row in other if key(row) not in have]
    if kept or other:
        fields.append(
            _list_field(
                name,
                [row[shown] for row in kept],
                [row[shown] for row in other],
                [row[shown] for row in kept + new],
            )
        )
    return kept, other, new


def _list_field(name: str, kept: list[str], other: list[str], result: list[str]) -> FieldMerge:
    winner = "same" if kept == other else ("kept" if result == kept else "both")
    return FieldMerge(
        name,
        ", ".join(kept) or None,
        ", ".join(other) or None,
        ", ".join(result) or None,
        winner,
    )


def _find_pair(session: Session, kind: str, keep_ref: str, other_ref: str) -> tuple[Any, Any]:
    kept: Any
    other: Any
    if kind == "contact":
        kept, other = find_contact(session, keep_ref), find_contact(session, other_ref)
    else:
        kept, other = find_organisation(session, keep_ref), find_organisation(session, other_ref)
    if kept.id == other.id:
        name = kept.display_name if kind == "contact" else kept.name
        raise CoalitionError(
            f"'{keep_ref}' and '{other_ref}' are the same {kind} (#{kept.id} {name}); "
            "name two different ones to merge."
        )
    return kept, other


def _plan(session: Session, kind: str, keep_ref: str, other_ref: str, take: Iterable[str]) -> _Plan:
    kind = choice(kind, MERGE_KINDS, "kind of merge") or kind
    kept_obj, other_obj = _find_pair(session, kind, keep_ref, other_ref)
    session.flush()
    if kind == "contact":
        return _contact_plan(session, kept_obj.id, other_obj.id, take)
    return _organisation_plan(session, kept_obj.id, other_obj.id, take)


def _tag_plan(
    session: Session, link: str, column: str, kept_id: int, other_id: int
) -> tuple[list[int], list[int], FieldMerge | None, int]:
    kept_tags = _tag_ids(session, link, column, kept_id)
    other_tags = _tag_ids(session, link, column, other_id)
    if not kept_tags and not other_tags:
        return kept_tags, other_tags, None, 0
    names = _tag_names(session, kept_tags + other_tags)
    added = [t for t in other_tags if t not in kept_tags]
    row = _list_field(
        "tags",
        sorted(names[t] for t in kept_tags),
        sorted(names[t] for t in other_tags),
        sorted(names[t] for t in kept_tags + added),
    )
    return kept_tags, other_tags, row, len(added)


def _contact_plan(session: Session, kept_id: int, other_id: int, take: Iterable[str]) -> _Plan:
    (kept,) = _rows(session, "contacts", "id", [kept_id])
    (other,) = _rows(session, "contacts", "id", [other_id])
    takes = _takes("contact", take, other["display_name"], other)
    fields: list[FieldMerge] = []
    updates: dict[str, Any] = {}
    lines: list[str] = []

    org_ids = [i for i in (kept["organisation_id"], other["organisation_id"]) if i is not None]
    org_names = _names(session, "organisations", "name", org_ids)

    def organisation(value: Any) -> str | None:
        return None if value is None else f"{org_names.get(value, '?')} (#{value})"

    names = [n for n in CONTACT_TAKEABLE if n != "display_name"]
    _scalar_fields(
        fields, updates, lines, names, kept, other, takes, {"organisation": organisation}
    )

    # The name shown: kept as chosen, else derived from the names the merge ends with.
    given = updates.get("given_name", kept["given_name"])
    family = updates.get("family_name", kept["family_name"])
    derived = " ".join(p for p in (given, family) if p)
    k_name, o_name = kept["display_name"], other["display_name"]
    k_custom, o_custom = bool(kept["display_name_custom"]), bool(other["display_name_custom"])
    to_notes = False
    if "display_name" in takes:
        name, custom = o_name, o_name != derived
        to_notes = k_name != o_name and k_custom
    elif k_custom:
        name, custom = k_name, True
        to_notes = o_custom and o_name != k_name
    elif o_custom and not (kept["given_name"] or kept["family_name"]):
        name, custom = o_name, True
    else:
        name, custom = derived or k_name, False
        to_notes = o_custom and o_name != name
    if to_notes:
        lines.append(
            _note_line(other_id, "display_name", k_name, kept_value=True)
            if name == o_name
            else _note_line(other_id, "display_name", o_name)
        )
    winner = (
        "same"
        if k_name == o_name
        else "kept"
        if name == k_name
        else "other"
        if name == o_name
        else "both"
    )
    fields.insert(0, FieldMerge("display_name", k_name, o_name, name, winner, to_notes))
    if name != k_name:
        updates["display_name"] = name
        updates["display_name_key"] = fold(name)
    if custom != k_custom:
        updates["display_name_custom"] = _stored(session, "contacts", "display_name_custom", custom)

    for flag in ("do_not_contact", "bounced"):
        k, o = bool(kept[flag]), bool(other[flag])
        if k or o:
            fields.append(FieldMerge(flag, _flag(k), _flag(o), "yes", "same" if k == o else "both"))
        if o and not k:
            updates[flag] = _stored(session, "contacts", flag, True)

    kept_emails, other_emails, new_emails = _contact_list(
        session, "contact_emails", "emails", "address", _email_key, kept_id, other_id, fields
    )
    kept_phones, other_phones, new_phones = _contact_list(
        session, "contact_phones", "phones", "number", _phone_key, kept_id, other_id, fields
    )
    kept_tags, other_tags, tag_row, tags_added = _tag_plan(
        session, "contact_tags", "contact_id", kept_id, other_id
    )
    if tag_row:
        fields.append(tag_row)

    added = _notes_field(fields, updates, other_id, kept["notes"], other["notes"], lines)

    moves = {
        "emails": len(new_emails),
        "phones": len(new_phones),
        "tags": tags_added,
        "interactions": _count(
            session, "SELECT count(*) FROM interactions WHERE contact_id = :o", o=other_id
        ),
        "open follow-ups": _count(
            session,
            f"SELECT count(*) FROM interactions WHERE contact_id = :o AND {FOLLOWUP_OPEN}",
            o=other_id,
        ),
        "sign-ons signed": _count(
            session, "SELECT count(*) FROM signons WHERE signed_by_id = :o", o=other_id
        ),
        "change-log entries": _count(
            session, "SELECT count(*) FROM audit_log WHERE contact_id = :o", o=other_id
        ),
    }
    return _Plan(
        kind="contact",
        kept=kept,
        other=other,
        kept_label=k_name,
        other_label=o_name,
        fields=fields,
        updates=updates,
        notes=added,
        kept_tags=kept_tags,
        other_tags=other_tags,
        moves=moves,
        kept_emails=kept_emails,
        other_emails=other_emails,
        kept_phones=kept_phones,
        other_phones=other_phones,
    )


def _organisation_plan(session: Session, kept_id: int, other_id: int, take: Iterable[str]) -> _Plan:
    (kept,) = _rows(session, "organisations", "id", [kept_id])
    (other,) = _rows(session, "organisations", "id", [other_id])
    takes = _takes("organisation", take, other["name"], other)
    fields: list[FieldMerge] = []
    updates: dict[str, Any] = {}
    lines: list[str] = []
    _scalar_fields(fields, updates, lines, ORGANISATION_TAKEABLE, kept, other, takes)
    if "name" in updates:
        updates["name_key"] = fold(updates["name"])
    kept_tags, other_tags, tag_row, tags_added = _tag_plan(
        session, "organisation_tags", "organisation_id", kept_id, other_id
    )
    if tag_row:
        fields.append(tag_row)
    added = _notes_field(fields, updates, other_id, kept["notes"], other["notes"], lines)

    kept_signons = {
        s["campaign_id"]: s for s in _rows(session, "signons", "organisation_id", [kept_id])
    }
    other_signons = _rows(session, "signons", "organisation_id", [other_id])
    codes = _names(session, "campaigns", "code", [s["campaign_id"] for s in other_signons])
    pairs = []
    for s in other_signons:
        pair = _SignOnPair(s, kept_signons.get(s["campaign_id"]), codes[s["campaign_id"]])
        if pair.kept is not None:
            pair.updates = _combined_signon(session, pair.kept, s, other_id)
        pairs.append(pair)

    moves = {
        "people": _count(
            session, "SELECT count(*) FROM contacts WHERE organisation_id = :o", o=other_id
        ),
        "interactions": _count(
            session, "SELECT count(*) FROM interactions WHERE organisation_id = :o", o=other_id
        ),
        "open follow-ups": _count(
            session,
            f"SELECT count(*) FROM interactions WHERE organisation_id = :o AND {FOLLOWUP_OPEN}",
            o=other_id,
        ),
        "sign-ons": sum(1 for p in pairs if p.kept is None),
        "sign-ons combined": sum(1 for p in pairs if p.kept is not None),
        "tags": tags_added,
        "change-log entries": _count(
            session, "SELECT count(*) FROM audit_log WHERE organisation_id = :o", o=other_id
        ),
    }
    return _Plan(
        kind="organisation",
        kept=kept,
        other=other,
        kept_label=kept["name"],
        other_label=other["name"],
        fields=fields,
        updates=updates,
        notes=added,
        kept_tags=kept_tags,
        other_tags=other_tags,
        moves=moves,
        signons=pairs,
    )


def _combined_signon(
    session: Session, kept: dict[str, Any], other: dict[str, Any], other_org: int
) -> dict[str, Any]:
    """The columns of the kept sign-on that change when the other's joins it: the further
    status and what goes with it (who signed, the name to publish, public or not); a
    losing signer or name and the other's notes go into the sign-on's notes."""
    other_wins = STATUS_ORDER[other["status"]] > STATUS_ORDER[kept["status"]]
    win, lose = (other, kept) if other_wins else (kept, other)
    result = {
        "status": win["status"],
        "signed_by_id": win["signed_by_id"]
        if win["signed_by_id"] is not None
        else lose["signed_by_id"],
        "display_name": win["display_name"] or lose["display_name"],
        "public": win["public"],
        "created_at": min(kept["created_at"], other["created_at"]),
    }
    lines = []
    if lose["signed_by_id"] is not None and lose["signed_by_id"] != result["signed_by_id"]:
        lines.append(f"signed by contact #{lose['signed_by_id']}")
    if lose["display_name"] and lose["display_name"] != result["display_name"]:
        lines.append(f"display name: {lose['display_name']}")
    notes = kept["notes"]
    extra = [f"Merged from #{other_org}: {line}" for line in lines]
    if other["notes"] and other["notes"] not in (notes or ""):
        extra.append(f"Merged from #{other_org}: notes: {other['notes']}")
    if extra:
        notes = "\n".join([*([notes] if notes else []), *extra])
    result["notes"] = notes
    updates = {k: v for k, v in result.items() if kept[k] != v}
    if updates:
        updates["updated_at"] = _stored(session, "signons", "updated_at", utcnow())
    return updates


# --- merging -------------------------------------------------------------------------------


def preview_merge(
    session: Session, kind: str, keep_ref: str, other_ref: str, take: Iterable[str] = ()
) -> MergePreview:
    """What merging ``other_ref`` into ``keep_ref`` would give, field by field; changes
    nothing. ``kind`` is "contact" or "organisation"; refs as a user gives them."""
    return _plan(session, kind, keep_ref, other_ref, take).preview()


def merge_contacts(
    work: Work, keep_ref: str | int, other_ref: str | int, *, take: Iterable[str] = ()
) -> MergeView:
    """Fold contact ``other_ref`` into ``keep_ref`` and delete it; undoable (``undo_merge``)."""
    return _merge(work, "contact", str(keep_ref), str(other_ref), take)


def merge_organisations(
    work: Work, keep_ref: str | int, other_ref: str | int, *, take: Iterable[str] = ()
) -> MergeView:
    """Fold organisation ``other_ref`` (people, outreach, sign-ons …) into ``keep_ref`` and
    delete it; undoable (``undo_merge``)."""
    return _merge(work, "organisation", str(keep_ref), str(other_ref), take)


@dataclass
class _Snapshot:
    """What ``Merge.snapshot`` holds (as JSON): enough to put both records back exactly."""

    kind: str
    changed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Rows the merge changed, by table, as they were: written back over their ids."""
    deleted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Rows the merge deleted, by table: inserted again with their ids."""
    repointed: list[dict[str, Any]] = field(default_factory=list)
    """{table, column, from, to, ids}: rows whose ``column`` went from ``from`` to ``to``."""
    tags: dict[str, Any] = field(default_factory=dict)
    """{table, column, kept: [tag ids], other: [tag ids]}: both records' tag links."""
    moves: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "version": SNAPSHOT_VERSION,
            "kind": self.kind,
            "changed": self.changed,
            "deleted": self.deleted,
            "repointed": self.repointed,
            "tags": self.tags,
            "moves": self.moves,
        }

    def repoint(
        self, session: Session, table: str, column: str, old: int, new: int, ids: list[int]
    ) -> None:
        """Point the rows ``ids`` of ``table`` from ``old`` to ``new``, remembering them."""
        if not ids:
            return
        _set_where_ids(session, table, {column: new}, ids)
        self.repointed.append(
            {"table": table, "column": column, "from": old, "to": new, "ids": ids}
        )

    def repoint_all(self, session: Session, table: str, column: str, old: int, new: int) -> None:
        """Point every row of ``table`` whose ``column`` is ``old`` at ``new``: one statement."""
        ids = _ids(session, table, column, old)
        if ids:
            session.execute(
                text(f"UPDATE {table} SET {column} = :new WHERE {column} = :old"),
                {"new": new, "old": old},
            )
            self.repointed.append(
                {"table": table, "column": column, "from": old, "to": new, "ids": ids}
            )


# Rows are put back in this order, so each row's references exist before it does.
_RESTORE_ORDER = ("organisations", "contacts", "contact_emails", "contact_phones", "signons")


def _merge(work: Work, kind: str, keep_ref: str, other_ref: str, take: Iterable[str]) -> MergeView:
    session = work.session
    plan = _plan(session, kind, keep_ref, other_ref, take)
    kept_id, other_id = plan.kept["id"], plan.other["id"]
    snap = _Snapshot(kind, moves={k: v for k, v in plan.moves.items() if v})
    before = _audit_fields(session, kind, plan.kept, plan.kept_tags)
    other_before = _audit_fields(session, kind, plan.other, plan.other_tags)
    if kind == "contact":
        _move_contact_rows(session, plan, snap)
    else:
        _move_organisation_rows(session, plan, snap)

    # The other's tag links go, the kept record gains those it lacked.
    link, column = (
        ("contact_tags", "contact_id")
        if kind == "contact"
        else ("organisation_tags", "organisation_id")
    )
    snap.tags = {"table": link, "column": column, "kept": plan.kept_tags, "other": plan.other_tags}
    session.execute(text(f"DELETE FROM {link} WHERE {column} = :o"), {"o": other_id})
    _insert(
        session,
        link,
        [{column: kept_id, "tag_id": t} for t in plan.other_tags if t not in plan.kept_tags],
    )

    # The change log about the other is about the kept record now.
    snap.repoint_all(session, "audit_log", f"{kind}_id", other_id, kept_id)

    table = plan.table
    snap.changed.setdefault(table, []).insert(0, plan.kept)
    snap.deleted.setdefault(table, []).insert(0, plan.other)
    updates = dict(plan.updates)
    updates["updated_at"] = _stored(session, table, "updated_at", utcnow())
    _set_where_ids(session, table, updates, [kept_id], changes_record=True)
    _delete_ids(session, table, [other_id])

    merged = {**plan.kept, **updates}
    after = _audit_fields(session, kind, merged, _tag_ids(session, link, column, kept_id))
    after["merged_from"] = other_id
    # Both entries are about the kept record: what the other was is part of its story now
    # (and an erasure of the person finds them there).
    ids = {f"{kind}_id": kept_id}
    other_ids = {f"{kind}_id": kept_id}
    if kind == "contact":
        ids["organisation_id"] = merged["organisation_id"]
        other_ids["organisation_id"] = plan.other["organisation_id"]
    work.audit("update", kind, kept_id, plan.kept_label, before, after, **ids)
    work.audit(
        "delete",
        kind,
        other_id,
        plan.other_label,
        other_before,
        {"merged_into": kept_id},
        **other_ids,
    )
    session.flush()
    _reindex(session, kind, kept_id, other_id)

    merge = Merge(
        kind=kind,
        kept_id=kept_id,
        other_id=other_id,
        kept_label=plan.kept_label[:400],
        other_label=plan.other_label[:400],
        at=utcnow(),
        coordinator=work.coordinator,
        snapshot=snap.as_json(),
        last_audit_id=session.scalar(select(func.max(AuditEntry.id))),
    )
    session.add(merge)
    session.flush()
    session.expire_all()
    return merge_view(merge)


def _email_key(row: dict[str, Any]) -> Any:
    return row["address_key"]


def _phone_key(row: dict[str, Any]) -> Any:
    return row["e164"] or row["number"]


def _move_contact_rows(session: Session, plan: _Plan, snap: _Snapshot) -> None:
    kept_id, other_id = plan.kept["id"], plan.other["id"]
    for table, kept_rows, other_rows, key in (
        ("contact_emails", plan.kept_emails, plan.other_emails, _email_key),
        ("contact_phones", plan.kept_phones, plan.other_phones, _phone_key),
    ):
        have = {key(r) for r in kept_rows}
        moving = [r for r in other_rows if key(r) not in have]
        repeated = [r for r in other_rows if key(r) in have]
        if moving:
            snap.changed[table] = moving
            values: dict[str, Any] = {"contact_id": kept_id}
            if kept_rows:  # the kept record's primary stays the primary
                values["is_primary"] = _stored(session, table, "is_primary", False)
            _set_where_ids(session, table, values, [r["id"] for r in moving])
        if repeated:
            snap.deleted[table] = repeated
            _delete_ids(session, table, [r["id"] for r in repeated])
    snap.repoint_all(session, "interactions", "contact_id", other_id, kept_id)
    snap.repoint_all(session, "signons", "signed_by_id", other_id, kept_id)


def _move_organisation_rows(session: Session, plan: _Plan, snap: _Snapshot) -> None:
    kept_id, other_id = plan.kept["id"], plan.other["id"]
    snap.repoint_all(session, "contacts", "organisation_id", other_id, kept_id)
    snap.repoint_all(session, "interactions", "organisation_id", other_id, kept_id)
    moving = [p.other["id"] for p in plan.signons if p.kept is None]
    snap.repoint(session, "signons", "organisation_id", other_id, kept_id, moving)
    for pair in plan.signons:
        if pair.kept is None:
            continue
        # Both histories stay: the other's status changes join the kept sign-on.
        events = _ids(session, "signon_events", "signon_id", pair.other["id"])
        snap.repoint(
            session, "signon_events", "signon_id", pair.other["id"], pair.kept["id"], events
        )
        if pair.updates:
            snap.changed.setdefault("signons", []).append(pair.kept)
            _set_where_ids(session, "signons", pair.updates, [pair.kept["id"]], changes_record=True)
        snap.deleted.setdefault("signons", []).append(pair.other)
        _delete_ids(session, "signons", [pair.other["id"]])


def _audit_fields(
    session: Session, kind: str, row: dict[str, Any], tags: Sequence[int]
) -> dict[str, Any]:
    """A record's fields as the change log shows them (the names edits use)."""
    if kind == "contact":
        names = [*(_COLUMN.get(n, n) for n in CONTACT_TAKEABLE), "notes"]
        data: dict[str, Any] = {n: row[n] for n in names}
        data["do_not_contact"] = bool(row["do_not_contact"])
        data["bounced"] = bool(row["bounced"])
        data["emails"] = [
            e["address"] for e in _rows(session, "contact_emails", "contact_id", [row["id"]])
        ]
        data["phones"] = [
            p["number"] for p in _rows(session, "contact_phones", "contact_id", [row["id"]])
        ]
    else:
        data = {n: row[n] for n in (*ORGANISATION_TAKEABLE, "notes")}
        data["signons"] = [
            f"{code}: {status}"
            for code, status in session.execute(
                text(
                    "SELECT c.code, s.status FROM signons s "
                    "JOIN campaigns c ON c.id = s.campaign_id "
                    "WHERE s.organisation_id = :o ORDER BY c.code"
                ),
                {"o": row["id"]},
            )
        ]
    data["tags"] = sorted(_tag_names(session, tags).values())
    return {k: jsonable(v) for k, v in data.items()}


def _reindex(session: Session, kind: str, kept_id: int, other_id: int) -> None:
    """Index entries of both records, and of the people whose organisation's entry changed."""
    if kind == "contact":
        search.index_contacts(session, [kept_id, other_id])
        return
    search.index_organisations(session, [kept_id, other_id])
    search.index_contacts(
        session,
        session.scalars(
            text("SELECT id FROM contacts WHERE organisation_id IN (:k, :o)"),
            {"k": kept_id, "o": other_id},
        ),
    )


# --- listing and undo ----------------------------------------------------------------------


def list_merges(session: Session) -> list[MergeView]:
    """Every merge, newest first."""
    return [merge_view(m) for m in session.scalars(select(Merge).order_by(Merge.id.desc()))]


def get_merge(session: Session, merge_id: int) -> MergeView:
    return merge_view(_find_merge(session, merge_id))


def _find_merge(session: Session, merge_id: int) -> Merge:
    merge = session.get(Merge, merge_id)
    if merge is None:
        raise NotFound(f"There is no merge #{merge_id}; `coalition merges list` shows them.")
    return merge


_NOUNS = {
    "organisations": "organisation",
    "contacts": "contact",
    "contact_emails": "email address",
    "contact_phones": "phone number",
    "signons": "sign-on",
}


def undo_merge(work: Work, merge_id: int) -> MergeView:
    """Put both records of a merge back as they were, ids, links and sign-ons included.

    Refused when the merge was undone already, and when later changes depend on it
    (change-log entries about either record after the merge), which the refusal names.
    """
    session = work.session
    merge = _find_merge(session, merge_id)
    if merge.undone_at is not None:
        raise CoalitionError(
            f"Merge #{merge_id} was already undone on {merge.undone_at:%Y-%m-%d %H:%M}"
            f" by {merge.undone_by}."
        )
    snap = merge.snapshot
    if snap.get("erased"):
        raise CoalitionError(
            f"Merge #{merge_id} cannot be undone: the person in it was erased since."
        )
    kind, kept_id, other_id = merge.kind, merge.kept_id, merge.other_id
    pair = [merge.kept_id, merge.other_id]
    refuse_if_later_changes(
        session,
        f"merge #{merge.id}",
        merge.last_audit_id or 0,
        contacts=pair if merge.kind == "contact" else (),
        organisations=pair if merge.kind == "organisation" else (),
    )
    session.flush()
    _refuse_if_ids_moved(session, merge_id, snap)
    table = "contacts" if kind == "contact" else "organisations"
    (merged,) = _rows(session, table, "id", [kept_id])
    tags = snap["tags"]
    before = _audit_fields(
        session, kind, merged, _tag_ids(session, tags["table"], tags["column"], kept_id)
    )

    try:
        for name in _RESTORE_ORDER:
            for row in snap["changed"].get(name, []):
                _update_row(session, name, row)
            _insert(session, name, snap["deleted"].get(name, []))
        for move in reversed(snap["repointed"]):
            _set_where_ids(
                session,
                move["table"],
                {move["column"]: move["from"]},
                move["ids"],
                only_if=(move["column"], move["to"]),
            )
        session.execute(
            text(f"DELETE FROM {tags['table']} WHERE {tags['column']} = :k"), {"k": kept_id}
        )
        _insert(
            session,
            tags["table"],
            [{tags["column"]: kept_id, "tag_id": t} for t in tags["kept"]]
            + [{tags["column"]: other_id, "tag_id": t} for t in tags["other"]],
        )
    except IntegrityError:
        raise CoalitionError(
            f"Cannot undo merge #{merge_id}: a record it links back to (an organisation, "
            "a campaign or a contact) has been deleted since."
        ) from None
    _reindex(session, kind, kept_id, other_id)

    (kept_row,) = _rows(session, table, "id", [kept_id])
    (other_row,) = _rows(session, table, "id", [other_id])
    after = _audit_fields(session, kind, kept_row, tags["kept"])
    after["merge_undone"] = merge_id
    restored = _audit_fields(session, kind, other_row, tags["other"])
    restored["merge_undone"] = merge_id
    ids = {f"{kind}_id": kept_id}
    other_ids = {f"{kind}_id": other_id}
    if kind == "contact":
        ids["organisation_id"] = kept_row["organisation_id"]
        other_ids["organisation_id"] = other_row["organisation_id"]
    session.expire_all()
    now = utcnow()
    merge = _find_merge(session, merge_id)
    merge.undone_at = now
    merge.undone_by = work.coordinator
    work.audit("update", kind, kept_id, merge.kept_label, before, after, **ids)
    work.audit("create", kind, other_id, merge.other_label, None, restored, **other_ids)
    session.flush()
    return merge_view(merge)


def _refuse_if_ids_moved(session: Session, merge_id: int, snap: dict[str, Any]) -> None:
    """The rows to write back must be there, and the ids of those to insert again free (an
    import, which logs one entry per batch, may have taken a freed id since)."""
    for name in _RESTORE_ORDER:
        changed = [r["id"] for r in snap["changed"].get(name, [])]
        missing = sorted(set(changed) - _existing(session, name, changed))
        if missing:
            raise CoalitionError(
                f"Cannot undo merge #{merge_id}: {_NOUNS[name]} #{missing[0]} it changed has "
                "been deleted since."
            )
        deleted = [r["id"] for r in snap["deleted"].get(name, [])]
        taken = sorted(_existing(session, name, deleted))
        if taken:
            raise CoalitionError(
                f"Cannot undo merge #{merge_id}: the id of {_NOUNS[name]} #{taken[0]} has been "
                "taken by a record added since."
            )


# --- personal data -------------------------------------------------------------------------


def erase_from_merges(session: Session, contact_id: int, erased: str) -> int:
    """Forget what the merges of this contact hold on them (their rows before the merge),
    for an erasure; such a merge can no longer be undone. ``erased`` is the label put in
    place of the names. Returns how many merges were scrubbed."""
    merges = list(
        session.scalars(
            select(Merge).where(
                Merge.kind == "contact",
                or_(Merge.kept_id == contact_id, Merge.other_id == contact_id),
            )
        )
    )
    for merge in merges:
        merge.snapshot = {"version": SNAPSHOT_VERSION, "kind": "contact", "erased": True}
        merge.kept_label = merge.other_label = erased
    session.flush()
    return len(merges)


__all__ = [
    "CONTACT_TAKEABLE",
    "ORGANISATION_TAKEABLE",
    "STATUS_ORDER",
    "FieldMerge",
    "MergePreview",
    "MergeView",
    "SignOnMerge",
    "erase_from_merges",
    "get_merge",
    "list_merges",
    "merge_contacts",
    "merge_organisations",
    "merge_view",
    "preview_merge",
    "undo_merge",
]
