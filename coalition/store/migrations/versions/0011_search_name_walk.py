"""PostgreSQL: the contact search's entries can be read in name order (an index on
``contact_search (name_key, id)``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08

A search matching many contacts lists its first page in name order by walking names
in order and keeping those that match. That walk went through the ``contacts`` name
index and looked each row up in ``contact_search`` to check it: ~10 µs a row, 4-6 ms of
a keystroke at 100,000 contacts. With this index the walk reads the entries themselves
in name order and checks each document where it lies: ~1.5 µs a row, ~1 ms. Which
walk a listing takes, or whether it reads the matches and sorts them, is still said by
``coalition.store.planner`` from the search's count.

SQLite: nothing changes (its index is FTS5's).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_contact_search_name_key ON contact_search (name_key, id)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_contact_search_name_key")
