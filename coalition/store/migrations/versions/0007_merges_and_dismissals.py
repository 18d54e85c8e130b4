"""Merges that can be undone, and pairs marked "not a duplicate".

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

``merges`` keeps, for each merge of two contacts or two organisations, the
rows as they were before it (``snapshot``, JSON): enough to put both records
back exactly, ids and links included. ``last_audit_id`` is the change log's
newest entry when the merge was made; an undo refuses while later changes
depend on it, as an import batch's undo does.

``duplicate_dismissals`` holds the pairs a coordinator said are two different
records, so the list of likely duplicates does not offer them again. A pair is
stored once, the lower id first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("kept_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("kept_label", sa.String(length=400), nullable=True),
        sa.Column("other_label", sa.String(length=400), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("coordinator", sa.String(length=100), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("last_audit_id", sa.Integer(), nullable=True),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("undone_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint("kind IN ('contact', 'organisation')", name=op.f("ck_merges_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merges")),
    )
    op.create_index(op.f("ix_merges_kept_id"), "merges", ["kept_id"])
    op.create_table(
        "duplicate_dismissals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("low_id", sa.Integer(), nullable=False),
        sa.Column("high_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("coordinator", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "kind IN ('contact', 'organisation')", name=op.f("ck_duplicate_dismissals_kind")
        ),
        sa.CheckConstraint("low_id < high_id", name=op.f("ck_duplicate_dismissals_ordered")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_dismissals")),
        sa.UniqueConstraint("kind", "low_id", "high_id", name=op.f("uq_duplicate_dismissals_kind")),
    )


def downgrade() -> None:
    op.drop_table("duplicate_dismissals")
    op.drop_index(op.f("ix_merges_kept_id"), table_name="merges")
    op.drop_table("merges")
