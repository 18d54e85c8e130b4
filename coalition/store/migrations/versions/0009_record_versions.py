"""Organisations, contacts, campaigns and sign-ons get a version, for edits made at once.

Revision ID: 0009
Revises: 0008
Create Date: 2027-01-20

Two coordinators editing one record: the second save must be refused, not overwrite
the first. Each of these rows now carries ``version`` (1 when written, one more at
each change); an editor keeps the version it opened with and a save that finds
another is refused. Existing rows start at 1. The server default gives new rows 1
when a bulk insert does not name the column; SQLite adds a NOT NULL column with a
default in place, so no table is copied.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("organisations", "contacts", "campaigns", "signons")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("version")
