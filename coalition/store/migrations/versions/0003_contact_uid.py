"""Contacts get a stable UID, the identity their vCards carry in and out.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Existing contacts get a random UUID each. The column is added without NOT
NULL (SQLite cannot add a NOT NULL column without a default) and every row is
filled before the unique index is built; the model requires it from then on.
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("contacts", sa.Column("uid", sa.String(length=200), nullable=True))
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM contacts"))]
    if ids:
        bind.execute(
            sa.text("UPDATE contacts SET uid = :uid WHERE id = :id"),
            [{"uid": str(uuid.uuid4()), "id": i} for i in ids],
        )
    op.create_index(op.f("uq_contacts_uid"), "contacts", ["uid"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("uq_contacts_uid"), table_name="contacts")
    op.drop_column("contacts", "uid")
