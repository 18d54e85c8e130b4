"""Folded keys and the search index write letters with a stroke as their base letters.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

"Łódź", "Ørsted" and "Straße" are now folded to "lodz", "orsted" and
"strasse" for sorting, duplicate checks and search (coalition.text). Keys
stored under the earlier rule are recomputed with the application's fold, and
both search indexes are rebuilt. Two tags whose keys would now coincide
("Straße", "Strasse") keep their earlier keys rather than break the unique
index; nothing is merged behind the coordinator's back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from coalition.domain.values import fold
from coalition.store import search

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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
    _refold(bind, "contact_emails", "address", "address_key", "WHERE valid = 0")
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
        search.rebuild(Session(bind=bind))


def downgrade() -> None:
    """Keys folded by the new rule still find and sort their rows; nothing to undo."""
