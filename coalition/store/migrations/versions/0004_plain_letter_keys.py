"""Folded keys and the search index write letters with a stroke as their base letters.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

"Łódź", "Ørsted" and "Straße" are now folded to "lodz", "orsted" and
"strasse" for sorting, duplicate checks and search (coalition.text). Keys
stored under the earlier rule are recomputed with the fold of this revision,
written out below as it was (the application's may change later; this upgrade
must not), and both search indexes are rebuilt with it. Two tags whose keys would now coincide
("Straße", "Strasse") keep their earlier keys rather than break the unique
index; nothing is merged behind the coordinator's back.
"""

import json
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Letters Unicode does not decompose, written as their base letters (as of this revision).
_LETTERS = str.maketrans(
    {
        "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h",
        "Ŀ": "L", "ŀ": "l", "Ŧ": "T", "ŧ": "t", "ı": "i", "ß": "ss", "ẞ": "SS", "Æ": "AE",
        "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "TH", "þ": "th",
    }
)  # fmt: skip


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str | None) -> str:
    """The key of a name or address: case, accents and spacing ignored."""
    if not text:
        return ""
    if text.isascii():
        return " ".join(text.casefold().split())
    return " ".join(_strip_accents(unicodedata.normalize("NFKC", text)).casefold().split())


def _index_text(*parts: str | None) -> str:
    """One search column: the parts there are, letters with a stroke as their base letter
    and accents off beyond Latin (the tokenizer takes them off Latin letters itself)."""
    text = " ".join(p for p in parts if p)
    if text.isascii():
        return text
    text = text.translate(_LETTERS)
    return text if max(text) < "\u0250" else _strip_accents(text)


_CONTACT_ROWS = """
SELECT c.id, c.display_name, c.given_name, c.family_name, c.honorific,
  (SELECT group_concat(e.address, ' ') FROM contact_emails e WHERE e.contact_id = c.id),
  o.name, o.acronym, c.role, c.city, c.country,
  (SELECT group_concat(t.name, ' ') FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
   WHERE ct.contact_id = c.id)
FROM contacts c LEFT JOIN organisations o ON o.id = c.organisation_id
"""
_ORGANISATION_ROWS = """
SELECT o.id, o.name, o.acronym, o.email, o.website, o.phone, o.city, o.country,
  (SELECT group_concat(t.name, ' ') FROM organisation_tags ot JOIN tags t ON t.id = ot.tag_id
   WHERE ot.organisation_id = o.id)
FROM organisations o
"""


def _rebuild_search(bind: sa.Connection) -> None:
    """Both search indexes made again from the tables, with this revision's folding."""
    t = _index_text
    bind.execute(sa.text("DELETE FROM contact_search"))
    bind.execute(sa.text("DELETE FROM organisation_search"))
    contacts = [
        {"id": cid, "doc": json.dumps([t(d, g, f, h), t(e), t(o, a), t(r), t(c, k), t(tags)])}
        for cid, d, g, f, h, e, o, a, r, c, k, tags in bind.execute(sa.text(_CONTACT_ROWS))
    ]
    organisations = [
        {"id": oid, "doc": json.dumps([t(n), t(a), t(e, w, p), t(c, k), t(tags)])}
        for oid, n, a, e, w, p, c, k, tags in bind.execute(sa.text(_ORGANISATION_ROWS))
    ]
    if contacts:
        bind.execute(
            sa.text(
                "INSERT INTO contact_search(rowid, name, emails, organisation, role, place, tags) "
                "VALUES (:id, " + ", ".join(f"json_extract(:doc, '$[{i}]')" for i in range(6)) + ")"
            ),
            contacts,
        )
    if organisations:
        bind.execute(
            sa.text(
                "INSERT INTO organisation_search(rowid, name, acronym, contact, place, tags) "
                "VALUES (:id, " + ", ".join(f"json_extract(:doc, '$[{i}]')" for i in range(5)) + ")"
            ),
            organisations,
        )


def _refold(bind: sa.Connection, table: str, source: str, key: str, where: str = "") -> None:
    rows = bind.execute(sa.text(f"SELECT id, {source}, {key} FROM {table} {where}")).all()
    changed = [
        {"id": row_id, "key": fold(value)}
        for row_id, value, old in rows
        if value and not value.isascii() and fold(value) != old
    ]
    if changed:
        bind.execute(sa.text(f"UPDATE {table} SET {key} = :key WHERE id = :id"), changed)


def upgrade() -> None:
    bind = op.get_bind()
    _refold(bind, "organisations", "name", "name_key")
    _refold(bind, "contacts", "display_name", "display_name_key")
    _refold(bind, "contact_emails", "address", "address_key", "WHERE NOT valid")
    taken = {key for (key,) in bind.execute(sa.text("SELECT key FROM tags"))}
    for tag_id, name, old in bind.execute(sa.text("SELECT id, name, key FROM tags")).all():
        new = fold(name)
        if new != old and new not in taken:
            bind.execute(
                sa.text("UPDATE tags SET key = :key WHERE id = :id"), {"key": new, "id": tag_id}
            )
            taken.discard(old)
            taken.add(new)
    if bind.dialect.name == "sqlite":
        _rebuild_search(bind)


def downgrade() -> None:
    """Keys folded by the new rule still find and sort their rows; nothing to undo."""
