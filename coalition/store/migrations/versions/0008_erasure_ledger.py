"""The erasure ledger: people erased, as salted hashes of their identifiers.

Revision ID: 0008
Revises: 0007
Create Date: 2027-01-12

``erasures`` holds one row per erasure and no personal data: the erased
contact's id, a per-database salt and HMAC-SHA256 digests of the identifiers
they had (emails, phones, normalised name, vCard UID). ``pending`` stays true
from the erase's commit until the file has been rewritten and its write-ahead
log emptied, so an erase interrupted half-way can be finished. ``token``
identifies an entry across copies of the database, for a restore to merge the
ledgers of both.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("coordinator", sa.String(length=100), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("digests", sa.JSON(), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
        sa.UniqueConstraint("token", name=op.f("uq_erasures_token")),
    )


def downgrade() -> None:
    op.drop_table("erasures")
